// One ticket: facts, description, screenshots (with a viewer), and the chat
// placeholder.
import { h, statusBadge, priorityLabel, timeEl, formatBytes, uid } from '../dom.js';
import { get, categoryNames } from '../api.js';

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
  const chat = h('section', { id: 'chat', class: 'chat', 'aria-label': 'Chat', 'data-placeholder': 'chat' });
  chat.append(document.createComment(' Chat placeholder: built in a later task. '));

  ctx.view.append(
    h('p', { class: 'back' }, h('a', { href: '/' }, h('span', { 'aria-hidden': 'true' }, '← '), 'Back to tickets')),
    h('article', { class: 'ticket' },
      h('div', { class: 'ticket__head' },
        h('h1', { class: 'ticket__subject', tabindex: '-1' }, t.subject),
        h('p', { class: 'ticket__status' }, h('span', { class: 'visually-hidden' }, 'Status: '), statusBadge(t.status))),
      h('dl', { class: 'facts' },
        fact('Priority', h('span', { class: `priority priority--${t.priority}` }, priorityLabel(t.priority))),
        fact('Category', names.get(t.category) || t.category),
        fact('Customer', t.customer ? t.customer.name : ''),
        fact('Assigned to', t.agent ? t.agent.name : 'Unassigned'),
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
