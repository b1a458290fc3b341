// Bootstrap and router: who is signed in (GET /api/v1/me), which page a path
// shows, History API navigation, the header, page titles (with the unread
// count), focus, the polite live region, the socket's lifetime and its
// connection banner.
import { h, refreshTimes } from './dom.js';
import { get, post, onUnauthorized } from './api.js';
import * as ws from './ws.js';
import { alertUser, permission, requestPermission } from './notify.js';
import * as login from './pages/login.js';
import * as signup from './pages/signup.js';
import * as tickets from './pages/tickets.js';
import * as agentHome from './pages/agent-home.js';
import * as newTicket from './pages/new-ticket.js';
import * as ticket from './pages/ticket.js';
import * as notFound from './pages/not-found.js';

const main = document.getElementById('main');
const header = document.getElementById('site-header');
const announcer = document.getElementById('announcer');

const state = { user: null, nav: 0, cleanups: [], unreadTotal: 0, baseTitle: 'Helpline' };
const unreadByTicket = new Map(); // ticket id -> last count seen in an `unread` frame

// ---- title: "(3) Subject — Helpline" ------------------------------------

function applyTitle() {
  const n = state.user ? Number(state.unreadTotal) || 0 : 0;
  document.title = n > 0 ? `(${n}) ${state.baseTitle}` : state.baseTitle;
}

function setUnreadTotal(n) {
  state.unreadTotal = Math.max(0, Number(n) || 0);
  applyTitle();
}

async function refreshUnread() {
  try {
    const me = await get('/api/v1/me', { quiet401: true });
    if (me && state.user && me.user && me.user.id === state.user.id) setUnreadTotal(me.unread_total);
  } catch {
    // the next `unread` frame will do
  }
}

// guest: only for visitors (signed-in users go to /); auth: sign-in required.
const routes = [
  { re: /^\/$/, page: (user) => (!user ? login : user.role === 'agent' ? agentHome : tickets) },
  { re: /^\/login\/?$/, page: () => login, guest: true },
  { re: /^\/signup\/?$/, page: () => signup, guest: true },
  { re: /^\/tickets\/new\/?$/, page: () => newTicket, auth: true },
  { re: /^\/tickets\/([^/]+)\/?$/, page: () => ticket, auth: true, keys: ['id'] },
];

// ---- live region -------------------------------------------------------

let pending = [];
let flushTimer = 0;

// Messages said within a moment of each other are read together; clearing
// first makes a screen reader repeat a message that did not change.
function announce(message) {
  pending.push(message);
  clearTimeout(flushTimer);
  announcer.textContent = '';
  flushTimer = setTimeout(() => {
    announcer.textContent = pending.join(' ');
    pending = [];
  }, 120);
}

// ---- navigation --------------------------------------------------------

// Where to go after logging in: a same-origin page path, never /api or //host.
function nextPath() {
  const next = new URLSearchParams(location.search).get('next');
  if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\')
      && !next.startsWith('/api/')) return next;
  return '/';
}

function navigate(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', to);
  else {
    history.pushState(null, '', to);
    window.scrollTo(0, 0);
  }
  route(false);
}

function setUser(user) {
  const changed = (state.user && state.user.id) !== (user && user.id);
  state.user = user;
  if (!changed) return;
  unreadByTicket.clear();
  setUnreadTotal(0);
  if (user) {
    ws.start(user);
    refreshUnread();
  } else {
    ws.stop();
  }
}

function matchRoute(path) {
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) {
      const params = {};
      (r.keys || []).forEach((k, i) => { params[k] = m[i + 1]; });
      return { route: r, params };
    }
  }
  return null;
}

async function route(initial) {
  state.nav += 1;
  const nav = state.nav;
  for (const fn of state.cleanups.splice(0)) {
    try { fn(); } catch (e) { console.error(e); }
  }

  const path = location.pathname;
  const found = matchRoute(path);
  if (found && found.route.auth && !state.user) {
    history.replaceState(null, '', `/login?next=${encodeURIComponent(path + location.search)}`);
    return route(initial);
  }
  if (found && found.route.guest && state.user) {
    history.replaceState(null, '', '/');
    return route(initial);
  }
  const page = found ? found.route.page(state.user) : notFound;

  renderHeader();
  const view = h('div', { class: 'view' });
  main.replaceChildren(view);
  const focusedBefore = document.activeElement;
  let title = 'Helpline';
  const isActive = () => nav === state.nav;
  const ctx = {
    view,
    user: state.user,
    params: found ? found.params : {},
    query: new URLSearchParams(location.search),
    isActive,
    setTitle(t) {
      if (!isActive()) return;
      title = t;
      state.baseTitle = `${t} — Helpline`;
      applyTitle();
    },
    announce: (m) => { if (isActive()) announce(m); },
    navigate,
    reload: () => { if (isActive()) route(false); },
    setUser,
    nextPath,
    onCleanup: (fn) => { if (isActive()) state.cleanups.push(fn); else fn(); },
  };

  try {
    await page.render(ctx);
  } catch (err) {
    console.error(err);
    if (isActive()) {
      view.append(h('div', { class: 'form-alert', role: 'alert' },
        h('p', null, err && err.message ? err.message : 'Something went wrong.')));
    }
  }
  if (!isActive() || initial) return;
  announce(`${title} page.`);
  // Move focus to the new page's heading, unless the user already moved on.
  const active = document.activeElement;
  const heading = view.querySelector('h1');
  if (heading && (!active || active === document.body || active === focusedBefore)) {
    heading.focus({ preventScroll: true });
  }
}

