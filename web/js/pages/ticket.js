// One ticket: facts, description, screenshots (with a viewer), and the chat.
// Agents also get the ticket's controls (Claim, Status, Priority, who else is
// looking) and the customer's other tickets; customers get the moves the
// server allows them (Reopen, Close). The status moves offered always come
// from the ticket's `allowed_status` (computed by the server for this user);
// `ticket` frames keep everything current, and a change of status or agent
// fetches the ticket again, because frames do not carry `allowed_status`.
import { h, statusBadge, priorityLabel, timeEl, formatBytes, uid, STATUS_LABELS, PRIORITY_LABELS } from '../dom.js';
import { get, post, patch, categoryNames } from '../api.js';
import * as ws from '../ws.js';
import { mountChat } from '../components/chat.js';
import { confirmDialog } from '../components/confirm.js';

const THUMB_MAX = 320; // the server's thumbnails are at most 320 px on the long side

function thumbSize(a) {
  const w = Number(a.width) || 0;
  const hgt = Number(a.height) || 0;
  if (!w || !hgt) return {};
  const scale = Math.min(1, THUMB_MAX / Math.max(w, hgt));
  return { width: Math.round(w * scale), height: Math.round(hgt * scale) };
}

// A modal <dialog> with the full image. Escape and "Close" close it; focus
// goes back to the thumbnail link that opened it.
function openViewer(a, trigger) {
  const titleId = uid('viewer-title');
  const close = h('button', { type: 'button', class: 'btn' }, 'Close');
  const dialog = h('dialog', { class: 'viewer', 'aria-labelledby': titleId },
    h('div', { class: 'viewer__bar' },
      // one line, cut with an ellipsis when long (app.css); the whole name stays
      // in the text (screen readers) and in the tooltip
      h('h2', { id: titleId, class: 'viewer__title', title: a.filename }, a.filename),
      h('a', { href: a.url, target: '_blank', rel: 'noopener' }, 'Open original'),
      close),
    h('div', { class: 'viewer__body' },
      h('img', { src: a.url, alt: `Full-size screenshot ${a.filename}` })));
  close.addEventListener('click', () => dialog.close());
  // A click on the backdrop (the dialog box itself, outside its content) closes too.
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (trigger.isConnected) trigger.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

function screenshot(a) {
  const link = h('a', { href: a.url, class: 'shot__link' },
    h('img', { src: a.thumb_url, alt: `Screenshot ${a.filename}`, loading: 'lazy', ...thumbSize(a) }));
  link.addEventListener('click', (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (typeof HTMLDialogElement !== 'function') return; // old browser: just open the image
    e.preventDefault();
    openViewer(a, link);
  });
  const dims = a.width && a.height ? ` · ${a.width}×${a.height}` : '';
  return h('li', { class: 'shot' },
    link,
    h('p', { class: 'shot__name' }, a.filename),
    h('p', { class: 'shot__info' }, `${formatBytes(Number(a.size) || 0)}${dims}`));
}

function fact(term, ...value) {
  return h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, ...value));
}

function notFound(ctx) {
  ctx.setTitle('Ticket not found');
  ctx.view.append(
    h('h1', { tabindex: '-1' }, 'Ticket not found'),
    h('p', null, 'This ticket does not exist, or you do not have access to it.'),
    h('p', null, h('a', { href: '/' }, 'Back to tickets')));
}

const statusName = (s) => (Object.hasOwn(STATUS_LABELS, s) ? STATUS_LABELS[s] : String(s));
const CLOSE_QUESTION = "Close this ticket? It can't be reopened.";
const REFRESH_DELAY = 150;

// The statuses this user may move the ticket to now, without the current one.
function movesOf(t) {
  if (!t || t.status === 'closed' || !Array.isArray(t.allowed_status)) return [];
  return [...new Set(t.allowed_status)].filter((s) => s !== t.status && Object.hasOwn(STATUS_LABELS, s));
}

function priorityEl(p) {
  return h('span', { class: `priority priority--${p}` }, priorityLabel(p));
}

// ---- agents: Claim, Status, Priority, who else is here ----------------------

