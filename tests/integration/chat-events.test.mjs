// Who gets which real-time event: presence, typing, read receipts, unread counts, ticket events.
//
// Cast: customer A (Alice) with ticket T, an agent (two browser tabs g1, g2) in T's room, and
// customer B (Bob) with his own ticket TB. A has a second tab (wa2) that is not in the room.
// B must never see anything about T. The tests in this file run in order and share the cast.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createAgent, createTicket, api, sleep } from './lib/harness.mjs';
import {
  connectWs, customerWithTicket, postMessageOk, markRead, me, getTicket, clientId, aboutTicket, dbQuery,
} from './lib/chat.mjs';

let server;
let A; // {auth, user, ticket}
let B;
let agent;
let T;
let TB;
let wa; // A, in T's room
let wa2; // A, second tab, never subscribed
let g1; // agent tab 1, in T's room
let g2; // agent tab 2, in T's room
let wb; // B, in TB's room

const idsOf = (list) => list.map((u) => u.id).sort((x, y) => x - y);
const j = (x) => JSON.stringify(x);

function presenceOf(f) {
  return f.type === 'presence' ? f.online : f.presence;
}

function assertPresence(f, expectIds, what) {
  const list = presenceOf(f);
  assert.ok(Array.isArray(list), `${what}: no presence list in ${j(f)}`);
  assert.deepEqual(idsOf(list), [...expectIds].sort((x, y) => x - y), `${what}: ${j(f)}`);
  for (const u of list) {
    assert.equal(typeof u.name, 'string', `presence entry without name: ${j(f)}`);
    assert.ok(['customer', 'agent'].includes(u.role), `presence entry without role: ${j(f)}`);
  }
}

async function connectAgentTab(label) {
  const c = await connectWs(server, agent, { label });
  await c.subscribe(T);
  return c;
}

before(async () => {
  server = await startServer();
  A = await customerWithTicket(server, { name: 'Alice Customer', subject: 'Alice cannot log in' });
  B = await customerWithTicket(server, { name: 'Bob Customer', subject: 'Bob has a billing question' });
  agent = await createAgent(server, { name: 'Agent Smith' });
  T = A.ticket.id;
  TB = B.ticket.id;
  wa = await connectWs(server, A.auth, { label: 'A tab 1' });
  wa2 = await connectWs(server, A.auth, { label: 'A tab 2 (not in the room)' });
  wb = await connectWs(server, B.auth, { label: 'B' });
  await wb.subscribe(TB);
});

after(async () => {
  for (const c of [wa, wa2, g1, g2, wb]) await c?.terminate();
  await server?.stop();
});

test('presence: both sides listed, an agent with two tabs counted once and online until the last tab leaves', async () => {
  const sub = await wa.subscribe(T);
  assertPresence(sub.subscribed, [A.user.id], 'A alone in the room');

  let m = wa.mark();
  g1 = await connectWs(server, agent, { label: 'agent tab 1' });
  const s1 = await g1.subscribe(T);
  assertPresence(s1.subscribed, [A.user.id, agent.user.id], 'the agent joins: subscribed.presence');
  const p1 = await wa.next((f) => f.type === 'presence' && f.ticket_id === T && f.online.some((u) => u.id === agent.user.id),
    { what: 'presence with the agent' });
  assertPresence(p1, [A.user.id, agent.user.id], 'A sees the agent join');
  assert.equal(p1.online.find((u) => u.id === agent.user.id).role, 'agent');
  assert.equal(p1.online.find((u) => u.id === agent.user.id).name, 'Agent Smith');

  // second tab of the same agent: still listed once
  m = wa.mark();
  g2 = await connectWs(server, agent, { label: 'agent tab 2' });
  const s2 = await g2.subscribe(T);
  assertPresence(s2.subscribed, [A.user.id, agent.user.id], 'second agent tab: subscribed.presence lists the agent once');
  await sleep(300);
  for (const f of wa.since(m, (x) => x.type === 'presence')) assertPresence(f, [A.user.id, agent.user.id], 'presence after the second tab');

  // one tab closes: the agent stays online
  m = wa.mark();
  await g2.close();
  await sleep(500);
  for (const f of wa.since(m, (x) => x.type === 'presence')) {
    assertPresence(f, [A.user.id, agent.user.id], 'after one of two agent tabs closed, the agent is still online');
  }
  const last = wa.all('presence').at(-1);
  assertPresence(last, [A.user.id, agent.user.id], 'the latest presence A holds');

  // the last tab closes: the agent leaves
  await g1.close();
  const gone = await wa.next((f) => f.type === 'presence' && f.ticket_id === T && !f.online.some((u) => u.id === agent.user.id),
    { what: 'presence without the agent after the last tab closed' });
  assertPresence(gone, [A.user.id], 'after both tabs closed');

  // both agent tabs back; A leaves (unsubscribe) and comes back: presence follows
  g1 = await connectAgentTab('agent tab 1 (again)');
  g2 = await connectAgentTab('agent tab 2 (again)');
  m = g1.mark();
  wa.send({ type: 'unsubscribe', ticket_id: T });
  const left = await g1.next((f) => f.type === 'presence' && !f.online.some((u) => u.id === A.user.id),
    { what: 'presence without A after she unsubscribed' });
  assertPresence(left, [agent.user.id], 'A unsubscribed');
  await wa.subscribe(T);
  const back = await g1.next((f) => f.type === 'presence' && f.online.some((u) => u.id === A.user.id),
    { what: 'presence with A again' });
  assertPresence(back, [A.user.id, agent.user.id], 'A back');
  await sleep(200);
});

