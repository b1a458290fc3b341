// q= text search on the ticket list: chat messages and descriptions are searched, FTS syntax in
// q never makes an error, and a customer's search never reaches other customers' tickets.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, createAgent, api, qs, describeRes, assertError } from './lib/harness.mjs';
import { postMessageOk } from './lib/chat.mjs';
import { startWorkflowServer, newTicket, listAll, claimOk } from './lib/workflow.mjs';

describe('ticket search (q)', () => {
  let server;
  let agent;
  let C; // customer with T1 (word in description), T2 (word only in a chat message), T4 (plain)
  let D; // another customer with T3 (same description word as T1) and T5
  const T = {};
  const auth = (u) => ({ token: u.token });

  before(async () => {
    server = await startWorkflowServer();
    agent = await createAgent(server, { name: 'Search Agent' });
    C = await signup(server.url, { name: 'Cora Searcher' });
    D = await signup(server.url, { name: 'Dora Other' });
    T.t1 = await newTicket(server, auth(C), { subject: 'Invoice question', description: 'My invoice mentions marmalade twice.', category: 'billing' });
    T.t2 = await newTicket(server, auth(C), { subject: 'Login trouble', description: 'Cannot log in since Monday.', category: 'account' });
    T.t4 = await newTicket(server, auth(C), { subject: 'Printer', description: 'Paper jam again.', category: 'technical' });
    T.t3 = await newTicket(server, auth(D), { subject: 'Other invoice', description: 'Also marmalade on this one.', category: 'billing' });
    T.t5 = await newTicket(server, auth(D), { subject: 'Feature idea', description: 'Dark mode please.', category: 'feature' });
    await claimOk(server, auth(agent), T.t2.id);
    // The word "xylophone" appears only in chat messages: one by the agent on T2, one by the customer on T2.
    await postMessageOk(server, auth(agent), T.t2.id, 'Could you try the xylophone reset procedure?');
    await postMessageOk(server, auth(C), T.t2.id, 'Done, the zeppelin light is green now.');
    // D talks about a word that is in C's description.
    await postMessageOk(server, auth(D), T.t5.id, 'Something about invoices, and a quokka.');
  });
  after(async () => { await server?.stop(); });

  async function search(user, q, extra = {}) {
    const { ids, items } = await listAll(server, auth(user), { q, ...extra }, { limit: 10 });
    return { ids: [...ids].sort((a, b) => a - b), items };
  }
  const idsOf = (...ts) => ts.map((t) => t.id).sort((a, b) => a - b);

  it('a word only in a chat message finds that ticket (agent message, customer message)', async () => {
    assert.deepEqual((await search(agent, 'xylophone')).ids, idsOf(T.t2), 'agent, q=xylophone');
    assert.deepEqual((await search(C, 'xylophone')).ids, idsOf(T.t2), 'customer, q=xylophone');
    assert.deepEqual((await search(agent, 'zeppelin')).ids, idsOf(T.t2), 'agent, q=zeppelin (customer\'s message)');
    assert.deepEqual((await search(C, 'zeppelin')).ids, idsOf(T.t2), 'customer, q=zeppelin');
  });

  it('a message posted now is found at once', async () => {
    await postMessageOk(server, auth(agent), T.t4.id, 'Let us try the kaleidoscope method.');
    assert.deepEqual((await search(agent, 'kaleidoscope')).ids, idsOf(T.t4));
    assert.deepEqual((await search(C, 'kaleidoscope')).ids, idsOf(T.t4));
  });

  it('a word in a description finds its ticket; subject words too', async () => {
    assert.deepEqual((await search(agent, 'marmalade')).ids, idsOf(T.t1, T.t3), 'agent sees both customers\' tickets');
    assert.deepEqual((await search(agent, 'jam')).ids, idsOf(T.t4));
    assert.deepEqual((await search(agent, 'Printer')).ids, idsOf(T.t4), 'subject word');
    assert.deepEqual((await search(agent, 'MARMALADE')).ids, idsOf(T.t1, T.t3), 'search is case-insensitive');
  });

  it('q combines with the other filters', async () => {
    assert.deepEqual((await search(agent, 'marmalade', { customer: C.user.id })).ids, idsOf(T.t1));
    assert.deepEqual((await search(agent, 'marmalade', { status: 'in_progress' })).ids, []);
    assert.deepEqual((await search(agent, 'xylophone', { assignee: 'me' })).ids, idsOf(T.t2));
    assert.deepEqual((await search(agent, 'xylophone', { assignee: 'none' })).ids, []);
    assert.deepEqual((await search(agent, 'marmalade', { category: 'billing', sort: 'priority' })).ids, idsOf(T.t1, T.t3));
  });

  it('a customer\'s q never returns other customers\' tickets', async () => {
    assert.deepEqual((await search(C, 'marmalade')).ids, idsOf(T.t1), 'C: q=marmalade');
    assert.deepEqual((await search(D, 'marmalade')).ids, idsOf(T.t3), 'D: q=marmalade');
    assert.deepEqual((await search(D, 'xylophone')).ids, [], 'D: a word of C\'s chat');
    assert.deepEqual((await search(D, 'zeppelin')).ids, [], 'D: a word of C\'s chat');
    assert.deepEqual((await search(C, 'quokka')).ids, [], 'C: a word of D\'s chat');
    assert.deepEqual((await search(D, 'quokka')).ids, idsOf(T.t5), 'D: own chat word');
    assert.deepEqual((await search(D, 'Printer')).ids, [], 'D: a subject word of C\'s');
    // FTS operators must not widen a customer's search.
    for (const q of ['marmalade OR xylophone', 'xylophone OR zeppelin OR marmalade', '*', 'x*', 'marm*',
      '"marmalade"', 'NOT quokka', '-quokka', 'quokka OR ""', ') OR (1=1', '" OR 1=1 --', "' OR '1'='1",
      '%', '_', 'subject:Printer', 'description:marmalade', '{subject description}:marmalade', 'NEAR(marmalade xylophone)']) {
      for (const who of [C, D]) {
        const res = await api(server.url, 'GET', '/api/v1/tickets' + qs({ q, limit: 100 }), auth(who));
        assert.equal(res.status, 200, `q=${q} as ${who.name}: ${describeRes(res)}`);
        for (const t of res.json.items) {
          assert.equal(t.customer.id, who.user.id, `q=${JSON.stringify(q)} as ${who.name} returned ticket ${t.id} of ${t.customer.name}`);
        }
      }
    }
  });

  const NASTY = [
    '"', '""', '"unclosed', 'a"b', '*', '**', '*marm', 'marm*', 'OR', 'OR OR', 'a OR', 'OR b', 'AND', 'NOT', 'NEAR',
    'NEAR(', 'NEAR(a b', '-', '--', '-marmalade', 'marmalade -', '(', ')', '()', '(marmalade', 'marmalade)',
    '((((', '^', '^marmalade', ':', 'a:b', 'subject:', '+', '+marmalade', '{', '}', '{a b}', '[', ']', "'", "''",
    '\\', '\\"', '%', '_', '%_%', ';', 'a;b', '-- comment', '/*', '*/', '"a" OR "b" AND NOT "c"',
    'marmalade AND (xylophone OR', '   ', ' OR ', 'é', 'ümlaut*', '日本語', '🙂', 'a'.repeat(200), '*'.repeat(200), '"('.repeat(100), '"*"', '"-"', '"("',
    'x OR y OR z OR (a AND -b*) "c', 'NOT NOT NOT', 'AND OR NOT', '*"(-OR',
  ];
  it(`q with FTS syntax characters never errors (${NASTY.length} queries, agent and customer)`, async () => {
    for (const q of NASTY) {
      for (const who of [agent, C]) {
        for (const sort of ['-created_at', 'priority']) {
          const res = await api(server.url, 'GET', '/api/v1/tickets' + qs({ q, sort, limit: 2 }), auth(who));
          assert.equal(res.status, 200, `q=${JSON.stringify(q)} sort=${sort} as ${who.name}: ${describeRes(res)}`);
          assert.ok(Array.isArray(res.json?.items), describeRes(res));
          if (res.json.next_cursor) {
            const res2 = await api(server.url, 'GET', '/api/v1/tickets' + qs({ q, sort, limit: 2, cursor: res.json.next_cursor }), auth(who));
            assert.equal(res2.status, 200, `page 2 of q=${JSON.stringify(q)}: ${describeRes(res2)}`);
          }
        }
      }
    }
    // An over-long q may be refused, but only as a validation error.
    const long = await api(server.url, 'GET', '/api/v1/tickets' + qs({ q: '"OR*('.repeat(100) }), auth(agent));
    if (long.status !== 200) assertError(long, 422, 'validation_failed', 'q');
    // The server still answers normally.
    assert.deepEqual((await search(agent, 'marmalade')).ids, idsOf(T.t1, T.t3));
  });

  it('a quoted word or a word with operators around it still finds the ticket (when answered)', async () => {
    // Not required to match, but if the server treats these as plain words they should find T1 only for C.
    for (const q of ['"marmalade"', '(marmalade)', 'marmalade*']) {
      const { ids } = await search(C, q);
      for (const id of ids) assert.ok([T.t1.id].includes(id), `q=${q} as C returned ${id}`);
    }
  });
});
