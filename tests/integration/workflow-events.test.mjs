// `ticket` WebSocket events for creation, claim and status/priority changes, and the system
// `message` frames in the ticket's room; other customers hear nothing about the ticket.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, createAgent } from './lib/harness.mjs';
import { connectWs } from './lib/chat.mjs';
import {
  startWorkflowServer, newTicket, claimOk, patchOk, nextTicketFrame, nextMessageFrame, assertSystemMessage,
} from './lib/workflow.mjs';

const QUIET_MS = 1500; // > the coalescing window for message activity (1 s + up to 250 ms jitter)

describe('ticket events over WebSocket', () => {
  let server;
  let A; let B; let C; let D;
  let wsA; let wsB; let wsC; let wsC2; let wsD;
  const auth = (u) => ({ token: u.token });

  before(async () => {
    server = await startWorkflowServer();
    [A, B] = await Promise.all([
      createAgent(server, { name: 'Ada Agent' }),
      createAgent(server, { name: 'Ben Agent' }),
    ]);
    C = await signup(server.url, { name: 'Cleo Customer' });
    D = await signup(server.url, { name: 'Dirk Bystander' });
    [wsA, wsB, wsC, wsC2, wsD] = await Promise.all([
      connectWs(server, auth(A), { label: 'agent Ada' }),
      connectWs(server, auth(B), { label: 'agent Ben (not in the room)' }),
      connectWs(server, auth(C), { label: 'customer Cleo (in the room)' }),
      connectWs(server, auth(C), { label: 'customer Cleo, 2nd tab (not in the room)' }),
      connectWs(server, auth(D), { label: 'other customer Dirk' }),
    ]);
  });
  after(async () => {
    await Promise.all([wsA, wsB, wsC, wsC2, wsD].map((w) => w?.close()));
    await server?.stop();
  });

  function assertBroadcastTicket(frame, expected) {
    const t = frame.ticket;
    const j = JSON.stringify(frame);
    assert.equal(t.id, expected.id, j);
    assert.equal(t.subject, expected.subject, j);
    assert.deepEqual(t.customer, expected.customer, j);
    assert.equal(t.status, expected.status, j);
    assert.equal(t.priority, expected.priority, j);
    assert.deepEqual(t.agent, expected.agent, j);
    // The frame goes to many users: nothing per-caller in it.
    assert.ok(!('allowed_status' in t), `a broadcast ticket frame must not carry one caller's allowed_status: ${j}`);
    assert.ok(!('unread_count' in t), `a broadcast ticket frame must not carry one caller's unread_count: ${j}`);
  }

  it('create, claim, status and priority changes: ticket frames to agents and the customer, system messages to the room, nothing to another customer', async () => {
    const dMark = wsD.mark();

    // Creation: every connected agent and the customer (both tabs) get a ticket frame.
    let m = [wsA, wsB, wsC, wsC2].map((w) => w.mark());
    const t0 = await newTicket(server, auth(C), { subject: 'Live ticket', description: 'watch me', category: 'general' });
    for (const [i, w] of [wsA, wsB, wsC, wsC2].entries()) {
      const f = await nextTicketFrame(w, m[i], t0.id, { status: 'open' });
      assertBroadcastTicket(f, { ...t0, agent: null });
    }

    // The customer and agent Ada join the room.
    await wsC.subscribe(t0.id);
    await wsA.subscribe(t0.id);

    // One step: do(), then every listed client gets a ticket frame with the new state, and the
    // room members a system message frame.
    async function step(what, action, { body, roomWatchers = [wsA, wsC] }) {
      const watchers = [wsA, wsB, wsC, wsC2];
      const marks = watchers.map((w) => w.mark());
      const roomMarks = roomWatchers.map((w) => w.mark());
      const bMark = wsB.mark();
      const c2Mark = wsC2.mark();
      const t = await action();
      const want = { status: t.status, priority: t.priority, agent: t.agent };
      for (const [i, w] of watchers.entries()) {
        const f = await nextTicketFrame(w, marks[i], t.id, want, { what });
        assertBroadcastTicket(f, t);
      }
      for (const [i, w] of roomWatchers.entries()) {
        const f = await nextMessageFrame(w, roomMarks[i], t.id, body);
        assertSystemMessage(f.message, t.id);
      }
      // Clients not in the room get no message frame.
      assert.deepEqual(wsB.since(bMark, (f) => f.type === 'message' && f.message?.ticket_id === t.id), [],
        `${what}: an agent outside the room got a message frame`);
      assert.deepEqual(wsC2.since(c2Mark, (f) => f.type === 'message' && f.message?.ticket_id === t.id), [],
        `${what}: a customer tab outside the room got a message frame`);
      return t;
    }

    let t = await step('claim', () => claimOk(server, auth(A), t0.id), { body: 'Ada Agent claimed the ticket.' });
    assert.equal(t.status, 'in_progress');
    assert.deepEqual(t.agent, { id: A.user.id, name: 'Ada Agent' });

    t = await step('resolve', () => patchOk(server, auth(A), t0.id, { status: 'resolved' }),
      { body: 'Ada Agent changed the status from In progress to Resolved.' });
    assert.equal(t.status, 'resolved');

    t = await step('priority', () => patchOk(server, auth(A), t0.id, { priority: 'urgent' }),
      { body: 'Ada Agent changed the priority from Normal to Urgent.' });
    assert.equal(t.priority, 'urgent');

    t = await step('reopen by the customer', () => patchOk(server, auth(C), t0.id, { status: 'in_progress' }),
      { body: 'Cleo Customer reopened the ticket.' });
    assert.equal(t.status, 'in_progress');
    assert.deepEqual(t.agent, { id: A.user.id, name: 'Ada Agent' });

    t = await step('release', () => patchOk(server, auth(A), t0.id, { status: 'open' }),
      { body: 'Ada Agent released the ticket.' });
    assert.equal(t.agent, null);

    t = await step('claim by the other agent (PATCH in_progress)', () => patchOk(server, auth(B), t0.id, { status: 'in_progress' }),
      { body: 'Ben Agent claimed the ticket.' });
    assert.deepEqual(t.agent, { id: B.user.id, name: 'Ben Agent' });

    t = await step('withdraw by the customer', () => patchOk(server, auth(C), t0.id, { status: 'closed' }),
      { body: 'Cleo Customer changed the status from In progress to Closed.' });
    assert.equal(t.status, 'closed');

    // The other customer, connected all along, heard nothing about this ticket.
    await wsD.noneSince(dMark, (f) => (f.type === 'ticket' && f.ticket?.id === t0.id)
      || (f.type === 'message' && f.message?.ticket_id === t0.id)
      || (f.ticket_id === t0.id), QUIET_MS, `another customer received frames about ticket ${t0.id}`);
  });

  it('a no-op PATCH (same status) sends no system message frame', async () => {
    const t0 = await newTicket(server, auth(C), { subject: 'noop' });
    await wsC.subscribe(t0.id);
    await claimOk(server, auth(A), t0.id);
    await nextMessageFrame(wsC, 0, t0.id, 'Ada Agent claimed the ticket.');
    const mark = wsC.mark();
    await patchOk(server, auth(A), t0.id, { status: 'in_progress' });
    await wsC.noneSince(mark, (f) => f.type === 'message' && f.message?.ticket_id === t0.id, 400,
      'a same-status PATCH produced a message frame');
  });

  it('a new ticket of another customer: agents get a ticket frame, this customer none; the owner gets one', async () => {
    const cMarks = [wsC.mark(), wsC2.mark()];
    const marks = [wsA.mark(), wsB.mark(), wsD.mark()];
    const t = await newTicket(server, auth(D), { subject: 'Dirk\'s own problem', category: 'billing', priority: 'high' });
    for (const [i, w] of [wsA, wsB, wsD].entries()) {
      const f = await nextTicketFrame(w, marks[i], t.id, { status: 'open' });
      assertBroadcastTicket(f, { ...t, agent: null });
      assert.equal(f.ticket.category, 'billing');
    }
    // A claim of it reaches the agents and Dirk, never Cleo.
    const m2 = [wsA.mark(), wsB.mark(), wsD.mark()];
    const claimed = await claimOk(server, auth(B), t.id);
    for (const [i, w] of [wsA, wsB, wsD].entries()) {
      await nextTicketFrame(w, m2[i], t.id, { status: 'in_progress', agent: claimed.agent });
    }
    for (const [i, w] of [wsC, wsC2].entries()) {
      await w.noneSince(cMarks[i], (f) => (f.type === 'ticket' && f.ticket?.id === t.id)
        || (f.type === 'message' && f.message?.ticket_id === t.id), i === 0 ? QUIET_MS : 0,
      `customer Cleo received frames about Dirk's ticket ${t.id}`);
    }
  });

  it('the other customer cannot join the room', async () => {
    const t0 = await newTicket(server, auth(C), { subject: 'private room' });
    const mark = wsD.mark();
    wsD.send({ type: 'subscribe', ticket_id: t0.id });
    const f = await wsD.next((x) => (x.type === 'error' || x.type === 'subscribed') && wsD.frames.indexOf(x) >= mark,
      { what: 'an answer to the subscribe' });
    assert.equal(f.type, 'error', `another customer subscribed to ticket ${t0.id}: ${JSON.stringify(f)}`);
    assert.equal(f.code, 'not_found', JSON.stringify(f));
    await claimOk(server, auth(A), t0.id);
    await wsD.noneSince(mark, (x) => (x.type === 'ticket' && x.ticket?.id === t0.id)
      || (x.type === 'message' && x.message?.ticket_id === t0.id), QUIET_MS, 'frames about another customer\'s ticket');
  });
});
