// The dashboard list: ~30 tickets with varied priority, category, status and assignee; every
// sort x a set of filters, with and without q, paged with limit 4, against the order computed
// here from the tickets' own data. Counts, customers' visibility, the customer= filter.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, createAgent, api, qs, describeRes } from './lib/harness.mjs';
import { postMessageOk } from './lib/chat.mjs';
import {
  PRIORITIES, CATEGORIES, startWorkflowServer, newTicket, fetchTicket, patchOk, claimOk, expectedIds, listAll,
  fetchCounts, countByStatus, rng, shuffle, SORTS,
} from './lib/workflow.mjs';

const N = 30;
const WORD = 'quokka'; // in the subject, description or chat of some tickets (some in two of them), nowhere else

// Target states: how each ticket ends up.
const PLANS = ['open', 'released', 'in_progress', 'resolved', 'withdrawn', 'done', 'open', 'in_progress'];

describe('dashboard list: sorts x filters x q, paged', () => {
  let server;
  let A;
  let B;
  let custs;
  let tickets; // final server state of every created ticket (as seen by agent A)
  const model = new Map(); // id -> {status, agentId, priority, category, customerId, hasWord}
  const auth = (u) => ({ token: u.token });

  before(async () => {
    // On PostgreSQL a search takes one of three steps depending on how many tickets match and
    // where (pg_search.cpp); with these tiny bounds this small data takes each of them, so all
    // three meet the same expectations. SQLite ignores them.
    server = await startWorkflowServer({ env: { HELPLINE_PG_SEARCH_FEW_MATCHES: '4', HELPLINE_PG_SEARCH_PROBE_ROWS: '8' } });
    [A, B] = await Promise.all([
      createAgent(server, { name: 'List Alice' }),
      createAgent(server, { name: 'List Bob' }),
    ]);
    custs = [];
    for (const name of ['Cust One', 'Cust Two', 'Cust Three']) custs.push(await signup(server.url, { name }));
    const rand = rng(20261203);

    // 1. Create the tickets one by one (created_at order = creation order). (Concurrent creation
    //    has its own test at the end.)
    const specs = [];
    const CAT_POOL = ['general', 'billing', 'billing', 'technical', 'account', 'feature', 'billing', 'technical'];
    for (let i = 0; i < N; i++) {
      const cust = custs[Math.floor(rand() * custs.length)];
      const priority = PRIORITIES[Math.floor(rand() * 4)];
      const category = i < CATEGORIES.length ? CATEGORIES[i] : CAT_POOL[Math.floor(rand() * CAT_POOL.length)];
      const where = rand();
      const inText = where < 0.4;
      const inChat = rand() < 0.3; // two chat messages say it: a ticket must still come once
      const hasWord = inText || inChat;
      const subject = `Ticket ${i}${inText && where < 0.2 ? ` ${WORD} in subject` : ''}`;
      const description = `Description of ticket number ${i}.${inText && where >= 0.2 ? ` A ${WORD} was seen.` : ''}`;
      specs.push({ i, cust, priority, category, hasWord, inChat, subject, description, plan: PLANS[i % PLANS.length], agent: rand() < 0.5 ? A : B });
    }
    const make = async (sp) => {
      const t = await newTicket(server, auth(sp.cust), { subject: sp.subject, description: sp.description, category: sp.category, priority: sp.priority });
      model.set(t.id, { status: 'open', agentId: null, priority: sp.priority, category: sp.category, customerId: sp.cust.user.id, hasWord: sp.hasWord });
      if (sp.inChat) {
        await postMessageOk(server, auth(sp.cust), t.id, `There is a ${WORD} in the garden.`);
        await postMessageOk(server, auth(sp.cust), t.id, `The ${WORD} is still there.`);
      }
      return { t, cust: sp.cust, plan: sp.plan, agent: sp.agent };
    };
    const created = [];
    for (const sp of specs) created.push(await make(sp));
    assert.ok(specs.some((sp) => sp.inChat && !sp.subject.includes(WORD) && !sp.description.includes(WORD)),
      'setup: some ticket has the word only in its chat');

    // 2. Move them to their states in a shuffled order (so updated_at order differs from created_at).
    for (const { t, cust, plan, agent } of shuffle(created, rand)) {
      const m = model.get(t.id);
      const a = auth(agent);
      switch (plan) {
        case 'open': break;
        case 'released':
          await claimOk(server, a, t.id);
          await patchOk(server, a, t.id, { status: 'open' });
          break;
        case 'in_progress':
          await claimOk(server, a, t.id);
          m.status = 'in_progress'; m.agentId = agent.user.id;
          break;
        case 'resolved':
          await patchOk(server, a, t.id, { status: 'in_progress' }); // claims too
          await patchOk(server, a, t.id, { status: 'resolved' });
          m.status = 'resolved'; m.agentId = agent.user.id;
          break;
        case 'withdrawn':
          await patchOk(server, auth(cust), t.id, { status: 'closed' });
          m.status = 'closed';
          break;
        case 'done':
          await claimOk(server, a, t.id);
          await patchOk(server, a, t.id, { status: 'resolved' });
          await patchOk(server, auth(cust), t.id, { status: 'closed' });
          m.status = 'closed'; m.agentId = agent.user.id;
          break;
        default: throw new Error(plan);
      }
    }

    // 3. Bump the priority of some non-closed tickets one by one, in another random order; then a
    //    few concurrently (updated_at ties are then likely: broken by id).
    const bumpable = shuffle(created.filter(({ t }) => model.get(t.id).status !== 'closed'), rand);
    const bump = async ({ t }, who, to) => {
      const nt = await patchOk(server, auth(who), t.id, { priority: to });
      assert.equal(nt.priority, to);
      model.get(t.id).priority = to;
    };
    const nextPriority = (t) => PRIORITIES[(PRIORITIES.indexOf(model.get(t.id).priority) + 1 + Math.floor(rand() * 3)) % 4];
    for (const c of bumpable.slice(0, 10)) await bump(c, rand() < 0.5 ? A : B, nextPriority(c.t));
    const burst = bumpable.slice(10, 16).map((c) => [c, rand() < 0.5 ? A : B, nextPriority(c.t)]);
    await Promise.all(burst.map((args) => bump(...args)));

    // 4. The final state, as the server reports it; check it matches what the test did.
    tickets = [];
    for (const { t } of created) {
      const f = await fetchTicket(server, auth(A), t.id);
      const m = model.get(t.id);
      assert.equal(f.status, m.status, `setup: ticket ${t.id} status`);
      assert.equal(f.agent?.id ?? null, m.agentId, `setup: ticket ${t.id} agent`);
      assert.equal(f.priority, m.priority, `setup: ticket ${t.id} priority`);
      assert.equal(f.category, m.category, `setup: ticket ${t.id} category`);
      assert.equal(f.customer.id, m.customerId, `setup: ticket ${t.id} customer`);
      tickets.push(f);
    }
    // The setup must make the sorts distinguishable.
    const byUpd = [...tickets].sort(SORTS.updated_at).map((t) => t.id);
    const byCre = [...tickets].sort(SORTS.created_at).map((t) => t.id);
    assert.notDeepEqual(byUpd, byCre, 'setup: updated_at order should differ from created_at order');
  });
  after(async () => { await server?.stop(); });

  const matchQ = (t) => model.get(t.id).hasWord;

  const FILTERS = [
    {},
    { status: 'open' },
    { status: 'in_progress,resolved' },
    { assignee: 'me' },
    { assignee: 'none' },
    { assignee: 'any' },
    { category: 'billing' },
    { status: 'open,in_progress,resolved', category: 'technical' },
    { status: 'in_progress,resolved,closed', assignee: 'me', category: 'billing' },
    { status: 'closed', assignee: 'none' },
  ];

  for (const sort of Object.keys(SORTS)) {
    it(`agent, sort=${sort}: every filter, with and without q, paged by 4`, async () => {
      for (const filter of FILTERS) {
        for (const withQ of [false, true]) {
          const query = { ...filter, sort };
          if (withQ) query.q = WORD;
          const { ids, pages } = await listAll(server, auth(A), query, { limit: 4 });
          const exp = expectedIds(tickets, { sort, filter, meId: A.user.id, matchQ: withQ ? matchQ : null });
          assert.deepEqual(ids, exp, `GET /api/v1/tickets${qs(query)} paged by 4 (pages ${JSON.stringify(pages)})`);
        }
      }
    });
  }

  it('the default sort is -created_at', async () => {
    const { ids } = await listAll(server, auth(B), {}, { limit: 7 });
    assert.deepEqual(ids, expectedIds(tickets, { sort: '-created_at' }));
  });

  it('assignee=me for the other agent', async () => {
    for (const sort of ['-priority', 'updated_at']) {
      const { ids } = await listAll(server, auth(B), { assignee: 'me', sort }, { limit: 4 });
      assert.deepEqual(ids, expectedIds(tickets, { sort, filter: { assignee: 'me' }, meId: B.user.id }));
    }
  });

  it('one page of 100 equals the concatenated pages of 4', async () => {
    for (const sort of Object.keys(SORTS)) {
      const res = await api(server.url, 'GET', '/api/v1/tickets' + qs({ sort, limit: 100 }), auth(A));
      assert.equal(res.status, 200, describeRes(res));
      assert.equal(res.json.next_cursor, null, `${N} tickets fit in a page of 100`);
      assert.deepEqual(res.json.items.map((t) => t.id), expectedIds(tickets, { sort }), `sort=${sort}, limit=100`);
    }
  });

  it('counts: all tickets for agents, assigned ones in mine; a customer\'s own in both', async () => {
    for (const agent of [A, B]) {
      const c = await fetchCounts(server, auth(agent));
      assert.deepEqual(c.counts, countByStatus(tickets), `counts for ${agent.name}`);
      assert.deepEqual(c.mine, countByStatus(tickets.filter((t) => t.agent?.id === agent.user.id)), `mine for ${agent.name}`);
    }
    for (const cust of custs) {
      const own = countByStatus(tickets.filter((t) => t.customer.id === cust.user.id));
      const c = await fetchCounts(server, auth(cust));
      assert.deepEqual(c.counts, own, `counts for ${cust.name}`);
      assert.deepEqual(c.mine, own, `mine for ${cust.name}`);
    }
    // The counts agree with the list.
    const c = await fetchCounts(server, auth(A));
    for (const status of ['open', 'in_progress', 'resolved', 'closed']) {
      const { ids } = await listAll(server, auth(A), { status }, { limit: 100 });
      assert.equal(ids.length, c.counts[status], `counts.${status} vs the list`);
      const mine = await listAll(server, auth(A), { status, assignee: 'me' }, { limit: 100 });
      assert.equal(mine.ids.length, c.mine[status], `mine.${status} vs the list with assignee=me`);
    }
  });

  it('customers see only their own tickets, in every sort, with filters and q', async () => {
    for (const cust of custs) {
      const own = tickets.filter((t) => t.customer.id === cust.user.id);
      assert.ok(own.length > 0, `setup: ${cust.name} has tickets`);
      for (const sort of Object.keys(SORTS)) {
        for (const filter of [{}, { status: 'open' }, { status: 'in_progress,resolved' }, { category: 'billing' }]) {
          for (const withQ of [false, true]) {
            const query = { ...filter, sort };
            if (withQ) query.q = WORD;
            const { ids, items } = await listAll(server, auth(cust), query, { limit: 4 });
            for (const t of items) assert.equal(t.customer.id, cust.user.id, `${cust.name} sees ticket ${t.id} of ${t.customer.name}`);
            assert.deepEqual(ids, expectedIds(own, { sort, filter, matchQ: withQ ? matchQ : null }),
              `${cust.name}: GET /api/v1/tickets${qs(query)}`);
          }
        }
      }
      const res = await getOne(cust, custs.find((c) => c !== cust));
      assert.equal(res.status, 404, `a customer GETs another customer's ticket: ${describeRes(res)}`);
    }
  });

  async function getOne(viewer, owner) {
    const t = tickets.find((x) => x.customer.id === owner.user.id);
    return api(server.url, 'GET', `/api/v1/tickets/${t.id}`, auth(viewer));
  }

  it('customer=<id> filters for agents (alone and with other filters)', async () => {
    for (const cust of custs) {
      for (const [sort, filter] of [
        ['-created_at', { customer: cust.user.id }],
        ['priority', { customer: cust.user.id, status: 'open,in_progress' }],
        ['-updated_at', { customer: cust.user.id, assignee: 'me' }],
      ]) {
        const { ids } = await listAll(server, auth(A), { ...filter, sort }, { limit: 4 });
        assert.deepEqual(ids, expectedIds(tickets, { sort, filter, meId: A.user.id }), `GET /api/v1/tickets${qs({ ...filter, sort })}`);
      }
    }
    // A customer using customer= with another customer's id never sees that customer's tickets.
    const [c1, c2] = custs;
    const { items } = await listAll(server, auth(c1), { customer: c2.user.id }, { limit: 100 }).catch(() => ({ items: [] }));
    for (const t of items) assert.equal(t.customer.id, c1.user.id, `customer=${c2.user.id} as ${c1.name} returned ticket ${t.id}`);
  });

  // Runs last: it adds tickets (of a customer of its own) after the counts were checked.
  it('tickets created concurrently: created_at and priority sorts follow the created_at values (ties by id)', async () => {
    const cust = await signup(server.url, { name: 'Burst Customer' });
    const burst = [];
    for (let round = 0; round < 3; round++) {
      burst.push(...await Promise.all(Array.from({ length: 8 }, (_, i) => newTicket(server, auth(cust), {
        subject: `burst ${round}.${i}`, priority: PRIORITIES[(round + i) % 2 ? 1 : 2], category: 'general',
      }))));
    }
    const own = [];
    for (const t of burst) own.push(await fetchTicket(server, auth(cust), t.id));
    for (const sort of ['created_at', '-created_at', 'priority', '-priority']) {
      for (const viewer of [cust, A]) {
        const query = viewer === A ? { sort, customer: cust.user.id } : { sort };
        const { ids, items } = await listAll(server, auth(viewer), query, { limit: 4 });
        const exp = expectedIds(own, { sort });
        assert.deepEqual(ids, exp, `GET /api/v1/tickets${qs(query)} paged by 4 as ${viewer.name}: listed `
          + `${items.map((t) => `${t.id}@${t.created_at}`).join(' ')}; the order of created_at (ties by id) is `
          + `${exp.map((id) => `${id}@${own.find((t) => t.id === id).created_at}`).join(' ')}`);
      }
    }
  });
});
