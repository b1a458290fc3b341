// The ticket's chat: history (newest 50, older ones on scrolling up), live
// messages from the socket (deduplicated by id, sorted by id), a composer
// whose messages show at once as "Sending…" until the server acks them,
// typing and presence lines, "Seen", read marks, links, notifications.
//
// mountChat(section, {ticket, user, ctx, onPresence}) -> {setTicket(ticket), destroy()}
//   onPresence(others | null): who else is in the ticket's room now
//   ([{id, name, role}], without this user), null while unknown
import { h, timeEl, charCount, uid } from '../dom.js';
import { get } from '../api.js';
import * as ws from '../ws.js';
import { alertUser, shorten } from '../notify.js';

const PAGE = 50;
const MAX_BODY = 5000;
const TYPING_RENEW = 3000; // resend typing:true this often while typing
const TYPING_IDLE = 5000; // no key for this long: typing:false
const TYPING_EXPIRE = 8000; // someone else's stale typing:true disappears
const NEAR_BOTTOM = 80; // px: "the reader is at the newest message"

// ---- links ----------------------------------------------------------------

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const PUNCT = '.,;:!?\'"”’»';
const PAIRS = { ')': '(', ']': '[', '}': '{' };

function count(s, ch) {
  return s.split(ch).length - 1;
}

// Trailing punctuation is the sentence's, not the URL's; a closing bracket
// stays when the URL opened it (https://en.wikipedia.org/wiki/Foo_(bar)).
function trimUrl(url) {
  let u = url;
  while (u.length) {
    const c = u[u.length - 1];
    if (PUNCT.includes(c) || (PAIRS[c] && count(u, c) > count(u, PAIRS[c])) || c === '>') {
      u = u.slice(0, -1);
    } else break;
  }
  return u;
}

