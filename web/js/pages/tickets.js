// "My tickets": the customer's home page.
import { h, statusBadge, priorityTag, timeEl } from '../dom.js';
import { categoryNames } from '../api.js';
import { pager } from '../paging.js';

function ticketItem(t, names) {
  const unread = t.unread_count > 0
    ? h('span', { class: 'unread' }, `${t.unread_count} new`)
    : null;
  return h('li', { class: 'ticket-item' },
    h('h2', { class: 'ticket-item__title' },
      h('a', { href: `/tickets/${t.id}`, class: 'ticket-link' }, t.subject)),
    h('p', { class: 'meta' },
      statusBadge(t.status),
      priorityTag(t.priority),
      h('span', null, names.get(t.category) || t.category),
      h('span', null, 'Created ', timeEl(t.created_at)),
      unread));
}

export async function render(ctx) {
  ctx.setTitle('My tickets');
  const list = h('ul', { class: 'ticket-list', 'aria-labelledby': 'page-title' });
  const empty = h('p', { class: 'empty', hidden: true },
    'No tickets yet — ', h('a', { href: '/tickets/new' }, 'create one'));
  const namesPromise = categoryNames();
  let names = new Map();

  const paging = pager({
    ctx,
    container: list,
    addItems(items) {
      const els = items.map((t) => ticketItem(t, names));
      list.append(...els);
      return els;
    },
    showEmpty() {
      list.hidden = true;
      empty.hidden = false;
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
