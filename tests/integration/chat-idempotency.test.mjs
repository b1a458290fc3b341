// `message` frames are idempotent on client_id: a resend after a reconnect, a resend on the same
// socket and a REST POST with the same client_id all store exactly one message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createAgent, sleep } from './lib/harness.mjs';
import { connectWs, customerWithTicket, allMessages, postMessage, clientId, listMessages } from './lib/chat.mjs';

let server;
let cust;
let agent;

before(async () => {
  server = await startServer();
  cust = await customerWithTicket(server);
  agent = await createAgent(server);
});

after(async () => {
  await server?.stop();
});

async function storedWith(cid) {
  const msgs = await allMessages(server, cust.auth, cust.ticket.id);
  return msgs.filter((m) => m.client_id === cid);
}

for (const how of ['close', 'terminate']) {
  test(`the same client_id resent after a reconnect (socket ${how === 'close' ? 'closed' : 'dropped'} before the ack) stores exactly one message`, async () => {
    const T = cust.ticket.id;
    const cid = clientId(`reconnect-${how}`);
    const ws1 = await connectWs(server, cust.auth, { label: 'first socket' });
    ws1.send({ type: 'message', ticket_id: T, body: `first try (${how})`, client_id: cid });
    // Gone before the ack could be read.
    if (how === 'close') await ws1.close();
    else await ws1.terminate();
    // (an ack may still arrive during the close handshake; the client never uses it)

    const ws2 = await connectWs(server, cust.auth, { label: 'second socket' });
    try {
      const { replay } = await ws2.subscribe(T);
      const m = ws2.mark();
      const ack = await ws2.sendMessage(T, `second try (${how})`, cid);
      assert.equal(ack.type, 'ack', `resend must be acked: ${JSON.stringify(ack)}`);
      const stored = await storedWith(cid);
      assert.equal(stored.length, 1, `exactly one message with client_id ${cid} must be stored, got ${JSON.stringify(stored)}`);
      assert.equal(ack.message_id, stored[0].id, 'the ack names the stored message');
      // If the first try was stored (the usual case), the resend returns it unchanged.
      const firstStored = replay.find((x) => x.client_id === cid);
      if (firstStored) {
        assert.equal(stored[0].body, `first try (${how})`, 'a repeat keeps the original body');
      }
      // The sender sees the message once after its ack.
      const msgFrame = await ws2.next((f) => f.type === 'message' && f.message.id === ack.message_id,
        { what: `the message frame for ${ack.message_id}` });
      assert.equal(msgFrame.message.client_id, cid);
      await sleep(200);
      // The first try may be committed only after ws2 subscribed, so ws2 may also get it as a live
      // broadcast; every copy must be the one stored message.
      const copies = ws2.since(m, (f) => f.type === 'message' && f.message.client_id === cid);
      assert.ok(copies.length >= 1 && copies.length <= 2, `message frames for ${cid}: ${JSON.stringify(copies)}`);
      for (const c of copies) assert.equal(c.message.id, ack.message_id, `a second message for ${cid}: ${JSON.stringify(copies)}`);
    } finally {
      await ws2.close();
    }
  });
}

test('the same client_id twice on one socket: same message_id, the original to the sender only, no re-broadcast', async () => {
  const T = cust.ticket.id;
  const cid = clientId('twice');
  const sender = await connectWs(server, cust.auth, { label: 'sender (customer)' });
  const other = await connectWs(server, agent, { label: 'other (agent)' });
  try {
    await sender.subscribe(T);
    await other.subscribe(T);

    const ack1 = await sender.sendMessage(T, 'original body', cid);
    assert.equal(ack1.type, 'ack', JSON.stringify(ack1));
    assert.equal(ack1.client_id, cid);
    const first = await sender.next((f) => f.type === 'message' && f.message.id === ack1.message_id);
    assert.equal(first.message.body, 'original body');
    await other.next((f) => f.type === 'message' && f.message.id === ack1.message_id, { what: 'the broadcast to the other member' });

    const otherMark = other.mark();
    const senderMark = sender.mark();
    const ack2 = await sender.sendMessage(T, 'a different body', cid);
    assert.equal(ack2.type, 'ack', JSON.stringify(ack2));
    assert.equal(ack2.message_id, ack1.message_id, 'a repeated client_id must be acked with the original message_id');
    const again = await sender.next((f) => f.type === 'message' && f.message.id === ack1.message_id,
      { what: 'the original message sent again to the sender' });
    assert.equal(again.message.body, 'original body', 'the repeat answers with the original message');
    assert.equal(again.message.client_id, cid);
    const ackIdx = sender.frames.indexOf(ack2);
    assert.ok(sender.frames.indexOf(again) > ackIdx, 'the message frame comes after the ack');
    await sleep(400);
    await other.noneSince(otherMark, (f) => f.type === 'message', 0, 'a repeated client_id must not be re-broadcast');
    assert.equal(sender.since(senderMark, (f) => f.type === 'message').length, 1, 'the sender gets the original exactly once');

    const stored = await storedWith(cid);
    assert.equal(stored.length, 1, `one message stored, got ${JSON.stringify(stored)}`);

    // REST with the same client_id: 200 with the original.
    const res = await postMessage(server, cust.auth, T, 'yet another body', cid);
    assert.equal(res.status, 200, `a repeated client_id over REST must answer 200, got ${res.status} ${res.text}`);
    assert.equal(res.json.message.id, ack1.message_id);
    assert.equal(res.json.message.body, 'original body');
    await sleep(300);
    await other.noneSince(otherMark, (f) => f.type === 'message', 0, 'a REST repeat must not be broadcast either');
    assert.equal((await storedWith(cid)).length, 1);
  } finally {
    await sender.close();
    await other.close();
  }
});

test('the same client_id from two different users stores two messages (idempotency is per user)', async () => {
  const T = cust.ticket.id;
  const cid = clientId('shared');
  const a = await postMessage(server, cust.auth, T, 'from the customer', cid);
  const b = await postMessage(server, agent, T, 'from the agent', cid);
  assert.equal(a.status, 201, a.text);
  assert.equal(b.status, 201, b.text);
  assert.notEqual(a.json.message.id, b.json.message.id);
  const res = await listMessages(server, cust.auth, T, { limit: 200 });
  assert.equal(res.json.items.filter((m) => m.client_id === cid).length, 2);
});
