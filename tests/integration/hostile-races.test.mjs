// Two agents (and the customer) at once: racing claims, PATCH against claim, closing while messages
// are in flight. Regression guards (these pass today): no 5xx, exactly one winner, the state and the
// system messages agree, and nothing is stored in a ticket after the message that closed it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, createTicket, createAgent, api } from './lib/harness.mjs';
import { allMessages, connectWs, clientId, postMessage } from './lib/chat.mjs';

let server;
let C;
let a1;
let a2;

before(async () => {
  server = await startServer();
  C = await signup(server.url, { name: 'Customer' });
  a1 = await createAgent(server, { name: 'Agent One' });
  a2 = await createAgent(server, { name: 'Agent Two' });
});

after(async () => {
  await server?.stop();
});

test('claim vs claim vs PATCH vs customer close: one winner, consistent state and history', async () => {
  for (let i = 0; i < 12; i++) {
    const t = await createTicket(server.url, C);
    const ops = [
      ['a1 claim', api(server.url, 'POST', `/api/v1/tickets/${t.id}/claim`, { token: a1.token })],
      ['a2 claim', api(server.url, 'POST', `/api/v1/tickets/${t.id}/claim`, { token: a2.token })],
      ['a1 in_progress', api(server.url, 'PATCH', `/api/v1/tickets/${t.id}`, { token: a1.token, json: { status: 'in_progress' } })],
      ['a2 in_progress', api(server.url, 'PATCH', `/api/v1/tickets/${t.id}`, { token: a2.token, json: { status: 'in_progress' } })],
      ['a2 urgent', api(server.url, 'PATCH', `/api/v1/tickets/${t.id}`, { token: a2.token, json: { priority: 'urgent' } })],
      ['customer close', api(server.url, 'PATCH', `/api/v1/tickets/${t.id}`, { token: C.token, json: { status: i % 2 ? 'closed' : 'in_progress' } })],
    ];
    const res = await Promise.all(ops.map(([, p]) => p));
    const summary = ops.map(([n], k) => `${n}=${res[k].status}`).join(', ');
    for (const r of res) assert.ok(r.status < 500, `5xx in a race: ${summary}`);
    const final = (await api(server.url, 'GET', `/api/v1/tickets/${t.id}`, { token: a1.token })).json.ticket;
    const sys = (await allMessages(server, { token: a1.token }, t.id)).filter((m) => m.kind === 'system').map((m) => m.body);
    const claims = sys.filter((b) => /claimed the ticket/.test(b));
    assert.ok(claims.length <= 1, `two claims recorded: ${JSON.stringify(sys)} (${summary})`);
    const winners = res.slice(0, 4).filter((r, k) => r.status === 200 && r.json.ticket.agent && k < 2);
    if (winners.length === 2) {
      assert.equal(winners[0].json.ticket.agent.id, winners[1].json.ticket.agent.id, `two different agents won the claim: ${summary}`);
    }
    if (final.agent) assert.equal(claims.length, 1, `assigned to ${final.agent.name} without a claim message: ${JSON.stringify(sys)}`);
    if (final.status === 'closed') assert.equal(sys.filter((b) => /to Closed/.test(b)).length, 1, JSON.stringify(sys));
    assert.ok(['open', 'in_progress', 'closed'].includes(final.status), `final status ${final.status}`);
  }
});

test('closing a ticket while REST and WS messages pour in: nothing lands after the close, every ack is stored', async () => {
  const t = await createTicket(server.url, C);
  const ws = await connectWs(server, { token: a2.token }, { label: 'agent two' });
  await ws.subscribe(t.id);
  const rest = [];
  const wsSends = [];
  for (let i = 0; i < 40; i++) {
    rest.push(postMessage(server, { token: C.token }, t.id, `rest ${i}`, clientId('r')));
    wsSends.push(ws.sendMessage(t.id, `ws ${i}`, clientId('w'), { timeout: 10_000 }));
    if (i === 20) rest.push(api(server.url, 'PATCH', `/api/v1/tickets/${t.id}`, { token: a1.token, json: { status: 'closed' } }));
  }
  const restRes = await Promise.all(rest);
  const wsRes = await Promise.all(wsSends);
  ws.terminate();
  for (const r of restRes) assert.ok([200, 201, 409].includes(r.status), `HTTP ${r.status} ${r.text}`);
  const msgs = await allMessages(server, { token: a1.token }, t.id);
  const closeMsg = msgs.find((m) => m.kind === 'system' && /to Closed/.test(m.body));
  assert.ok(closeMsg, 'the close left no system message');
  const after = msgs.filter((m) => m.id > closeMsg.id);
  assert.deepEqual(after.map((m) => m.body), [], 'messages were stored after the ticket was closed');
  const stored = new Set(msgs.map((m) => m.id));
  for (const f of wsRes) {
    if (f.type === 'ack') assert.ok(stored.has(f.message_id), `acked message ${f.message_id} is not stored`);
    else assert.equal(f.code, 'invalid_transition', JSON.stringify(f));
  }
  for (const r of restRes.filter((x) => x.json?.message)) assert.ok(stored.has(r.json.message.id));
  assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);
});
