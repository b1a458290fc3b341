// A message that got an `ack` survives kill -9 of the server (the ack is sent after commit + fsync).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { connectWs, customerWithTicket, allMessages, clientId } from './lib/chat.mjs';

let server;
let cust;

before(async () => {
  server = await startServer();
  cust = await customerWithTicket(server);
});

after(async () => {
  await server?.stop();
});

const ROUNDS = 3;
const BURST = 8; // messages sent back to back each round; kill -9 on the first ack

test(`kill -9 right after an ack, restart: every acked message is there (${ROUNDS} rounds)`, async () => {
  const T = cust.ticket.id;
  const allAcked = new Map(); // message_id -> {client_id, body}
  for (let round = 1; round <= ROUNDS; round++) {
    const ws = await connectWs(server, cust.auth, { label: `round ${round}` });
    const pid = server.proc.pid;
    const acks = [];
    let killed = false;
    const sent = new Map(); // client_id -> body
    // Kill synchronously inside the frame handler, so the server has no time to do anything
    // after sending the ack. Acks that arrive in the same read are counted too.
    ws.ws.on('message', (data) => {
      let f;
      try { f = JSON.parse(data.toString('utf8')); } catch { return; }
      if (f.type !== 'ack') return;
      acks.push(f);
      if (!killed) {
        killed = true;
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    });
    for (let i = 0; i < BURST; i++) {
      const cid = clientId(`dur-r${round}`);
      const body = `durable round ${round} #${i} ${cid}`;
      sent.set(cid, body);
      ws.send({ type: 'message', ticket_id: T, body, client_id: cid });
    }
    await ws.next('ack', { timeout: 10_000, what: 'the first ack' });
    await server.kill9(); // waits for the process to be gone
    assert.equal(server.proc.signalCode, 'SIGKILL', 'the server must have died of SIGKILL');
    await ws.closed;
    assert.ok(acks.length >= 1);
    for (const a of acks) {
      assert.ok(sent.has(a.client_id), `ack for an unknown client_id: ${JSON.stringify(a)}`);
      allAcked.set(a.message_id, { client_id: a.client_id, body: sent.get(a.client_id), round });
    }

    await server.restart();
    const msgs = await allMessages(server, cust.auth, T);
    const byId = new Map(msgs.map((m) => [m.id, m]));
    for (const [id, want] of allAcked) {
      const m = byId.get(id);
      assert.ok(m, `round ${round}: message ${id} (client_id ${want.client_id}, acked in round ${want.round}) is gone after kill -9 + restart; `
        + `stored ids: ${[...byId.keys()].join(',')}`);
      assert.equal(m.body, want.body);
      assert.equal(m.client_id, want.client_id);
    }
    // Nothing is doubled: each client_id appears at most once.
    const cids = msgs.map((m) => m.client_id).filter(Boolean);
    assert.equal(new Set(cids).size, cids.length, `a client_id is stored twice: ${cids.join(',')}`);
  }
  assert.ok(allAcked.size >= ROUNDS);
});

test('after the restarts, resending the acked client_ids stores nothing new (idempotency survives a crash)', async () => {
  const T = cust.ticket.id;
  const before = await allMessages(server, cust.auth, T);
  const ws = await connectWs(server, cust.auth, { label: 'resend' });
  try {
    for (const m of before) {
      const ack = await ws.sendMessage(T, 'resent after crash', m.client_id);
      assert.equal(ack.type, 'ack', `resend of ${m.client_id}: ${JSON.stringify(ack)}`);
      assert.equal(ack.message_id, m.id, `resend of ${m.client_id} must ack the original message ${m.id}`);
    }
  } finally {
    await ws.close();
  }
  const afterList = await allMessages(server, cust.auth, T);
  assert.deepEqual(afterList.map((m) => m.id), before.map((m) => m.id));
});
