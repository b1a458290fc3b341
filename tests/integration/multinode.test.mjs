// Two Helpline nodes on one PostgreSQL database and one shared data folder (what a load
// balancer in front of several nodes gives): the customer on node A, the agent on node B.
// Chat, typing, presence, read receipts, unread counts, ticket events and log-outs cross
// between them; then node A is killed and the customer carries on from node B, losing nothing.
//
// Runs in the PostgreSQL pass of scripts/test.sh (HELPLINE_TEST_PG_URL); SQLite has one node only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createAgent, createTicket, api, signup, ON_POSTGRES, sleep } from './lib/harness.mjs';
import { connectWs, allMessages, clientId, markRead, aboutTicket, dbQuery } from './lib/chat.mjs';

const NEEDS_PG = ON_POSTGRES ? false : 'several nodes need PostgreSQL: this runs in the PostgreSQL pass of scripts/test.sh (HELPLINE_TEST_PG_URL)';
const SLOW = 15_000; // a killed node is declared gone after 6 s of silence

let A;
let B;
let agent;
let customer;
let T;

before(async () => {
  if (!ON_POSTGRES) return;
  A = await startServer();
  // Node B: the same database and the same data folder (attachments are shared).
  B = await startServer({ env: { HELPLINE_DB: A.db.url }, dataDirFlag: false, args: ['--data-dir', A.dataDir] });
  agent = await createAgent(B, { name: 'Bea Agent' });
  customer = await signup(A.url, { name: 'Carl Customer' });
});

after(async () => {
  await B?.stop();
  await A?.stop().catch(() => {}); // A may have been killed already
});

test('a ticket created on node A reaches the agent dashboard on node B live, with its screenshot', { skip: NEEDS_PG }, async () => {
  const wb = await connectWs(B, { token: agent.token }, { label: 'agent@B dashboard' });
  try {
    const ticket = await createTicket(A.url, { token: customer.token }, { subject: 'Printer on fire across nodes' });
    T = ticket.id;
    const ev = await wb.next((f) => f.type === 'ticket' && f.ticket.id === T, { what: 'ticket event on B', timeout: SLOW });
    assert.equal(ev.ticket.subject, 'Printer on fire across nodes');
    // The file written by node A is served by node B from the shared folder.
    const got = await api(B.url, 'GET', `/api/v1/tickets/${T}`, { token: agent.token });
    assert.equal(got.status, 200);
    const att = got.json.ticket.attachments[0];
    const file = await api(B.url, 'GET', att.url, { token: agent.token });
    assert.equal(file.status, 200, 'the screenshot uploaded on A is served by B');
    assert.ok(file.body.length > 0);
  } finally {
    await wb.close();
  }
});