function agentControls(ctx, api) {
  const me = ctx.user;
  const titleId = uid('manage-title');
  const claimBtn = h('button', { type: 'button', class: 'btn btn--primary' }, 'Claim');
  const claimMsg = h('p', { class: 'manage__msg', role: 'alert', tabindex: '-1' });
  const statusId = uid('status');
  const statusSelect = h('select', { id: statusId, name: 'status' });
  const updateBtn = h('button', { type: 'button', class: 'btn' }, 'Update status');
  const statusHint = h('p', { class: 'hint', id: `${statusId}-hint` });
  const statusError = h('p', { class: 'field-error', id: `${statusId}-error`, role: 'alert' });
  const priorityId = uid('priority');
  const prioritySelect = h('select', { id: priorityId, name: 'priority' },
    Object.entries(PRIORITY_LABELS).map(([value, label]) => h('option', { value }, label)));
  const priorityError = h('p', { class: 'field-error', id: `${priorityId}-error`, role: 'alert' });
  const viewing = h('p', { class: 'manage__viewing', hidden: true });

  const el = h('section', { class: 'card manage', 'aria-labelledby': titleId },
    h('h2', { id: titleId, tabindex: '-1' }, 'Manage ticket'),
    h('div', { class: 'manage__claim' }, claimBtn, claimMsg),
    h('div', { class: 'field' },
      h('label', { for: statusId }, 'Status'),
      h('div', { class: 'inline-control' }, statusSelect, updateBtn),
      statusHint, statusError),
    h('div', { class: 'field' },
      h('label', { for: priorityId }, 'Priority'),
      prioritySelect, priorityError),
    viewing);

  let busy = false;

  function describe(input, ...parts) {
    const ids = parts.filter((p) => p.textContent).map((p) => p.id);
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  }

  function setText(node, text) {
    node.replaceChildren(...(text ? [h('span', null, text)] : []));
  }

  let couldClaim = null;
  function paint() {
    const t = api.ticket();
    const moves = movesOf(t);
    const mineToHandle = t.agent && me && t.agent.id === me.id;
    const canClaim = t.status === 'open' && !t.agent;
    const claimHadFocus = document.activeElement === claimBtn;
    // Claimable again (released): an old "Already claimed by ..." is stale.
    if (canClaim && couldClaim === false) claimMsg.textContent = '';
    couldClaim = canClaim;
    claimBtn.hidden = !canClaim;

    // Options: the current status, then the allowed moves, by name.
    const wanted = [t.status, ...moves];
    const have = [...statusSelect.options].map((o) => o.value);
    const chosen = statusSelect.value;
    const same = have.join() === wanted.join();
    if (!same) statusSelect.replaceChildren(...wanted.map((s) => h('option', { value: s }, statusName(s))));
    statusSelect.value = same && wanted.includes(chosen) ? chosen : t.status;
    const none = moves.length === 0;
    statusSelect.disabled = none;
    updateBtn.disabled = none;
    updateBtn.setAttribute('aria-disabled', busy ? 'true' : 'false');
    let hint = '';
    if (t.status === 'closed') hint = 'Closed tickets can’t be changed.';
    else if (none && t.agent && !mineToHandle) hint = `Only ${t.agent.name}, the assigned agent, can change the status.`;
    else if (none && !Array.isArray(t.allowed_status)) hint = 'Status changes are not available right now.';
    else if (none) hint = 'No status change is possible now.';
    statusHint.textContent = hint;
    describe(statusSelect, statusHint, statusError);

    prioritySelect.value = t.priority;
    prioritySelect.disabled = t.status === 'closed';
    describe(prioritySelect, priorityError);

    // The focused Claim button went away: keep the keyboard user nearby.
    if (claimHadFocus && claimBtn.hidden) {
      const next = claimMsg.textContent ? claimMsg
        : [statusSelect, prioritySelect].find((c) => !c.disabled) || claimMsg;
      next.focus();
    }
  }

  async function run(action, errorEl, { onError } = {}) {
    if (busy) return null;
    busy = true;
    setText(errorEl, '');
    paint();
    try {
      const data = await action();
      if (!ctx.isActive()) return null;
      if (data && data.ticket) api.apply(data.ticket, { authoritative: true });
      return data;
    } catch (err) {
      if (!ctx.isActive()) return null;
      if (onError) onError(err);
      else setText(errorEl, err.message);
      // Someone else moved first, or the rules changed: show what is true now.
      if (err.status === 409 || err.status === 403) api.refresh();
      return null;
    } finally {
      busy = false;
      if (ctx.isActive()) paint();
    }
  }

  claimBtn.addEventListener('click', async () => {
    if (busy) return;
    claimMsg.textContent = '';
    const data = await run(() => post(`/api/v1/tickets/${api.ticket().id}/claim`), claimMsg, {
      onError(err) {
        claimMsg.textContent = err.message || 'The ticket could not be claimed.';
      },
    });
    if (data) ctx.announce('You claimed this ticket.');
  });

  updateBtn.addEventListener('click', async () => {
    if (busy || updateBtn.getAttribute('aria-disabled') === 'true') return;
    const t = api.ticket();
    const to = statusSelect.value;
    if (to === t.status) {
      setText(statusError, 'Choose a new status first.');
      describe(statusSelect, statusHint, statusError);
      statusSelect.focus();
      return;
    }
    const data = await run(() => patch(`/api/v1/tickets/${t.id}`, { status: to }), statusError);
    if (data) ctx.announce(`Status changed to ${statusName(data.ticket.status)}.`);
    // A closed ticket disables the controls: focus goes to what is left.
    if (document.activeElement === document.body || !document.activeElement) {
      (!updateBtn.disabled ? updateBtn : statusHint.closest('section').querySelector('h2')).focus();
    }
  });
  statusSelect.addEventListener('change', () => {
    setText(statusError, '');
    describe(statusSelect, statusHint, statusError);
  });

  prioritySelect.addEventListener('change', async () => {
    const t = api.ticket();
    if (busy) {
      prioritySelect.value = t.priority;
      return;
    }
    const to = prioritySelect.value;
    if (to === t.priority) return;
    const data = await run(() => patch(`/api/v1/tickets/${t.id}`, { priority: to }), priorityError, {
      onError(err) {
        setText(priorityError, err.message);
        prioritySelect.value = api.ticket().priority;
      },
    });
    if (data) ctx.announce(`Priority changed to ${priorityLabel(data.ticket.priority)}.`);
  });

  function setViewers(others) {
    const list = (others || []).filter((u) => u && u.name);
    viewing.hidden = list.length === 0;
    viewing.replaceChildren(...(list.length ? [
      h('span', { class: 'dot dot--on', 'aria-hidden': 'true' }),
      h('span', null, 'Also viewing: ',
        list.map((u) => `${u.name}${u.role ? ` (${u.role})` : ''}`).join(', ')),
    ] : []));
  }

  return { el, paint, setViewers };
}

