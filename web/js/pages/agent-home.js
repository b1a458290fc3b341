// Agents' home: every ticket, newest first, as a table (cards on small screens).
import { h, statusBadge, priorityLabel, timeEl } from '../dom.js';
import { categoryNames } from '../api.js';
import { pager } from '../paging.js';

const COLUMNS = ['Subject', 'Customer', 'Category', 'Priority', 'Status', 'Assignee', 'Created'];

// data-label feeds the card layout's row labels (CSS content: attr(data-label)).
function cell(label, ...children) {
  return h('td', { 'data-label': label }, ...children);
}

function ticketRow(t, names) {
  const unread = t.unread_count > 0 ? h('span', { class: 'unread' }, `${t.unread_count} new`) : null;
  return h('tr', null,
    h('th', { scope: 'row', 'data-label': 'Subject', class: 'cell-subject' },
      h('a', { href: `/tickets/${t.id}`, class: 'ticket-link' }, t.subject), unread),
    cell('Customer', t.customer ? t.customer.name : ''),
    cell('Category', names.get(t.category) || t.category),
    cell('Priority', h('span', { class: `priority priority--${t.priority}` }, priorityLabel(t.priority))),
    cell('Status', statusBadge(t.status)),
    cell('Assignee', t.agent ? t.agent.name : h('span', { class: 'muted' }, 'Unassigned')),
    cell('Created', timeEl(t.created_at)));
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

  const paging = pager({
    ctx,
    container: table,
    addItems(items) {
      const rows = items.map((t) => ticketRow(t, names));
      tbody.append(...rows);
      return rows;
    },
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
