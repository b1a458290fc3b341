// Keeps a ticket list live, for the customer's list and the agents' table:
// `unread` frames change a row's badge, `ticket` frames re-render a row in
// place (status, agent, last activity) or add a new ticket at the top, and
// after a reconnect the first page is fetched again to catch what was missed.
import { h, timeEl } from './dom.js';
import { get } from './api.js';
import * as ws from './ws.js';

// "3 unread" pill; null when there is nothing unread.
export function unreadBadge(count) {
  const n = Number(count) || 0;
  return n > 0 ? h('span', { class: 'unread' }, `${n} unread`) : null;
}

// The newest of created, updated and last message times.
export function lastActivity(t) {
  let best = t.created_at;
  let bestMs = Date.parse(best) || 0;
  for (const iso of [t.updated_at, t.last_message_at]) {
    const ms = iso ? Date.parse(iso) : NaN;
    if (ms > bestMs) {
      best = iso;
      bestMs = ms;
    }
  }
  return best;
}

export function activityEl(t) {
  return timeEl(lastActivity(t));
}

// opts:
//   ctx            page context
//   renderRow(t)   -> element for one ticket
//   container      the list element rows live in (tbody / ul)
//   accept(t)      may a ticket this list does not show yet be added?
//   onAdded()      called after a live ticket was added (to hide "no tickets")
//   hasMore()      are there older tickets the pager has not loaded yet?
// Returns {add(items) -> elements added}: use it from the pager's addItems.
// The list is sorted newest first: a ticket older than every row shown while
// more pages wait is left for "Load more" to bring.
export function liveTickets({
  ctx, renderRow, container, accept = () => true, onAdded = () => {}, hasMore = () => false,
}) {
  const rows = new Map(); // id -> {ticket, el}
  const ticketOf = new WeakMap(); // row element -> ticket
  let ready = false; // the first page is in
  const early = []; // frames that came before it

  function replace(id, ticket) {
    const row = rows.get(id);
    const el = renderRow(ticket);
    // Keep keyboard focus on the same ticket's link.
    const hadFocus = row.el.contains(document.activeElement);
    row.el.replaceWith(el);
    rows.set(id, { ticket, el });
    ticketOf.set(el, ticket);
    if (hadFocus) {
      const link = el.querySelector('a');
      if (link) link.focus({ preventScroll: true });
    }
  }

  function add(items) {
    const added = [];
    for (const t of items) {
      if (!t || t.id == null) continue;
      const id = String(t.id);
      if (rows.has(id)) {
        replace(id, { ...rows.get(id).ticket, ...t });
        continue;
      }
      const el = renderRow(t);
      rows.set(id, { ticket: t, el });
      ticketOf.set(el, t);
      container.append(el);
      added.push(el);
    }
    if (!ready) {
      ready = true;
      early.splice(0).forEach(update);
    }
    return added;
  }

  const newer = (a, b) => {
    const ta = Date.parse(a.created_at) || 0;
    const tb = Date.parse(b.created_at) || 0;
    return ta !== tb ? ta > tb : Number(a.id) > Number(b.id);
  };

  // New tickets go on top; an older one into its place among the rows shown.
  function insertSorted(t) {
    let before = null;
    for (const child of container.children) {
      const other = ticketOf.get(child);
      if (other && newer(t, other)) {
        before = child;
        break;
      }
    }
    if (!before && hasMore()) return;
    const el = renderRow(t);
    rows.set(String(t.id), { ticket: t, el });
    ticketOf.set(el, t);
    container.insertBefore(el, before);
    onAdded();
  }

  // A `ticket` frame may leave out the per-viewer unread_count: keep ours.
  function update(t) {
    if (!t || t.id == null) return;
    if (!ready) {
      early.push(t);
      return;
    }
    const id = String(t.id);
    const row = rows.get(id);
    if (row) {
      const next = { ...row.ticket, ...t };
      if (t.unread_count == null) next.unread_count = row.ticket.unread_count;
      replace(id, next);
    } else if (accept(t)) {
      insertSorted({ ...t, unread_count: t.unread_count == null ? 0 : t.unread_count });
    }
  }

  const offTicket = ws.on('ticket', (frame) => update(frame.ticket));
  const offUnread = ws.on('unread', (frame) => {
    const id = String(frame.ticket_id);
    const row = rows.get(id);
    if (!row || row.ticket.unread_count === frame.count) return;
    replace(id, { ...row.ticket, unread_count: frame.count });
  });
  // What changed while the socket was down: the newest tickets again.
  const offReconnect = ws.on('reconnected', async () => {
    try {
      const data = await get('/api/v1/tickets');
      if (!ctx.isActive()) return;
      const items = Array.isArray(data && data.items) ? data.items : [];
      // oldest first, so each new one lands above the previous
      for (const t of [...items].reverse()) update(t);
    } catch {
      // the list stays as it was; the next frames still update it
    }
  });
  ctx.onCleanup(() => {
    offTicket();
    offUnread();
    offReconnect();
  });

  return { add, update };
}