test('typing reaches the other users in the room only, never the typist (or their other tabs)', async () => {
  const isTyping = (userId, state) => (f) => f.type === 'typing' && f.ticket_id === T && f.user?.id === userId && f.state === state;
  const marks = new Map([[wa, wa.mark()], [wa2, wa2.mark()], [g1, g1.mark()], [g2, g2.mark()]]);

  wa.send({ type: 'typing', ticket_id: T, state: true });
  const t1 = await g1.next(isTyping(A.user.id, true), { what: 'A typing (true) at agent tab 1' });
  await g2.next(isTyping(A.user.id, true), { what: 'A typing (true) at agent tab 2' });
  assert.equal(t1.user.name, 'Alice Customer');
  wa.send({ type: 'typing', ticket_id: T, state: false });
  await g1.next(isTyping(A.user.id, false), { what: 'A stops typing (false) at agent tab 1' });
  await g2.next(isTyping(A.user.id, false), { what: 'A stops typing (false) at agent tab 2' });

  g1.send({ type: 'typing', ticket_id: T, state: true });
  await wa.next(isTyping(agent.user.id, true), { what: 'agent typing (true) at A' });
  g1.send({ type: 'typing', ticket_id: T, state: false });
  await wa.next(isTyping(agent.user.id, false), { what: 'agent stops typing at A' });
  await sleep(300);

  await wa.noneSince(marks.get(wa), (f) => f.type === 'typing' && f.user?.id === A.user.id, 0, 'the typist got her own typing');
  await wa2.noneSince(marks.get(wa2), (f) => f.type === 'typing', 0, 'a tab outside the room got typing');
  await g1.noneSince(marks.get(g1), (f) => f.type === 'typing' && f.user?.id === agent.user.id, 0, 'the typist got his own typing');
  await g2.noneSince(marks.get(g2), (f) => f.type === 'typing' && f.user?.id === agent.user.id, 0,
    "the typist's other tab got his own typing");
});

test('typing: state false when the typist unsubscribes or disconnects', async () => {
  const isTyping = (userId, state) => (f) => f.type === 'typing' && f.ticket_id === T && f.user?.id === userId && f.state === state;
  // unsubscribe
  wa.send({ type: 'typing', ticket_id: T, state: true });
  await g1.next(isTyping(A.user.id, true));
  wa.send({ type: 'unsubscribe', ticket_id: T });
  await g1.next(isTyping(A.user.id, false), { timeout: 3000, what: 'typing false after A unsubscribed' });
  await g1.next((f) => f.type === 'presence' && !f.online.some((u) => u.id === A.user.id));
  await wa.subscribe(T);
  await g1.next((f) => f.type === 'presence' && f.online.some((u) => u.id === A.user.id));

  // disconnect: A's only tab in the room types, then drops (her tab outside the room stays)
  wa.send({ type: 'typing', ticket_id: T, state: true });
  await g1.next(isTyping(A.user.id, true));
  await wa.terminate();
  await g1.next(isTyping(A.user.id, false), { timeout: 3000, what: 'typing false after the typist disconnected' });
  await g1.next((f) => f.type === 'presence' && !f.online.some((u) => u.id === A.user.id), { what: 'A gone from presence' });
  wa = await connectWs(server, A.auth, { label: 'A tab 1 (again)' });
  await wa.subscribe(T);
  await g1.next((f) => f.type === 'presence' && f.online.some((u) => u.id === A.user.id));
});

