// WebSocket upgrade authentication and Origin checks; logout closes that session's sockets only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, login, api, sleep } from './lib/harness.mjs';
import { connectWs, upgradeStatus, customerWithTicket, postMessageOk, clientId } from './lib/chat.mjs';

let server;
let A;

before(async () => {
  server = await startServer();
  A = await customerWithTicket(server, { name: 'Alice Customer' });
});

after(async () => {
  await server?.stop();
});

const j = (x) => JSON.stringify(x);

test('an unauthenticated upgrade gets 401 (no credentials, a bad token, a bad cookie)', async () => {
  for (const [what, auth] of [
    ['no credentials', {}],
    ['an unknown bearer token', { token: 'not-a-real-token-0123456789abcdef' }],
    ['an unknown session cookie', { cookie: 'helpline_session=deadbeefdeadbeefdeadbeef' }],
  ]) {
    const r = await upgradeStatus(server, auth);
    assert.equal(r.status, 401, `${what}: upgrade answered ${r.status} ${r.body ?? ''}`);
    assert.equal(r.json?.error?.code, 'unauthenticated', `${what}: ${r.body}`);
  }
});

test('an upgrade with an Origin of another site gets 403; the own origin and no Origin are accepted', async () => {
  for (const origin of ['http://evil.example', 'https://127.0.0.1', `http://localhost:${server.port}`, 'null']) {
    for (const [how, auth] of [['bearer', { token: A.auth.token }], ['cookie', { cookie: A.auth.cookie }]]) {
      const r = await upgradeStatus(server, auth, { origin });
      assert.equal(r.status, 403, `Origin ${origin} (${how}): upgrade answered ${r.status} ${r.body ?? ''}`);
      assert.ok(['bad_origin', 'forbidden'].includes(r.json?.error?.code), `Origin ${origin}: ${r.body}`);
    }
  }
  assert.equal((await upgradeStatus(server, { cookie: A.auth.cookie }, { origin: true })).status, 101, 'own origin + cookie');
  assert.equal((await upgradeStatus(server, { token: A.auth.token }, { origin: true })).status, 101, 'own origin + bearer');
  assert.equal((await upgradeStatus(server, { token: A.auth.token })).status, 101, 'no Origin + bearer (a non-browser client)');
  // no session and a foreign origin: refused either way
  assert.ok([401, 403].includes((await upgradeStatus(server, {}, { origin: 'http://evil.example' })).status));
});

test('hello names the user of the session (bearer or cookie)', async () => {
  const b = await connectWs(server, { token: A.auth.token }, { label: 'bearer' });
  const c = await connectWs(server, { cookie: A.auth.cookie }, { origin: true, label: 'cookie' });
  for (const ws of [b, c]) {
    assert.equal(ws.hello.user.id, A.user.id, j(ws.hello));
    assert.equal(ws.hello.user.role, 'customer');
    assert.ok(!Number.isNaN(Date.parse(ws.hello.server_time)), `hello.server_time: ${j(ws.hello)}`);
    await ws.close();
  }
});

test("logout closes that session's sockets (code 1008) and only that session's", async () => {
  const T = A.ticket.id;
  // session 1: from signup (A.auth); session 2: a second login of the same user
  const s2 = await login(server.url, { email: A.auth.email, password: A.auth.password });
  const other = await signup(server.url, { name: 'Other Customer' });
  const s1Bearer = await connectWs(server, { token: A.auth.token }, { label: 'session 1 (bearer)' });
  const s1Cookie = await connectWs(server, { cookie: A.auth.cookie }, { origin: true, label: 'session 1 (cookie)' });
  const s2Ws = await connectWs(server, { token: s2.token }, { label: 'session 2' });
  const otherWs = await connectWs(server, other, { label: 'another user' });
  for (const ws of [s1Bearer, s1Cookie, s2Ws]) await ws.subscribe(T);

  const res = await api(server.url, 'POST', '/api/v1/auth/logout', { token: A.auth.token });
  assert.equal(res.status, 204, `logout: HTTP ${res.status} ${res.text}`);

  for (const ws of [s1Bearer, s1Cookie]) {
    const info = await Promise.race([ws.closed, sleep(5000).then(() => null)]);
    assert.ok(info, `${ws.label}: still open 5 s after its session logged out`);
    assert.equal(info.code, 1008, `${ws.label}: close code ${info.code} (${info.reason}), expected 1008 (policy violation)`);
  }
  await sleep(300);
  for (const ws of [s2Ws, otherWs]) {
    assert.ok(ws.isOpen, `${ws.label} was closed by another session's logout: ${j(ws.closeInfo)}`);
    ws.send({ type: 'ping' });
    await ws.next('pong', { what: `pong on ${ws.label}` });
  }
  // session 2 still receives the room's messages
  const m = await postMessageOk(server, { token: s2.token }, T, 'still here', clientId('s2'));
  await s2Ws.next((f) => f.type === 'message' && f.message.id === m.id);
  // the dead session cannot come back
  assert.equal((await upgradeStatus(server, { token: A.auth.token })).status, 401, 'upgrade with the logged-out token');
  assert.equal((await upgradeStatus(server, { cookie: A.auth.cookie }, { origin: true })).status, 401, 'upgrade with the logged-out cookie');
  await s2Ws.close();
  await otherWs.close();
});
