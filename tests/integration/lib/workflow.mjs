// Helpers for the workflow-*.test.mjs integration tests: ticket claiming, status changes
// (the contract's transition table), system messages, and the dashboard list (sorts, filters,
// keyset paging, counts).
//
// Builds on harness.mjs (startServer, api, createTicket, ...) and chat.mjs (allMessages).

import assert from 'node:assert/strict';
import { startServer, api, describeRes, createTicket, qs } from './harness.mjs';
import { allMessages } from './chat.mjs';

export const STATUSES = ['open', 'in_progress', 'resolved', 'closed'];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
export const CATEGORIES = ['general', 'billing', 'technical', 'account', 'feature'];
export const PRIORITY_RANK = { low: 0, normal: 1, high: 2, urgent: 3 };
/** Display names used in system messages ("changed the status from Open to Closed."). */
export const STATUS_LABEL = { open: 'Open', in_progress: 'In progress', resolved: 'Resolved', closed: 'Closed' };
export const PRIORITY_LABEL = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' };

/** A server on a fresh data dir that accepts tickets without screenshots (--min-screenshots 0). */
export function startWorkflowServer(opts = {}) {
  return startServer({ ...opts, args: ['--min-screenshots', '0', ...(opts.args || [])] });
}

/** Creates a ticket without screenshots (needs --min-screenshots 0); returns the Ticket. */
export function newTicket(server, auth, fields = {}) {
  return createTicket(server.url, auth, { files: [], ...fields });
}

export function getTicketRes(server, auth, id) {
  return api(server.url, 'GET', `/api/v1/tickets/${id}`, auth);
}

/** GET /api/v1/tickets/{id}, asserts 200, returns the Ticket (with allowed_status). */
export async function fetchTicket(server, auth, id) {
  const res = await getTicketRes(server, auth, id);
  assert.equal(res.status, 200, describeRes(res));
  assert.ok(res.json?.ticket, `200 without {"ticket"}: ${describeRes(res)}`);
  return res.json.ticket;
}

export function patchTicket(server, auth, id, json) {
  return api(server.url, 'PATCH', `/api/v1/tickets/${id}`, { ...auth, json });
}

export function claimTicket(server, auth, id) {
  return api(server.url, 'POST', `/api/v1/tickets/${id}/claim`, auth);
}

/** PATCH and assert 200; returns the Ticket. */
export async function patchOk(server, auth, id, json, what = 'PATCH') {
  const res = await patchTicket(server, auth, id, json);
  assert.equal(res.status, 200, `${what}: ${describeRes(res)}`);
  return res.json.ticket;
}

/** Claim and assert 200; returns the Ticket. */
export async function claimOk(server, auth, id, what = 'claim') {
  const res = await claimTicket(server, auth, id);
  assert.equal(res.status, 200, `${what}: ${describeRes(res)}`);
  return res.json.ticket;
}

/** The ticket's system messages (kind "system"), oldest first. */
export async function systemMessages(server, auth, id) {
  return (await allMessages(server, auth, id)).filter((m) => m.kind === 'system');
}

/** Asserts the shape of a system message and returns its body. */
export function assertSystemMessage(m, ticketId) {
  const j = JSON.stringify(m);
  assert.equal(m.kind, 'system', `system message kind: ${j}`);
  assert.equal(m.author, null, `a system message has author null: ${j}`);
  assert.equal(m.ticket_id, ticketId, `system message ticket_id: ${j}`);
  assert.equal(typeof m.body, 'string', j);
  return m.body;
}

// ---------------------------------------------------------------------------------------------
// The contract's transition table.
//
// Actors relative to a ticket: 'customer' (its customer), 'agent' (its assigned agent; for an
// unassigned ticket simply "an agent"), 'other_agent' (an agent who is not its agent),
// 'other_customer' (a customer who does not own it: 404, no enumeration).

export const ACTORS = ['customer', 'agent', 'other_agent', 'other_customer'];

export const TRANSITIONS = [
  { from: 'open', to: 'in_progress', who: ['agent', 'other_agent'] }, // any agent; claims it
  { from: 'in_progress', to: 'open', who: ['agent'] }, // release
  { from: 'in_progress', to: 'resolved', who: ['agent'] },
  { from: 'resolved', to: 'in_progress', who: ['agent', 'customer'] }, // reopen
  { from: 'resolved', to: 'closed', who: ['agent', 'customer'] },
  { from: 'open', to: 'closed', who: ['agent', 'other_agent', 'customer'] }, // any agent may close an open ticket
  { from: 'in_progress', to: 'closed', who: ['agent', 'customer'] }, // withdraw
];