test('chat across nodes: presence, typing, messages both ways in one order, receipts, unread, status', { skip: NEEDS_PG }, async () => {
  const wa = await connectWs(A, { token: customer.token }, { label: 'customer@A' });
  const wb = await connectWs(B, { token: agent.token }, { label: 'agent@B' });
  try {
    await wa.subscribe(T);
    await wb.subscribe(T);
    // Presence: each sees the other, though they are on different nodes.
    await wa.next((f) => f.type === 'presence' && aboutTicket(f, T) && f.online.some((u) => u.id === agent.user.id),
      { what: 'the agent (on B) online, seen from A', timeout: SLOW });
    const seen = await wb.next((f) => (f.type === 'presence' || f.type === 'subscribed') && aboutTicket(f, T)
      && (f.online || f.presence).some((u) => u.id === customer.user.id), { what: 'the customer (on A) online, seen from B', timeout: SLOW });
    assert.ok(seen);

    // Typing goes to the other side only.
    const ma = wa.mark();
    wb.send({ type: 'typing', ticket_id: T, state: true });
    const typing = await wa.next((f) => f.type === 'typing' && aboutTicket(f, T) && f.state === true, { what: 'typing from B', timeout: SLOW });
    assert.equal(typing.user.id, agent.user.id);
    assert.equal(typing.user.name, 'Bea Agent');
    wb.send({ type: 'typing', ticket_id: T, state: false });
    await wa.next((f) => f.type === 'typing' && aboutTicket(f, T) && f.state === false, { what: 'typing stopped', timeout: SLOW });
    assert.equal(wb.all((f) => f.type === 'typing' && f.user?.id === agent.user.id).length, 0, 'the typist does not hear itself');

    // 30 messages from each side at once: both sides receive all 60, in one and the same order.
    const sends = [];
    for (let i = 0; i < 30; i++) {
      sends.push(wa.sendMessage(T, `from customer ${i}`, clientId('ca')));
      sends.push(wb.sendMessage(T, `from agent ${i}`, clientId('ab')));
    }
    const acks = await Promise.all(sends);
    assert.ok(acks.every((f) => f.type === 'ack'), `every send acked: ${JSON.stringify(acks.filter((f) => f.type !== 'ack'))}`);
    const ids = new Set(acks.map((f) => f.message_id));
    const stored = (await allMessages(A, { token: customer.token }, T)).filter((m) => ids.has(m.id)).map((m) => m.id);
    assert.equal(stored.length, 60);
    for (const [who, ws] of [['customer@A', wa], ['agent@B', wb]]) {
      const deadline = Date.now() + SLOW;
      let got;
      do {
        got = ws.all((f) => f.type === 'message' && ids.has(f.message.id)).map((f) => f.message.id);
        if (got.length >= 60) break;
        await sleep(50);
      } while (Date.now() < deadline);
      assert.deepEqual(got, stored, `${who} receives every message once, in id order`);
    }

    // A read receipt from B reaches A; A's unread count for the agent's messages goes with reads.
    const lastId = stored[stored.length - 1];
    const mRead = wa.mark();
    await markRead(B, { token: agent.token }, T, lastId);
    const receipt = await wa.next((f) => f.type === 'read' && aboutTicket(f, T) && f.user_id === agent.user.id,
      { what: 'read receipt from the agent on B', timeout: SLOW });
    assert.equal(receipt.up_to, lastId);
    assert.ok(wa.since(ma, (f) => f.type === 'unread' && aboutTicket(f, T) && f.count > 0).length > 0,
      'the customer on A got unread counts for the agent\'s messages');
    assert.ok(mRead >= 0);

    // The status flow from B: the customer on A sees it live.
    const claim = await api(B.url, 'POST', `/api/v1/tickets/${T}/claim`, { token: agent.token });
    assert.equal(claim.status, 200, JSON.stringify(claim.json));
    await wa.next((f) => f.type === 'ticket' && f.ticket.id === T && f.ticket.status === 'in_progress',
      { what: 'the claim seen live on A', timeout: SLOW });
    await wa.next((f) => f.type === 'message' && aboutTicket(f, T) && f.message.kind === 'system',
      { what: 'the claim\'s system message on A', timeout: SLOW });
  } finally {
    await wa.close();
    await wb.close();
  }
});

test('a log-out on node A closes the same session\'s socket on node B', { skip: NEEDS_PG }, async () => {
  const c2 = await signup(A.url, { name: 'Logout Tester' });
  const wb = await connectWs(B, { token: c2.token }, { label: 'c2@B' });
  const out = await api(A.url, 'POST', '/api/v1/auth/logout', { token: c2.token });
  assert.equal(out.status, 204);
  const info = await Promise.race([wb.closed, sleep(SLOW).then(() => null)]);
  assert.ok(info, 'the socket on B was closed after the log-out on A');
  assert.equal(info.code, 1008);
});