// ---- agents: the customer's other tickets ---------------------------------------

function otherTickets(ctx, t) {
  const customer = t.customer || {};
  const titleId = uid('others-title');
  const list = h('ul', { class: 'other-tickets', hidden: true });
  const status = h('p', { class: 'muted' }, 'Loading…');
  const more = h('p', { class: 'other-tickets__all', hidden: true },
    h('a', { href: `/?customer=${encodeURIComponent(customer.id)}` },
      `All tickets from ${customer.name || 'this customer'}`));
  const el = h('section', { class: 'card others', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, 'Customer’s other tickets'),
    status, list, more);
  const shown = new Map(); // id -> ticket
  const LIMIT = 5;

  function item(o) {
    return h('li', { class: 'other-ticket', dataset: { id: String(o.id) } },
      h('a', { href: `/tickets/${o.id}` }, o.subject),
      h('span', { class: 'other-ticket__meta' },
        h('span', { class: 'ticket-number' }, `#${o.id}`), ' ', statusBadge(o.status), ' ', timeEl(o.created_at)));
  }

  function paint() {
    const items = [...shown.values()]
      .sort((a, b) => (Date.parse(b.created_at) || 0) - (Date.parse(a.created_at) || 0) || b.id - a.id)
      .slice(0, LIMIT);
    list.replaceChildren(...items.map(item));
    list.hidden = items.length === 0;
    status.hidden = items.length > 0;
    if (!items.length) status.textContent = 'No other tickets.';
    more.hidden = items.length === 0;
  }

  const belongs = (o) => o && o.id != null && String(o.id) !== String(t.id)
    && o.customer && customer.id != null && o.customer.id === customer.id;

  if (customer.id == null) {
    status.textContent = 'No other tickets.';
  } else {
    get('/api/v1/tickets', { query: { customer: customer.id, limit: LIMIT + 1 } }).then((data) => {
      if (!ctx.isActive()) return;
      for (const o of (data && data.items) || []) if (belongs(o)) shown.set(String(o.id), o);
      paint();
    }).catch((err) => {
      if (ctx.isActive()) status.textContent = `Could not load them. ${err.message || ''}`.trim();
    });
  }

  function update(o) {
    if (!belongs(o)) return;
    const id = String(o.id);
    shown.set(id, { ...(shown.get(id) || {}), ...o });
    if (!status.textContent.startsWith('Loading')) paint();
  }
  return { el, update };
}

// ---- customers: Reopen / Close ------------------------------------------------

