// Hostile customer: reaching other customers' tickets, attachments, messages and read marks by id,
// over REST and over the WebSocket. Every answer must look exactly like "does not exist"
// (404 not_found / error frame not_found) and carry none of the victim's data.
//
// FINDING (high): a `subscribe` frame adds the connection to the ticket's room BEFORE the access
// check (which runs on the worker pool) has answered, and `ticket` events are sent to every room
// member, live or not. A customer who keeps re-subscribing to someone else's ticket while the pool
// is busy receives that ticket's `ticket` events: subject, description, customer name, attachment
// ids and file names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createAgent, signup, createTicket, api, sleep, makePng } from './lib/harness.mjs';
import { connectWs, postMessageOk, clientId } from './lib/chat.mjs';

let server;
let A; // victim customer
let T; // victim's ticket
let B; // attacker customer
let agent;
const SECRET = `SECRET-${process.pid}-${Date.now()}`;

before(async () => {
  server = await startServer();
  A = await signup(server.url, { name: `Alice ${SECRET}` });
  T = await createTicket(server.url, A, {
    subject: `Subject ${SECRET}`,
    description: `Description ${SECRET}`,
    files: [{ data: makePng(40, 30), filename: `file-${SECRET}.png`, type: 'image/png' }],
  });
  await postMessageOk(server, A, T.id, `Message ${SECRET}`, clientId('a'));
  B = await signup(server.url, { name: 'Mallory' });
  agent = await createAgent(server, { name: 'Agent Ann' });
});

after(async () => {
  await server?.stop();
});

const j = (x) => JSON.stringify(x);

function assertNoSecret(what, res) {
  const text = res.text ?? j(res);
  assert.ok(!text.includes(SECRET), `${what} leaked the victim's data: ${text.slice(0, 300)}`);
}

