// Crash safety: kill -9 the server in the middle of concurrent chat (WebSocket + REST) and
// ticket uploads, restart it on the same data dir, and check that
//   - every acknowledged message (WS `ack`, REST 201/200) is there exactly once, with its body;
//   - every 201 ticket is there with all its attachments, each served whole (`size` bytes that
//     decode); no ticket (acknowledged or not) lacks any of the files it was sent with;
//   - DATA_DIR/files holds exactly the image + thumbnail of every attachment: no orphan, no *.tmp;
//   - resending client_ids whose ack never came stores each message at most once.
// Only acknowledged operations must survive: requests in flight when the server dies fail with
// connection errors, which is expected.
//
// Load per round is kept small (see the constants) so that 50 rounds fit in ~60-90 s on 2 cores.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, createTicket, sleep, walkFiles } from './lib/harness.mjs';
import { connectWs, allMessages, postMessage } from './lib/chat.mjs';
import {
  makeImagePool, pick, randInt, assertWholeImage, listAllTickets, getAttachmentBytes, filesOnDisk,
  dbFileNames, dbCounts, WsChatter, loopUntilDown, restMessage, restTicket, attachmentKey,
} from './lib/crash.mjs';

const ROUNDS = Number(process.env.HELPLINE_CRASH_ROUNDS) || 50;
const CUSTOMERS = 3;
const KILL_DELAY_MS = [20, 300]; // random delay between the start of the traffic and SIGKILL
// The traffic is paced so that it is still running when the kill comes (at most 300 ms in), and
// capped so that the chat history the checks re-read every round stays small.
const WS_WINDOW = 2; // chat frames in flight per WebSocket
const WS_PAUSE_MS = [3, 12]; // after each ack, before the next frame
const WS_MAX_PER_ROUND = 100; // per customer and round
const REST_PAUSE_MS = [5, 20];
const REST_MAX_PER_ROUND = 40; // sequential REST chat POSTs per customer and round
const TICKET_PAUSE_MS = [0, 10];
const TICKETS_MAX_PER_ROUND = 30; // sequential ticket uploads per customer and round
const RESEND_PER_ROUND = 6; // unacknowledged client_ids resent after each restart

let server;
const customers = []; // {idx, auth, chatTicketId}
const images = makeImagePool();

before(async () => {
  // One node owns this data folder: orphans go at once (on PostgreSQL the default waits an hour,
  // in case other nodes share the folder; see docs/deploy.md).
  server = await startServer({ env: { HELPLINE_ORPHAN_GRACE: '0' } });
  for (let i = 0; i < CUSTOMERS; i++) {
    const auth = await signup(server.url, { name: `Crash Customer ${i}` });
    const t = await createTicket(server.url, { token: auth.token }, { subject: `chat ticket of customer ${i}` });
    customers.push({ idx: i, auth: { token: auth.token }, userId: auth.user.id, chatTicketId: t.id });
  }
});

after(async () => {
  await server?.stop();
});

