// The one WebSocket to /api/v1/ws: connecting and reconnecting (exponential
// backoff with full jitter), rooms (subscribe / resubscribe with `after`),
// the outbox of unacknowledged messages (kept in sessionStorage per ticket,
// resent with the same client_id after every reconnect), and global events
// for the pages (`ticket`, `unread`, connection state).
//
//   start(user) / stop()            app.js, when someone signs in / out
//   subscribe(ticketId, handlers)   -> unsubscribe function; handlers:
//       lastId()                    highest message id the page holds
//       message(msg) ack(frame) typing(frame) presence(frame) read(frame)
//       subscribed(frame) failed(clientId, frame) error(frame) ticket(ticket)
//   send(ticketId, body) -> client_id      retry(ticketId, clientId)
//   discard(ticketId, clientId)            outbox(ticketId) -> [entries]
//   typing(ticketId, bool)   read(ticketId, upTo)
//   on(type, fn) -> off   types: any server frame type ('ticket', 'unread',
//       'hello', ...), 'state' (fn(state)), 'reconnected' (after a reconnect)
//   getState() -> 'idle' | 'connecting' | 'open' | 'reconnecting'
import { get } from './api.js';

const BASE_DELAY = 500;
const MAX_DELAY = 30 * 1000;
const PING_EVERY = 25 * 1000; // only when nothing was sent for that long
const PONG_WAIT = 10 * 1000; // silence after a ping that counts as a dead link
const OUTBOX_PREFIX = 'helpline.outbox.';

let user = null;
let socket = null;
let state = 'idle';
let attempt = 0;
let retryTimer = 0;
let pingTimer = 0;
let deadTimer = 0;
let everConnected = false;
let lastSent = 0;

const rooms = new Map(); // ticketId (string) -> Set of handler objects
const listeners = new Map(); // type -> Set of fn
const pendingReads = new Map(); // ticketId -> up_to not yet sent
// ticketId -> [{client_id, body, created_at, failed?, error?}], oldest first
const outboxes = new Map();
const outboxOwner = new Map(); // client_id -> ticketId

const key = (ticketId) => String(ticketId);

// ---- events -------------------------------------------------------------

export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}

function emit(type, ...args) {
  for (const fn of [...(listeners.get(type) || [])]) {
    try { fn(...args); } catch (e) { console.error(e); }
  }
}

function roomCall(ticketId, name, ...args) {
  const set = rooms.get(key(ticketId));
  if (!set) return false;
  for (const handlers of [...set]) {
    if (typeof handlers[name] === 'function') {
      try { handlers[name](...args); } catch (e) { console.error(e); }
    }
  }
  return true;
}

function setState(next) {
  if (state === next) return;
  state = next;
  emit('state', state);
}

export function getState() {
  return state;
}

export function currentUser() {
  return user;
}

// ---- outbox (sessionStorage) --------------------------------------------

function storageKey(ticketId) {
  return `${OUTBOX_PREFIX}${user ? user.id : 0}.${ticketId}`;
}

function saveOutbox(ticketId) {
  const list = outboxes.get(key(ticketId)) || [];
  try {
    if (list.length) sessionStorage.setItem(storageKey(ticketId), JSON.stringify(list));
    else sessionStorage.removeItem(storageKey(ticketId));
  } catch {
    // Storage full or blocked: the outbox still lives in memory.
  }
}

function loadOutboxes() {
  outboxes.clear();
  outboxOwner.clear();
  if (!user) return;
  const prefix = `${OUTBOX_PREFIX}${user.id}.`;
  try {
    for (let i = 0; i < sessionStorage.length; i += 1) {
      const k = sessionStorage.key(i);
      if (!k || !k.startsWith(prefix)) continue;
      const ticketId = k.slice(prefix.length);
      let list;
      try { list = JSON.parse(sessionStorage.getItem(k)); } catch { list = null; }
      if (!Array.isArray(list)) continue;
      list = list.filter((e) => e && typeof e.client_id === 'string' && typeof e.body === 'string');
      outboxes.set(ticketId, list);
      for (const e of list) outboxOwner.set(e.client_id, ticketId);
    }
  } catch {
    // No sessionStorage (privacy mode): nothing to restore.
  }
}

function clearStoredOutboxes(forUser) {
  if (!forUser) return;
  const prefix = `${OUTBOX_PREFIX}${forUser.id}.`;
  try {
    const keys = [];
    for (let i = 0; i < sessionStorage.length; i += 1) {
      const k = sessionStorage.key(i);
      if (k && k.startsWith(prefix)) keys.push(k);
    }
    keys.forEach((k) => sessionStorage.removeItem(k));
  } catch {
    // nothing stored
  }
}

export function outbox(ticketId) {
  return (outboxes.get(key(ticketId)) || []).map((e) => ({ ...e }));
}

function findEntry(clientId) {
  const ticketId = outboxOwner.get(clientId);
  if (ticketId == null) return null;
  const list = outboxes.get(ticketId) || [];
  const entry = list.find((e) => e.client_id === clientId);
  return entry ? { ticketId, list, entry } : null;
}