// The indicator belongs to the tab that typed: when that tab goes, so does the indicator.
test('typing: state false when the typing tab disconnects while the same user has another tab in the room', async () => {
  const isTyping = (userId, state) => (f) => f.type === 'typing' && f.ticket_id === T && f.user?.id === userId && f.state === state;
  const extra = await connectAgentTab('agent tab 3 (typing, then dropped)');
  try {
    extra.send({ type: 'typing', ticket_id: T, state: true });
    await wa.next(isTyping(agent.user.id, true));
    const m = wa.mark();
    const t0 = Date.now();
    await extra.terminate();
    try {
      await wa.next(isTyping(agent.user.id, false), { timeout: 3000, what: 'typing false within 3 s after the typing tab disconnected (agent tabs 1 and 2 stay)' });
    } finally {
      // whatever happened, let the 6 s expiry pass so that the next tests start clean
      const left = 6500 - (Date.now() - t0);
      if (left > 0 && !wa.since(m, isTyping(agent.user.id, false)).length) await wa.next(isTyping(agent.user.id, false), { timeout: left + 2000 }).catch(() => {});
    }
    for (const f of wa.since(m, 'presence')) assertPresence(f, [A.user.id, agent.user.id], 'agent still online with tabs 1 and 2');
  } finally {
    await extra.terminate();
  }
});

test('typing expires after 6 s without renewal', async () => {
  const isTyping = (state) => (f) => f.type === 'typing' && f.ticket_id === T && f.user?.id === A.user.id && f.state === state;
  wa.send({ type: 'typing', ticket_id: T, state: true });
  await g1.next(isTyping(true));
  const t0 = Date.now();
  await g1.next(isTyping(false), { timeout: 9000, what: 'typing false after 6 s without renewal' });
  const dt = Date.now() - t0;
  assert.ok(dt >= 5000 && dt <= 8000, `typing expired after ${dt} ms, expected about 6000`);
});

