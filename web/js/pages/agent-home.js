// The agents' dashboard: status tabs with counts, filters (assignee,
// category, customer, full-text search), sort, and a table of tickets (cards
// on small screens) with keyset paging. Everything the agent chooses is kept
// in the query string, so a reload or Back shows the same list. Live: `ticket`
// frames add, update, move or remove rows as the filters say, and refresh the
// tab counts (debounced).
import { h, uid, statusBadge, priorityLabel, timeEl, STATUS_LABELS } from '../dom.js';
import { get, categories } from '../api.js';
import { pager } from '../paging.js';
import { liveTickets, activityEl, SORTS } from '../live-tickets.js';
import * as ws from '../ws.js';

const PAGE_SIZE = 25;
const SEARCH_DELAY = 300;
const COUNTS_DELAY = 500;

const TABS = [
  { value: '', label: 'All' },
  { value: 'open', label: STATUS_LABELS.open },
  { value: 'in_progress', label: STATUS_LABELS.in_progress },
  { value: 'resolved', label: STATUS_LABELS.resolved },
  { value: 'closed', label: STATUS_LABELS.closed },
];

const ASSIGNEES = [
  { value: '', label: 'Anyone' },
  { value: 'me', label: 'Mine' },
  { value: 'none', label: 'Unassigned' },
];

const SORT_OPTIONS = [
  { value: '-created_at', label: 'Newest' },
  { value: 'created_at', label: 'Oldest' },
  { value: '-priority', label: 'Priority (urgent first)' },
  { value: 'priority', label: 'Priority (low first)' },
  { value: '-updated_at', label: 'Recently updated' },
  { value: 'updated_at', label: 'Least recently updated' },
];
const DEFAULT_SORT = '-created_at';

const COLUMNS = ['Subject', 'Customer', 'Category', 'Priority', 'Status', 'Assignee', 'Age', 'Last activity', 'Unread'];

// ---- filters <-> query string --------------------------------------------

function readFilters(query) {
  const pick = (name, allowed) => {
    const v = query.get(name) || '';
    return allowed.includes(v) ? v : '';
  };
  const customer = query.get('customer') || '';
  return {
    status: pick('status', TABS.map((t) => t.value)),
    assignee: pick('assignee', ASSIGNEES.map((a) => a.value)),
    category: (query.get('category') || '').slice(0, 100),
    q: (query.get('q') || '').slice(0, 200),
    sort: pick('sort', SORT_OPTIONS.map((s) => s.value)) || DEFAULT_SORT,
    customer: /^[1-9][0-9]{0,18}$/.test(customer) ? customer : '',
  };
}

// Only what differs from the defaults goes into the address.
function toSearch(f) {
  const qs = new URLSearchParams();
  if (f.status) qs.set('status', f.status);
  if (f.assignee) qs.set('assignee', f.assignee);
  if (f.category) qs.set('category', f.category);
  if (f.customer) qs.set('customer', f.customer);
  if (f.q.trim()) qs.set('q', f.q.trim());
  if (f.sort !== DEFAULT_SORT) qs.set('sort', f.sort);
  const s = qs.toString();
  return s ? `?${s}` : '';
}

function apiQuery(f) {
  return {
    status: f.status || null,
    assignee: f.assignee || null,
    category: f.category || null,
    customer: f.customer || null,
    q: f.q.trim() || null,
    sort: f.sort,
    limit: PAGE_SIZE,
  };
}

// A rough stand-in for the server's full-text search, for tickets that arrive
// live while a search is active: every word must appear in the subject or
// description. (Rows the server found stay; they may match in the messages.)
function textMatches(t, q) {
  const hay = `${t.subject || ''} ${t.description || ''}`.toLowerCase();
  return q.toLowerCase().split(/\s+/).filter(Boolean)
    .every((word) => hay.includes(word.replace(/^[-+"*]+|[*"]+$/g, '')));
}

// ---- rendering -------------------------------------------------------------

// data-label feeds the card layout's row labels (CSS content: attr(data-label)).
function cell(label, ...children) {
  return h('td', { 'data-label': label }, ...children);
}

