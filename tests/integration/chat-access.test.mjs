// Access to a ticket's chat: another customer can neither subscribe nor post (WS error not_found
// with ref; REST 404), and a closed ticket takes no messages (WS invalid_transition; REST 409).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createAgent, api, assertError, sleep } from './lib/harness.mjs';
import {
  connectWs, customerWithTicket, postMessage, postMessageOk, listMessages, allMessages, clientId, aboutTicket, dbQuery, me,
} from './lib/chat.mjs';

let server;
let A;
let B;
let agent;

before(async () => {
  server = await startServer();
  A = await customerWithTicket(server, { name: 'Alice Customer' });
  B = await customerWithTicket(server, { name: 'Bob Customer' });
  agent = await createAgent(server);
  await postMessageOk(server, A.auth, A.ticket.id, 'a private detail of Alice', clientId('a'));
});

after(async () => {
  await server?.stop();
});

const j = (x) => JSON.stringify(x);

function assertErrorFrame(f, code, ref, what) {
  assert.equal(f.type, 'error', `${what}: expected an error frame, got ${j(f)}`);
  assert.equal(f.code, code, `${what}: error code: ${j(f)}`);
  assert.equal(f.ref, ref, `${what}: error ref must echo ${j(ref)}: ${j(f)}`);
  assert.equal(typeof f.message, 'string', `${what}: error.message: ${j(f)}`);
  assert.ok(f.message.length > 0, `${what}: empty error message: ${j(f)}`);
}

test("a customer cannot subscribe to another customer's ticket over WS (error not_found, ref = ticket_id)", async () => {
  const T = A.ticket.id;
  const wa = await connectWs(server, A.auth, { label: 'A' });
  const wb = await connectWs(server, B.auth, { label: 'B' });
  try {
    await wa.subscribe(T);
    const ma = wa.mark();
    wb.send({ type: 'subscribe', ticket_id: T });
    const err = await wb.next((f) => f.type === 'error' || f.type === 'subscribed', { what: 'the answer to a foreign subscribe' });
    assertErrorFrame(err, 'not_found', T, "B subscribing to A's ticket");
    // the same answer as for a ticket that does not exist (no enumeration)
    wb.send({ type: 'subscribe', ticket_id: 987654 });
    const err2 = await wb.next((f) => f.type === 'error' || f.type === 'subscribed');
    assertErrorFrame(err2, 'not_found', 987654, 'subscribing to a ticket that does not exist');

    // B is not in the room: A's next message does not reach B, and A does not see B in presence
    await postMessageOk(server, A.auth, T, 'Alice again', clientId('a'));
    await wa.next((f) => f.type === 'message' && f.message.body === 'Alice again');
    await sleep(300);
    assert.deepEqual(wb.all((f) => aboutTicket(f, T) && f.type !== 'error'), [], 'B got frames about A\'s ticket');
    for (const p of wa.since(ma, 'presence')) {
      assert.ok(!p.online.some((u) => u.id === B.user.id), `B appears in the presence of A's ticket: ${j(p)}`);
    }
    // typing and read frames of B for A's ticket reach nobody
    wb.send({ type: 'typing', ticket_id: T, state: true });
    wb.send({ type: 'read', ticket_id: T, up_to: 999999 });
    await sleep(500);
    await wa.noneSince(ma, (f) => (f.type === 'typing' || f.type === 'read') && (f.user?.id === B.user.id || f.user_id === B.user.id), 0,
      "B's typing/read for A's ticket reached A");
    // whatever B gets for those, it is no content of A's ticket
    assert.deepEqual(wb.all((f) => f.type === 'message' || f.type === 'subscribed' || f.type === 'ticket'), [],
      'B received content');
  } finally {
    await wa.close();
    await wb.close();
  }
});

test("a customer cannot post into another customer's ticket over WS (error not_found, ref = client_id)", async () => {
  const T = A.ticket.id;
  const before = await allMessages(server, A.auth, T);
  const wb = await connectWs(server, B.auth, { label: 'B' });
  try {
    const cid = clientId('intruder');
    wb.send({ type: 'message', ticket_id: T, body: 'let me in', client_id: cid });
    const err = await wb.next((f) => f.type === 'error' || f.type === 'ack', { what: 'the answer to a foreign message' });
    assertErrorFrame(err, 'not_found', cid, "B posting into A's ticket");
    const cid2 = clientId('nowhere');
    wb.send({ type: 'message', ticket_id: 987654, body: 'anyone?', client_id: cid2 });
    const err2 = await wb.next((f) => f.type === 'error' || f.type === 'ack');
    assertErrorFrame(err2, 'not_found', cid2, 'posting into a ticket that does not exist');
  } finally {
    await wb.close();
  }
  const afterList = await allMessages(server, A.auth, T);
  assert.deepEqual(afterList.map((m) => m.id), before.map((m) => m.id), 'a refused message was stored');
});

