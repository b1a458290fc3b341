// WebSocket `subscribe` replay: every message with id > after, in order, then `subscribed`, then live.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createAgent } from './lib/harness.mjs';
import { connectWs, customerWithTicket, postMessageOk, clientId } from './lib/chat.mjs';

// Frames that may legitimately interleave (they are not about the replay order).
const NOISE = ['presence', 'ticket', 'unread', 'typing', 'read'];

let server;
let cust;
let agent;
let posted; // the 10 messages, oldest first

before(async () => {
  server = await startServer();
  cust = await customerWithTicket(server);
  agent = await createAgent(server);
  posted = [];
  for (let i = 1; i <= 10; i++) {
    const who = i % 2 ? cust.auth : agent;
    posted.push(await postMessageOk(server, who, cust.ticket.id, `message number ${i}`, clientId('replay')));
  }
  for (let i = 1; i < posted.length; i++) {
    assert.ok(posted[i].id > posted[i - 1].id, `message ids must grow: ${posted[i - 1].id} then ${posted[i].id}`);
  }
});

after(async () => {
  await server?.stop();
});

test('subscribe with after = the 4th id replays exactly messages 5..10 in order, then subscribed, then live ones', async () => {
  const T = cust.ticket.id;
  const ws = await connectWs(server, cust.auth, { label: 'customer' });
  try {
    ws.skipAll(); // hello
    ws.send({ type: 'subscribe', ticket_id: T, after: posted[3].id });
    const replayed = [];
    for (;;) {
      const f = await ws.nextFrame({ skip: NOISE });
      if (f.type === 'subscribed') {
        assert.equal(f.ticket_id, T, `subscribed for the wrong ticket: ${JSON.stringify(f)}`);
        assert.ok(Array.isArray(f.presence), `subscribed.presence must be an array: ${JSON.stringify(f)}`);
        assert.ok(f.presence.some((u) => u.id === cust.user.id), `subscribed.presence must list the subscriber: ${JSON.stringify(f)}`);
        break;
      }
      assert.equal(f.type, 'message', `only message frames may come before "subscribed", got ${JSON.stringify(f)}`);
      replayed.push(f.message);
      assert.ok(replayed.length <= 10, 'too many replayed messages');
    }
    assert.deepEqual(replayed.map((m) => m.id), posted.slice(4).map((m) => m.id),
      'the replay must be exactly messages 5..10 (ids > after), oldest first');
    assert.deepEqual(replayed.map((m) => m.body), posted.slice(4).map((m) => m.body));
    for (const [i, m] of replayed.entries()) {
      const p = posted[4 + i];
      assert.equal(m.ticket_id, T);
      assert.equal(m.kind, 'text');
      assert.equal(m.client_id, p.client_id);
      assert.deepEqual(m.author, p.author);
      assert.equal(m.created_at, p.created_at);
    }

    // A live message (from the agent, over REST) arrives after the replay.
    const live = await postMessageOk(server, agent, T, 'a live one', clientId('live'));
    const f = await ws.nextFrame({ skip: NOISE });
    assert.equal(f.type, 'message', `expected the live message next, got ${JSON.stringify(f)}`);
    assert.equal(f.message.id, live.id);
    assert.equal(f.message.body, 'a live one');
    assert.ok(f.message.id > posted[9].id);
  } finally {
    await ws.close();
  }
});

test('subscribe without after replays all messages; after = the newest id replays none', async () => {
  const T = cust.ticket.id;
  const ws = await connectWs(server, cust.auth, { label: 'customer-2' });
  try {
    const all = await ws.subscribe(T);
    const ids = all.replay.map((m) => m.id);
    assert.ok(ids.length >= 10, `expected at least the 10 messages, got ${ids.length}`);
    assert.deepEqual(ids.slice(0, 10), posted.map((m) => m.id), 'the full replay starts with the 10 messages, in order');
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `replay out of order: ${ids.join(',')}`);
    ws.send({ type: 'unsubscribe', ticket_id: T });

    const newest = ids.at(-1);
    const none = await ws.subscribe(T, newest);
    assert.deepEqual(none.replay.map((m) => m.id), [], `after = newest id must replay nothing`);

    // a second subscribe of the same socket, with an after in the middle, replays from there
    ws.send({ type: 'unsubscribe', ticket_id: T });
    const some = await ws.subscribe(T, posted[7].id);
    assert.deepEqual(some.replay.map((m) => m.id), ids.filter((id) => id > posted[7].id));
  } finally {
    await ws.close();
  }
});