function unreadCell(count) {
  const n = Number(count) || 0;
  if (n <= 0) {
    return h('td', { 'data-label': 'Unread', class: 'cell-unread cell-unread--none' },
      h('span', { class: 'visually-hidden' }, 'None'));
  }
  return h('td', { 'data-label': 'Unread', class: 'cell-unread' },
    h('span', { class: 'unread unread--count' }, String(n), h('span', { class: 'visually-hidden' }, ' unread')));
}

function ticketRow(t, names, me) {
  const agent = t.agent
    ? [t.agent.name, me && t.agent.id === me.id ? h('span', { class: 'muted' }, ' (you)') : null]
    : h('span', { class: 'muted' }, 'Unassigned');
  return h('tr', { dataset: { id: String(t.id) }, class: Number(t.unread_count) > 0 ? 'row--unread' : null },
    h('th', { scope: 'row', 'data-label': 'Subject', class: 'cell-subject' },
      h('span', { class: 'cell-subject__line' },
        h('span', { class: 'ticket-number' }, `#${t.id}`), ' ',
        h('a', { href: `/tickets/${t.id}`, class: 'ticket-link' }, t.subject))),
    cell('Customer', t.customer ? t.customer.name : ''),
    cell('Category', names.get(t.category) || t.category),
    cell('Priority', h('span', { class: `priority priority--${t.priority}` }, priorityLabel(t.priority))),
    cell('Status', statusBadge(t.status)),
    cell('Assignee', agent),
    cell('Age', timeEl(t.created_at)),
    cell('Last activity', activityEl(t)),
    unreadCell(t.unread_count));
}

function selectField(label, options, value, extra = {}) {
  const id = uid('filter');
  const select = h('select', { id, name: extra.name, value },
    options.map((o) => h('option', { value: o.value }, o.label)));
  select.value = value;
  return {
    select,
    el: h('div', { class: ['field', extra.class] }, h('label', { for: id }, label), select),
  };
}

// ---- the page ----------------------------------------------------------------

