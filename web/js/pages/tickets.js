// "My tickets": the customer's home page, kept live by the socket.
import { h, statusBadge, priorityTag, timeEl } from '../dom.js';
import { categoryNames } from '../api.js';
import { pager } from '../paging.js';
import { liveTickets, unreadBadge, lastActivity } from '../live-tickets.js';

function ticketItem(t, names) {
  const activity = lastActivity(t);
  return h('li', { class: 'ticket-item', dataset: { id: String(t.id) } },
    h('h2', { class: 'ticket-item__title' },
      h('a', { href: `/tickets/${t.id}`, class: 'ticket-link' }, t.subject),
      unreadBadge(t.unread_count)),
    h('p', { class: 'meta' },
      h('span', { class: 'ticket-number' }, `#${t.id}`),
      statusBadge(t.status),
      priorityTag(t.priority),
      h('span', null, names.get(t.category) || t.category),
      h('span', null, 'Created ', timeEl(t.created_at)),
      activity !== t.created_at ? h('span', null, 'Last activity ', timeEl(activity)) : null,
      t.agent ? h('span', null, 'Agent: ', t.agent.name) : null));
}

export async function render(ctx) {
  ctx.setTitle('My tickets');
  const list = h('ul', { class: 'ticket-list', 'aria-labelledby': 'page-title' });
  const empty = h('p', { class: 'empty', hidden: true },
    'No tickets yet — ', h('a', { href: '/tickets/new' }, 'create one'));
  const namesPromise = categoryNames();
  let names = new Map();

  const live = liveTickets({
    ctx,
    container: list,
    renderRow: (t) => ticketItem(t, names),
    matches: (t) => !t.customer || t.customer.id === ctx.user.id,
    hasMore: () => paging.hasMore(),
    onAdded(el, t) {
      ctx.announce(`New ticket: ${t.subject}`);
    },
    onChange() {
      const none = live.size() === 0 && !paging.hasMore();
      list.hidden = none;
      empty.hidden = !none || paging.loading();
    },
  });

  const paging = pager({
    ctx,
    container: list,
    addItems: (items) => live.add(items),
    showEmpty(none) {
      list.hidden = none;
      empty.hidden = !none;
    },
  });

  ctx.view.append(
    h('div', { class: 'page-head' },
      h('h1', { id: 'page-title', tabindex: '-1' }, 'My tickets'),
      h('a', { href: '/tickets/new', class: 'btn btn--primary' }, 'New ticket')),
    list, empty, paging.el);

  names = await namesPromise;
  await paging.start();
}