/** Expected HTTP status of PATCH {status: to} on a ticket in `from` by `actor`. */
export function expectedPatchStatus(from, to, actor) {
  if (actor === 'other_customer') return 404;
  if (from === to) return 200; // changes nothing (closed too)
  const rule = TRANSITIONS.find((r) => r.from === from && r.to === to);
  if (!rule) return 409;
  return rule.who.includes(actor) ? 200 : 403;
}

/** The statuses `actor` may move a ticket in `status` to (excluding the current one), sorted. */
export function expectedAllowed(status, actor) {
  return STATUSES.filter((to) => to !== status && expectedPatchStatus(status, to, actor) === 200).sort();
}

/** The actor's relation to a ticket: 'customer' | 'agent' | 'other_agent' | 'other_customer'. */
export function relationOf(ticket, user) {
  if (user.role === 'agent') return ticket.agent?.id === user.id ? 'agent' : 'other_agent';
  return ticket.customer.id === user.id ? 'customer' : 'other_customer';
}

/** The system message text a status move by `name` adds. */
export function statusMoveText(from, to, name) {
  if (from === 'open' && to === 'in_progress') return `${name} claimed the ticket.`;
  if (from === 'in_progress' && to === 'open') return `${name} released the ticket.`;
  if (from === 'resolved' && to === 'in_progress') return `${name} reopened the ticket.`;
  return `${name} changed the status from ${STATUS_LABEL[from]} to ${STATUS_LABEL[to]}.`;
}

export function priorityMoveText(from, to, name) {
  return `${name} changed the priority from ${PRIORITY_LABEL[from]} to ${PRIORITY_LABEL[to]}.`;
}

/**
 * Creates a ticket for `customer` and moves it to `status` through the API:
 * open; in_progress = claimed by `agent`; resolved = claimed + resolved by `agent`;
 * closed = claimed + resolved + closed by `agent`. Returns the final Ticket.
 */
export async function ticketInStatus(server, { customer, agent }, status, fields = {}) {
  let t = await newTicket(server, { token: customer.token }, fields);
  if (status === 'open') return t;
  t = await claimOk(server, { token: agent.token }, t.id, 'setup: claim');
  if (status === 'in_progress') return t;
  t = await patchOk(server, { token: agent.token }, t.id, { status: 'resolved' }, 'setup: resolve');
  if (status === 'resolved') return t;
  t = await patchOk(server, { token: agent.token }, t.id, { status: 'closed' }, 'setup: close');
  assert.equal(t.status, 'closed');
  return t;
}

/** Sorted copy of a string array (for set-like comparisons). */
export function sorted(a) {
  return [...a].sort();
}

// ---------------------------------------------------------------------------------------------
// The list

function byKey(k) {
  return (a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : a.id - b.id);
}
const byCreated = byKey('created_at');
const byUpdated = byKey('updated_at');

/**
 * Comparators for every sort the contract names. Ties are broken by id in the same direction.
 * priority: low first, then oldest; -priority: urgent first, then newest.
 */
export const SORTS = {
  'created_at': byCreated,
  '-created_at': (a, b) => -byCreated(a, b),
  'priority': (a, b) => (PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority]) || byCreated(a, b),
  '-priority': (a, b) => (PRIORITY_RANK[b.priority] - PRIORITY_RANK[a.priority]) || -byCreated(a, b),
  'updated_at': byUpdated,
  '-updated_at': (a, b) => -byUpdated(a, b),
};

/**
 * Does ticket t pass the list filter? filter: {status?: 'a,b', assignee?: 'me'|'none'|'any',
 * category?, customer?}; meId = the caller's user id (for assignee=me).
 */
export function passesFilter(t, filter, meId) {
  if (filter.status && !filter.status.split(',').includes(t.status)) return false;
  if (filter.assignee === 'me' && t.agent?.id !== meId) return false;
  if (filter.assignee === 'none' && t.agent !== null) return false;
  if (filter.category && t.category !== filter.category) return false;
  if (filter.customer !== undefined && t.customer.id !== Number(filter.customer)) return false;
  return true;
}