// ---- header ------------------------------------------------------------

async function logout(button) {
  button.disabled = true;
  try {
    await post('/api/v1/auth/logout', undefined, { quiet401: true });
  } catch (err) {
    if (err.status === 0 || err.status >= 500) {
      button.disabled = false;
      announce(`Could not log out. ${err.message}`);
      return;
    }
  }
  ws.stop({ clearOutbox: true });
  setUser(null);
  announce('Logged out.');
  navigate('/login');
}

// A bell drawn in SVG (an emoji needs a font some systems lack).
function bellIcon() {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'notify-btn__icon');
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', 'M12 3a6 6 0 0 0-6 6v3.6l-1.7 2.9A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.5L18 12.6V9a6 6 0 0 0-6-6Zm-2.2 15.5a2.3 2.3 0 0 0 4.4 0Z');
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

// "Enable notifications": only while the browser has not been asked yet.
function notifyButton() {
  if (permission() !== 'default') return null;
  const button = h('button', { type: 'button', class: 'btn btn--quiet notify-btn' },
    bellIcon(),
    h('span', { class: 'notify-btn__text' }, 'Enable notifications'));
  button.addEventListener('click', async () => {
    button.disabled = true;
    const result = await requestPermission();
    if (result === 'default') {
      button.disabled = false;
      return;
    }
    const focusWasHere = document.activeElement === button || document.activeElement === document.body;
    button.remove();
    announce(result === 'granted' ? 'Notifications enabled.' : 'Notifications are blocked in this browser.');
    const next = header.querySelector('.account .btn');
    if (focusWasHere && next) next.focus();
  });
  return button;
}

function renderHeader() {
  const user = state.user;
  const account = user
    ? h('div', { class: 'account' },
      notifyButton(),
      h('span', { class: 'account__name' },
        h('span', { class: 'visually-hidden' }, 'Signed in as '),
        user.name,
        user.role === 'agent' ? h('span', { class: 'role-tag' }, 'Agent') : null),
      h('button', { type: 'button', class: 'btn btn--quiet', onclick: (e) => logout(e.currentTarget) }, 'Log out'))
    : null;
  header.replaceChildren(h('div', { class: 'site-header__inner' },
    h('a', { href: '/', class: 'brand' }, 'Helpline'), account));
}

// ---- bootstrap ---------------------------------------------------------

// Same-origin links are handled here; /api/ (images), new tabs, downloads,
// in-page anchors and modified clicks are left to the browser.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
  if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
  if (a.getAttribute('href').startsWith('#')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});

window.addEventListener('popstate', () => route(false));
setInterval(() => refreshTimes(main), 30 * 1000);
if ('scrollRestoration' in history) history.scrollRestoration = 'manual';

onUnauthorized(() => {
  if (!state.user) return;
  setUser(null);
  const here = location.pathname + location.search;
  announce('Your session has ended. Please log in again.');
  navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
});

// ---- the socket: banner, unread counts, notifications --------------------

const connBanner = h('div', { class: 'conn', role: 'status' });
header.after(connBanner);
let connTimer = 0;

ws.on('state', (s) => {
  clearTimeout(connTimer);
  if (s === 'reconnecting') {
    connBanner.replaceChildren(h('p', { class: 'conn__bar' }, 'Reconnecting…'));
  } else if (s === 'open' && connBanner.firstChild) {
    connBanner.replaceChildren(h('p', { class: 'conn__bar conn__bar--ok' }, 'Connected'));
    connTimer = setTimeout(() => connBanner.replaceChildren(), 2500);
  } else if (s !== 'open') {
    connBanner.replaceChildren();
  }
});

// Another tab signed in as someone else: this tab's view is stale.
ws.on('hello', (frame) => {
  if (frame.user && state.user && frame.user.id != null && frame.user.id !== state.user.id) location.reload();
});

// Frames that came while we were away are lost: ask for the total again.
ws.on('reconnected', refreshUnread);

ws.on('unread', (frame) => {
  if (typeof frame.unread_total === 'number') setUnreadTotal(frame.unread_total);
  const id = String(frame.ticket_id);
  const count = Number(frame.count) || 0;
  const before = unreadByTicket.has(id) ? unreadByTicket.get(id) : 0;
  unreadByTicket.set(id, count);
  // An open chat notifies for its own messages; this covers the other tickets.
  if (count > before && document.visibilityState === 'hidden' && !ws.isSubscribed(id)) {
    const open = () => navigate(`/tickets/${id}`);
    get(`/api/v1/tickets/${id}`)
      .then((data) => alertUser({
        title: 'New message', body: data.ticket.subject, tag: `ticket-${id}`, onClick: open,
      }))
      .catch(() => alertUser({ title: 'New message', body: 'A ticket has a new message.', tag: `ticket-${id}`, onClick: open }));
  }
});

async function start() {
  try {
    const me = await get('/api/v1/me', { quiet401: true });
    state.user = me && me.user ? me.user : null;
    if (state.user) {
      state.unreadTotal = Number(me.unread_total) || 0;
      ws.start(state.user);
    }
  } catch (err) {
    if (err.status !== 401) {
      document.title = 'Helpline';
      renderHeader();
      main.replaceChildren(h('div', { class: 'view' },
        h('h1', null, 'Helpline is not reachable'),
        h('div', { class: 'form-alert', role: 'alert' }, h('p', null, err.message)),
        h('button', { type: 'button', class: 'btn', onclick: () => { main.replaceChildren(); start(); } },
          'Try again')));
      return;
    }
  }
  await route(true);
}

start();