test('the nodes\' link to PostgreSQL breaks: their clients are told to resync (1012), and live chat resumes', { skip: NEEDS_PG }, async () => {
  const wa = await connectWs(A, { token: customer.token }, { label: 'customer@A' });
  const wb = await connectWs(B, { token: agent.token }, { label: 'agent@B' });
  await wa.subscribe(T);
  await wb.subscribe(T);
  // What a PostgreSQL restart or a network cut does to the listening connections of both nodes.
  const killed = await dbQuery(A, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    + "WHERE datname = current_database() AND query LIKE 'LISTEN %'");
  assert.equal(Number(killed.trim()), 2, 'one listening connection per node');
  for (const ws of [wa, wb]) {
    const info = await Promise.race([ws.closed, sleep(SLOW).then(() => null)]);
    assert.ok(info, `${ws.label} was closed so that it resyncs`);
    assert.equal(info.code, 1012, `${ws.label}: close code`);
  }
  // The clients reconnect and resume; the nodes hear each other again.
  const wa2 = await connectWs(A, { token: customer.token }, { label: 'customer@A again' });
  const wb2 = await connectWs(B, { token: agent.token }, { label: 'agent@B again' });
  try {
    await wa2.subscribe(T);
    await wb2.subscribe(T);
    const deadline = Date.now() + SLOW;
    let arrived = false;
    for (let i = 0; !arrived && Date.now() < deadline; i++) {
      const ack = await wb2.sendMessage(T, `after the cut ${i}`, clientId('cut'));
      assert.equal(ack.type, 'ack');
      arrived = await wa2.next((f) => f.type === 'message' && f.message.id === ack.message_id, { timeout: 2000 })
        .then(() => true, () => false);
    }
    assert.ok(arrived, 'a message from B reaches A live again');
  } finally {
    await wa2.close();
    await wb2.close();
  }
});

test('node A is killed: presence ends on B, the customer reconnects to B and loses nothing', { skip: NEEDS_PG }, async () => {
  const wa = await connectWs(A, { token: customer.token }, { label: 'customer@A' });
  const wb = await connectWs(B, { token: agent.token }, { label: 'agent@B' });
  try {
    const { replay } = await wa.subscribe(T);
    await wb.subscribe(T);
    await wb.next((f) => (f.type === 'presence' || f.type === 'subscribed') && aboutTicket(f, T)
      && (f.online || f.presence).some((u) => u.id === customer.user.id), { what: 'customer online', timeout: SLOW });
    // The customer's last word on A is acknowledged, then A dies.
    const last = await wa.sendMessage(T, 'sent on A just before it died', clientId('last'));
    assert.equal(last.type, 'ack');
    const held = [...replay.map((m) => m.id), ...wa.all((f) => f.type === 'message' && aboutTicket(f, T)).map((f) => f.message.id)];
    const lastHeld = Math.max(...held, last.message_id);
    await A.kill9();
    // B notices the silence and the customer is no longer shown online.
    await wb.next((f) => f.type === 'presence' && aboutTicket(f, T) && !f.online.some((u) => u.id === customer.user.id),
      { what: 'the customer offline after node A died', timeout: SLOW });
    // Meanwhile the agent writes.
    const whileAway = [];
    for (let i = 0; i < 3; i++) whileAway.push((await wb.sendMessage(T, `while you were away ${i}`, clientId('away'))).message_id);

    // The customer's client reconnects, to B now, and resumes after the last id it holds.
    const wa2 = await connectWs(B, { token: customer.token }, { label: 'customer@B' });
    try {
      const { replay: missed } = await wa2.subscribe(T, lastHeld);
      assert.deepEqual(missed.map((m) => m.id), whileAway, 'exactly what the customer lacked, in order');
      const all = await allMessages(B, { token: customer.token }, T);
      assert.ok(all.some((m) => m.id === last.message_id && m.body === 'sent on A just before it died'), 'the acked message survived');
      assert.equal(new Set(all.map((m) => m.id)).size, all.length, 'nothing doubled');
      // And the work goes on from B: the agent resolves, the customer closes.
      const res = await api(B.url, 'PATCH', `/api/v1/tickets/${T}`, { token: agent.token, json: { status: 'resolved' } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      await wa2.next((f) => f.type === 'ticket' && f.ticket.id === T && f.ticket.status === 'resolved', { what: 'resolved, live', timeout: SLOW });
      const closed = await api(B.url, 'PATCH', `/api/v1/tickets/${T}`, { token: customer.token, json: { status: 'closed' } });
      assert.equal(closed.status, 200, JSON.stringify(closed.json));
      await wb.next((f) => f.type === 'ticket' && f.ticket.id === T && f.ticket.status === 'closed', { what: 'closed, seen by the agent', timeout: SLOW });
    } finally {
      await wa2.close();
    }
  } finally {
    await wa.terminate();
    await wb.close();
  }
});