/** Expected ids for a listing: the tickets passing filter (and matchQ, if given), in sort order. */
export function expectedIds(tickets, { sort = '-created_at', filter = {}, meId, matchQ } = {}) {
  return tickets.filter((t) => passesFilter(t, filter, meId) && (!matchQ || matchQ(t)))
    .sort(SORTS[sort]).map((t) => t.id);
}

/**
 * Pages through GET /api/v1/tickets with `limit`, following next_cursor. Asserts 200, a page
 * size <= limit, no id twice. Returns {ids, items, pages}.
 */
export async function listAll(server, auth, query = {}, { limit = 4, maxPages = 60 } = {}) {
  const ids = [];
  const items = [];
  const pages = [];
  let cursor;
  for (let n = 0; ; n++) {
    assert.ok(n < maxPages, `paging ${JSON.stringify(query)} did not end after ${maxPages} pages; ids so far ${ids.join(',')}`);
    const res = await api(server.url, 'GET', '/api/v1/tickets' + qs({ ...query, limit, cursor }), auth);
    assert.equal(res.status, 200, describeRes(res));
    assert.ok(Array.isArray(res.json?.items), `items must be an array: ${describeRes(res)}`);
    const nc = res.json.next_cursor;
    assert.ok(nc === null || (typeof nc === 'string' && nc.length > 0), `next_cursor must be a non-empty string or null: ${describeRes(res)}`);
    assert.ok(res.json.items.length <= limit, `a page with limit=${limit} has ${res.json.items.length} items: ${describeRes(res)}`);
    pages.push(res.json.items.map((t) => t.id));
    for (const t of res.json.items) {
      assert.ok(!ids.includes(t.id), `ticket ${t.id} listed twice while paging ${JSON.stringify(query)}; pages so far ${JSON.stringify(pages)}`);
      ids.push(t.id);
      items.push(t);
    }
    if (nc === null) break;
    assert.notEqual(nc, cursor, `next_cursor did not move while paging ${JSON.stringify(query)}`);
    cursor = nc;
  }
  return { ids, items, pages };
}

/** GET /api/v1/tickets/counts -> {counts, mine}. */
export async function fetchCounts(server, auth) {
  const res = await api(server.url, 'GET', '/api/v1/tickets/counts', auth);
  assert.equal(res.status, 200, describeRes(res));
  assert.ok(res.json?.counts && res.json?.mine, `counts answer lacks counts/mine: ${describeRes(res)}`);
  return res.json;
}

/** {open, in_progress, resolved, closed} counted over tickets. */
export function countByStatus(tickets) {
  const c = { open: 0, in_progress: 0, resolved: 0, closed: 0 };
  for (const t of tickets) c[t.status] += 1;
  return c;
}

// ---------------------------------------------------------------------------------------------
// WebSocket (ChatClient from chat.mjs)

/**
 * Waits for a `ticket` frame about ticket `id` that arrived after `mark` (client.mark()) and
 * whose ticket matches `want` (a subset of fields compared with deepEqual semantics via JSON,
 * e.g. {status: 'in_progress', agent: {id, name}}). Consumes and returns it.
 */
export function nextTicketFrame(client, mark, id, want = {}, opts = {}) {
  const matches = (f) => {
    if (f.type !== 'ticket' || f.ticket?.id !== id) return false;
    if (client.frames.indexOf(f) < mark) return false;
    return Object.entries(want).every(([k, v]) => JSON.stringify(f.ticket[k]) === JSON.stringify(v));
  };
  return client.next(matches, { ...opts, what: `a "ticket" frame for ticket ${id} with ${JSON.stringify(want)} (after frame #${mark})` });
}

/** Waits for a `message` frame (after `mark`) of ticket `id` whose message body is `body`. */
export function nextMessageFrame(client, mark, id, body, opts = {}) {
  const matches = (f) => f.type === 'message' && f.message?.ticket_id === id && f.message.body === body
    && client.frames.indexOf(f) >= mark;
  return client.next(matches, { ...opts, what: `a "message" frame for ticket ${id} with body ${JSON.stringify(body)} (after frame #${mark})` });
}

/** A small deterministic PRNG (mulberry32) so that a failing setup can be replayed. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle(arr, rand) {
  const a = [...arr];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