export async function render(ctx) {
  ctx.setTitle('Dashboard');
  ctx.view.classList.add('view--wide');
  const me = ctx.user;
  const filters = readFilters(ctx.query);
  let names = new Map();
  let counts = null; // the last /tickets/counts answer

  // -- tabs --
  const panelId = uid('tickets-panel');
  const tabEls = TABS.map((tab) => {
    const count = h('span', { class: 'tab__count' });
    const el = h('button', {
      type: 'button', role: 'tab', id: uid('tab'), class: 'tab', 'aria-controls': panelId,
      dataset: { status: tab.value },
    }, h('span', { class: 'tab__label' }, tab.label), ' ', count);
    return { ...tab, el, count };
  });
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Status', class: 'tabs' }, tabEls.map((t) => t.el));

  function paintTabs() {
    for (const t of tabEls) {
      const on = t.value === filters.status;
      t.el.setAttribute('aria-selected', on ? 'true' : 'false');
      t.el.tabIndex = on ? 0 : -1;
      if (on) panel.setAttribute('aria-labelledby', t.el.id);
    }
  }

  function paintCounts() {
    if (!counts) return;
    const source = filters.assignee === 'me' && counts.mine ? counts.mine : counts.counts;
    if (!source) return;
    let total = 0;
    for (const t of tabEls) {
      if (!t.value) continue;
      const n = Number(source[t.value]) || 0;
      total += n;
      t.count.textContent = String(n);
    }
    tabEls[0].count.textContent = String(total);
  }

  let countsTimer = 0;
  let countsSeq = 0;
  async function loadCounts() {
    clearTimeout(countsTimer);
    countsTimer = 0;
    countsSeq += 1;
    const seq = countsSeq;
    try {
      const data = await get('/api/v1/tickets/counts');
      if (!ctx.isActive() || seq !== countsSeq || !data) return;
      counts = data;
      paintCounts();
    } catch {
      // the tabs keep their last numbers
    }
  }
  function countsSoon() {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(loadCounts, COUNTS_DELAY);
  }

  function selectTab(value, { focus = false } = {}) {
    const tab = tabEls.find((t) => t.value === value);
    if (focus && tab) tab.el.focus();
    if (filters.status === value) return;
    filters.status = value;
    paintTabs();
    applyFilters();
  }

  tablist.addEventListener('click', (e) => {
    const tab = e.target instanceof Element ? e.target.closest('[role="tab"]') : null;
    if (tab) selectTab(tab.dataset.status);
  });
  // Arrow keys move between tabs (and show them); Home/End go to the ends.
  tablist.addEventListener('keydown', (e) => {
    const i = tabEls.findIndex((t) => t.el === document.activeElement);
    if (i < 0) return;
    let next = -1;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = (i + 1) % tabEls.length;
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = (i - 1 + tabEls.length) % tabEls.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = tabEls.length - 1;
    if (next < 0) return;
    e.preventDefault();
    selectTab(tabEls[next].value, { focus: true });
  });

  // -- filters --
  const assignee = selectField('Assignee', ASSIGNEES, filters.assignee, { name: 'assignee' });
  const category = selectField('Category', [{ value: '', label: 'All categories' }], '', { name: 'category' });
  const sort = selectField('Sort', SORT_OPTIONS, filters.sort, { name: 'sort', class: 'filters__sort' });
  const searchId = uid('search');
  const search = h('input', {
    type: 'search', id: searchId, name: 'q', value: filters.q, autocomplete: 'off',
    placeholder: 'Subject, description or messages', enterkeyhint: 'search', maxlength: '200',
  });
  const searchField = h('div', { class: 'field filters__search' }, h('label', { for: searchId }, 'Search'), search);
  const customerChip = h('p', { class: 'filters__customer', hidden: true });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tickets', novalidate: true },
    searchField, assignee.el, category.el, sort.el);

  if (filters.category) {
    category.select.append(h('option', { value: filters.category }, filters.category));
    category.select.value = filters.category;
  }

  let searchTimer = 0;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      if (filters.q === search.value) return;
      filters.q = search.value;
      applyFilters();
    }, SEARCH_DELAY);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(searchTimer);
    if (filters.q !== search.value) {
      filters.q = search.value;
      applyFilters();
    }
  });
  assignee.select.addEventListener('change', () => {
    filters.assignee = assignee.select.value;
    paintCounts();
    applyFilters();
  });
  category.select.addEventListener('change', () => {
    filters.category = category.select.value;
    applyFilters();
  });
  sort.select.addEventListener('change', () => {
    filters.sort = sort.select.value;
    applyFilters();
  });

  function paintCustomerChip(name) {
    if (!filters.customer) {
      customerChip.hidden = true;
      customerChip.replaceChildren();
      return;
    }
    const clear = h('button', { type: 'button', class: 'btn btn--small btn--quiet' }, 'Show all customers');
    clear.addEventListener('click', () => {
      filters.customer = '';
      paintCustomerChip();
      applyFilters();
      search.focus();
    });
    customerChip.replaceChildren(
      h('span', null, 'Only tickets from ', h('strong', null, name || `customer #${filters.customer}`)), clear);
    customerChip.hidden = false;
  }

  // -- table --
  const tbody = h('tbody');
  const captionText = h('span');
  const table = h('table', { class: 'ticket-table' },
    h('caption', { class: 'visually-hidden' }, captionText),
    h('thead', null, h('tr', null, COLUMNS.map((c) => h('th', { scope: 'col', class: `col-${c.toLowerCase().replace(/\s+/g, '-')}` }, c)))),
    tbody);
  const clearBtn = h('button', { type: 'button', class: 'btn btn--small', hidden: true }, 'Clear filters');
  const empty = h('div', { class: 'empty', hidden: true }, h('p', null, 'No tickets here'), clearBtn);
  clearBtn.addEventListener('click', () => {
    Object.assign(filters, { assignee: '', category: '', q: '', customer: '' });
    assignee.select.value = '';
    category.select.value = '';
    search.value = '';
    paintCustomerChip();
    paintCounts();
    applyFilters();
    search.focus();
  });
  const panel = h('div', { role: 'tabpanel', id: panelId, class: 'tickets-panel' });

  function paintCaption() {
    const tab = TABS.find((t) => t.value === filters.status);
    const sortLabel = SORT_OPTIONS.find((s) => s.value === filters.sort).label;
    captionText.textContent = `${tab.label} tickets, ${sortLabel.toLowerCase()}`;
  }

  function matches(t, shown) {
    if (filters.status && t.status !== filters.status) return false;
    if (filters.assignee === 'me' && !(t.agent && me && t.agent.id === me.id)) return false;
    if (filters.assignee === 'none' && t.agent) return false;
    if (filters.category && t.category !== filters.category) return false;
    if (filters.customer && !(t.customer && String(t.customer.id) === filters.customer)) return false;
    if (!shown && filters.q.trim() && !textMatches(t, filters.q.trim())) return false;
    return true;
  }

  // "No tickets here" when nothing is shown and no page is left to load.
  function paintEmpty() {
    const none = live.size() === 0 && !paging.hasMore();
    table.hidden = none;
    empty.hidden = !none;
    clearBtn.hidden = !(filters.assignee || filters.category || filters.q.trim() || filters.customer);
  }

  const live = liveTickets({
    ctx,
    container: tbody,
    renderRow: (t) => ticketRow(t, names, me),
    matches,
    compare: () => SORTS[filters.sort] || SORTS[DEFAULT_SORT],
    hasMore: () => paging.hasMore(),
    refetch: async () => {
      const data = await get('/api/v1/tickets', { query: apiQuery(filters) });
      return { items: (data && data.items) || [], complete: !(data && data.next_cursor) };
    },
    onAdded(el, t) {
      ctx.announce(`New ticket: ${t.subject}`);
    },
    onChange: () => {
      if (!paging.loading()) paintEmpty();
    },
  });

  const paging = pager({
    ctx,
    container: table,
    query: apiQuery(filters),
    addItems: (items) => live.add(items),
    resetItems: (items) => live.reset(items),
    showEmpty: () => paintEmpty(),
  });

  let firstLoad = true;
  function applyFilters() {
    const next = `${location.pathname}${toSearch(filters)}`;
    if (next !== location.pathname + location.search) history.replaceState(history.state, '', next);
    paintCaption();
    table.classList.add('ticket-table--stale');
    live.pause();
    const done = paging.reload(apiQuery(filters));
    Promise.resolve(done).then(() => {
      if (!ctx.isActive()) return;
      table.classList.remove('ticket-table--stale');
      if (!firstLoad) {
        const n = live.size();
        ctx.announce(n === 0 ? 'No tickets here.'
          : `${n}${paging.hasMore() ? ' or more' : ''} ticket${n === 1 ? '' : 's'} shown.`);
      }
      firstLoad = false;
    });
  }

  // Counts follow the socket: any ticket change may move one between tabs.
  const offTicket = ws.on('ticket', countsSoon);
  const offReconnect = ws.on('reconnected', loadCounts);
  ctx.onCleanup(() => {
    offTicket();
    offReconnect();
    clearTimeout(countsTimer);
    clearTimeout(searchTimer);
  });

  panel.append(table, empty, paging.el);
  ctx.view.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Dashboard')),
    tablist,
    form,
    customerChip,
    panel);
  paintTabs();
  paintCaption();
  table.hidden = true;

  // Category names (and the customer's name) fill in as they come.
  categories().then((cats) => {
    if (!ctx.isActive()) return;
    names = new Map(cats.map((c) => [c.id, c.name]));
    const value = filters.category;
    category.select.replaceChildren(
      h('option', { value: '' }, 'All categories'),
      ...cats.map((c) => h('option', { value: c.id }, c.name)));
    if (value && !names.has(value)) category.select.append(h('option', { value }, value));
    category.select.value = value;
    // Rows drawn before the names came show the ids: put the names in.
    for (const td of tbody.querySelectorAll('td[data-label="Category"]')) {
      if (names.has(td.textContent)) td.textContent = names.get(td.textContent);
    }
  }).catch(() => {});

  if (filters.customer) {
    paintCustomerChip('');
    get('/api/v1/tickets', { query: { customer: filters.customer, limit: 1 } }).then((data) => {
      const t = data && Array.isArray(data.items) ? data.items[0] : null;
      if (ctx.isActive() && t && t.customer && String(t.customer.id) === filters.customer) {
        paintCustomerChip(t.customer.name);
      }
    }).catch(() => {});
  }

  loadCounts();
  applyFilters();
}
