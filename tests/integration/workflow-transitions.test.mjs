// The whole status transition table over HTTP (PATCH /api/v1/tickets/{id} {status}), for every
// from-status, to-status and actor; claim; priority; allowed_status; system messages.
//
// Actors: the ticket's customer, its agent (the one who claimed it; for an open ticket just "an
// agent"), another agent, another customer (404: no enumeration).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, createAgent, assertError, describeRes } from './lib/harness.mjs';
import {
  STATUSES, ACTORS, startWorkflowServer, newTicket, fetchTicket, getTicketRes, patchTicket, claimTicket,
  patchOk, claimOk, systemMessages, assertSystemMessage, expectedPatchStatus, expectedAllowed, relationOf,
  statusMoveText, priorityMoveText, ticketInStatus, sorted,
} from './lib/workflow.mjs';

describe('status transitions, claim, priority', () => {
  let server;
  let A; // "its agent"
  let B; // another agent
  let C; // the ticket's customer
  let D; // another customer
  let actors;
  const auth = (u) => ({ token: u.token });

  before(async () => {
    server = await startWorkflowServer();
    [A, B] = await Promise.all([
      createAgent(server, { name: 'Alice Agent' }),
      createAgent(server, { name: 'Bob Agent' }),
    ]);
    C = await signup(server.url, { name: 'Cathy Customer' });
    D = await signup(server.url, { name: 'Dan Other' });
    actors = { customer: C, agent: A, other_agent: B, other_customer: D };
  });
  after(async () => { await server?.stop(); });

  /** What the three parties who may see the ticket see: ticket (as A), messages, unread per party. */
  async function snapshot(id) {
    const [asA, asB, asC] = await Promise.all([A, B, C].map((u) => fetchTicket(server, auth(u), id)));
    const sys = await systemMessages(server, auth(A), id);
    return { ticket: asA, sys, unread: { A: asA.unread_count, B: asB.unread_count, C: asC.unread_count } };
  }

  // -------------------------------------------------------------------------------------------
  // The full table: 4 from x 4 to x 4 actors, each on a fresh ticket.
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      for (const actor of ACTORS) {
        const exp = expectedPatchStatus(from, to, actor);
        it(`${from} -> ${to} by ${actor}: ${exp}`, async () => {
          const t0 = await ticketInStatus(server, { customer: C, agent: A }, from, { subject: `${from}->${to} by ${actor}` });
          assert.equal(t0.status, from, 'setup reached the from-status');
          const before = await snapshot(t0.id);
          const who = actors[actor];
          const res = await patchTicket(server, auth(who), t0.id, { status: to });
          const ctx = `${who.user.name} (${actor}) PATCH ${from} -> ${to}: ${describeRes(res)}`;

          if (exp === 404) assertError(res, 404, 'not_found');
          else if (exp === 403) assertError(res, 403, 'forbidden');
          else if (exp === 409) assertError(res, 409, 'invalid_transition');
          else assert.equal(res.status, 200, ctx);

          const after = await snapshot(t0.id);
          if (exp !== 200 || from === to) {
            // Refused, or the same status: nothing changes, no system message.
            if (exp === 200) {
              assert.equal(res.json.ticket.status, from, ctx);
              assert.equal(res.json.ticket.id, t0.id, ctx);
            }
            assert.equal(after.ticket.status, from, `status after ${ctx}`);
            assert.deepEqual(after.ticket.agent, before.ticket.agent, `agent after ${ctx}`);
            assert.equal(after.ticket.updated_at, before.ticket.updated_at, `updated_at must not move after ${ctx}`);
            assert.deepEqual(after.sys.map((m) => m.body), before.sys.map((m) => m.body), `no new system message after ${ctx}`);
            assert.deepEqual(after.unread, before.unread, `unread counts must not change after ${ctx}`);
            return;
          }

          // A real move.
          const t = res.json.ticket;
          assert.equal(t.id, t0.id, ctx);
          assert.equal(t.status, to, ctx);
          assert.equal(after.ticket.status, to, `GET after ${ctx}`);
          if (from === 'open' && to === 'in_progress') {
            assert.deepEqual(t.agent, { id: who.user.id, name: who.user.name }, `open -> in_progress assigns the caller: ${ctx}`);
          } else if (from === 'in_progress' && to === 'open') {
            assert.equal(t.agent, null, `in_progress -> open releases the ticket: ${ctx}`);
          } else if (!(from === 'open' && to === 'closed')) {
            assert.deepEqual(t.agent, before.ticket.agent, `the agent stays on ${from} -> ${to}: ${ctx}`);
          }
          assert.deepEqual(after.ticket.agent, t.agent, `GET shows the agent the PATCH answer showed: ${ctx}`);
          assert.ok(after.ticket.updated_at > before.ticket.updated_at, `updated_at must move on a change: ${ctx}`);

          // allowed_status in the answer: for the caller, in the new state.
          const rel = relationOf(t, who.user);
          assert.ok(Array.isArray(t.allowed_status), `PATCH answer lacks allowed_status: ${ctx}`);
          assert.deepEqual(sorted(t.allowed_status), expectedAllowed(to, rel), `allowed_status in the answer (${rel}): ${ctx}`);

          // Exactly one new system message, with the right text.
          const added = after.sys.slice(before.sys.length);
          assert.deepEqual(after.sys.slice(0, before.sys.length).map((m) => m.id), before.sys.map((m) => m.id));
          assert.equal(added.length, 1, `one system message per move; new: ${JSON.stringify(added)} (${ctx})`);
          assert.equal(assertSystemMessage(added[0], t0.id), statusMoveText(from, to, who.user.name), ctx);

          // A system message is unread for everyone but the actor.
          const key = { [A.user.id]: 'A', [B.user.id]: 'B', [C.user.id]: 'C' }[who.user.id];
          for (const k of ['A', 'B', 'C']) {
            const delta = after.unread[k] - before.unread[k];
            assert.equal(delta, k === key ? 0 : 1, `unread_count of ${k} changed by ${delta} after ${ctx}`);
          }
        });
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  for (const status of STATUSES) {
    it(`allowed_status of a ${status} ticket, for each actor`, async () => {
      const t = await ticketInStatus(server, { customer: C, agent: A }, status, { subject: `allowed ${status}` });
      for (const actor of ['customer', 'agent', 'other_agent']) {
        const got = await fetchTicket(server, auth(actors[actor]), t.id);
        assert.ok(Array.isArray(got.allowed_status), `GET lacks allowed_status for ${actor}: ${JSON.stringify(got)}`);
        assert.deepEqual(sorted(got.allowed_status), expectedAllowed(status, actor),
          `allowed_status of a ${status} ticket for ${actor}`);
        // Each allowed status really is accepted, and each other one refused, for that actor
        // (checked on copies of the ticket by the table test above).
      }
      assertError(await getTicketRes(server, auth(D), t.id), 404, 'not_found');
    });
  }

  it('allowed_status agrees with PATCH: every listed move succeeds, every other move is refused', async () => {
    for (const status of STATUSES) {
      for (const actor of ['customer', 'agent', 'other_agent']) {
        const probe = await ticketInStatus(server, { customer: C, agent: A }, status, { subject: `agree ${status} ${actor}` });
        const allowed = (await fetchTicket(server, auth(actors[actor]), probe.id)).allowed_status;
        for (const to of STATUSES.filter((s) => s !== status)) {
          const t = await ticketInStatus(server, { customer: C, agent: A }, status, { subject: `agree ${status} ${actor} ${to}` });
          const res = await patchTicket(server, auth(actors[actor]), t.id, { status: to });
          assert.equal(res.status === 200, allowed.includes(to),
            `${status} -> ${to} by ${actor}: allowed_status ${JSON.stringify(allowed)} but ${describeRes(res)}`);
        }
      }
    }
  });

  // -------------------------------------------------------------------------------------------
  it('claim: assigns, moves open -> in_progress, one system message; re-claim by the holder is 200 and changes nothing', async () => {
    const t0 = await newTicket(server, auth(C), { subject: 'claim me' });
    assert.equal(t0.agent, null);
    const t = await claimOk(server, auth(B), t0.id);
    assert.equal(t.status, 'in_progress');
    assert.deepEqual(t.agent, { id: B.user.id, name: 'Bob Agent' });
    assert.deepEqual(sorted(t.allowed_status), expectedAllowed('in_progress', 'agent'), 'allowed_status in the claim answer');
    let sys = await systemMessages(server, auth(A), t0.id);
    assert.deepEqual(sys.map((m) => m.body), ['Bob Agent claimed the ticket.']);
    assertSystemMessage(sys[0], t0.id);

    const again = await claimOk(server, auth(B), t0.id, 'claim of own in_progress ticket');
    assert.equal(again.status, 'in_progress');
    assert.deepEqual(again.agent, { id: B.user.id, name: 'Bob Agent' });
    assert.equal(again.updated_at, t.updated_at, 're-claim by the holder must change nothing');
    sys = await systemMessages(server, auth(A), t0.id);
    assert.deepEqual(sys.map((m) => m.body), ['Bob Agent claimed the ticket.'], 're-claim adds no system message');

    // Another agent: 409 already_claimed naming the holder.
    const taken = await claimTicket(server, auth(A), t0.id);
    assertError(taken, 409, 'already_claimed');
    assert.equal(taken.json.error.message, 'Already claimed by Bob Agent.', describeRes(taken));
    // Customers may not claim.
    assertError(await claimTicket(server, auth(C), t0.id), 403, 'forbidden');
    const other = await claimTicket(server, auth(D), t0.id);
    assertError(other, [403, 404], ['forbidden', 'not_found']);
    const final = await fetchTicket(server, auth(A), t0.id);
    assert.deepEqual(final.agent, { id: B.user.id, name: 'Bob Agent' });
    assert.equal(final.updated_at, t.updated_at, 'refused claims changed the ticket');

    // After a release, another agent can claim.
    const released = await patchOk(server, auth(B), t0.id, { status: 'open' });
    assert.equal(released.agent, null);
    const reclaimed = await claimOk(server, auth(A), t0.id, 'claim after release');
    assert.deepEqual(reclaimed.agent, { id: A.user.id, name: 'Alice Agent' });
    sys = await systemMessages(server, auth(C), t0.id);
    assert.deepEqual(sys.map((m) => m.body),
      ['Bob Agent claimed the ticket.', 'Bob Agent released the ticket.', 'Alice Agent claimed the ticket.']);
  });

  it('claim of a customer-withdrawn (closed, unassigned) ticket -> 409 invalid_transition', async () => {
    const t = await newTicket(server, auth(C), { subject: 'withdrawn' });
    await patchOk(server, auth(C), t.id, { status: 'closed' });
    assertError(await claimTicket(server, auth(A), t.id), 409, 'invalid_transition');
    const after = await fetchTicket(server, auth(A), t.id);
    assert.equal(after.status, 'closed');
    assert.equal(after.agent, null);
  });

  it('claim of a resolved or closed ticket -> 409 and changes nothing', async () => {
    for (const status of ['resolved', 'closed']) {
      const t = await ticketInStatus(server, { customer: C, agent: A }, status, { subject: `claim ${status}` });
      const sysBefore = await systemMessages(server, auth(A), t.id);
      for (const who of [A, B]) {
        const res = await claimTicket(server, auth(who), t.id);
        assertError(res, 409, ['invalid_transition', 'already_claimed']);
      }
      const after = await fetchTicket(server, auth(A), t.id);
      assert.equal(after.status, status);
      assert.deepEqual(after.agent, { id: A.user.id, name: 'Alice Agent' });
      assert.equal(after.updated_at, t.updated_at);
      assert.equal((await systemMessages(server, auth(A), t.id)).length, sysBefore.length);
    }
  });

  it('claim of a missing ticket -> 404', async () => {
    assertError(await claimTicket(server, auth(A), 987654321), 404, 'not_found');
  });

  // -------------------------------------------------------------------------------------------
  it('priority: agents set it (system message), the same value changes nothing, customers get 403 field priority', async () => {
    const t0 = await newTicket(server, auth(C), { subject: 'priority', priority: 'normal' });
    const t1 = await patchOk(server, auth(A), t0.id, { priority: 'high' });
    assert.equal(t1.priority, 'high');
    assert.equal(t1.status, 'open');
    assert.ok(t1.updated_at > t0.updated_at, 'a priority change moves updated_at');
    let sys = await systemMessages(server, auth(C), t0.id);
    assert.deepEqual(sys.map((m) => m.body), [priorityMoveText('normal', 'high', 'Alice Agent')]);
    assert.equal(sys[0].body, 'Alice Agent changed the priority from Normal to High.');
    assertSystemMessage(sys[0], t0.id);
    assert.equal((await fetchTicket(server, auth(C), t0.id)).unread_count, 1, 'the customer has the priority message unread');
    assert.equal((await fetchTicket(server, auth(A), t0.id)).unread_count, 0, 'the actor has nothing unread');

    // Another agent, on a ticket it does not hold.
    await claimOk(server, auth(A), t0.id);
    const t2 = await patchOk(server, auth(B), t0.id, { priority: 'urgent' });
    assert.equal(t2.priority, 'urgent');

    // Same priority: 200, no message, no change.
    const same = await patchOk(server, auth(A), t0.id, { priority: 'urgent' });
    assert.equal(same.updated_at, t2.updated_at, 'same priority must change nothing');

    // Customer -> 403 forbidden, field priority; nothing changes.
    const byCust = await patchTicket(server, auth(C), t0.id, { priority: 'low' });
    assertError(byCust, 403, 'forbidden', 'priority');
    // Another customer -> 404.
    assertError(await patchTicket(server, auth(D), t0.id, { priority: 'low' }), 404, 'not_found');

    const after = await fetchTicket(server, auth(A), t0.id);
    assert.equal(after.priority, 'urgent');
    assert.equal(after.updated_at, t2.updated_at);
    sys = await systemMessages(server, auth(A), t0.id);
    assert.deepEqual(sys.map((m) => m.body), [
      'Alice Agent changed the priority from Normal to High.',
      'Alice Agent claimed the ticket.',
      'Bob Agent changed the priority from High to Urgent.',
    ]);
  });

  it('status and priority in one PATCH: both applied, two system messages', async () => {
    const t0 = await ticketInStatus(server, { customer: C, agent: A }, 'in_progress', { subject: 'both', priority: 'low' });
    const t = await patchOk(server, auth(A), t0.id, { status: 'resolved', priority: 'high' });
    assert.equal(t.status, 'resolved');
    assert.equal(t.priority, 'high');
    const bodies = (await systemMessages(server, auth(A), t0.id)).map((m) => m.body).slice(1);
    assert.deepEqual(sorted(bodies), sorted([
      'Alice Agent changed the status from In progress to Resolved.',
      'Alice Agent changed the priority from Low to High.',
    ]));
  });

  it('a refused part refuses the whole PATCH (customer: status allowed, priority not)', async () => {
    const t0 = await ticketInStatus(server, { customer: C, agent: A }, 'resolved', { subject: 'partial' });
    const res = await patchTicket(server, auth(C), t0.id, { status: 'closed', priority: 'urgent' });
    assertError(res, 403, 'forbidden', 'priority');
    const after = await fetchTicket(server, auth(A), t0.id);
    assert.equal(after.status, 'resolved', 'the status part must not be applied when the PATCH is refused');
    assert.equal(after.priority, 'normal');
  });

  it('closed is final: priority change -> 409; same status and same priority -> 200 unchanged', async () => {
    const t0 = await ticketInStatus(server, { customer: C, agent: A }, 'closed', { subject: 'final' });
    const sysBefore = await systemMessages(server, auth(A), t0.id);
    for (const who of [A, B]) {
      const res = await patchTicket(server, auth(who), t0.id, { priority: 'urgent' });
      assert.equal(res.status, 409, `priority change on a closed ticket: ${describeRes(res)}`);
      assertError(res, 409, res.json?.error?.code);
    }
    for (const who of [A, B, C]) {
      const same = await patchOk(server, auth(who), t0.id, { status: 'closed' }, 'closed -> closed');
      assert.equal(same.status, 'closed');
      assert.deepEqual(same.allowed_status, [], 'nothing is allowed from closed');
    }
    const samePrio = await patchOk(server, auth(A), t0.id, { priority: 'normal' }, 'same priority on a closed ticket');
    assert.equal(samePrio.updated_at, t0.updated_at);
    const after = await fetchTicket(server, auth(A), t0.id);
    assert.equal(after.priority, 'normal');
    assert.equal(after.updated_at, t0.updated_at);
    assert.equal((await systemMessages(server, auth(A), t0.id)).length, sysBefore.length);
  });

  it('bad status / priority values -> 422 validation_failed with field; nothing changes', async () => {
    const t0 = await newTicket(server, auth(C), { subject: 'bad values' });
    for (const [json, field] of [
      [{ status: 'done' }, 'status'], [{ status: 'OPEN' }, 'status'], [{ status: '' }, 'status'],
      [{ priority: 'critical' }, 'priority'], [{ priority: 'High' }, 'priority'], [{ priority: '' }, 'priority'],
    ]) {
      const res = await patchTicket(server, auth(A), t0.id, json);
      assertError(res, 422, 'validation_failed', field);
    }
    const after = await fetchTicket(server, auth(A), t0.id);
    assert.equal(after.status, 'open');
    assert.equal(after.priority, 'normal');
    assert.equal(after.updated_at, t0.updated_at);
    assert.equal((await systemMessages(server, auth(A), t0.id)).length, 0);
  });

  it('PATCH of a missing ticket -> 404; unauthenticated -> 401', async () => {
    assertError(await patchTicket(server, auth(A), 987654321, { status: 'closed' }), 404, 'not_found');
    assertError(await patchTicket(server, {}, 1, { status: 'closed' }), 401, 'unauthenticated');
  });
});