test('unread counts and read receipts go to exactly the right connections', async () => {
  const marks = new Map([[wa, wa.mark()], [wa2, wa2.mark()], [g1, g1.mark()], [g2, g2.mark()], [wb, wb.mark()]]);
  assert.equal((await me(server, A.auth)).unread_total, 0, 'A starts with nothing unread');

  // the agent sends 3 messages
  const sent = [];
  for (let i = 1; i <= 3; i++) {
    const ack = await g1.sendMessage(T, `agent reply ${i}`, clientId('ev'));
    assert.equal(ack.type, 'ack', j(ack));
    sent.push(ack.message_id);
  }
  const lastId = sent.at(-1);
  const unread3 = (f) => f.type === 'unread' && f.ticket_id === T && f.count === 3;
  for (const c of [wa, wa2]) {
    const u = await c.next(unread3, { what: 'unread count 3 for T' });
    assert.equal(u.unread_total, 3, `A's unread_total: ${j(u)}`);
  }
  await sleep(300);
  for (const c of [wa, wa2]) {
    const counts = c.since(marks.get(c), (f) => f.type === 'unread' && f.ticket_id === T).map((f) => f.count);
    for (let i = 1; i < counts.length; i++) assert.ok(counts[i] >= counts[i - 1], `${c.label}: unread counts went down: ${counts}`);
    assert.equal(counts.at(-1), 3, `${c.label}: last unread count ${counts}`);
  }
  // the sender's own messages are not unread for him
  for (const c of [g1, g2]) {
    await c.noneSince(marks.get(c), (f) => f.type === 'unread' && f.ticket_id === T && f.count !== 0, 0,
      'the sender got a non-zero unread for his own messages');
  }
  assert.equal((await me(server, A.auth)).unread_total, 3, 'GET /me unread_total for A');
  assert.equal((await getTicket(server, A.auth, T)).unread_count, 3, "A's Ticket.unread_count");
  assert.equal((await getTicket(server, agent, T)).unread_count, 0, "the agent's Ticket.unread_count (his own messages)");

  // A reads up to the last one (over WS)
  for (const c of [wa, wa2, g1, g2]) marks.set(c, c.mark());
  wa.send({ type: 'read', ticket_id: T, up_to: lastId });
  for (const c of [g1, g2]) {
    const r = await c.next((f) => f.type === 'read' && f.ticket_id === T, { what: "A's read receipt" });
    assert.deepEqual({ user_id: r.user_id, up_to: r.up_to }, { user_id: A.user.id, up_to: lastId }, j(r));
  }
  for (const c of [wa, wa2]) {
    const u = await c.next((f) => f.type === 'unread' && f.ticket_id === T && f.count === 0, { what: 'unread 0 after reading' });
    assert.equal(u.unread_total, 0, j(u));
  }
  await sleep(300);
  await wa.noneSince(marks.get(wa), (f) => f.type === 'read', 0, 'the reader got her own read receipt');
  await wa2.noneSince(marks.get(wa2), (f) => f.type === 'read', 0, "the reader's other tab (outside the room) got a read receipt");
  for (const c of [g1, g2]) {
    await c.noneSince(marks.get(c), (f) => f.type === 'unread' && f.ticket_id === T && f.count !== 0, 0,
      "A's read changed the agent's unread");
  }
  assert.equal((await me(server, A.auth)).unread_total, 0, 'GET /me after reading');
  assert.equal((await getTicket(server, A.auth, T)).unread_count, 0);

  // never backwards (WS and REST)
  wa.send({ type: 'read', ticket_id: T, up_to: sent[0] });
  await markRead(server, A.auth, T, sent[0]);
  await sleep(300);
  assert.equal((await me(server, A.auth)).unread_total, 0, 'a read mark moved backwards');
  assert.equal((await getTicket(server, A.auth, T)).unread_count, 0, 'a read mark moved backwards (Ticket.unread_count)');
  for (const c of [wa, wa2]) {
    const last = c.all((f) => f.type === 'unread' && f.ticket_id === T).at(-1);
    assert.equal(last.count, 0, `${c.label}: the latest unread after an older read mark: ${j(last)}`);
  }
  for (const c of [g1, g2]) {
    const receipts = c.all((f) => f.type === 'read' && f.ticket_id === T && f.user_id === A.user.id);
    for (const r of receipts) assert.equal(r.up_to, lastId, `${c.label}: a read receipt below A's read mark: ${j(receipts)}`);
  }

  // A writes; the agent (in the room) gets unread 1; A's own message is not unread for her
  for (const c of [wa, wa2, g1, g2]) marks.set(c, c.mark());
  const mine = await postMessageOk(server, A.auth, T, 'thanks, trying now', clientId('ev'));
  for (const c of [g1, g2]) {
    await c.next((f) => f.type === 'unread' && f.ticket_id === T && f.count === 1, { what: "the agent's unread 1 for A's message" });
  }
  await sleep(300);
  for (const c of [wa, wa2]) {
    await c.noneSince(marks.get(c), (f) => f.type === 'unread' && f.count !== 0, 0, 'the author got unread for her own message');
  }
  assert.equal((await me(server, A.auth)).unread_total, 0);
  assert.equal((await getTicket(server, agent, T)).unread_count, 1, "the agent's Ticket.unread_count");

  // the agent reads over REST, past the newest: clamped; A gets the receipt
  for (const c of [wa, g1, g2]) marks.set(c, c.mark());
  await markRead(server, agent, T, mine.id + 1_000_000);
  const r = await wa.next((f) => f.type === 'read' && f.ticket_id === T && f.user_id === agent.user.id,
    { what: "the agent's read receipt at A" });
  assert.equal(r.up_to, mine.id, `a read mark past the newest message is clamped to it: ${j(r)}`);
  for (const c of [g1, g2]) {
    await c.next((f) => f.type === 'unread' && f.ticket_id === T && f.count === 0, { what: "the agent's unread back to 0" });
  }
  await sleep(200);
  for (const c of [g1, g2]) await c.noneSince(marks.get(c), 'read', 0, 'the reader got his own read receipt');
  assert.equal((await getTicket(server, agent, T)).unread_count, 0);

  // B saw none of it
  await wb.noneSince(marks.get(wb), (f) => aboutTicket(f, T), 0, 'B got an event about T');
});

