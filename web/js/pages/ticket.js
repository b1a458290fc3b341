// One ticket: facts, description, screenshots (with a viewer), and the chat.
// `ticket` frames from the socket keep the status and assignee current.
import { h, statusBadge, priorityLabel, timeEl, formatBytes, uid } from '../dom.js';
import { get, categoryNames } from '../api.js';
import * as ws from '../ws.js';
import { mountChat } from '../components/chat.js';

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
      h('h2', { id: titleId, class: 'viewer__title' }, a.filename),
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

function renderTicket(ctx, t, names) {
  ctx.setTitle(t.subject);
  const attachments = Array.isArray(t.attachments) ? t.attachments : [];
  const chat = h('section', { id: 'chat', class: 'chat', 'aria-label': 'Chat' });
  const statusEl = h('p', { class: 'ticket__status' },
    h('span', { class: 'visually-hidden' }, 'Status: '), statusBadge(t.status));
  const agentEl = h('dd', null, t.agent ? t.agent.name : 'Unassigned');
  const priorityEl = h('dd', null, h('span', { class: `priority priority--${t.priority}` }, priorityLabel(t.priority)));

  ctx.view.append(
    h('p', { class: 'back' }, h('a', { href: '/' }, h('span', { 'aria-hidden': 'true' }, '← '), 'Back to tickets')),
    h('article', { class: 'ticket' },
      h('div', { class: 'ticket__head' },
        h('h1', { class: 'ticket__subject', tabindex: '-1' }, t.subject),
        statusEl),
      h('dl', { class: 'facts' },
        h('div', { class: 'fact' }, h('dt', null, 'Priority'), priorityEl),
        fact('Category', names.get(t.category) || t.category),
        fact('Customer', t.customer ? t.customer.name : ''),
        h('div', { class: 'fact' }, h('dt', null, 'Assigned to'), agentEl),
        fact('Created', timeEl(t.created_at))),
      h('section', { class: 'card', 'aria-labelledby': 'desc-title' },
        h('h2', { id: 'desc-title' }, 'Description'),
        h('div', { class: 'description' }, t.description)),
      h('section', { class: 'card', 'aria-labelledby': 'shots-title' },
        h('h2', { id: 'shots-title' }, 'Screenshots'),
        attachments.length
          ? h('ul', { class: 'shots' }, attachments.map(screenshot))
          : h('p', { class: 'muted' }, 'No screenshots.'))),
    chat);

  const chatApi = mountChat(chat, { ticket: t, user: ctx.user, ctx });
  let current = t;
  // A changed ticket (status, assignee) from the socket or a refetch.
  function apply(next) {
    if (!next || String(next.id) !== String(t.id)) return;
    const before = current;
    current = { ...current, ...next };
    if (current.status !== before.status) {
      // (the chat's system message says it aloud)
      statusEl.replaceChildren(h('span', { class: 'visually-hidden' }, 'Status: '), statusBadge(current.status));
    }
    if (current.priority !== before.priority) {
      priorityEl.replaceChildren(
        h('span', { class: `priority priority--${current.priority}` }, priorityLabel(current.priority)));
    }
    const agentName = current.agent ? current.agent.name : 'Unassigned';
    if (agentEl.textContent !== agentName) agentEl.textContent = agentName;
    chatApi.setTicket(current);
  }
  const offTicket = ws.on('ticket', (frame) => apply(frame.ticket));
  // Frames missed while the socket was down: ask again.
  const offReconnect = ws.on('reconnected', () => {
    get(`/api/v1/tickets/${t.id}`).then((data) => {
      if (ctx.isActive() && data && data.ticket) apply(data.ticket);
    }).catch(() => {});
  });
  ctx.onCleanup(() => {
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
