// Operations: /healthz, /metrics, security headers on every kind of response, unknown paths,
// settings from flags and environment, the CLI, graceful shutdown and crash durability.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, api, signup, login, createAgent, runCli, uniqueEmail, assertError, assertSecurityHeaders, describeRes,
  createTicket, postTicket, fetchImage, makePng, TINY_GIF, walkFiles,
} from './lib/harness.mjs';

function isJson(res) {
  return /^application\/json/i.test(res.headers.get('content-type') || '');
}

describe('operations', () => {
  let server;
  let url;
  let cust;
  before(async () => {
    server = await startServer();
    url = server.url;
    cust = await signup(url);
  });
  after(async () => { await server?.stop(); });

  it('GET /healthz -> 200 {"status":"ok"}', async () => {
    const res = await api(url, 'GET', '/healthz');
    assert.equal(res.status, 200, describeRes(res));
    assert.deepEqual(res.json, { status: 'ok' });
    assert.ok(isJson(res), `Content-Type ${res.headers.get('content-type')}`);
    assertSecurityHeaders(res);
  });

  it('GET /metrics -> Prometheus text with # TYPE lines and a latency histogram', async () => {
    await api(url, 'GET', '/api/v1/me', { token: cust.token });
    const res = await api(url, 'GET', '/metrics');
    assert.equal(res.status, 200, describeRes(res));
    assert.match(res.headers.get('content-type') || '', /^text\/plain/i);
    assert.match(res.text, /^# TYPE \S+ (counter|gauge|histogram|summary|untyped)$/m, 'no "# TYPE" lines');
    assert.match(res.text, /^# TYPE \S+ histogram$/m, 'no histogram (request latency) in /metrics');
    assert.match(res.text, /_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/, 'histogram without an le="+Inf" bucket');
    for (const line of res.text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (NaN|[-+]?Inf|[-+]?[0-9.]+([eE][-+]?\d+)?)( -?\d+)?$/, `not a Prometheus sample line: ${line}`);
    }
    assertSecurityHeaders(res);
  });

  it('GET / returns HTML', async () => {
    const res = await api(url, 'GET', '/');
    assert.equal(res.status, 200, describeRes(res));
    assert.match(res.headers.get('content-type') || '', /^text\/html/i);
    assert.match(res.text, /<html|<!doctype html/i);
    assertSecurityHeaders(res);
  });

  it('an unknown /api/ path -> 404 not_found JSON', async () => {
    for (const p of ['/api/v1/nope', '/api/v2/tickets', '/api/', '/api/v1/tickets/1/nope']) {
      const res = await api(url, 'GET', p, { token: cust.token });
      assertError(res, 404, 'not_found');
      assert.ok(isJson(res), `${p}: Content-Type ${res.headers.get('content-type')}`);
      assertSecurityHeaders(res);
    }
    const anon = await api(url, 'GET', '/api/v1/definitely-not-here');
    assertError(anon, [401, 404], ['unauthenticated', 'not_found']);
  });

  it('security headers are on every kind of answer (pages, API, errors, 404s, uploads refused)', async () => {
    const answers = [
      await api(url, 'GET', '/'),
      await api(url, 'GET', '/no/such/page'),
      await api(url, 'GET', '/healthz'),
      await api(url, 'GET', '/api/v1/me'), // 401
      await api(url, 'GET', '/api/v1/me', { token: cust.token }),
      await api(url, 'GET', '/api/v1/categories', { token: cust.token }),
      await api(url, 'GET', '/api/v1/tickets', { token: cust.token }),
      await api(url, 'GET', '/api/v1/tickets?limit=0', { token: cust.token }), // 422
      await api(url, 'GET', '/api/v1/tickets?cursor=garbage', { token: cust.token }), // 400
      await api(url, 'POST', '/api/v1/auth/login', { body: 'nope', headers: { 'content-type': 'application/json' } }), // 400
      await api(url, 'POST', '/api/v1/auth/signup', { json: { email: 'x', password: 'p', name: '' } }), // 422
      await api(url, 'POST', '/api/v1/auth/logout', { cookie: cust.cookie, origin: 'https://evil.example' }), // 403
      await postTicket(url, { token: cust.token }, { files: [{ data: TINY_GIF, filename: 'x.gif', type: 'image/gif' }] }), // 415
      await api(url, 'GET', '/api/v1/tickets/123456789', { token: cust.token }), // 404
    ];
    for (const res of answers) {
      assert.ok(res.status < 500, describeRes(res));
      assertSecurityHeaders(res);
    }
  });

  it('every error body has the {"error":{"code","message"}} shape', async () => {
    const res = await api(url, 'POST', '/api/v1/auth/signup', { json: { email: 'bad', password: 'password123', name: 'n' } });
    const e = assertError(res, 422, 'validation_failed', 'email');
    assert.match(e.code, /^[a-z][a-z_]*$/);
    assert.ok(isJson(res));
  });

  it('the CLI creates agents; a duplicate email fails with a non-zero exit and no second account', async () => {
    const email = uniqueEmail('cli');
    const agent = await createAgent(server, { email, name: 'CLI Agent', password: 'cli-password-1' });
    assert.equal(agent.user.role, 'agent');
    const dup = await runCli(['user', 'add', '--role', 'agent', '--email', email.toUpperCase(), '--name', 'Dup', '--data-dir', server.dataDir],
      { input: 'another-password-1\n', env: server.env });
    assert.notEqual(dup.code, 0, `adding a duplicate email must fail:\n${dup.stdout}\n${dup.stderr}`);
    await login(url, { email, password: 'cli-password-1' }); // the original password still works
    const r = await api(url, 'POST', '/api/v1/auth/signup', { json: { email, password: 'password123', name: 'Taken' } });
    assertError(r, 409, 'email_taken');
  });
});

describe('operations: settings, shutdown and durability', () => {
  it('HELPLINE_PORT and HELPLINE_DATA_DIR work without the flags', async () => {
    const s = await startServer({ port: null, dataDirFlag: false, env: (dir) => ({ HELPLINE_PORT: '0', HELPLINE_DATA_DIR: dir }) });
    try {
      assert.ok(s.port > 0);
      const res = await api(s.url, 'GET', '/healthz');
      assert.equal(res.status, 200, describeRes(res));
      const c = await signup(s.url);
      // A ticket's screenshot lands in the data dir whichever database is in use.
      await createTicket(s.url, { token: c.token });
      const files = await walkFiles(s.dataDir);
      assert.ok(files.size > 0, `HELPLINE_DATA_DIR=${s.dataDir} was not used (empty)`);
    } finally {
      await s.stop();
    }
  });

  it('a flag wins over its environment variable (--port 0 over a busy HELPLINE_PORT)', async () => {
    const blocker = net.createServer();
    await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = blocker.address().port;
    try {
      const s = await startServer({ env: { HELPLINE_PORT: String(busy) } });
      try {
        assert.notEqual(s.port, busy);
        assert.equal((await api(s.url, 'GET', '/healthz')).status, 200);
      } finally {
        await s.stop();
      }
    } finally {
      blocker.close();
    }
  });

  it('SIGTERM shuts down gracefully (exit 0); data survives a restart', async () => {
    const s = await startServer();
    try {
      const c = await signup(s.url, { password: 'restart-pass-1' });
      const t = await createTicket(s.url, { token: c.token }, { subject: 'survives restart', files: [{ data: makePng(30, 20), filename: 'r.png', type: 'image/png' }] });
      const img = await fetchImage(s.url, { token: c.token }, t.attachments[0].url);
      const exit = await s.terminate();
      assert.ok(!exit.timedOut, 'the server did not exit within 10 s of SIGTERM');
      assert.equal(exit.code, 0, `exit after SIGTERM: code ${exit.code} signal ${exit.signal}\n${s.output().slice(-2000)}`);
      await s.restart();
      const again = await login(s.url, { email: c.email, password: 'restart-pass-1' });
      const got = await api(s.url, 'GET', `/api/v1/tickets/${t.id}`, { token: again.token });
      assert.equal(got.status, 200, describeRes(got));
      assert.equal(got.json.ticket.subject, 'survives restart');
      const img2 = await fetchImage(s.url, { token: again.token }, t.attachments[0].url);
      assert.ok(img2.res.body.equals(img.res.body), 'the attachment changed across the restart');
    } finally {
      await s.stop();
    }
  });

  it('a ticket answered 201 survives a kill -9', async () => {
    const s = await startServer();
    try {
      const c = await signup(s.url, { password: 'crash-pass-1' });
      const agent = await createAgent(s);
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await createTicket(s.url, { token: c.token }, { subject: `crash ${i}` }));
      await s.kill9();
      await s.restart();
      const again = await login(s.url, { email: c.email, password: 'crash-pass-1' });
      for (const t of made) {
        const got = await api(s.url, 'GET', `/api/v1/tickets/${t.id}`, { token: again.token });
        assert.equal(got.status, 200, `ticket ${t.id} lost after kill -9: ${describeRes(got)}`);
        await fetchImage(s.url, { token: again.token }, t.attachments[0].url);
        await fetchImage(s.url, { token: again.token }, t.attachments[0].thumb_url);
      }
      await login(s.url, { email: agent.email, password: agent.password });
    } finally {
      await s.stop();
    }
  });

  it('a missing data dir is created; two servers on two dirs are independent', async () => {
    const a = await startServer({ dataDirFlag: false, env: (dir) => ({ HELPLINE_DATA_DIR: path.join(dir, 'sub', 'deeper') }) });
    const b = await startServer();
    try {
      const ca = await signup(a.url);
      assert.ok(fs.existsSync(path.join(a.dataDir, 'sub', 'deeper')), 'the missing data dir was not created');
      const r = await api(b.url, 'POST', '/api/v1/auth/login', { json: { email: ca.email, password: ca.password } });
      assert.equal(r.status, 401, describeRes(r));
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
