// Keeps a ticket list live, for the customer's list and the agents' dashboard:
// `unread` frames change a row's badge; `ticket` frames re-render a row in
// place (status, agent, last activity), move it when its sort key changed,
// remove it when it no longer belongs to the list (a filter), or add a ticket
// that newly belongs, in its sorted place, briefly highlighted. After a
// reconnect the first page is fetched again to catch what was missed.
import { h, timeEl } from './dom.js';
import { get } from './api.js';
import * as ws from './ws.js';

const HIGHLIGHT_MS = 4000;

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

const ms = (iso) => Date.parse(iso) || 0;
const PRIORITY_RANK = { low: 0, normal: 1, high: 2, urgent: 3 };
const rank = (p) => (Object.hasOwn(PRIORITY_RANK, p) ? PRIORITY_RANK[p] : 1);
const byId = (a, b) => Number(a.id) - Number(b.id);

// The server's sort orders as comparators (negative: a comes first).
export const SORTS = {
  '-created_at': (a, b) => ms(b.created_at) - ms(a.created_at) || byId(b, a),
  created_at: (a, b) => ms(a.created_at) - ms(b.created_at) || byId(a, b),
  '-priority': (a, b) => rank(b.priority) - rank(a.priority) || ms(b.created_at) - ms(a.created_at) || byId(b, a),
  priority: (a, b) => rank(a.priority) - rank(b.priority) || ms(a.created_at) - ms(b.created_at) || byId(a, b),
  '-updated_at': (a, b) => ms(b.updated_at) - ms(a.updated_at) || byId(b, a),
  updated_at: (a, b) => ms(a.updated_at) - ms(b.updated_at) || byId(a, b),
};

