// 1,000 messages into one room from two senders at once: a reader receives all of them, in order,
// none lost, none doubled; a reader that drops and resubscribes with `after` also ends up with all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createAgent, sleep } from './lib/harness.mjs';
import { connectWs, customerWithTicket, postMessage, allMessages, clientId, pool } from './lib/chat.mjs';

const TOTAL = 1000;
const WS_SENT = 40; // sent by the agent as WS `message` frames (within the burst of the rate limit)
const REST_CONCURRENCY = 8; // per sender

let server;
let A;
let agent;
let agent2;

before(async () => {
  server = await startServer();
  A = await customerWithTicket(server, { name: 'Alice Customer' });
  agent = await createAgent(server, { name: 'Agent One' });
  agent2 = await createAgent(server, { name: 'Agent Two (reader)' });
});

after(async () => {
  await server?.stop();
});

test(`${TOTAL} messages from two senders reach a third connection in order, none lost or doubled`, { timeout: 60_000 }, async () => {
  const T = A.ticket.id;
  const reader = await connectWs(server, agent2, { label: 'reader' });
  const sub = await reader.subscribe(T);
  assert.equal(sub.replay.length, 0);
  // a second reader that drops half way and resubscribes with after = the last id it holds
  let flaky = await connectWs(server, A.auth, { label: 'flaky reader' });
  await flaky.subscribe(T);
  const flakyHeld = [];
  const wsSender = await connectWs(server, agent, { label: 'agent WS sender' });

  const restA = TOTAL / 2;
  const restG = TOTAL / 2 - WS_SENT;
  const postedIds = [];
  const t0 = Date.now();
  const sendRest = (auth, who, n) => pool(Array.from({ length: n }, (_, i) => async () => {
    const res = await postMessage(server, auth, T, `${who} #${i}`, clientId(who));
    assert.equal(res.status, 201, `${who} #${i}: HTTP ${res.status} ${res.text}`);
    postedIds.push(res.json.message.id);
  }), REST_CONCURRENCY);
  const sendWs = async () => {
    const cids = [];
    for (let i = 0; i < WS_SENT; i++) {
      const cid = clientId('ws');
      cids.push(cid);
      wsSender.send({ type: 'message', ticket_id: T, body: `ws #${i}`, client_id: cid });
      await sleep(5);
    }
    for (const cid of cids) {
      const ack = await wsSender.next((f) => (f.type === 'ack' && f.client_id === cid) || (f.type === 'error' && f.ref === cid),
        { timeout: 20_000, what: `ack for ${cid}` });
      assert.equal(ack.type, 'ack', `WS message refused: ${JSON.stringify(ack)}`);
      postedIds.push(ack.message_id);
    }
  };
  const flakyCycle = async () => {
    // wait until it holds some messages, drop it, reconnect and resubscribe with after
    await flaky.next((f) => f.type === 'message' && f.message.ticket_id === T && f.message.body.endsWith('#100'),
      { timeout: 20_000, what: 'message #100' });
    flakyHeld.push(...flaky.all('message').map((f) => f.message.id));
    await flaky.terminate();
    await sleep(50);
    flaky = await connectWs(server, A.auth, { label: 'flaky reader (again)' });
    await flaky.subscribe(T, flakyHeld.at(-1));
  };
  await Promise.all([sendRest(A.auth, 'customer', restA), sendRest(agent, 'agent', restG), sendWs(), flakyCycle()]);
  const sendMs = Date.now() - t0;

  assert.equal(postedIds.length, TOTAL);
  assert.equal(new Set(postedIds).size, TOTAL, 'two sends got the same message id');
  const expected = [...postedIds].sort((a, b) => a - b);

  const waitAll = async (c, have) => {
    const deadline = Date.now() + 20_000;
    while (have() < TOTAL && Date.now() < deadline) await sleep(50);
  };
  const readerIds = () => reader.all((f) => f.type === 'message' && f.message.ticket_id === T).map((f) => f.message.id);
  await waitAll(reader, () => readerIds().length);
  const got = readerIds();
  const missing = expected.filter((id) => !got.includes(id));
  assert.equal(missing.length, 0, `the reader lost ${missing.length} of ${TOTAL} messages, e.g. ${missing.slice(0, 10).join(',')}`);
  assert.equal(got.length, TOTAL, `the reader got ${got.length} message frames (doubles?)`);
  for (let i = 1; i < got.length; i++) {
    assert.ok(got[i] > got[i - 1], `message ids out of order at position ${i}: ${got[i - 1]} then ${got[i]}`);
  }
  assert.deepEqual(got, expected);

  const flakyIds = () => [...flakyHeld, ...flaky.all((f) => f.type === 'message' && f.message.ticket_id === T).map((f) => f.message.id)];
  await waitAll(flaky, () => flakyIds().length);
  const fl = flakyIds();
  assert.equal(new Set(fl).size, fl.length, 'the reader that resubscribed with after got a message twice');
  assert.deepEqual(fl, expected, 'the reader that resubscribed with after must hold every message exactly once, in order');

  // the store agrees
  const stored = await allMessages(server, A.auth, T);
  assert.deepEqual(stored.map((m) => m.id), expected);
  assert.ok(sendMs < 45_000, `sending ${TOTAL} messages took ${sendMs} ms`);
  for (const c of [reader, flaky, wsSender]) await c.close();
});