function customerControls(ctx, api) {
  const el = h('div', { class: 'ticket-actions', hidden: true });
  const buttons = h('div', { class: 'ticket-actions__buttons' });
  const note = h('p', { class: 'hint' });
  const error = h('div', { class: 'form-alert', role: 'alert' });
  el.append(note, buttons, error);
  let busy = false;

  // The contract gives customers two moves: reopen (to in_progress) and close.
  const labelFor = (to) => {
    if (to === 'closed') return 'Close';
    if (to === 'in_progress') return 'Reopen';
    return `Mark as ${statusName(to).toLowerCase()}`;
  };

  async function move(to) {
    if (busy) return;
    const t = api.ticket();
    if (to === 'closed') {
      const ok = await confirmDialog({ text: CLOSE_QUESTION, confirm: 'Close ticket', cancel: 'Cancel', danger: true });
      if (!ok || !ctx.isActive()) return;
    }
    busy = true;
    error.replaceChildren();
    paint();
    try {
      const data = await patch(`/api/v1/tickets/${t.id}`, { status: to });
      if (!ctx.isActive()) return;
      api.apply(data.ticket, { authoritative: true });
      ctx.announce(to === 'closed' ? 'The ticket is closed.' : `Status changed to ${statusName(data.ticket.status)}.`);
    } catch (err) {
      if (!ctx.isActive()) return;
      error.replaceChildren(h('p', null, err.message));
      if (err.status === 409 || err.status === 403) api.refresh();
    } finally {
      busy = false;
      if (ctx.isActive()) {
        const hadFocus = el.contains(document.activeElement);
        paint();
        if (hadFocus || document.activeElement === document.body) {
          const next = buttons.querySelector('button') || document.querySelector('main h1');
          if (next) next.focus();
        }
      }
    }
  }

  function paint() {
    const t = api.ticket();
    const moves = movesOf(t);
    const wanted = moves.map((to) => `${to}:${labelFor(to)}`).join();
    if (buttons.dataset.moves !== wanted) {
      const focused = document.activeElement && buttons.contains(document.activeElement)
        ? document.activeElement.textContent : null;
      buttons.replaceChildren(...moves.map((to) => h('button', {
        type: 'button',
        class: ['btn', to === 'closed' ? 'btn--quiet' : 'btn--primary'],
        dataset: { to },
        onclick: () => move(to),
      }, labelFor(to))));
      buttons.dataset.moves = wanted;
      const same = focused && [...buttons.children].find((b) => b.textContent === focused);
      if (same) same.focus();
    }
    for (const b of buttons.children) b.disabled = busy;
    if (t.status === 'resolved' && moves.length) {
      note.textContent = 'Your agent marked this ticket as resolved. If the problem is still there, reopen it; if all is well, close it.';
    } else if (moves.includes('closed')) {
      note.textContent = 'Problem gone? You can close the ticket yourself.';
    } else {
      note.textContent = '';
    }
    note.hidden = !note.textContent;
    el.hidden = moves.length === 0 && !error.textContent;
  }

  return { el, paint };
}

// ---- the page -----------------------------------------------------------------