// Plain text -> text nodes and <a> elements, built with DOM calls only.
export function linkify(text) {
  const nodes = [];
  let last = 0;
  URL_RE.lastIndex = 0;
  for (let m = URL_RE.exec(text); m; m = URL_RE.exec(text)) {
    const url = trimUrl(m[0]);
    if (!/^https?:\/\/[^/?#\s]/i.test(url)) continue;
    if (m.index > last) nodes.push(document.createTextNode(text.slice(last, m.index)));
    const a = document.createElement('a');
    a.href = url;
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    a.textContent = url;
    nodes.push(a);
    last = m.index + url.length;
    URL_RE.lastIndex = last;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function joinNames(names) {
  if (names.length <= 1) return names.join('');
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

// Text as it goes out: blank lines before and whitespace after are dropped.
function cleanBody(s) {
  return s.replace(/^\s*\n/, '').replace(/\s+$/, '');
}

// ---- the component ----------------------------------------------------------

export function mountChat(section, { ticket: initialTicket, user, ctx, onPresence = null }) {
  let ticket = initialTicket;
  const ticketId = String(ticket.id);
  const me = user;
  const isMine = (m) => Boolean(m.author && me && m.author.id === me.id);

  const byId = new Map(); // message id -> {msg, el}
  const ids = []; // ascending
  const pendingEls = new Map(); // client_id -> {entry, el}
  const typers = new Map(); // user id -> {name, timer}
  let online = null; // [{id, name, role}] or null when unknown
  let hasMore = false;
  let loadingOlder = false;
  let loaded = false;
  let bottomVisible = false;
  let lastReadSent = 0;
  let otherReadUpTo = 0;
  let seenEl = null;
  let unseenCount = 0;
  let destroyed = false;

  // typing state of this user
  let typingOn = false;
  let typingSentAt = 0;
  let typingIdleTimer = 0;

  // ---- DOM ----
  const titleId = uid('chat-title');
  const presenceEl = h('p', { class: 'chat__presence' });
  const alertEl = h('div', { class: 'form-alert', role: 'alert' });
  const olderBtn = h('button', { type: 'button', class: 'btn btn--small btn--quiet', hidden: true },
    'Load earlier messages');
  const olderStatus = h('p', { class: 'chat__older-status muted' });
  const list = h('ol', { class: 'chat__list' });
  const sentinel = h('div', { class: 'chat__end', 'aria-hidden': 'true' });
  const live = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'false' });
  const log = h('div', {
    class: 'chat__log', tabindex: '0', role: 'region', 'aria-label': 'Conversation', 'aria-busy': 'true',
  },
  h('div', { class: 'chat__older' }, olderBtn, olderStatus),
  h('p', { class: 'chat__empty muted', hidden: true }, 'No messages yet. Say hello!'),
  list, sentinel, live);
  const emptyEl = log.querySelector('.chat__empty');
  const jumpBtn = h('button', { type: 'button', class: 'btn btn--small chat__jump', hidden: true }, 'New messages');
  const typingEl = h('p', { class: 'chat__typing' });

  const textarea = h('textarea', {
    id: uid('message'), name: 'body', rows: '2', maxlength: String(MAX_BODY * 2), autocomplete: 'off',
    enterkeyhint: 'send',
  });
  const hintId = `${textarea.id}-hint`;
  const errorId = `${textarea.id}-error`;
  const hintEl = h('p', { class: 'hint composer__hint', id: hintId }, 'Enter sends, Shift+Enter starts a new line.');
  const errorEl = h('p', { class: 'field-error', id: errorId });
  // The keyboard hint means nothing on a touch screen: app.css hides it there
  // (same media query), and then the textarea is not described by it either.
  const touchOnly = typeof window.matchMedia === 'function'
    ? window.matchMedia('(hover: none) and (pointer: coarse)') : null;
  const describeTextarea = () => {
    const ids = [];
    if (!(touchOnly && touchOnly.matches)) ids.push(hintId);
    if (errorEl.textContent) ids.push(errorId);
    if (ids.length) textarea.setAttribute('aria-describedby', ids.join(' '));
    else textarea.removeAttribute('aria-describedby');
  };
  describeTextarea();
  if (touchOnly) touchOnly.addEventListener('change', describeTextarea);
  const sendBtn = h('button', { type: 'submit', class: 'btn btn--primary composer__send' }, 'Send');
  const composer = h('form', { class: 'composer', novalidate: true },
    h('label', { for: textarea.id, class: 'composer__label' }, 'Message'),
    h('div', { class: 'composer__row' }, textarea, sendBtn),
    errorEl, hintEl);
  const closedEl = h('p', { class: 'chat__closed' }, 'This ticket is closed');

  section.replaceChildren(
    h('div', { class: 'chat__head' },
      h('h2', { id: titleId, class: 'chat__title' }, 'Chat'),
      presenceEl),
    alertEl,
    h('div', { class: 'chat__frame' }, log, jumpBtn),
    typingEl,
    composer,
    closedEl);
  section.removeAttribute('data-placeholder');
  if (!section.hasAttribute('aria-label')) section.setAttribute('aria-label', 'Chat');

  // ---- announcements (polite live region in the log) ----
  let said = [];
  let sayTimer = 0;
  function say(text) {
    said.push(text);
    clearTimeout(sayTimer);
    sayTimer = setTimeout(() => {
      live.textContent = '';
      const text2 = said.length > 3 ? `${said.length} new messages.` : said.join(' ');
      said = [];
      // A fresh text node is read even when it repeats the last one.
      live.append(h('p', null, text2));
      while (live.childNodes.length > 3) live.firstChild.remove();
    }, 150);
  }

  // ---- rendering messages ----
  function authorLine(m, extra) {
    const a = m.author;
    return h('p', { class: 'msg__meta' },
      h('span', { class: 'msg__author' }, a ? a.name : 'Helpline'),
      a && a.role === 'agent' ? h('span', { class: 'msg__role' }, 'Agent') : null,
      extra);
  }

  function messageEl(m) {
    if (m.kind === 'system' || !m.author) {
      return h('li', { class: 'msg msg--system', dataset: { id: String(m.id) } },
        h('p', { class: 'msg__body', dir: 'auto' }, m.body),
        h('p', { class: 'msg__meta' }, timeEl(m.created_at)));
    }
    const own = isMine(m);
    return h('li', { class: ['msg', own ? 'msg--own' : 'msg--other'], dataset: { id: String(m.id) } },
      h('div', { class: 'msg__bubble' },
        authorLine(m, timeEl(m.created_at)),
        h('div', { class: 'msg__body', dir: 'auto' }, linkify(String(m.body)))),
      h('p', { class: 'msg__status' }));
  }

  function pendingEl(entry) {
    const status = h('p', { class: 'msg__status' });
    const el = h('li', { class: 'msg msg--own msg--pending', dataset: { clientId: entry.client_id } },
      h('div', { class: 'msg__bubble' },
        authorLine({ author: { name: me.name, role: me.role } }, null),
        h('div', { class: 'msg__body', dir: 'auto' }, linkify(entry.body))),
      status);
    setPendingStatus(el, entry);
    return el;
  }

  function setPendingStatus(el, entry) {
    const status = el.querySelector('.msg__status');
    el.classList.toggle('msg--failed', Boolean(entry.failed));
    if (!entry.failed) {
      status.replaceChildren(h('span', { class: 'msg__sending' }, 'Sending…'));
      return;
    }
    const retry = h('button', { type: 'button', class: 'btn btn--small' }, 'Retry');
    const drop = h('button', { type: 'button', class: 'btn btn--small btn--quiet' }, 'Discard');
    retry.addEventListener('click', () => {
      delete entry.failed;
      delete entry.error;
      ws.retry(ticketId, entry.client_id);
      setPendingStatus(el, entry);
      focusComposer();
    });
    drop.addEventListener('click', () => {
      ws.discard(ticketId, entry.client_id);
      pendingEls.delete(entry.client_id);
      el.remove();
      updateEmpty();
      focusComposer();
    });
    status.replaceChildren(
      h('span', { class: 'msg__error' }, `Not sent: ${entry.error || 'the message was refused.'}`),
      retry, drop);
  }

  function focusComposer() {
    if (!composer.hidden) textarea.focus();
    else log.focus();
  }

  function updateEmpty() {
    emptyEl.hidden = !loaded || ids.length > 0 || pendingEls.size > 0;
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM;
  }

  function scrollToBottom() {
    log.scrollTop = log.scrollHeight;
    unseenCount = 0;
    jumpBtn.hidden = true;
  }

  function insertionPoint(id) {
    // first id greater than `id` (binary search), else the first pending one
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function firstPending() {
    for (const p of pendingEls.values()) if (p.el.isConnected) return p.el;
    return null;
  }

  // Adds or refreshes one stored message; returns true if it was new.
  function put(m) {
    const id = Number(m.id);
    if (!(id > 0)) return false;
    const old = byId.get(id);
    if (old) {
      // a provisional copy (made from an ack) gets the server's version
      const el = messageEl(m);
      old.el.replaceWith(el);
      if (seenEl === old.el) seenEl = null;
      byId.set(id, { msg: m, el });
      return false;
    }
    if (m.client_id && pendingEls.has(m.client_id) && isMine(m)) {
      pendingEls.get(m.client_id).el.remove();
      pendingEls.delete(m.client_id);
    }
    const idx = insertionPoint(id);
    const el = messageEl(m);
    const before = idx < ids.length ? byId.get(ids[idx]).el : firstPending();
    list.insertBefore(el, before);
    ids.splice(idx, 0, id);
    byId.set(id, { msg: m, el });
    return true;
  }

  function newestId() {
    return ids.length ? ids[ids.length - 1] : 0;
  }

  function newestFromOthers() {
    for (let i = ids.length - 1; i >= 0; i -= 1) {
      const { msg } = byId.get(ids[i]);
      if (!isMine(msg)) return ids[i];
    }
    return 0;
  }

  // "Seen" under the last own message the other side has read.
  function updateSeen() {
    let target = null;
    for (let i = ids.length - 1; i >= 0; i -= 1) {
      if (ids[i] > otherReadUpTo) continue;
      const entry = byId.get(ids[i]);
      if (isMine(entry.msg) && entry.msg.kind !== 'system') {
        target = entry.el;
        break;
      }
    }
    if (target === seenEl) return;
    if (seenEl) {
      const s = seenEl.querySelector('.msg__status');
      if (s) s.replaceChildren();
    }
    seenEl = target;
    if (seenEl) {
      const s = seenEl.querySelector('.msg__status');
      if (s) s.replaceChildren(h('span', { class: 'msg__seen' }, 'Seen'));
    }
  }

  // Tell the server what this user has read, when the newest message is on
  // screen and the tab is visible.
  function maybeRead() {
    if (destroyed || !loaded || document.visibilityState !== 'visible' || !bottomVisible) return;
    const newest = newestId();
    if (newest > lastReadSent && newestFromOthers() > lastReadSent) {
      lastReadSent = newest;
      ws.read(ticketId, newest);
    }
  }

  // ---- history ----
  async function loadInitial() {
    alertEl.replaceChildren();
    olderStatus.textContent = 'Loading messages…';
    try {
      const data = await get(`/api/v1/tickets/${ticketId}/messages`, { query: { limit: PAGE } });
      if (destroyed) return;
      const items = Array.isArray(data && data.items) ? data.items : [];
      items.forEach(put);
      hasMore = items.length >= PAGE;
    } catch (err) {
      if (destroyed) return;
      olderStatus.textContent = '';
      log.removeAttribute('aria-busy');
      const retry = h('button', { type: 'button', class: 'btn', onclick: () => loadInitial() }, 'Try again');
      alertEl.replaceChildren(h('p', null, `Could not load the chat. ${err.message}`), retry);
      return;
    }
    loaded = true;
    olderStatus.textContent = '';
    olderBtn.hidden = !hasMore;
    log.removeAttribute('aria-busy');
    // Unsent messages from before a reload (or another page) follow the history.
    for (const entry of ws.outbox(ticketId)) {
      if (pendingEls.has(entry.client_id)) continue;
      const stored = ids.some((id) => byId.get(id).msg.client_id === entry.client_id);
      if (stored) continue;
      const el = pendingEl(entry);
      pendingEls.set(entry.client_id, { entry, el });
      list.append(el);
    }
    updateEmpty();
    updateSeen();
    scrollToBottom();
    if (!unsubscribe) unsubscribe = ws.subscribe(ticketId, handlers);
    maybeRead();
  }

  async function loadOlder() {
    if (loadingOlder || !hasMore || !ids.length) return;
    loadingOlder = true;
    olderBtn.setAttribute('aria-disabled', 'true');
    olderStatus.textContent = 'Loading earlier messages…';
    log.setAttribute('aria-busy', 'true');
    try {
      const data = await get(`/api/v1/tickets/${ticketId}/messages`, { query: { before: ids[0], limit: PAGE } });
      if (destroyed) return;
      const items = Array.isArray(data && data.items) ? data.items : [];
      // Keep what the reader looks at in place while rows appear above it.
      const fromBottom = log.scrollHeight - log.scrollTop;
      let added = 0;
      items.forEach((m) => { if (put(m)) added += 1; });
      log.scrollTop = log.scrollHeight - fromBottom;
      hasMore = items.length >= PAGE;
      olderStatus.textContent = hasMore ? '' : 'This is the start of the conversation.';
      ctx.announce(added ? `${added} earlier message${added === 1 ? '' : 's'} loaded.` : 'No earlier messages.');
      updateSeen();
    } catch (err) {
      if (destroyed) return;
      olderStatus.textContent = `Could not load earlier messages. ${err.message}`;
    } finally {
      loadingOlder = false;
      olderBtn.removeAttribute('aria-disabled');
      olderBtn.hidden = !hasMore;
      log.removeAttribute('aria-busy');
      if (!hasMore && document.activeElement === olderBtn) log.focus();
    }
  }

  olderBtn.addEventListener('click', () => {
    if (olderBtn.getAttribute('aria-disabled') !== 'true') loadOlder();
  });
  log.addEventListener('scroll', () => {
    if (loaded && log.scrollTop < NEAR_BOTTOM && hasMore) loadOlder();
    if (nearBottom()) {
      unseenCount = 0;
      jumpBtn.hidden = true;
    }
  }, { passive: true });
  jumpBtn.addEventListener('click', () => {
    scrollToBottom();
    log.focus();
  });

  // ---- live frames ----
  function onMessage(m) {
    if (!loaded) return; // the history load covers it (subscribe comes later)
    const wasNear = nearBottom();
    const own = isMine(m);
    const isNew = put(m);
    updateSeen(); // also when an ack's provisional copy was just replaced
    if (!isNew) return;
    updateEmpty();
    if (!own) {
      if (m.author) stopTyper(m.author.id);
      say(m.author ? `${m.author.name}: ${shorten(m.body, 300)}` : shorten(m.body, 300));
      if (document.visibilityState === 'hidden') {
        alertUser({
          title: m.author ? `${m.author.name} — ${ticket.subject}` : ticket.subject,
          body: String(m.body),
          tag: `ticket-${ticketId}`,
        });
      }
    }
    if (wasNear || own) scrollToBottom();
    else if (!own) {
      unseenCount += 1;
      jumpBtn.textContent = unseenCount === 1 ? '1 new message' : `${unseenCount} new messages`;
      jumpBtn.hidden = false;
    }
    maybeRead();
  }

  function onAck(frame) {
    const p = pendingEls.get(frame.client_id);
    if (!p) return;
    const id = Number(frame.message_id);
    const wasNear = nearBottom();
    pendingEls.delete(frame.client_id);
    p.el.remove();
    if (id > 0 && !byId.has(id)) {
      put({
        id,
        ticket_id: Number(ticketId),
        kind: 'text',
        author: { id: me.id, name: me.name, role: me.role },
        body: p.entry.body,
        client_id: p.entry.client_id,
        created_at: p.entry.created_at,
      });
    }
    updateSeen();
    if (wasNear) scrollToBottom();
  }

  function onFailed(clientId, frame) {
    const p = pendingEls.get(clientId);
    if (!p) return;
    p.entry.failed = true;
    p.entry.error = frame.message || 'The message was not sent.';
    setPendingStatus(p.el, p.entry);
    say(`Message not sent: ${p.entry.error}`);
  }

  function renderTyping() {
    const names = [...typers.values()].map((t) => t.name);
    typingEl.textContent = !names.length ? ''
      : names.length === 1 ? `${names[0]} is typing…`
        : names.length === 2 ? `${joinNames(names)} are typing…`
          : 'Several people are typing…';
  }

  function stopTyper(userId) {
    const t = typers.get(userId);
    if (!t) return;
    clearTimeout(t.timer);
    typers.delete(userId);
    renderTyping();
  }

  function onTyping(frame) {
    const u = frame.user;
    if (!u || (me && u.id === me.id)) return;
    if (!frame.state) {
      stopTyper(u.id);
      return;
    }
    const old = typers.get(u.id);
    if (old) clearTimeout(old.timer);
    typers.set(u.id, { name: u.name, timer: setTimeout(() => stopTyper(u.id), TYPING_EXPIRE) });
    renderTyping();
  }

  let presenceKey = '';
  function reportPresence(others) {
    if (typeof onPresence !== 'function') return;
    const key = others ? others.map((u) => `${u.id}:${u.name}:${u.role}`).join('|') : 'unknown';
    if (key === presenceKey) return;
    presenceKey = key;
    try { onPresence(others ? others.map((u) => ({ ...u })) : null); } catch (e) { console.error(e); }
  }

  function renderPresence() {
    if (!online) {
      presenceEl.replaceChildren();
      reportPresence(null);
      return;
    }
    const others = online.filter((u) => u && (!me || u.id !== me.id));
    reportPresence(others);
    let text;
    let on;
    if (me && me.role === 'agent') {
      // "Casey Customer (customer) is online": the name first, the role after it
      const c = ticket.customer || {};
      on = others.some((u) => u.id === c.id || (c.id == null && u.role === 'customer'));
      text = `${c.name ? `${c.name} (customer)` : 'The customer'} is ${on ? 'online' : 'offline'}`;
      const agents = others.filter((u) => u.role === 'agent').map((u) => u.name);
      if (agents.length) text += ` · ${joinNames(agents)} also here`;
    } else {
      // "Alex Agent (agent) is online": the name first, the role after it
      const agents = others.filter((u) => u.role === 'agent');
      on = agents.length > 0;
      if (on) {
        text = agents.length === 1
          ? `${agents[0].name} (agent) is online`
          : `${joinNames(agents.map((u) => u.name))} (agents) are online`;
      } else if (ticket.agent) {
        text = `${ticket.agent.name} (agent) is offline`;
      } else {
        text = 'No agent is online';
      }
    }
    presenceEl.replaceChildren(
      h('span', { class: ['dot', on ? 'dot--on' : 'dot--off'], 'aria-hidden': 'true' }),
      text);
  }

  function presenceList(p) {
    if (Array.isArray(p)) return p;
    if (p && Array.isArray(p.online)) return p.online;
    return null;
  }

  const handlers = {
    lastId: () => newestId(),
    subscribed(frame) {
      alertEl.replaceChildren();
      const p = presenceList(frame.presence ?? frame.online);
      if (p) {
        online = p;
        renderPresence();
      }
    },
    presence(frame) {
      const p = presenceList(frame.online ?? frame.presence);
      if (p) {
        online = p;
        renderPresence();
      }
    },
    message: onMessage,
    ack: onAck,
    failed: onFailed,
    typing: onTyping,
    read(frame) {
      if (me && frame.user_id === me.id) return;
      const upTo = Number(frame.up_to) || 0;
      if (upTo > otherReadUpTo) {
        otherReadUpTo = upTo;
        updateSeen();
      }
    },
    error(frame) {
      if (frame.code === 'not_found' || frame.code === 'forbidden') {
        alertEl.replaceChildren(h('p', null, `The chat is not available. ${frame.message || ''}`.trim()));
      }
    },
  };
  let unsubscribe = null;

  // ---- composer ----
  function setTyping(on) {
    clearTimeout(typingIdleTimer);
    if (on) {
      const now = Date.now();
      if (!typingOn || now - typingSentAt >= TYPING_RENEW) {
        if (ws.typing(ticketId, true)) typingSentAt = now;
        typingOn = true;
      }
      typingIdleTimer = setTimeout(() => setTyping(false), TYPING_IDLE);
    } else if (typingOn) {
      typingOn = false;
      typingSentAt = 0;
      ws.typing(ticketId, false);
    }
  }

  function setError(msg) {
    errorEl.replaceChildren(...(msg ? [h('span', null, msg)] : []));
    describeTextarea();
    if (msg) textarea.setAttribute('aria-invalid', 'true');
    else textarea.removeAttribute('aria-invalid');
  }

  function autosize() {
    textarea.style.height = 'auto';
    const max = Math.max(120, Math.round(window.innerHeight * 0.3));
    textarea.style.height = `${Math.min(textarea.scrollHeight + 2, max)}px`;
  }

  function submit() {
    const body = cleanBody(textarea.value);
    if (!body.trim()) {
      textarea.value = '';
      autosize();
      setTyping(false);
      return;
    }
    const n = charCount(body);
    if (n > MAX_BODY) {
      setError(`The message is too long: ${n} characters, at most ${MAX_BODY}.`);
      return;
    }
    setError('');
    setTyping(false);
    const clientId = ws.send(ticketId, body);
    const entry = { client_id: clientId, body, created_at: new Date().toISOString() };
    if (!pendingEls.has(clientId)) {
      const el = pendingEl(entry);
      pendingEls.set(clientId, { entry, el });
      list.append(el);
    }
    textarea.value = '';
    autosize();
    updateEmpty();
    scrollToBottom();
  }

  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
    textarea.focus();
  });
  textarea.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault();
    submit();
  });
  textarea.addEventListener('input', () => {
    if (errorEl.textContent && charCount(textarea.value) <= MAX_BODY) setError('');
    autosize();
    setTyping(textarea.value.trim() !== '');
  });
  textarea.addEventListener('blur', () => setTyping(false));

  // ---- the ticket itself (status, agent) ----
  function setTicket(t) {
    if (!t) return;
    ticket = { ...ticket, ...t };
    const closed = ticket.status === 'closed';
    if (closed && !composer.hidden && composer.contains(document.activeElement)) log.focus();
    composer.hidden = closed;
    closedEl.hidden = !closed;
    typingEl.hidden = closed && !typers.size;
    if (closed) setTyping(false);
    renderPresence();
  }

  // ---- connection state ----
  const offState = ws.on('state', (s) => {
    if (s !== 'open') {
      online = null; // unknown until the next `subscribed`
      renderPresence();
      for (const id of [...typers.keys()]) stopTyper(id);
      typingOn = false;
    }
  });

  // ---- visibility: read marks ----
  const io = typeof IntersectionObserver === 'function'
    ? new IntersectionObserver((entries) => {
      bottomVisible = entries[entries.length - 1].isIntersecting;
      if (bottomVisible) {
        unseenCount = 0;
        jumpBtn.hidden = true;
      }
      maybeRead();
    })
    : null;
  if (io) io.observe(sentinel);
  else bottomVisible = true;
  const onVisibility = () => maybeRead();
  document.addEventListener('visibilitychange', onVisibility);

  setTicket(ticket);
  loadInitial();

  return {
    setTicket,
    destroy() {
      destroyed = true;
      setTyping(false);
      clearTimeout(sayTimer);
      for (const id of [...typers.keys()]) stopTyper(id);
      if (io) io.disconnect();
      document.removeEventListener('visibilitychange', onVisibility);
      if (touchOnly) touchOnly.removeEventListener('change', describeTextarea);
      offState();
      if (unsubscribe) unsubscribe();
    },
  };
}