test(`kill -9 mid-traffic, ${ROUNDS} rounds: acknowledged messages and 201 tickets survive, no orphan files`, { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  // Everything the server acknowledged, over all rounds.
  const ackedMsgs = new Map(); // client_id -> {ticketId, id, body, via, round}
  const firstBody = new Map(); // client_id -> the body of its first send (any stored copy must have it)
  const tickets201 = new Map(); // ticket id -> {ticket, subject, nFiles, round, owner}
  const attempts = new Map(); // subject -> {nFiles} (every upload tried, answered or not)
  const bytesChecked = new Set(); // attachment ids whose bytes were fetched and checked
  const setupTickets = new Set(customers.map((c) => c.chatTicketId));
  const totals = { wsAcked: 0, wsUnacked: 0, restAcked: 0, restPending: 0, tickets201: 0, ticketsLost: 0, resent: 0, resentFound: 0, killDelays: [], roundsCut: 0, tmpAtKill: 0, orphansSwept: 0 };

  for (let round = 1; round <= ROUNDS; round++) {
    const ctx = `round ${round}`;
    // ---- 1. traffic -------------------------------------------------------------------------
    const clients = await Promise.all(customers.map((c) => connectWs(server, c.auth, { label: `${ctx} ws c${c.idx}` })));
    let down = false;
    const isStopped = () => down;
    const failures = [];
    const chatters = [];
    const restAcked = new Map();
    const restPending = new Map(); // client_id -> body (sent, no answer)
    const restPendingOwner = new Map(); // client_id -> customer
    const created = new Map();
    const work = [];
    for (const c of customers) {
      const ch = new WsChatter(clients[c.idx], c.chatTicketId, {
        window: WS_WINDOW, maxMessages: WS_MAX_PER_ROUND, pause: WS_PAUSE_MS, tag: `r${round}c${c.idx}`,
      });
      chatters.push(ch);
      ch.start();
      let n = 0;
      work.push(loopUntilDown(async () => {
        n += 1;
        const cid = `rest-r${round}c${c.idx}-${n}`;
        restPendingOwner.set(cid, c);
        await restMessage(server, c.auth, c.chatTicketId, cid, `rest r${round} c${c.idx} #${n}`, { acked: restAcked, pending: restPending });
      }, isStopped, failures, { max: REST_MAX_PER_ROUND, pause: REST_PAUSE_MS }));
      let k = 0;
      work.push(loopUntilDown(async () => {
        k += 1;
        const files = Array.from({ length: randInt(1, 2) }, () => pick(images));
        await restTicket(server, c.auth, `crash r${round} c${c.idx} #${k}`, files, { created, attempts });
      }, isStopped, failures, { max: TICKETS_MAX_PER_ROUND, pause: TICKET_PAUSE_MS }));
    }
    const delay = randInt(...KILL_DELAY_MS);
    totals.killDelays.push(delay);
    await sleep(delay);
    down = true;
    await server.kill9();
    assert.equal(server.proc.signalCode, 'SIGKILL', `${ctx}: the server must have died of SIGKILL`);
    for (const ch of chatters) ch.stop();
    await Promise.all([...work, ...clients.map((cl) => cl.closed)]);
    assert.deepEqual(failures.map((e) => e.message), [], `${ctx}: requests answered with something else than 2xx before the kill`);
    for (const ch of chatters) {
      assert.deepEqual(ch.errors, [], `${ctx}: error frames for chat messages`);
    }

    // ---- 2. record what was acknowledged ----------------------------------------------------
    const unacked = []; // {cid, body, customer, ticketId, via}
    for (const [i, ch] of chatters.entries()) {
      const c = customers[i];
      for (const [cid, body] of ch.sent) if (!firstBody.has(cid)) firstBody.set(cid, body);
      for (const [cid, id] of ch.acked) {
        ackedMsgs.set(cid, { ticketId: c.chatTicketId, id, body: ch.sent.get(cid), via: 'ws ack', round });
      }
      for (const cid of ch.unacked()) unacked.push({ cid, body: ch.sent.get(cid), customer: c, ticketId: c.chatTicketId, via: 'ws' });
      totals.wsAcked += ch.acked.size;
      totals.wsUnacked += ch.unacked().length;
    }
    for (const [cid, a] of restAcked) {
      firstBody.set(cid, a.body);
      assert.ok(!ackedMsgs.has(cid));
      ackedMsgs.set(cid, { ticketId: a.ticketId, id: a.id, body: a.body, via: `REST ${a.status}`, round });
    }
    for (const [cid, body] of restPending) {
      firstBody.set(cid, body);
      const c = restPendingOwner.get(cid);
      unacked.push({ cid, body, customer: c, ticketId: c.chatTicketId, via: 'rest' });
    }
    totals.restAcked += restAcked.size;
    totals.restPending += restPending.size;
    for (const [id, v] of created) {
      const owner = customers.find((c) => v.subject.includes(` c${c.idx} `));
      tickets201.set(id, { ...v, round, owner });
    }
    totals.tickets201 += created.size;
    const uploadsTried = [...attempts.keys()].filter((s) => s.startsWith(`crash r${round} `)).length;
    if (unacked.length > 0 || uploadsTried > created.size) totals.roundsCut += 1; // something was in flight at the kill

    // ---- 3. restart on the same data dir ------------------------------------------------------
    const tmpAtKill = [...(await walkFiles(server.filesDir)).keys()].filter((f) => /\.tmp\b/i.test(f)).length;
    totals.tmpAtKill += tmpAtKill;
    await server.restart();
    const startLog = server.output().slice(server.output().lastIndexOf(`--- `));
    const swept = /event=orphans_removed count=(\d+)/.exec(startLog);
    if (swept) totals.orphansSwept += Number(swept[1]);

    // ---- 4. tickets and attachments ---------------------------------------------------------
    const listed = new Map(); // id -> ticket
    let attachmentsTotal = 0;
    for (const c of customers) {
      for (const tk of await listAllTickets(server, c.auth)) {
        assert.ok(!listed.has(tk.id), `${ctx}: ticket ${tk.id} listed twice`);
        listed.set(tk.id, tk);
        attachmentsTotal += tk.attachments.length;
        // No ticket without its attachments (acknowledged or not).
        assert.ok(tk.attachments.length >= 1, `${ctx}: ticket ${tk.id} "${tk.subject}" exists without any attachment`);
        const att = attempts.get(tk.subject);
        if (att) {
          assert.equal(tk.attachments.length, att.nFiles,
            `${ctx}: ticket ${tk.id} "${tk.subject}" was uploaded with ${att.nFiles} screenshot(s) but has ${tk.attachments.length}`);
        } else {
          assert.ok(setupTickets.has(tk.id), `${ctx}: ticket ${tk.id} "${tk.subject}" was never sent by this test`);
        }
      }
    }
    const subjects = [...listed.values()].map((tk) => tk.subject);
    assert.equal(new Set(subjects).size, subjects.length, `${ctx}: one upload stored as two tickets: ${subjects.filter((s, i) => subjects.indexOf(s) !== i).join(', ')}`);
    for (const [id, v] of tickets201) {
      const tk = listed.get(id);
      assert.ok(tk, `${ctx}: ticket ${id} "${v.subject}" answered 201 in round ${v.round} is gone after kill -9 + restart`);
      assert.equal(tk.subject, v.subject, `${ctx}: ticket ${id} subject`);
      assert.equal(tk.customer.id, v.owner.userId, `${ctx}: ticket ${id} owner`);
      assert.deepEqual(tk.attachments.map(attachmentKey), v.ticket.attachments.map(attachmentKey),
        `${ctx}: ticket ${id} (201 in round ${v.round}) has other attachments than its 201 said`);
      assert.equal(v.ticket.attachments.length, v.nFiles, `${ctx}: the 201 of ticket ${id} lists ${v.ticket.attachments.length} attachments for ${v.nFiles} files`);
    }
    // Bytes of every attachment not yet checked (new this round, acknowledged or not).
    for (const tk of listed.values()) {
      const owner = customers.find((c) => c.userId === tk.customer.id);
      for (const a of tk.attachments) {
        if (bytesChecked.has(a.id)) continue;
        const what = `${ctx}: attachment ${a.id} of ticket ${tk.id} "${tk.subject}"`;
        const img = await getAttachmentBytes(server, owner.auth, a.url);
        assert.equal(img.body.length, a.size, `${what}: GET ${a.url} returned ${img.body.length} bytes, size says ${a.size}`);
        assert.equal(img.contentType, a.content_type, `${what}: Content-Type`);
        assertWholeImage(img.body, a.content_type, what);
        const th = await getAttachmentBytes(server, owner.auth, a.thumb_url);
        assertWholeImage(th.body, th.contentType, `${what} (thumbnail)`);
        bytesChecked.add(a.id);
      }
    }
    const lost = [...attempts.keys()].filter((s) => s.startsWith(`crash r${round} `) && !subjects.includes(s));
    totals.ticketsLost += lost.length; // unanswered uploads that were not stored: fine

    // ---- 5. files on disk: exactly image + thumbnail per attachment -------------------------
    const files = await filesOnDisk(server);
    const tmp = [...(await walkFiles(server.dataDir)).keys()].filter((f) => /\.tmp\b/i.test(f));
    assert.deepEqual(tmp, [], `${ctx}: temporary files left in the data dir ${server.dataDir}`);
    const dbNames = await dbFileNames(server);
    const counts = await dbCounts(server);
    assert.equal(counts.ticketsWithoutAttachments, 0, `${ctx}: the database holds ${counts.ticketsWithoutAttachments} ticket(s) without attachments`);
    assert.equal(counts.tickets, listed.size, `${ctx}: the database holds ${counts.tickets} tickets, the customers see ${listed.size}`);
    assert.equal(counts.attachments, attachmentsTotal, `${ctx}: the database holds ${counts.attachments} attachments, the API shows ${attachmentsTotal}`);
    const dbSet = new Set(dbNames);
    const fileSet = new Set(files);
    const orphans = files.filter((f) => !dbSet.has(f));
    const missing = dbNames.filter((f) => !fileSet.has(f));
    assert.deepEqual(orphans, [], `${ctx}: orphan files (no attachment names them) under ${server.filesDir}`);
    assert.deepEqual(missing, [], `${ctx}: files named by attachments but absent from ${server.filesDir}`);
    assert.equal(files.length, 2 * attachmentsTotal, `${ctx}: ${files.length} files for ${attachmentsTotal} attachments (want image + thumbnail each)`);

    // ---- 6. chat messages -------------------------------------------------------------------
    const stored = new Map(); // ticketId -> [Message]
    const checkMessages = async (label) => {
      for (const c of customers) {
        const msgs = await allMessages(server, c.auth, c.chatTicketId);
        stored.set(c.chatTicketId, msgs);
        const ids = msgs.map((m) => m.id);
        assert.equal(new Set(ids).size, ids.length, `${label}: a message id is listed twice in ticket ${c.chatTicketId}`);
        const byCid = new Map();
        for (const m of msgs) {
          if (m.client_id == null) continue;
          assert.ok(!byCid.has(m.client_id), `${label}: client_id ${m.client_id} stored twice in ticket ${c.chatTicketId}: `
            + `messages ${byCid.get(m.client_id)?.id} and ${m.id}`);
          byCid.set(m.client_id, m);
          const fb = firstBody.get(m.client_id);
          if (fb !== undefined) {
            assert.equal(m.body, fb, `${label}: message ${m.id} (client_id ${m.client_id}) has another body than the one first sent`);
          }
        }
        const byId = new Map(msgs.map((m) => [m.id, m]));
        for (const [cid, a] of ackedMsgs) {
          if (a.ticketId !== c.chatTicketId) continue;
          const m = byId.get(a.id);
          assert.ok(m, `${label}: message ${a.id} (client_id ${cid}, acknowledged by ${a.via} in round ${a.round}) is missing after kill -9 + restart`);
          assert.equal(m.client_id, cid, `${label}: message ${a.id} has client_id ${m.client_id}, acknowledged as ${cid}`);
          assert.equal(m.body, a.body, `${label}: message ${a.id} (client_id ${cid}) body`);
        }
      }
    };
    await checkMessages(ctx);

    // ---- 7. resend some client_ids whose ack never came -------------------------------------
    const toResend = unacked.sort(() => Math.random() - 0.5).slice(0, RESEND_PER_ROUND);
    if (toResend.length) {
      const before = new Map();
      for (const u of toResend) {
        const m = stored.get(u.ticketId).find((x) => x.client_id === u.cid);
        before.set(u.cid, m ?? null);
        if (m) totals.resentFound += 1;
      }
      const resendWs = new Map();
      try {
        for (const [i, u] of toResend.entries()) {
          const prior = before.get(u.cid);
          let id;
          if (i % 2 === 0) {
            let ws = resendWs.get(u.customer.idx);
            if (!ws) {
              ws = await connectWs(server, u.customer.auth, { label: `${ctx} resend c${u.customer.idx}` });
              resendWs.set(u.customer.idx, ws);
            }
            const ack = await ws.sendMessage(u.ticketId, u.body, u.cid);
            assert.equal(ack.type, 'ack', `${ctx}: resend of ${u.via} client_id ${u.cid} over WS: ${JSON.stringify(ack)}`);
            id = ack.message_id;
          } else {
            const res = await postMessage(server, u.customer.auth, u.ticketId, u.body, u.cid);
            assert.equal(res.status, prior ? 200 : 201,
              `${ctx}: resend of ${u.via} client_id ${u.cid} over REST (${prior ? `already stored as ${prior.id}` : 'not stored'}): HTTP ${res.status} ${res.text}`);
            id = res.json.message.id;
          }
          if (prior) assert.equal(id, prior.id, `${ctx}: resend of client_id ${u.cid} must return the stored message ${prior.id}, got ${id}`);
          ackedMsgs.set(u.cid, { ticketId: u.ticketId, id, body: u.body, via: `resend after round ${round}`, round });
          totals.resent += 1;
        }
      } finally {
        await Promise.all([...resendWs.values()].map((ws) => ws.close()));
      }
      await checkMessages(`${ctx} (after resending ${toResend.length} unacknowledged client_ids)`);
    }
  }

  const secs = ((Date.now() - started) / 1000).toFixed(1);
  t.diagnostic(`${ROUNDS} rounds in ${secs} s; kill delays ${Math.min(...totals.killDelays)}..${Math.max(...totals.killDelays)} ms; `
    + `${totals.roundsCut} rounds killed with requests in flight; the server swept ${totals.orphansSwept} orphan files at `
    + `start-up (${totals.tmpAtKill} *.tmp files were left by the kills)`);
  t.diagnostic(`WS: ${totals.wsAcked} acked, ${totals.wsUnacked} unacked; REST: ${totals.restAcked} 2xx, ${totals.restPending} unanswered; `
    + `tickets: ${totals.tickets201} x 201, ${totals.ticketsLost} unanswered and not stored, ${bytesChecked.size} attachments checked; `
    + `resent ${totals.resent} unacked client_ids (${totals.resentFound} had been stored)`);
  // The load must really have been cut mid-traffic, or the test proves nothing.
  assert.ok(totals.wsAcked > 0 && totals.restAcked > 0 && totals.tickets201 > 0, 'no traffic was acknowledged at all');
  assert.ok(totals.wsUnacked + totals.restPending > 0, 'no chat message was ever in flight at a kill');
  assert.ok(totals.roundsCut >= ROUNDS / 2, `only ${totals.roundsCut} of ${ROUNDS} rounds were killed mid-traffic`);
});
