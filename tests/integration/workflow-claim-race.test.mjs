// Eight agents claim the same open ticket at the same moment: exactly one wins.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, createAgent, assertError, describeRes } from './lib/harness.mjs';
import {
  startWorkflowServer, newTicket, fetchTicket, claimTicket, patchTicket, systemMessages, assertSystemMessage,
} from './lib/workflow.mjs';

const AGENTS = 8;
const ROUNDS = 5;

describe('claim race', () => {
  let server;
  let agents;
  let cust;

  before(async () => {
    server = await startWorkflowServer();
    agents = await Promise.all(Array.from({ length: AGENTS }, (_, i) => createAgent(server, { name: `Racer ${i + 1}` })));
    cust = await signup(server.url, { name: 'Race Customer' });
  });
  after(async () => { await server?.stop(); });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: ${AGENTS} simultaneous claims -> one 200, ${AGENTS - 1} x 409 already_claimed naming the winner`, async () => {
      const t = await newTicket(server, { token: cust.token }, { subject: `race ${round}` });
      assert.equal(t.status, 'open');
      // Start the claims together (each request opens its own connection).
      const results = await Promise.all(agents.map((a) => claimTicket(server, { token: a.token }, t.id)));
      const ok = results.map((r, i) => ({ r, a: agents[i] })).filter(({ r }) => r.status === 200);
      const lost = results.map((r, i) => ({ r, a: agents[i] })).filter(({ r }) => r.status !== 200);
      const summary = results.map((r, i) => `${agents[i].name}: ${r.status} ${r.json?.error?.code ?? ''}`).join('; ');
      assert.equal(ok.length, 1, `exactly one claim must win; got ${summary}`);
      const winner = ok[0].a;
      const won = ok[0].r.json.ticket;
      assert.equal(won.status, 'in_progress', describeRes(ok[0].r));
      assert.deepEqual(won.agent, { id: winner.user.id, name: winner.name }, describeRes(ok[0].r));
      assert.equal(lost.length, AGENTS - 1);
      for (const { r } of lost) {
        assertError(r, 409, 'already_claimed');
        assert.equal(r.json.error.message, `Already claimed by ${winner.name}.`, describeRes(r));
      }

      // The stored state agrees with the winner.
      const stored = await fetchTicket(server, { token: agents[0].token }, t.id);
      assert.equal(stored.status, 'in_progress');
      assert.deepEqual(stored.agent, { id: winner.user.id, name: winner.name }, 'the ticket\'s agent is the winner');
      const sys = await systemMessages(server, { token: cust.token }, t.id);
      const claimed = sys.filter((m) => /claimed the ticket\.$/.test(m.body));
      assert.equal(claimed.length, 1, `exactly one "claimed the ticket" message; got ${JSON.stringify(sys.map((m) => m.body))}`);
      assert.equal(assertSystemMessage(claimed[0], t.id), `${winner.name} claimed the ticket.`);
      assert.equal(sys.length, 1, `no other system messages: ${JSON.stringify(sys.map((m) => m.body))}`);
      // The customer has exactly that one message unread.
      assert.equal((await fetchTicket(server, { token: cust.token }, t.id)).unread_count, 1);
    });
  }

  it('claims racing with a customer withdrawal: the final state is consistent', async () => {
    const t = await newTicket(server, { token: cust.token }, { subject: 'race withdraw' });
    const reqs = agents.slice(0, 4).map((a) => claimTicket(server, { token: a.token }, t.id));
    reqs.push(patchTicket(server, { token: cust.token }, t.id, { status: 'closed' }));
    const results = await Promise.all(reqs);
    const claimWins = results.slice(0, 4).filter((r) => r.status === 200);
    const withdraw = results[4];
    assert.ok(claimWins.length <= 1, `at most one claim may win: ${results.map((r) => r.status).join(',')}`);
    // The customer may withdraw an open or in_progress ticket, so the withdrawal succeeds either way.
    assert.equal(withdraw.status, 200, describeRes(withdraw));
    for (const r of results.slice(0, 4)) {
      if (r.status !== 200) assertError(r, 409, ['already_claimed', 'invalid_transition']);
    }
    const stored = await fetchTicket(server, { token: agents[0].token }, t.id);
    assert.equal(stored.status, 'closed');
    const sys = (await systemMessages(server, { token: cust.token }, t.id)).map((m) => m.body);
    assert.equal(sys.filter((b) => b.endsWith('claimed the ticket.')).length, claimWins.length, JSON.stringify(sys));
    assert.equal(sys.filter((b) => b === 'Race Customer changed the status from Open to Closed.'
      || b === 'Race Customer changed the status from In progress to Closed.').length, 1, JSON.stringify(sys));
  });
});
