// Cursor paging for GET /api/v1/tickets, shared by the customer's list and the
// agents' table: loading text, error with "Try again", and a "Load more" button.
import { h } from './dom.js';
import { get } from './api.js';

// opts:
//   ctx         page context (announce, isActive)
//   container   element the list lives in (gets aria-busy while loading)
//   addItems(items) -> array of the elements added (the first link in the first
//               one gets focus after "Load more")
//   showEmpty() called when the first page is empty
//   query       extra query parameters
// Returns {el, start(), hasMore()}: put el after the list, then call start().
export function pager({ ctx, container, addItems, showEmpty, query = {} }) {
  let cursor = null;
  const loading = h('p', { class: 'loading' }, 'Loading tickets…');
  const alert = h('div', { class: 'form-alert', role: 'alert' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');
  const el = h('div', { class: 'pager' }, loading, alert, more);

  let busy = false;

  async function load(first) {
    if (busy) return;
    busy = true;
    alert.replaceChildren();
    loading.hidden = false;
    // Keep a focused "Load more" in place (aria-disabled, not disabled, so
    // focus does not fall back to the page while the next page loads).
    if (first) more.hidden = true;
    else more.setAttribute('aria-disabled', 'true');
    container.setAttribute('aria-busy', 'true');
    try {
      const data = await get('/api/v1/tickets', { query: { ...query, cursor: first ? null : cursor } });
      if (!ctx.isActive()) return;
      const items = Array.isArray(data.items) ? data.items : [];
      const added = addItems(items);
      if (first && items.length === 0) showEmpty();
      cursor = data.next_cursor || null;
      more.hidden = !cursor;
      if (!first) {
        ctx.announce(`${items.length} more ticket${items.length === 1 ? '' : 's'} loaded.`);
        const link = added[0] && added[0].querySelector('a');
        if (link && !cursor) link.focus();
      }
    } catch (err) {
      if (!ctx.isActive()) return;
      more.hidden = first || !cursor;
      const retry = h('button', { type: 'button', class: 'btn', onclick: () => load(first) }, 'Try again');
      alert.replaceChildren(h('p', null, err.message || 'Could not load tickets.'), retry);
    } finally {
      busy = false;
      more.removeAttribute('aria-disabled');
      loading.hidden = true;
      container.removeAttribute('aria-busy');
    }
  }

  more.addEventListener('click', () => load(false));
  return { el, start: () => load(true), hasMore: () => Boolean(cursor) };
}