function renderTicket(ctx, t, names) {
  ctx.setTitle(t.subject);
  const isAgent = ctx.user && ctx.user.role === 'agent';
  const attachments = Array.isArray(t.attachments) ? t.attachments : [];
  const chat = h('section', { id: 'chat', class: 'chat', 'aria-label': 'Chat' });
  const statusEl = h('p', { class: 'ticket__status' },
    h('span', { class: 'visually-hidden' }, 'Status: '), statusBadge(t.status));
  const agentEl = h('dd', null, t.agent ? t.agent.name : 'Unassigned');
  const priorityDd = h('dd', null, priorityEl(t.priority));

  let current = { ...t };
  let refreshTimer = 0;
  let refreshSeq = 0;

  async function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = 0;
    refreshSeq += 1;
    const seq = refreshSeq;
    try {
      const data = await get(`/api/v1/tickets/${t.id}`);
      if (ctx.isActive() && seq === refreshSeq && data && data.ticket) apply(data.ticket, { authoritative: true });
    } catch {
      // the next frame or reconnect tries again
    }
  }
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, REFRESH_DELAY);
  }

  const api = {
    ticket: () => current,
    apply: (next, opts) => apply(next, opts),
    refresh,
  };
  const controls = isAgent ? agentControls(ctx, api) : customerControls(ctx, api);
  const others = isAgent ? otherTickets(ctx, t) : null;

  // One column on narrow screens, in this order: head, facts, controls, chat,
  // then description, screenshots, other tickets (the chat is reachable without
  // scrolling past them). From 1100 px wide the chat is a sticky right-hand
  // column and the rest stacks on the left (see .ticket in app.css).
  ctx.view.classList.add('view--ticket');
  ctx.view.append(
    h('article', { class: 'ticket' },
      h('div', { class: 'ticket__main' },
        h('p', { class: 'back' }, h('a', { href: '/' }, h('span', { 'aria-hidden': 'true' }, '← '), 'Back to tickets')),
        h('div', { class: 'ticket__head' },
          h('p', { class: 'ticket__number' }, `Ticket #${t.id}`),
          h('h1', { class: 'ticket__subject', tabindex: '-1' }, t.subject),
          statusEl),
        h('dl', { class: 'facts' },
          h('div', { class: 'fact' }, h('dt', null, 'Priority'), priorityDd),
          fact('Category', names.get(t.category) || t.category),
          fact('Customer', t.customer ? t.customer.name : ''),
          h('div', { class: 'fact' }, h('dt', null, 'Assigned to'), agentEl),
          fact('Created', timeEl(t.created_at))),
        controls.el),
      chat,
      h('div', { class: 'ticket__more' },
        h('section', { class: 'card', 'aria-labelledby': 'desc-title' },
          h('h2', { id: 'desc-title' }, 'Description'),
          h('div', { class: 'description' }, t.description)),
        h('section', { class: 'card', 'aria-labelledby': 'shots-title' },
          h('h2', { id: 'shots-title' }, 'Screenshots'),
          attachments.length
            ? h('ul', { class: 'shots' }, attachments.map(screenshot))
            : h('p', { class: 'muted' }, 'No screenshots.')),
        others ? others.el : null)));

  const chatApi = mountChat(chat, {
    ticket: t,
    user: ctx.user,
    ctx,
    onPresence: isAgent ? (list) => controls.setViewers(list) : null,
  });

  // A changed ticket from the socket (authoritative: false) or from the
  // server's answer to a request (true: it carries allowed_status).
  function apply(next, { authoritative = false } = {}) {
    if (!next || String(next.id) !== String(t.id)) return;
    const before = current;
    if (!authoritative && next.updated_at && before.updated_at
      && (Date.parse(next.updated_at) || 0) < (Date.parse(before.updated_at) || 0)) return;
    const merged = { ...current, ...next };
    // A frame is not for this viewer: keep our allowed_status and unread count.
    if (!authoritative) {
      merged.allowed_status = before.allowed_status;
      if (next.unread_count == null) merged.unread_count = before.unread_count;
    }
    current = merged;
    const agentChanged = (before.agent && before.agent.id) !== (current.agent && current.agent.id);
    if (current.status !== before.status) {
      // (the chat's system message says it aloud)
      statusEl.replaceChildren(h('span', { class: 'visually-hidden' }, 'Status: '), statusBadge(current.status));
    }
    if (current.priority !== before.priority) priorityDd.replaceChildren(priorityEl(current.priority));
    const agentName = current.agent ? current.agent.name : 'Unassigned';
    if (agentEl.textContent !== agentName) agentEl.textContent = agentName;
    chatApi.setTicket(current);
    controls.paint();
    // Who may do what changed: ask the server (frames lack allowed_status).
    if (!authoritative && (current.status !== before.status || agentChanged)) refreshSoon();
  }

  controls.paint();
  // A ticket from before the server sent allowed_status: ask once.
  if (!Array.isArray(t.allowed_status)) refreshSoon();

  const offTicket = ws.on('ticket', (frame) => {
    apply(frame.ticket);
    if (others) others.update(frame.ticket);
  });
  // Frames missed while the socket was down: ask again.
  const offReconnect = ws.on('reconnected', refresh);
  ctx.onCleanup(() => {
    clearTimeout(refreshTimer);
    refreshSeq += 1;
    offTicket();
    offReconnect();
    chatApi.destroy();
  });
}

export async function render(ctx) {
  if (!/^[1-9][0-9]{0,18}$/.test(ctx.params.id)) {
    notFound(ctx);
    return;
  }
  const loading = h('p', { class: 'loading' }, 'Loading ticket…');
  ctx.view.append(loading);
  ctx.setTitle('Ticket');
  let data;
  let names;
  try {
    [data, names] = await Promise.all([get(`/api/v1/tickets/${ctx.params.id}`), categoryNames()]);
  } catch (err) {
    if (!ctx.isActive()) return;
    loading.remove();
    if (err.status === 404) {
      notFound(ctx);
      return;
    }
    ctx.setTitle('Ticket');
    ctx.view.append(
      h('h1', { tabindex: '-1' }, 'Ticket'),
      h('div', { class: 'form-alert', role: 'alert' }, h('p', null, err.message)));
    return;
  }
  if (!ctx.isActive()) return;
  loading.remove();
  renderTicket(ctx, data.ticket, names);
}