test("REST: every route on another customer's ticket/attachment answers like a missing one", async () => {
  const att = T.attachments[0].id;
  const missingTicket = T.id + 100000;
  const missingAtt = att + 100000;
  const cases = [
    ['GET', (id) => `/api/v1/tickets/${id}`, null],
    ['GET', (id) => `/api/v1/tickets/${id}/messages`, null],
    ['GET', (id) => `/api/v1/tickets/${id}/messages?after=0&limit=200`, null],
    ['POST', (id) => `/api/v1/tickets/${id}/messages`, { body: 'hi', client_id: 'x1' }],
    ['POST', (id) => `/api/v1/tickets/${id}/read`, { up_to: 1 }],
    ['PATCH', (id) => `/api/v1/tickets/${id}`, { status: 'closed' }],
    ['PATCH', (id) => `/api/v1/tickets/${id}`, { status: 'in_progress' }],
    ['PATCH', (id) => `/api/v1/tickets/${id}`, { priority: 'urgent' }],
    ['PATCH', (id) => `/api/v1/tickets/${id}`, {}],
    ['POST', (id) => `/api/v1/tickets/${id}/claim`, {}],
  ];
  for (const [method, p, json] of cases) {
    const real = await api(server.url, method, p(T.id), { token: B.token, json: json ?? undefined });
    const none = await api(server.url, method, p(missingTicket), { token: B.token, json: json ?? undefined });
    assertNoSecret(`${method} ${p(T.id)}`, real);
    assert.ok(real.status >= 400 && real.status < 500, `${method} ${p(T.id)} by another customer: HTTP ${real.status} ${real.text}`);
    if (!p(T.id).endsWith('/claim')) assert.equal(real.status, 404, `${method} ${p(T.id)}: ${real.text}`);
    assert.equal(real.status, none.status, `${method}: foreign ticket ${real.status} vs missing ticket ${none.status} (enumeration)`);
    assert.deepEqual(real.json, none.json, `${method}: foreign vs missing bodies differ (enumeration): ${real.text} / ${none.text}`);
  }
  for (const suffix of ['', '/thumb']) {
    for (const method of ['GET', 'HEAD']) {
      const real = await api(server.url, method, `/api/v1/attachments/${att}${suffix}`, { token: B.token });
      const none = await api(server.url, method, `/api/v1/attachments/${missingAtt}${suffix}`, { token: B.token });
      assert.equal(real.status, 404, `${method} attachment${suffix} of another customer: HTTP ${real.status}`);
      assert.ok(!/^image\//.test(real.headers.get('content-type') || ''), `${method} attachment${suffix}: image bytes served`);
      assert.equal(real.status, none.status);
      assert.equal(real.text, none.text, `${method} attachment${suffix}: foreign vs missing differ`);
    }
  }
  // the victim's data is untouched: no message from B, no read mark, status and priority as before
  const t = (await api(server.url, 'GET', `/api/v1/tickets/${T.id}`, { token: A.token })).json.ticket;
  assert.equal(t.status, 'open');
  assert.equal(t.priority, 'normal');
  const msgs = (await api(server.url, 'GET', `/api/v1/tickets/${T.id}/messages`, { token: A.token })).json.items;
  assert.ok(!msgs.some((m) => m.author?.id === B.user.id), `B wrote into A's ticket: ${j(msgs)}`);
});

test('REST: lists, search, counts and filters never show another customer\'s tickets', async () => {
  for (const q of ['', `?q=${SECRET}`, `?customer=${A.user.id}`, '?assignee=any', '?status=open,in_progress,resolved,closed',
    '?sort=-priority', '?limit=100']) {
    const res = await api(server.url, 'GET', `/api/v1/tickets${q}`, { token: B.token });
    assert.ok(res.status === 200 || res.status === 422, `GET /api/v1/tickets${q}: ${res.status} ${res.text}`);
    assertNoSecret(`GET /api/v1/tickets${q}`, res);
    if (res.status === 200) assert.deepEqual(res.json.items, [], `GET /api/v1/tickets${q} shows tickets to a customer who has none`);
  }
  const counts = await api(server.url, 'GET', '/api/v1/tickets/counts', { token: B.token });
  if (counts.status === 200) assert.equal(counts.json.counts.open, 0, `counts show other customers' tickets: ${counts.text}`);
  const me = await api(server.url, 'GET', '/api/v1/me', { token: B.token });
  assert.equal(me.json.unread_total, 0);
});

test("WS: subscribe, message, typing, read on another customer's ticket -> not_found, no data", async () => {
  const wb = await connectWs(server, { token: B.token }, { label: 'attacker' });
  try {
    const missing = T.id + 100000;
    for (const id of [T.id, missing]) {
      wb.send({ type: 'subscribe', ticket_id: id });
      const e1 = await wb.next((f) => (f.type === 'error' || f.type === 'subscribed') && (f.ref === id || f.ticket_id === id));
      assert.equal(e1.type, 'error', `subscribe ${id}: ${j(e1)}`);
      assert.equal(e1.code, 'not_found');
      const cid = clientId('m');
      wb.send({ type: 'message', ticket_id: id, body: 'from mallory', client_id: cid });
      const e2 = await wb.next((f) => f.type === 'error' || f.type === 'ack');
      assert.equal(e2.type, 'error', `message to ${id}: ${j(e2)}`);
      assert.equal(e2.code, 'not_found');
      wb.send({ type: 'read', ticket_id: id, up_to: 1 });
      const e3 = await wb.next((f) => f.type === 'error' && f.ref === id);
      assert.equal(e3.code, 'not_found');
      wb.send({ type: 'typing', ticket_id: id, state: true });
    }
    await sleep(300);
    for (const f of wb.frames) assert.ok(!j(f).includes(SECRET), `the attacker's socket got the victim's data: ${j(f)}`);
  } finally {
    wb.terminate();
  }
});

test("WS: re-subscribing to another customer's ticket never yields its `ticket` events (subscribe/access-check race)", async () => {
  const wb = await connectWs(server, { token: B.token }, { label: 'attacker' });
  let stop = false;
  // A busy worker pool (here: sign-ups, i.e. password hashing; in production: ordinary load) delays
  // the access check of `subscribe`; meanwhile the attacker's connection sits in the victim's room.
  const load = Array.from({ length: 6 }, async () => {
    while (!stop) await signup(server.url).catch(() => {});
  });
  const spam = (async () => {
    while (!stop) {
      wb.send({ type: 'subscribe', ticket_id: T.id });
      await sleep(25);
    }
  })();
  try {
    const deadline = Date.now() + 15_000;
    const prios = ['high', 'low'];
    for (let i = 0; Date.now() < deadline && i < 20; i++) {
      // each agent change of the victim's ticket publishes a `ticket` event
      const r = await api(server.url, 'PATCH', `/api/v1/tickets/${T.id}`, { token: agent.token, json: { priority: prios[i % 2] } });
      assert.equal(r.status, 200, r.text);
      if (wb.frames.some((f) => j(f).includes(SECRET))) break;
    }
  } finally {
    stop = true;
    await Promise.all([...load, spam]);
  }
  await sleep(300);
  const leaked = wb.frames.filter((f) => j(f).includes(SECRET));
  wb.terminate();
  assert.equal(leaked.length, 0,
    `a customer received ${leaked.length} frame(s) about another customer's ticket; first: ${String(j(leaked[0])).slice(0, 500)}`);
});
