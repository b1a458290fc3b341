// Agents' home: every ticket, newest first, as a table (cards on small
// screens), kept live by the socket.
import { h, statusBadge, priorityLabel, timeEl } from '../dom.js';
import { categoryNames } from '../api.js';
import { pager } from '../paging.js';
import { liveTickets, unreadBadge, activityEl } from '../live-tickets.js';

const COLUMNS = ['Subject', 'Customer', 'Category', 'Priority', 'Status', 'Assignee', 'Created', 'Last activity'];

// data-label feeds the card layout's row labels (CSS content: attr(data-label)).
function cell(label, ...children) {
  return h('td', { 'data-label': label }, ...children);
}

function ticketRow(t, names) {
  return h('tr', { dataset: { id: String(t.id) } },
    h('th', { scope: 'row', 'data-label': 'Subject', class: 'cell-subject' },
      h('a', { href: `/tickets/${t.id}`, class: 'ticket-link' }, t.subject), unreadBadge(t.unread_count)),
    cell('Customer', t.customer ? t.customer.name : ''),
    cell('Category', names.get(t.category) || t.category),
    cell('Priority', h('span', { class: `priority priority--${t.priority}` }, priorityLabel(t.priority))),
    cell('Status', statusBadge(t.status)),
    cell('Assignee', t.agent ? t.agent.name : h('span', { class: 'muted' }, 'Unassigned')),
    cell('Created', timeEl(t.created_at)),
    cell('Last activity', activityEl(t)));
}

export async function render(ctx) {
  ctx.setTitle('All tickets');
  const tbody = h('tbody');
  const table = h('table', { class: 'ticket-table' },
    h('caption', { class: 'visually-hidden' }, 'All tickets, newest first'),
    h('thead', null, h('tr', null, COLUMNS.map((c) => h('th', { scope: 'col' }, c)))),
    tbody);
  const empty = h('p', { class: 'empty', hidden: true }, 'No tickets yet.');
  const namesPromise = categoryNames();
  let names = new Map();

  const live = liveTickets({
    ctx,
    container: tbody,
    renderRow: (t) => ticketRow(t, names),
    hasMore: () => paging.hasMore(),
    onAdded() {
      table.hidden = false;
      empty.hidden = true;
    },
  });

  const paging = pager({
    ctx,
    container: table,
    addItems: (items) => live.add(items),
    showEmpty() {
      table.hidden = true;
      empty.hidden = false;
    },
  });

  ctx.view.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'All tickets')),
    table, empty, paging.el);

  names = await namesPromise;
  await paging.start();
}
