// Cursor paging for GET /api/v1/tickets, shared by the customer's list and the
// agents' dashboard: loading text, error with "Try again", a "Load more"
// button, and reloading the first page when the filters change (a request
// still in flight for the old filters is cancelled and its answer ignored).
import { h } from './dom.js';
import { get } from './api.js';

// opts:
//   ctx           page context (announce, isActive)
//   container     element the list lives in (gets aria-busy while loading)
//   addItems(items) -> array of the elements added (the first link in the first
//                 one gets focus after "Load more")
//   resetItems(items) -> elements; replaces the list with a first page (when
//                 absent, addItems is used for the first page too)
//   showEmpty(empty) called after every first page: true when it had nothing
//   query         query parameters (reload() replaces them)
// Returns {el, start(), reload(query), hasMore(), loading()}: put el after the
// list, then call start().
export function pager({ ctx, container, addItems, resetItems = null, showEmpty = () => {}, query = {} }) {
  let cursor = null;
  let current = { ...query };
  let generation = 0;
  let controller = null;
  let busy = false;
  let loadedOnce = false;
  const loadingEl = h('p', { class: 'loading' }, 'Loading tickets…');
  const alert = h('div', { class: 'form-alert', role: 'alert' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');
  const el = h('div', { class: 'pager' }, loadingEl, alert, more);

  async function load(first) {
    if (!first && busy) return;
    if (controller) controller.abort();
    generation += 1;
    const mine = generation;
    const abort = new AbortController();
    controller = abort;
    busy = true;
    alert.replaceChildren();
    loadingEl.hidden = false;
    loadingEl.textContent = first && loadedOnce ? 'Updating the list…' : 'Loading tickets…';
    // Keep a focused "Load more" in place (aria-disabled, not disabled, so
    // focus does not fall back to the page while the next page loads).
    if (first) {
      if (document.activeElement === more) more.setAttribute('aria-disabled', 'true');
      else more.hidden = true;
    } else {
      more.setAttribute('aria-disabled', 'true');
    }
    container.setAttribute('aria-busy', 'true');
    try {
      const data = await get('/api/v1/tickets', {
        query: { ...current, cursor: first ? null : cursor },
        signal: abort.signal,
      });
      if (mine !== generation || !ctx.isActive()) return;
      const items = Array.isArray(data && data.items) ? data.items : [];
      // The cursor first: the list's "are there more?" question is asked while adding.
      cursor = data && data.next_cursor ? data.next_cursor : null;
      const added = first && resetItems ? resetItems(items) : addItems(items);
      if (first) {
        loadedOnce = true;
        showEmpty(items.length === 0);
      }
      more.hidden = !cursor;
      if (!first) {
        ctx.announce(`${items.length} more ticket${items.length === 1 ? '' : 's'} loaded.`);
        const link = added && added[0] && added[0].querySelector('a');
        if (link && !cursor) link.focus();
      }
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (mine !== generation || !ctx.isActive()) return;
      more.hidden = first || !cursor;
      const retry = h('button', { type: 'button', class: 'btn', onclick: () => load(first) }, 'Try again');
      alert.replaceChildren(h('p', null, (err && err.message) || 'Could not load tickets.'), retry);
    } finally {
      if (mine === generation) {
        busy = false;
        controller = null;
        more.removeAttribute('aria-disabled');
        loadingEl.hidden = true;
        container.removeAttribute('aria-busy');
      }
    }
  }

  more.addEventListener('click', () => {
    if (more.getAttribute('aria-disabled') !== 'true') load(false);
  });
  ctx.onCleanup(() => {
    generation += 1;
    if (controller) controller.abort();
  });
  return {
    el,
    start: () => load(true),
    reload(query) {
      if (query) current = { ...query };
      cursor = null;
      return load(true);
    },
    hasMore: () => Boolean(cursor),
    loading: () => busy,
    query: () => ({ ...current }),
  };
}