// opts:
//   ctx            page context
//   renderRow(t)   -> element for one ticket
//   container      the list element rows live in (tbody / ul)
//   matches(t, shown) does the ticket belong in this list? shown: it is in the
//                  list now (a filter the page cannot check itself, such as a
//                  full-text search, should then say yes)
//   compare()      -> the comparator of the list's order (default newest first)
//   hasMore()      are there tickets the pager has not loaded yet?
//   refetch()      -> promise of {items, complete} (the first page again, for
//                  after a reconnect; complete: there is no next page)
//   onAdded(el, t) a ticket was added live
//   onRemoved(t)   a ticket left the list
//   onChange()     rows were added, removed or reset
// Returns {add(items) -> elements, reset(items) -> elements, pause(), update(t),
//   size()}. Use add from the pager's addItems, reset from its resetItems;
//   pause() before a reload holds frames until reset() brings the new rows.
export function liveTickets({
  ctx, renderRow, container,
  matches = () => true,
  compare = () => SORTS['-created_at'],
  hasMore = () => false,
  refetch = null,
  onAdded = () => {},
  onRemoved = () => {},
  onChange = () => {},
}) {
  const rows = new Map(); // id -> {ticket, el}
  const ticketOf = new WeakMap(); // row element -> ticket
  let ready = false; // the first page is in
  const early = []; // frames that came before it (or during a reload)
  const timers = new Set();

  function rowFocus(el) {
    return el.contains(document.activeElement);
  }

  function focusLink(el) {
    const link = el.querySelector('a');
    if (link) link.focus({ preventScroll: true });
  }

  function mount(t, before) {
    const el = renderRow(t);
    rows.set(String(t.id), { ticket: t, el });
    ticketOf.set(el, t);
    container.insertBefore(el, before);
    return el;
  }

  function highlight(el) {
    el.classList.add('row--new');
    const timer = setTimeout(() => {
      timers.delete(timer);
      el.classList.remove('row--new');
    }, HIGHLIGHT_MS);
    timers.add(timer);
  }

  // The first row the ticket sorts before; null: the end of the list.
  function placeFor(t, skip) {
    const cmp = compare();
    for (const child of container.children) {
      if (child === skip) continue;
      const other = ticketOf.get(child);
      if (other && cmp(t, other) < 0) return child;
    }
    return null;
  }

  function replace(id, ticket) {
    const row = rows.get(id);
    const hadFocus = rowFocus(row.el);
    const el = renderRow(ticket);
    if (row.el.classList.contains('row--new')) el.classList.add('row--new');
    row.el.replaceWith(el);
    rows.set(id, { ticket, el });
    ticketOf.set(el, ticket);
    // Out of order now (a sort key changed): move it to its place.
    const cmp = compare();
    const prev = ticketOf.get(el.previousElementSibling);
    const next = ticketOf.get(el.nextElementSibling);
    if ((prev && cmp(prev, ticket) > 0) || (next && cmp(ticket, next) > 0)) {
      const before = placeFor(ticket, el);
      if (!before && hasMore()) {
        // It now sorts after everything loaded: "Load more" will bring it.
        remove(id);
        return;
      }
      container.insertBefore(el, before);
      highlight(el);
    }
    // Keep keyboard focus on the same ticket's link.
    if (hadFocus) focusLink(el);
  }

  function remove(id) {
    const row = rows.get(id);
    if (!row) return;
    const { el, ticket } = row;
    const hadFocus = rowFocus(el);
    const neighbour = el.nextElementSibling || el.previousElementSibling;
    rows.delete(id);
    el.remove();
    if (hadFocus) {
      if (neighbour) focusLink(neighbour);
      else {
        const heading = document.querySelector('main h1');
        if (heading) heading.focus({ preventScroll: true });
      }
    }
    onRemoved(ticket);
    onChange();
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
      added.push(mount(t, null));
    }
    if (!ready) {
      ready = true;
      early.splice(0).forEach(update);
    }
    onChange();
    return added;
  }

  function reset(items) {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    rows.clear();
    container.replaceChildren();
    ready = false;
    return add(items);
  }

  function pause() {
    ready = false;
  }

  // A `ticket` frame leaves out the per-viewer fields (unread_count,
  // allowed_status): keep ours. A frame older than what we hold is ignored.
  function update(t, { authoritative = false } = {}) {
    if (!t || t.id == null) return;
    if (!ready) {
      early.push(t);
      return;
    }
    const id = String(t.id);
    const row = rows.get(id);
    if (row) {
      if (!authoritative && t.updated_at && row.ticket.updated_at && ms(t.updated_at) < ms(row.ticket.updated_at)) return;
      const next = { ...row.ticket, ...t };
      if (t.unread_count == null) next.unread_count = row.ticket.unread_count;
      if (!authoritative && !matches(next, true)) remove(id);
      else replace(id, next);
      return;
    }
    const fresh = { ...t, unread_count: t.unread_count == null ? 0 : t.unread_count };
    if (!authoritative && !matches(fresh, false)) return;
    const before = placeFor(fresh, null);
    if (!before && hasMore()) return; // sorts after everything loaded
    const el = mount(fresh, before);
    highlight(el);
    onAdded(el, fresh);
    onChange();
  }

  const offTicket = ws.on('ticket', (frame) => update(frame.ticket));
  const offUnread = ws.on('unread', (frame) => {
    const id = String(frame.ticket_id);
    const row = rows.get(id);
    const count = Number(frame.count) || 0;
    if (!row || (Number(row.ticket.unread_count) || 0) === count) return;
    replace(id, { ...row.ticket, unread_count: count });
  });

  // What changed while the socket was down: the first page again. Rows it
  // holds are refreshed or added; loaded rows that sort inside its range but
  // are missing from it no longer belong to the list.
  async function resync() {
    let page;
    try {
      page = refetch
        ? await refetch()
        : await get('/api/v1/tickets').then((d) => ({ items: (d && d.items) || [], complete: !(d && d.next_cursor) }));
    } catch {
      return; // the list stays as it was; the next frames still update it
    }
    if (!ctx.isActive() || !ready || !page) return;
    const items = Array.isArray(page.items) ? page.items : [];
    const seen = new Set(items.map((t) => String(t.id)));
    const cmp = compare();
    const last = items[items.length - 1];
    for (const [id, row] of [...rows]) {
      if (seen.has(id)) continue;
      if (page.complete || (last && cmp(row.ticket, last) < 0)) remove(id);
    }
    for (const t of items) update(t, { authoritative: true });
  }
  const offReconnect = ws.on('reconnected', resync);

  ctx.onCleanup(() => {
    offTicket();
    offUnread();
    offReconnect();
    for (const timer of timers) clearTimeout(timer);
  });

  return { add, reset, pause, update, resync, size: () => rows.size };
}
