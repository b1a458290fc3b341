// GET /api/v1/tickets: visibility, keyset paging under concurrent inserts, sorts, filters,
// search, and parameter validation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, signup, createAgent, assertError, describeRes, createTicket, makePng, qs, listAllTicketIds,
} from './lib/harness.mjs';

const RANK = { low: 0, normal: 1, high: 2, urgent: 3 };
const tiny = () => [{ data: makePng(8, 8), filename: 's.png', type: 'image/png' }];

function byCreated(a, b) {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id;
}
const COMPARATORS = {
  'created_at': byCreated,
  '-created_at': (a, b) => -byCreated(a, b),
  'priority': (a, b) => (RANK[a.priority] - RANK[b.priority]) || byCreated(a, b),
  '-priority': (a, b) => (RANK[b.priority] - RANK[a.priority]) || -byCreated(a, b),
};

describe('ticket list', () => {
  let server;
  let url;
  let agent;
  before(async () => {
    server = await startServer();
    url = server.url;
    agent = await createAgent(server, { name: 'Lister Agent' });
  });
  after(async () => { await server?.stop(); });

  async function list(auth, query) {
    const res = await api(url, 'GET', '/api/v1/tickets' + qs(query), auth);
    assert.equal(res.status, 200, describeRes(res));
    assert.ok(Array.isArray(res.json.items), describeRes(res));
    assert.ok(res.json.next_cursor === null || typeof res.json.next_cursor === 'string',
      `next_cursor must be a string or null: ${describeRes(res)}`);
    return res.json;
  }

  // Keyset paging: 7 tickets, pages of 3, new tickets created between pages.
  // newPriority is chosen so that the new tickets sort *before* the cursor where possible
  // (offset paging would then repeat rows).
  const scenarios = [
    ['-created_at', 'normal'],
    ['created_at', 'normal'],
    ['priority', 'low'],
    ['-priority', 'urgent'],
  ];
  for (const [sort, newPriority] of scenarios) {
    it(`keyset paging, sort=${sort}: the pages hold the original 7 once each in order, while tickets are created between pages`, async () => {
      const cust = await signup(url, { name: `Pager ${sort}` });
      const auth = { token: cust.token };
      const orig = [];
      for (const p of ['low', 'high', 'normal', 'urgent', 'low', 'normal', 'high']) {
        orig.push(await createTicket(url, auth, { subject: `page ${sort} ${orig.length}`, priority: p, files: tiny() }));
      }
      const cmp = COMPARATORS[sort];
      const expected = [...orig].sort(cmp).map((t) => t.id);
      const origIds = new Set(orig.map((t) => t.id));

      const pages = [];
      let res = await list(auth, { sort, limit: 3 });
      pages.push(res.items);
      assert.deepEqual(res.items.map((t) => t.id), expected.slice(0, 3), `first page of sort=${sort}`);
      assert.ok(res.next_cursor, 'first page must have a next_cursor');
      const added = [];
      for (let i = 0; i < 2; i++) added.push(await createTicket(url, auth, { subject: `new ${sort} ${i}`, priority: newPriority, files: tiny() }));
      let cursor = res.next_cursor;
      for (let n = 0; cursor && n < 10; n++) {
        res = await list(auth, { sort, limit: 3, cursor });
        assert.ok(res.items.length <= 3, `a page of limit=3 has ${res.items.length} items`);
        pages.push(res.items);
        cursor = res.next_cursor;
        if (n === 0) added.push(await createTicket(url, auth, { subject: `newer ${sort}`, priority: newPriority, files: tiny() }));
      }
      assert.equal(cursor, null, 'paging did not end');
      const all = pages.flat();
      const ids = all.map((t) => t.id);
      assert.equal(new Set(ids).size, ids.length, `a ticket was repeated across pages: ${ids}`);
      const addedIds = new Set(added.map((t) => t.id));
      for (const id of ids) assert.ok(origIds.has(id) || addedIds.has(id), `unknown ticket ${id} in the list`);
      assert.deepEqual(ids.filter((id) => origIds.has(id)), expected,
        `the original tickets, in sort=${sort} order, must each appear exactly once (pages: ${JSON.stringify(pages.map((p) => p.map((t) => t.id)))})`);
      for (let i = 1; i < all.length; i++) {
        assert.ok(cmp(all[i - 1], all[i]) < 0, `items ${all[i - 1].id} and ${all[i].id} are out of order for sort=${sort}`);
      }
      // a fresh listing sees everything in order
      const fresh = await list(auth, { sort, limit: 100 });
      const everything = [...orig, ...added].sort(cmp).map((t) => t.id);
      assert.deepEqual(fresh.items.map((t) => t.id), everything);
      assert.equal(fresh.next_cursor, null);
    });
  }

  it('default sort is -created_at (newest first); updated_at sorts are accepted and ordered', async () => {
    const cust = await signup(url);
    const auth = { token: cust.token };
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await createTicket(url, auth, { files: tiny() }));
    const dflt = await list(auth, {});
    assert.deepEqual(dflt.items.map((t) => t.id), [...made].sort(COMPARATORS['-created_at']).map((t) => t.id));
    for (const sort of ['updated_at', '-updated_at']) {
      const r = await list(auth, { sort });
      assert.equal(r.items.length, 4);
      for (let i = 1; i < r.items.length; i++) {
        const [a, b] = [r.items[i - 1].updated_at, r.items[i].updated_at];
        assert.ok(sort === 'updated_at' ? a <= b : a >= b, `sort=${sort}: ${a} then ${b}`);
      }
    }
  });

  describe('visibility and filters', () => {
    let cust;
    let other;
    let agent2;
    const T = {};
    const word = `xylophonequartz${Date.now()}`;
    const subjWord = `Zanzibarword${Date.now()}`;
    before(async () => {
      cust = await signup(url, { name: 'Filter Customer' });
      other = await signup(url, { name: 'Other Customer' });
      agent2 = await createAgent(server, { name: 'Claiming Agent' });
      const auth = { token: cust.token };
      T.billing = await createTicket(url, auth, { category: 'billing', priority: 'normal', files: tiny() });
      T.technical = await createTicket(url, auth, { category: 'technical', priority: 'high', files: tiny() });
      T.searchable = await createTicket(url, auth, {
        category: 'general', priority: 'low', subject: 'Plain subject', description: `The ${word} is broken again.`, files: tiny(),
      });
      T.subject = await createTicket(url, auth, { category: 'account', priority: 'urgent', subject: `Help ${subjWord} now`, files: tiny() });
      T.closed = await createTicket(url, auth, { category: 'billing', files: tiny() });
      T.claimed = await createTicket(url, auth, { category: 'technical', files: tiny() });
      T.others = await createTicket(url, { token: other.token }, { category: 'billing', subject: 'not yours', files: tiny() });
    });

    // The status/assignee tests need one withdrawn (closed) and one claimed ticket; done lazily so
    // that only they depend on PATCH and claim.
    let transitions;
    function ensureTransitions() {
      transitions ??= (async () => {
        const close = await api(url, 'PATCH', `/api/v1/tickets/${T.closed.id}`, { token: cust.token, json: { status: 'closed' } });
        assert.equal(close.status, 200, `setup: the customer withdraws a ticket: ${describeRes(close)}`);
        const claim = await api(url, 'POST', `/api/v1/tickets/${T.claimed.id}/claim`, { token: agent2.token });
        assert.equal(claim.status, 200, `setup: an agent claims a ticket: ${describeRes(claim)}`);
      })();
      return transitions;
    }

    const ids = (r) => r.items.map((t) => t.id).sort((a, b) => a - b);
    const sorted = (...ts) => ts.map((t) => t.id).sort((a, b) => a - b);

    it('customers see only their own tickets; agents see everyone\'s', async () => {
      const mine = await listAllTicketIds(url, { token: cust.token });
      assert.deepEqual([...mine].sort((a, b) => a - b),
        sorted(T.billing, T.technical, T.searchable, T.subject, T.closed, T.claimed));
      const theirs = await listAllTicketIds(url, { token: other.token });
      assert.deepEqual(theirs, [T.others.id]);
      const all = await listAllTicketIds(url, { token: agent.token });
      for (const t of Object.values(T)) assert.ok(all.includes(t.id), `agent does not see ticket ${t.id}`);
    });

    it('status filter (single and comma list)', async () => {
      await ensureTransitions();
      const auth = { token: cust.token };
      assert.deepEqual(ids(await list(auth, { status: 'closed' })), sorted(T.closed));
      assert.deepEqual(ids(await list(auth, { status: 'in_progress' })), sorted(T.claimed));
      assert.deepEqual(ids(await list(auth, { status: 'open' })), sorted(T.billing, T.technical, T.searchable, T.subject));
      assert.deepEqual(ids(await list(auth, { status: 'open,in_progress' })),
        sorted(T.billing, T.technical, T.searchable, T.subject, T.claimed));
      assert.deepEqual(ids(await list(auth, { status: 'resolved' })), []);
      for (const t of (await list({ token: agent.token }, { status: 'closed', limit: 100 })).items) assert.equal(t.status, 'closed');
    });

    it('category filter', async () => {
      const auth = { token: cust.token };
      assert.deepEqual(ids(await list(auth, { category: 'billing' })), sorted(T.billing, T.closed));
      assert.deepEqual(ids(await list(auth, { category: 'technical' })), sorted(T.technical, T.claimed));
      assert.deepEqual(ids(await list(auth, { category: 'account' })), sorted(T.subject));
      for (const t of (await list({ token: agent.token }, { category: 'billing', limit: 100 })).items) assert.equal(t.category, 'billing');
    });

    it('q finds a word that appears only in one description, and a word only in one subject', async () => {
      assert.deepEqual(ids(await list({ token: cust.token }, { q: word })), sorted(T.searchable));
      assert.deepEqual(ids(await list({ token: agent.token }, { q: word })), sorted(T.searchable));
      assert.deepEqual(ids(await list({ token: other.token }, { q: word })), [], 'q must not reveal other customers\' tickets');
      assert.deepEqual(ids(await list({ token: cust.token }, { q: subjWord })), sorted(T.subject));
      assert.deepEqual(ids(await list({ token: cust.token }, { q: `nosuchword${Date.now()}` })), []);
    });

    it('q is not an injection vector', async () => {
      for (const q of [`'`, `"`, `' OR 1=1 --`, `%`, `_`, `*`, `\\`, `") OR ("1"="1`, 'NEAR(', 'AND', '-', '^', ':']) {
        const res = await api(url, 'GET', '/api/v1/tickets' + qs({ q }), { token: other.token });
        assert.ok([200, 400, 422].includes(res.status), `q=${q}: ${describeRes(res)}`);
        if (res.status === 200) {
          for (const t of res.json.items) assert.equal(t.customer.id, other.user.id, `q=${q} leaked ticket ${t.id}`);
        }
      }
    });

    it('category and status filters combine', async () => {
      await ensureTransitions();
      assert.deepEqual(ids(await list({ token: cust.token }, { category: 'technical', status: 'open' })), sorted(T.technical));
      assert.deepEqual(ids(await list({ token: cust.token }, { category: 'billing', status: 'closed' })), sorted(T.closed));
    });

    it('assignee=me|none|any for an agent', async () => {
      await ensureTransitions();
      const auth = { token: agent2.token };
      const me = await list(auth, { assignee: 'me', limit: 100 });
      assert.deepEqual(ids(me), sorted(T.claimed));
      const none = await list(auth, { assignee: 'none', limit: 100 });
      assert.ok(!ids(none).includes(T.claimed.id));
      for (const t of none.items) assert.equal(t.agent, null, `assignee=none returned ticket ${t.id} with an agent`);
      const noneIds = await listAllTicketIds(url, auth, { assignee: 'none' });
      assert.ok(noneIds.includes(T.billing.id) && !noneIds.includes(T.claimed.id), 'assignee=none');
      const anyIds = await listAllTicketIds(url, auth, { assignee: 'any' });
      const allIds = await listAllTicketIds(url, auth, {});
      assert.deepEqual(anyIds, allIds, 'assignee=any is no filter');
      const claimed = (await list(auth, { assignee: 'me' })).items[0];
      assert.deepEqual({ id: claimed.agent.id, name: claimed.agent.name }, { id: agent2.user.id, name: 'Claiming Agent' });
    });

    it('limit: default 25, 1 and 100 are accepted', async () => {
      const auth = { token: agent.token };
      let total = (await listAllTicketIds(url, auth)).length;
      while (total < 26) { await createTicket(url, { token: other.token }, { files: tiny() }); total += 1; }
      const dflt = await list(auth, {});
      assert.equal(dflt.items.length, 25, 'default limit is 25');
      assert.ok(dflt.next_cursor);
      const one = await list(auth, { limit: 1 });
      assert.equal(one.items.length, 1);
      assert.equal(one.items[0].id, dflt.items[0].id);
      const hundred = await list(auth, { limit: 100 });
      assert.equal(hundred.items.length, Math.min(100, total));
      const second = await list(auth, { limit: 1, cursor: one.next_cursor });
      assert.equal(second.items[0].id, dflt.items[1].id);
    });
  });

  describe('validation', () => {
    let cust;
    before(async () => { cust = await signup(url); });

    for (const limit of ['0', '101', 'x', '-1', '1.5', '']) {
      it(`limit=${JSON.stringify(limit)} -> 422 validation_failed field limit`, async () => {
        if (limit === '') {
          // an empty limit may mean "default"; if refused it must be a 422 on limit
          const res = await api(url, 'GET', '/api/v1/tickets?limit=', { token: cust.token });
          if (res.status !== 200) assertError(res, 422, 'validation_failed', 'limit');
          return;
        }
        assertError(await api(url, 'GET', '/api/v1/tickets' + qs({ limit }), { token: cust.token }), 422, 'validation_failed', 'limit');
      });
    }

    for (const sort of ['bogus', 'created', '--created_at', 'priority,created_at']) {
      it(`sort=${sort} -> 422 field sort`, async () => {
        assertError(await api(url, 'GET', '/api/v1/tickets' + qs({ sort }), { token: cust.token }), 422, 'validation_failed', 'sort');
      });
    }

    for (const status of ['bogus', 'open,bogus', 'open;closed']) {
      it(`status=${status} -> 422 field status`, async () => {
        assertError(await api(url, 'GET', '/api/v1/tickets' + qs({ status }), { token: cust.token }), 422, 'validation_failed', 'status');
      });
    }

    it('assignee=someone -> 422 field assignee', async () => {
      const ag = await createAgent(server);
      assertError(await api(url, 'GET', '/api/v1/tickets' + qs({ assignee: 'someone' }), { token: ag.token }), 422, 'validation_failed', 'assignee');
    });

    for (const cursor of ['garbage', '!!!', 'eyJ4IjoxfQ', 'not a cursor']) {
      it(`cursor=${cursor} -> 400 bad_request field cursor`, async () => {
        assertError(await api(url, 'GET', '/api/v1/tickets' + qs({ cursor }), { token: cust.token }), 400, 'bad_request', 'cursor');
      });
    }

    it('unauthenticated -> 401', async () => {
      assertError(await api(url, 'GET', '/api/v1/tickets'), 401, 'unauthenticated');
    });
  });
});