function removeEntry(clientId) {
  const found = findEntry(clientId);
  if (!found) return null;
  found.list.splice(found.list.indexOf(found.entry), 1);
  outboxOwner.delete(clientId);
  if (!found.list.length) outboxes.delete(found.ticketId);
  saveOutbox(found.ticketId);
  return found;
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Very old browsers (and plain-http non-localhost pages): a random v4 UUID by hand.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---- the socket ---------------------------------------------------------

function url() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/v1/ws`;
}

function raw(frame) {
  if (!socket || socket.readyState !== WebSocket.OPEN || state !== 'open') return false;
  try {
    socket.send(JSON.stringify(frame));
    lastSent = Date.now();
    return true;
  } catch {
    return false;
  }
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  if (!user || socket) return;
  setState(everConnected || attempt > 0 ? 'reconnecting' : 'connecting');
  let ws;
  try {
    ws = new WebSocket(url());
  } catch {
    scheduleReconnect(false);
    return;
  }
  socket = ws;
  let greeted = false;
  ws.addEventListener('message', (e) => {
    if (socket !== ws) return;
    alive();
    let frame;
    try { frame = JSON.parse(e.data); } catch { return; }
    if (!frame || typeof frame.type !== 'string') return;
    if (frame.type === 'hello') greeted = true;
    handle(frame);
  });
  ws.addEventListener('close', () => {
    if (socket !== ws) return;
    socket = null;
    stopTimers();
    if (!user) return;
    setState('reconnecting');
    scheduleReconnect(greeted);
  });
  // 'error' is always followed by 'close'.
}

// Full jitter: a random wait between 0 and min(30 s, 0.5 s * 2^attempt).
function scheduleReconnect(wasGreeted) {
  clearTimeout(retryTimer);
  const cap = Math.min(MAX_DELAY, BASE_DELAY * 2 ** attempt);
  attempt += 1;
  const delay = Math.random() * cap;
  retryTimer = setTimeout(connect, delay);
  // A socket that never said hello may have been refused for a dead session:
  // a plain request finds out, and api.js's 401 handler signs the page out.
  if (!wasGreeted && attempt >= 2) get('/api/v1/me').catch(() => {});
}

function stopTimers() {
  clearTimeout(pingTimer);
  clearTimeout(deadTimer);
  pingTimer = 0;
  deadTimer = 0;
}

// Any frame from the server proves the link is alive.
function alive() {
  clearTimeout(deadTimer);
  deadTimer = 0;
  clearTimeout(pingTimer);
  pingTimer = setTimeout(idlePing, PING_EVERY);
}

function idlePing() {
  if (state !== 'open') return;
  if (Date.now() - lastSent < PING_EVERY - 1000) {
    pingTimer = setTimeout(idlePing, PING_EVERY - (Date.now() - lastSent));
    return;
  }
  probe();
}

// Ping and give the server PONG_WAIT to answer; silence means a dead link
// (a laptop that slept, a proxy that dropped us): close and reconnect.
function probe() {
  if (!socket) return;
  if (!raw({ type: 'ping' })) return;
  clearTimeout(deadTimer);
  const ws = socket;
  deadTimer = setTimeout(() => {
    if (socket !== ws) return;
    try { ws.close(4000, 'no pong'); } catch { /* already closing */ }
    socket = null;
    stopTimers();
    setState('reconnecting');
    scheduleReconnect(true);
  }, PONG_WAIT);
}

function lastIdOf(ticketId) {
  let max = 0;
  for (const handlers of rooms.get(key(ticketId)) || []) {
    const n = typeof handlers.lastId === 'function' ? Number(handlers.lastId()) || 0 : 0;
    if (n > max) max = n;
  }
  return max;
}

function subscribeFrame(ticketId) {
  const frame = { type: 'subscribe', ticket_id: Number(ticketId) };
  const after = lastIdOf(ticketId);
  if (after > 0) frame.after = after;
  raw(frame);
}

function sendEntry(ticketId, entry) {
  return raw({ type: 'message', ticket_id: Number(ticketId), body: entry.body, client_id: entry.client_id });
}

// After (re)connecting: rooms first (so their replay comes first), then
// every unacknowledged message with its original client_id, then reads.
function resync() {
  for (const ticketId of rooms.keys()) subscribeFrame(ticketId);
  for (const [ticketId, list] of outboxes) {
    for (const entry of list) if (!entry.failed) sendEntry(ticketId, entry);
  }
  for (const [ticketId, upTo] of pendingReads) {
    if (raw({ type: 'read', ticket_id: Number(ticketId), up_to: upTo })) pendingReads.delete(ticketId);
  }
}

function handle(frame) {
  switch (frame.type) {
    case 'hello': {
      const reconnected = everConnected;
      everConnected = true;
      attempt = 0;
      setState('open');
      emit('hello', frame);
      resync();
      if (reconnected) emit('reconnected');
      alive();
      return;
    }
    case 'pong':
      return;
    case 'ack': {
      const found = removeEntry(frame.client_id);
      if (found) roomCall(found.ticketId, 'ack', { ...frame, body: found.entry.body, created_at: found.entry.created_at });
      emit('ack', frame);
      return;
    }
    case 'message': {
      const m = frame.message;
      if (!m) return;
      // Our own message seen in a replay: it is stored, whatever became of the ack.
      if (m.client_id && user && m.author && m.author.id === user.id) {
        const found = removeEntry(m.client_id);
        if (found) roomCall(found.ticketId, 'ack', { type: 'ack', client_id: m.client_id, message_id: m.id });
      }
      roomCall(m.ticket_id, 'message', m);
      emit('message', m);
      return;
    }
    case 'error': {
      const ref = frame.ref;
      const found = typeof ref === 'string' ? findEntry(ref) : null;
      if (found) {
        found.entry.failed = true;
        found.entry.error = frame.message || 'The message was not sent.';
        saveOutbox(found.ticketId);
        roomCall(found.ticketId, 'failed', ref, frame);
      } else if (ref != null && rooms.has(key(ref))) {
        roomCall(ref, 'error', frame);
      }
      emit('error', frame);
      return;
    }
    case 'ticket': {
      const t = frame.ticket;
      if (t && t.id != null) roomCall(t.id, 'ticket', t);
      emit('ticket', frame);
      return;
    }
    case 'typing':
    case 'presence':
    case 'read':
    case 'subscribed':
      roomCall(frame.ticket_id, frame.type, frame);
      emit(frame.type, frame);
      return;
    default:
      emit(frame.type, frame);
  }
}

// Called on `online` and when the tab becomes visible again: reconnect now
// if we are down, else check the link and resubscribe (a replay after the
// highest id we hold fills any gap; pages drop duplicates by id).
function wake() {
  if (!user) return;
  if (!socket) {
    attempt = 0;
    connect();
    return;
  }
  if (state === 'open') {
    resync();
    probe();
  }
}

window.addEventListener('online', wake);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') wake();
});

// ---- public API ---------------------------------------------------------

export function start(nextUser) {
  if (!nextUser) {
    stop();
    return;
  }
  if (user && user.id === nextUser.id && socket) return;
  if (user && user.id !== nextUser.id) stop();
  user = nextUser;
  loadOutboxes();
  attempt = 0;
  everConnected = false;
  connect();
}

// Sign out: close, forget rooms' reads and this user's unsent messages
// (when clearOutbox), so nothing leaks into the next session of this tab.
export function stop({ clearOutbox = false } = {}) {
  const old = user;
  user = null;
  clearTimeout(retryTimer);
  retryTimer = 0;
  stopTimers();
  if (socket) {
    const ws = socket;
    socket = null;
    try { ws.close(1000, 'bye'); } catch { /* ignore */ }
  }
  pendingReads.clear();
  if (clearOutbox) clearStoredOutboxes(old);
  outboxes.clear();
  outboxOwner.clear();
  everConnected = false;
  setState('idle');
}

export function subscribe(ticketId, handlers) {
  const k = key(ticketId);
  let set = rooms.get(k);
  const first = !set;
  if (!set) {
    set = new Set();
    rooms.set(k, set);
  }
  set.add(handlers);
  if (first) subscribeFrame(k);
  return () => unsubscribe(ticketId, handlers);
}

export function unsubscribe(ticketId, handlers) {
  const k = key(ticketId);
  const set = rooms.get(k);
  if (!set) return;
  if (handlers) set.delete(handlers);
  else set.clear();
  if (set.size) return;
  rooms.delete(k);
  raw({ type: 'unsubscribe', ticket_id: Number(k) });
}

export function isSubscribed(ticketId) {
  return rooms.has(key(ticketId));
}

// Queues the message (sessionStorage) and sends it if the socket is up;
// returns its client_id. It stays in the outbox until the server acks it.
export function send(ticketId, body) {
  const k = key(ticketId);
  const entry = { client_id: newClientId(), body, created_at: new Date().toISOString() };
  if (!outboxes.has(k)) outboxes.set(k, []);
  outboxes.get(k).push(entry);
  outboxOwner.set(entry.client_id, k);
  saveOutbox(k);
  sendEntry(k, entry);
  return entry.client_id;
}

// A failed message goes out again, same client_id (the server keeps one copy).
export function retry(ticketId, clientId) {
  const found = findEntry(clientId);
  if (!found) return false;
  delete found.entry.failed;
  delete found.entry.error;
  saveOutbox(found.ticketId);
  sendEntry(found.ticketId, found.entry);
  return true;
}

export function discard(ticketId, clientId) {
  return Boolean(removeEntry(clientId));
}

export function typing(ticketId, on) {
  return raw({ type: 'typing', ticket_id: Number(ticketId), state: Boolean(on) });
}

export function read(ticketId, upTo) {
  const k = key(ticketId);
  const n = Number(upTo);
  if (!(n > 0)) return;
  if (!raw({ type: 'read', ticket_id: Number(k), up_to: n })) {
    pendingReads.set(k, Math.max(n, pendingReads.get(k) || 0));
  }
}