test("a customer cannot read, post into or mark read another customer's ticket over REST (404 not_found)", async () => {
  const T = A.ticket.id;
  const before = await allMessages(server, A.auth, T);
  assertError(await listMessages(server, B.auth, T), 404, 'not_found');
  assertError(await postMessage(server, B.auth, T, 'let me in', clientId('rest')), 404, 'not_found');
  assertError(await postMessage(server, B.auth, T, 'no client id'), 404, 'not_found');
  assertError(await api(server.url, 'POST', `/api/v1/tickets/${T}/read`, { ...B.auth, json: { up_to: 1 } }), 404, 'not_found');
  // indistinguishable from a ticket that does not exist
  assertError(await listMessages(server, B.auth, 987654), 404, 'not_found');
  assertError(await postMessage(server, B.auth, 987654, 'x'), 404, 'not_found');
  const afterList = await allMessages(server, A.auth, T);
  assert.deepEqual(afterList.map((m) => m.id), before.map((m) => m.id), 'a refused message was stored');
  // and unauthenticated: 401
  assertError(await listMessages(server, {}, T), 401, 'unauthenticated');
  assertError(await postMessage(server, {}, T, 'x'), 401, 'unauthenticated');
});

test('any agent may read and write any ticket (claimed or not)', async () => {
  const T = B.ticket.id;
  const g = await connectWs(server, agent, { label: 'agent' });
  try {
    await g.subscribe(T);
    const ack = await g.sendMessage(T, 'an agent answers', clientId('ag'));
    assert.equal(ack.type, 'ack', j(ack));
  } finally {
    await g.close();
  }
  const res = await listMessages(server, agent, T);
  assert.equal(res.status, 200);
  assert.ok(res.json.items.some((m) => m.body === 'an agent answers'));
});

test('a closed ticket refuses messages: WS error invalid_transition (ref = client_id), REST 409', async () => {
  const C = await customerWithTicket(server, { name: 'Carol Customer' });
  const T = C.ticket.id;
  await postMessageOk(server, C.auth, T, 'before closing', clientId('c'));
  const wc = await connectWs(server, C.auth, { label: 'C' });
  const g = await connectWs(server, agent, { label: 'agent' });
  try {
    await wc.subscribe(T);
    await g.subscribe(T);
    // PATCH is not in the server yet: close the ticket in the database directly.
    await dbQuery(server, `UPDATE tickets SET status='closed' WHERE id=${T}`);
    const before = await allMessages(server, C.auth, T);
    const mg = g.mark();

    const cid = clientId('closed-ws');
    wc.send({ type: 'message', ticket_id: T, body: 'is anyone there?', client_id: cid });
    const err = await wc.next((f) => (f.type === 'error' && f.ref === cid) || (f.type === 'ack' && f.client_id === cid),
      { what: 'the answer to a message into a closed ticket' });
    assertErrorFrame(err, 'invalid_transition', cid, 'customer posting into a closed ticket over WS');

    const cidg = clientId('closed-ws-agent');
    g.send({ type: 'message', ticket_id: T, body: 'agent too', client_id: cidg });
    const errg = await g.next((f) => (f.type === 'error' && f.ref === cidg) || (f.type === 'ack' && f.client_id === cidg));
    assertErrorFrame(errg, 'invalid_transition', cidg, 'agent posting into a closed ticket over WS');

    assertError(await postMessage(server, C.auth, T, 'REST try', clientId('closed-rest')), 409, 'invalid_transition');
    assertError(await postMessage(server, agent, T, 'REST try by the agent'), 409, 'invalid_transition');

    await sleep(300);
    await g.noneSince(mg, 'message', 0, 'a message into a closed ticket was broadcast');
    const afterList = await allMessages(server, C.auth, T);
    assert.deepEqual(afterList.map((m) => m.id), before.map((m) => m.id), 'a message into a closed ticket was stored');
    // the history stays readable
    assert.equal((await listMessages(server, C.auth, T)).status, 200);
    assert.equal((await me(server, C.auth)).user.id, C.user.id);
  } finally {
    await wc.close();
    await g.close();
  }
});