test("the ticket's assigned agent gets unread counts (and unread_total) even outside the room", async () => {
  // Claiming is not in the server yet: assign the agent in the database directly.
  await dbQuery(server, `UPDATE tickets SET agent_id=${agent.user.id}, status='in_progress' WHERE id=${T}`);
  g1.send({ type: 'unsubscribe', ticket_id: T });
  g2.send({ type: 'unsubscribe', ticket_id: T });
  await wa.next((f) => f.type === 'presence' && !f.online.some((u) => u.id === agent.user.id), { what: 'the agent left' });
  const m1 = g1.mark();
  const m2 = g2.mark();
  await postMessageOk(server, A.auth, T, 'one more thing', clientId('ev'));
  await postMessageOk(server, A.auth, T, 'and another', clientId('ev'));
  for (const c of [g1, g2]) {
    const u = await c.next((f) => f.type === 'unread' && f.ticket_id === T && f.count === 2,
      { what: "the assigned agent's unread 2 (not in the room)" });
    assert.equal(u.unread_total, 2, `an agent's unread_total sums the tickets assigned to him: ${j(u)}`);
  }
  assert.equal((await me(server, agent)).unread_total, 2, "GET /me for the assigned agent");
  await sleep(200);
  for (const [c, m] of [[g1, m1], [g2, m2]]) await c.noneSince(m, 'message', 0, 'a message frame outside the room');
  await g1.subscribe(T);
  await g2.subscribe(T);
});

test('ticket events: to the customer and every agent, not to other customers', async () => {
  // The messages above moved T's last_message_at: A and the agent got `ticket` events for T.
  for (const c of [wa, wa2, g1, g2]) {
    await c.next((f) => f.type === 'ticket' && f.ticket?.id === T, { timeout: 3000, what: 'a ticket event for T' });
  }
  // A new ticket of A: A and the agents hear of it, B does not.
  const mb = wb.mark();
  const t2 = await createTicket(server.url, A.auth, { subject: 'A second problem' });
  for (const c of [wa, wa2, g1, g2]) {
    const f = await c.next((x) => x.type === 'ticket' && x.ticket?.id === t2.id, { timeout: 3000, what: 'a ticket event for the new ticket' });
    assert.equal(f.ticket.subject, 'A second problem');
  }
  await sleep(1200);
  await wb.noneSince(mb, (f) => aboutTicket(f, t2.id), 0, "B got an event about A's new ticket");
  // coalescing: 10 quick messages produce far fewer than 10 ticket events per connection
  const mm = g1.mark();
  for (let i = 0; i < 10; i++) await postMessageOk(server, A.auth, T, `burst ${i}`, clientId('burst'));
  await sleep(1500);
  const evs = g1.since(mm, (f) => f.type === 'ticket' && f.ticket?.id === T);
  assert.ok(evs.length >= 1 && evs.length <= 4, `ticket events for 10 quick messages: ${evs.length} (coalesced to one per second)`);
  const lastMsg = (await api(server.url, 'GET', `/api/v1/tickets/${T}/messages?limit=1`, A.auth)).json.items[0];
  assert.equal(evs.at(-1).ticket.last_message_at, lastMsg.created_at, 'the last ticket event carries the final last_message_at');
});

test('B (another customer, connected the whole time) never received anything about T', async () => {
  const leaked = wb.all((f) => aboutTicket(f, T));
  assert.deepEqual(leaked, [], `frames about T at B: ${j(leaked)}`);
  const other = wb.all((f) => !['hello', 'subscribed', 'presence', 'ticket', 'unread', 'message', 'pong'].includes(f.type)
    || (f.ticket_id !== undefined && f.ticket_id !== TB));
  assert.deepEqual(other, [], `unexpected frames at B: ${j(other)}`);
  // B's own unread_total is untouched
  assert.equal((await me(server, B.auth)).unread_total, 0);
});

test('one unread frame per change: a connection does not get the same unread update twice', async () => {
  // A's second tab has only ever been sent `unread` and `ticket` frames; each unread frame should
  // carry a change (the same {ticket_id, count, unread_total} twice in a row is a duplicate).
  const frames = wa2.all('unread');
  const dups = [];
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1];
    const b = frames[i];
    if (a.ticket_id === b.ticket_id && a.count === b.count && a.unread_total === b.unread_total) dups.push([i, b]);
  }
  assert.ok(dups.length === 0, `A's second tab got the same unread update twice in a row (${dups.length} times); all its unread frames:\n${frames.map(j).join('\n')}`);
});
