// Attention while the tab is hidden: a short chime made with the Web Audio
// API (no audio file) and a desktop Notification, once the user allowed it.

let audio = null;
let lastChime = 0;

export function notificationsSupported() {
  return typeof window.Notification === 'function';
}

// 'default' | 'granted' | 'denied' | 'unsupported'
export function permission() {
  return notificationsSupported() ? Notification.permission : 'unsupported';
}

export async function requestPermission() {
  if (!notificationsSupported()) return 'unsupported';
  try {
    // Old Safari takes a callback instead of returning a promise.
    const result = await new Promise((resolve) => {
      const p = Notification.requestPermission(resolve);
      if (p && typeof p.then === 'function') p.then(resolve, () => resolve(Notification.permission));
    });
    return result || Notification.permission;
  } catch {
    return Notification.permission;
  }
}

// Browsers only let audio start after a user gesture: make (or resume) the
// context on the first click or key press, so a chime can play later while
// the tab is in the background.
function unlockAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  try {
    if (!audio) audio = new Ctx();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
}

for (const type of ['pointerdown', 'keydown']) {
  window.addEventListener(type, unlockAudio, { capture: true, passive: true });
}

// Two soft notes, about a third of a second in all.
export function chime() {
  const now = Date.now();
  if (now - lastChime < 1500) return; // a burst of messages makes one sound
  lastChime = now;
  if (!audio) unlockAudio();
  if (!audio || audio.state !== 'running') return;
  try {
    const t0 = audio.currentTime + 0.01;
    [[880, 0], [1318.5, 0.13]].forEach(([freq, offset]) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      const t = t0 + offset;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.18, t + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.22);
    });
  } catch {
    // no sound is no reason to fail
  }
}

export function shorten(text, max) {
  const chars = [...String(text)];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : String(text);
}

// onClick runs when the user clicks the notification (the window gets focus).
export function alertUser({ title, body, tag, onClick }) {
  chime();
  if (permission() !== 'granted') return;
  try {
    const n = new Notification(title, {
      body: shorten(body, 180),
      tag,
      icon: '/favicon.svg',
    });
    n.addEventListener('click', () => {
      window.focus();
      n.close();
      if (onClick) onClick();
    });
  } catch {
    // Some mobile browsers only allow notifications from a service worker.
  }
}
