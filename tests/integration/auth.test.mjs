// Authentication: signup, login, logout, /me, sessions, cookies, Origin checks, throttling.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, signup, login, uniqueEmail, assertError, assertStatus, assertUser, describeRes,
  sessionCookie, walkFiles, createAgent, postTicket,
} from './lib/harness.mjs';
import fsp from 'node:fs/promises';
import path from 'node:path';

const FOREIGN = 'https://evil.example';

describe('auth', () => {
  let server;
  let url;
  before(async () => {
    server = await startServer();
    url = server.url;
  });
  after(async () => { await server?.stop(); });

  describe('signup', () => {
    it('creates a customer: 201 {user, token}, sets an HttpOnly SameSite=Lax session cookie', async () => {
      const email = uniqueEmail('signup');
      const res = await api(url, 'POST', '/api/v1/auth/signup', { json: { email, password: 'correct horse', name: 'Ada Lovelace' } });
      assert.equal(res.status, 201, describeRes(res));
      assertUser(res.json.user, { email, name: 'Ada Lovelace', role: 'customer' });
      assert.equal(typeof res.json.token, 'string');
      assert.ok(res.json.token.length >= 20, `token looks too short: ${res.json.token}`);
      assert.ok(!('password' in res.json.user) && !('password_hash' in res.json.user), 'User must not expose the password');
      const c = sessionCookie(res);
      assert.ok(c, `no helpline_session cookie: ${JSON.stringify(res.headers.getSetCookie())}`);
      assert.ok(c.value.length > 0);
      assert.match(c.setCookie, /;\s*HttpOnly/i, `cookie lacks HttpOnly: ${c.setCookie}`);
      assert.match(c.setCookie, /;\s*SameSite=Lax/i, `cookie lacks SameSite=Lax: ${c.setCookie}`);
      // the new session works with both the token and the cookie
      const me1 = await api(url, 'GET', '/api/v1/me', { token: res.json.token });
      assert.equal(me1.status, 200, describeRes(me1));
      assert.equal(me1.json.user.id, res.json.user.id);
      const me2 = await api(url, 'GET', '/api/v1/me', { cookie: c.cookie });
      assert.equal(me2.status, 200, describeRes(me2));
      assert.equal(me2.json.user.id, res.json.user.id);
    });

    it('stores neither the session token nor the password in clear in the data dir', async () => {
      const password = 'Plaintext-Canary-' + Date.now();
      const s = await signup(url, { password });
      const files = await walkFiles(server.dataDir);
      for (const rel of files.keys()) {
        const data = await fsp.readFile(path.join(server.dataDir, rel));
        assert.ok(!data.includes(Buffer.from(s.token)), `the session token appears in clear in ${rel}`);
        assert.ok(!data.includes(Buffer.from(password)), `the password appears in clear in ${rel}`);
      }
    });

    it('email is unique and case-insensitive: 409 email_taken', async () => {
      const local = `Dup-${Date.now()}`;
      await signup(url, { email: `${local}@Example.COM` });
      const r1 = await api(url, 'POST', '/api/v1/auth/signup', { json: { email: `${local}@Example.COM`, password: 'password123', name: 'X' } });
      assertError(r1, 409, 'email_taken');
      const r2 = await api(url, 'POST', '/api/v1/auth/signup', { json: { email: `${local.toLowerCase()}@example.com`, password: 'password123', name: 'X' } });
      assertError(r2, 409, 'email_taken');
      const r3 = await api(url, 'POST', '/api/v1/auth/signup', { json: { email: `${local.toUpperCase()}@EXAMPLE.COM`, password: 'password123', name: 'X' } });
      assertError(r3, 409, 'email_taken');
    });

    it('missing or empty fields -> 422 validation_failed with field', async () => {
      const good = { email: uniqueEmail('v'), password: 'password123', name: 'Val' };
      for (const f of ['email', 'password', 'name']) {
        const missing = { ...good };
        delete missing[f];
        assertError(await api(url, 'POST', '/api/v1/auth/signup', { json: missing }), 422, 'validation_failed', f);
        assertError(await api(url, 'POST', '/api/v1/auth/signup', { json: { ...good, [f]: '' } }), 422, 'validation_failed', f);
      }
    });

    it('bad email -> 422 field email', async () => {
      for (const email of ['plainaddress', 'no-dot@localhost', '@example.com', 'someone@', 'a b@example.com', 'two@@example.com']) {
        const res = await api(url, 'POST', '/api/v1/auth/signup', { json: { email, password: 'password123', name: 'E' } });
        assertError(res, 422, 'validation_failed', 'email');
      }
    });

    it('password shorter than 8 characters -> 422 field password; exactly 8 is fine', async () => {
      assertError(await api(url, 'POST', '/api/v1/auth/signup', { json: { email: uniqueEmail('p'), password: '1234567', name: 'P' } }),
        422, 'validation_failed', 'password');
      const ok = await api(url, 'POST', '/api/v1/auth/signup', { json: { email: uniqueEmail('p'), password: '12345678', name: 'P' } });
      assertStatus(ok, 201);
    });

    it('name is 1..100 code points (not bytes, not UTF-16 units)', async () => {
      const emoji = '\u{1F600}'; // 1 code point, 2 UTF-16 units, 4 UTF-8 bytes
      const ok = await api(url, 'POST', '/api/v1/auth/signup', { json: { email: uniqueEmail('n'), password: 'password123', name: emoji.repeat(100) } });
      assert.equal(ok.status, 201, `a 100-code-point name must be accepted: ${describeRes(ok)}`);
      assert.equal(ok.json.user.name, emoji.repeat(100));
      const tooLong = await api(url, 'POST', '/api/v1/auth/signup', { json: { email: uniqueEmail('n'), password: 'password123', name: 'n'.repeat(101) } });
      assertError(tooLong, 422, 'validation_failed', 'name');
      const tooLong2 = await api(url, 'POST', '/api/v1/auth/signup', { json: { email: uniqueEmail('n'), password: 'password123', name: emoji.repeat(101) } });
      assertError(tooLong2, 422, 'validation_failed', 'name');
    });

    it('a body that is not JSON -> 400 invalid_json', async () => {
      for (const body of ['not json', '{"email": "a@b.co", ', '']) {
        const res = await api(url, 'POST', '/api/v1/auth/signup', { body, headers: { 'content-type': 'application/json' } });
        assertError(res, 400, 'invalid_json');
      }
      const login1 = await api(url, 'POST', '/api/v1/auth/login', { body: '{{{', headers: { 'content-type': 'application/json' } });
      assertError(login1, 400, 'invalid_json');
    });

    it('invalid UTF-8 in a text field is refused (400 or 422), never stored', async () => {
      const body = Buffer.concat([
        Buffer.from(`{"email":"${uniqueEmail('u8')}","password":"password123","name":"bad `),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('"}'),
      ]);
      const res = await api(url, 'POST', '/api/v1/auth/signup', { body, headers: { 'content-type': 'application/json' } });
      assertError(res, [400, 422], ['invalid_json', 'bad_request', 'validation_failed']);
    });

    it('signup with a foreign Origin -> 403 bad_origin; with its own Origin -> 201', async () => {
      const bad = await api(url, 'POST', '/api/v1/auth/signup', {
        origin: FOREIGN, json: { email: uniqueEmail('o'), password: 'password123', name: 'O' },
      });
      assertError(bad, 403, 'bad_origin');
      const ok = await api(url, 'POST', '/api/v1/auth/signup', {
        origin: true, json: { email: uniqueEmail('o'), password: 'password123', name: 'O' },
      });
      assertStatus(ok, 201);
    });
  });

  describe('login', () => {
    let acct;
    before(async () => { acct = await signup(url, { password: 'login-pass-123', name: 'Lou Login' }); });

    it('200 {user, token} with a cookie; each login gives a new token and both stay valid', async () => {
      const a = await login(url, { email: acct.email, password: 'login-pass-123' });
      const b = await login(url, { email: acct.email, password: 'login-pass-123' });
      assertUser(a.user, { email: acct.email, role: 'customer', name: 'Lou Login' });
      assert.notEqual(a.token, b.token, 'each login must return a new token');
      assert.notEqual(a.token, acct.token);
      assert.match(a.setCookie, /HttpOnly/i);
      assert.match(a.setCookie, /SameSite=Lax/i);
      for (const t of [a.token, b.token, acct.token]) {
        const me = await api(url, 'GET', '/api/v1/me', { token: t });
        assert.equal(me.status, 200, describeRes(me));
      }
    });

    it('the email is case-insensitive at login', async () => {
      const s = await login(url, { email: acct.email.toUpperCase(), password: 'login-pass-123' });
      assert.equal(s.user.id, acct.user.id);
    });

    it('wrong password and unknown email -> the same 401', async () => {
      const wrong = await api(url, 'POST', '/api/v1/auth/login', { json: { email: acct.email, password: 'wrong-password' } });
      const unknown = await api(url, 'POST', '/api/v1/auth/login', { json: { email: uniqueEmail('nobody'), password: 'wrong-password' } });
      const e1 = assertError(wrong, 401, wrong.json?.error?.code ?? 'unauthenticated');
      const e2 = assertError(unknown, 401, unknown.json?.error?.code ?? 'unauthenticated');
      assert.equal(e1.code, e2.code, 'wrong password and unknown email must give the same code');
      assert.equal(e1.message, e2.message, 'wrong password and unknown email must give the same message');
      assert.ok(!wrong.headers.getSetCookie().some((c) => /helpline_session=[^;]+/.test(c) && !/helpline_session=;|Max-Age=0/i.test(c)),
        'a failed login must not set a session cookie');
    });

    it('missing fields -> 422 validation_failed with field', async () => {
      assertError(await api(url, 'POST', '/api/v1/auth/login', { json: { password: 'x12345678' } }), 422, 'validation_failed', 'email');
      assertError(await api(url, 'POST', '/api/v1/auth/login', { json: { email: acct.email } }), 422, 'validation_failed', 'password');
      assertError(await api(url, 'POST', '/api/v1/auth/login', { json: { email: acct.email, password: '' } }), 422, 'validation_failed', 'password');
    });

    it('login with a foreign Origin -> 403 bad_origin; with its own Origin -> 200', async () => {
      const bad = await api(url, 'POST', '/api/v1/auth/login', { origin: FOREIGN, json: { email: acct.email, password: 'login-pass-123' } });
      assertError(bad, 403, 'bad_origin');
      const bad2 = await api(url, 'POST', '/api/v1/auth/login', { origin: 'null', json: { email: acct.email, password: 'login-pass-123' } });
      assertError(bad2, 403, 'bad_origin');
      const ok = await api(url, 'POST', '/api/v1/auth/login', { origin: true, json: { email: acct.email, password: 'login-pass-123' } });
      assertStatus(ok, 200);
    });

    it('after 10 failed logins for one email -> 429 rate_limited with Retry-After, even with the right password', async () => {
      const victim = await signup(url, { password: 'victim-pass-123' });
      for (let i = 1; i <= 10; i++) {
        const r = await api(url, 'POST', '/api/v1/auth/login', { json: { email: victim.email, password: `bad-guess-${i}` } });
        assert.equal(r.status, 401, `failed attempt #${i} should still be 401: ${describeRes(r)}`);
      }
      const blocked = await api(url, 'POST', '/api/v1/auth/login', { json: { email: victim.email, password: 'victim-pass-123' } });
      assertError(blocked, 429, 'rate_limited');
      const ra = blocked.headers.get('retry-after');
      assert.ok(ra, `429 without Retry-After: ${describeRes(blocked)}`);
      assert.ok((/^\d+$/.test(ra) && Number(ra) > 0) || !Number.isNaN(Date.parse(ra)), `Retry-After "${ra}" is not seconds or a date`);
      // another email from the same address is not blocked (far below the 50-per-address limit)
      const other = await login(url, { email: acct.email, password: 'login-pass-123' });
      assert.ok(other.token);
      // the victim's existing session keeps working
      const me = await api(url, 'GET', '/api/v1/me', { token: victim.token });
      assertStatus(me, 200);
    });
  });

  describe('me', () => {
    it('200 {user, unread_total} with bearer or cookie', async () => {
      const s = await signup(url, { name: 'Mia Me' });
      for (const auth of [{ token: s.token }, { cookie: s.cookie }]) {
        const res = await api(url, 'GET', '/api/v1/me', auth);
        assert.equal(res.status, 200, describeRes(res));
        assertUser(res.json.user, { email: s.email, name: 'Mia Me', role: 'customer' });
        assert.equal(res.json.unread_total, 0);
      }
    });

    it('no session, a garbage token, a garbage cookie -> 401 unauthenticated', async () => {
      assertError(await api(url, 'GET', '/api/v1/me'), 401, 'unauthenticated');
      assertError(await api(url, 'GET', '/api/v1/me', { token: 'garbage-token' }), 401, 'unauthenticated');
      assertError(await api(url, 'GET', '/api/v1/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'unauthenticated');
      assertError(await api(url, 'GET', '/api/v1/me', { cookie: 'helpline_session=garbage' }), 401, 'unauthenticated');
      assertError(await api(url, 'GET', '/api/v1/me', { headers: { authorization: 'Bearer ' } }), 401, 'unauthenticated');
    });

    it('an agent created with the CLI has role agent', async () => {
      const agent = await createAgent(server, { name: 'Alex Agent' });
      const me = await api(url, 'GET', '/api/v1/me', { token: agent.token });
      assert.equal(me.status, 200, describeRes(me));
      assertUser(me.json.user, { email: agent.email, name: 'Alex Agent', role: 'agent' });
      assert.equal(typeof me.json.unread_total, 'number');
    });
  });

  describe('logout', () => {
    it('bearer logout -> 204; that token is dead at once, other sessions live on', async () => {
      const s = await signup(url, { password: 'logout-pass-1' });
      const other = await login(url, { email: s.email, password: 'logout-pass-1' });
      const res = await api(url, 'POST', '/api/v1/auth/logout', { token: s.token });
      assert.equal(res.status, 204, describeRes(res));
      assert.equal(res.body.length, 0, '204 must have no body');
      assertError(await api(url, 'GET', '/api/v1/me', { token: s.token }), 401, 'unauthenticated');
      assertError(await api(url, 'GET', '/api/v1/me', { cookie: s.cookie }), 401, 'unauthenticated');
      const me = await api(url, 'GET', '/api/v1/me', { token: other.token });
      assert.equal(me.status, 200, `logout must end that session only: ${describeRes(me)}`);
    });

    it('cookie logout with its own Origin -> 204, clears the cookie, cookie dead at once', async () => {
      const s = await signup(url);
      const res = await api(url, 'POST', '/api/v1/auth/logout', { cookie: s.cookie, origin: true });
      assert.equal(res.status, 204, describeRes(res));
      const cleared = res.headers.getSetCookie().find((c) => /^\s*helpline_session=/.test(c));
      assert.ok(cleared, `logout must clear the cookie; Set-Cookie: ${JSON.stringify(res.headers.getSetCookie())}`);
      assert.ok(/helpline_session=(;|$)/.test(cleared) || /Max-Age=0/i.test(cleared) || /Expires=[^;]*19[7-9]\d/i.test(cleared),
        `the Set-Cookie does not clear the cookie: ${cleared}`);
      assertError(await api(url, 'GET', '/api/v1/me', { cookie: s.cookie }), 401, 'unauthenticated');
      assertError(await api(url, 'GET', '/api/v1/me', { token: s.token }), 401, 'unauthenticated');
    });

    it('cookie logout without Origin or with a foreign Origin -> 403 bad_origin, session survives', async () => {
      const s = await signup(url);
      assertError(await api(url, 'POST', '/api/v1/auth/logout', { cookie: s.cookie }), 403, 'bad_origin');
      assertError(await api(url, 'POST', '/api/v1/auth/logout', { cookie: s.cookie, origin: FOREIGN }), 403, 'bad_origin');
      const port = new URL(url).port;
      assertError(await api(url, 'POST', '/api/v1/auth/logout', { cookie: s.cookie, origin: `http://localhost:${port}` }), 403, 'bad_origin');
      assertError(await api(url, 'POST', '/api/v1/auth/logout', { cookie: s.cookie, origin: `https://127.0.0.1:${port}` }), 403, 'bad_origin');
      const me = await api(url, 'GET', '/api/v1/me', { cookie: s.cookie });
      assert.equal(me.status, 200, `a refused logout must not end the session: ${describeRes(me)}`);
    });

    it('cookie-authenticated ticket creation needs its own Origin; bearer needs none', async () => {
      const s = await signup(url);
      const noOrigin = await postTicket(url, { cookie: s.cookie });
      assertError(noOrigin, 403, 'bad_origin');
      const foreign = await postTicket(url, { cookie: s.cookie, origin: FOREIGN });
      assertError(foreign, 403, 'bad_origin');
      const own = await postTicket(url, { cookie: s.cookie, origin: true });
      assert.equal(own.status, 201, describeRes(own));
      const bearer = await postTicket(url, { token: s.token });
      assert.equal(bearer.status, 201, describeRes(bearer));
      const list = await api(url, 'GET', '/api/v1/tickets', { token: s.token });
      assert.equal(list.json.items.length, 2, 'the refused requests must not have created tickets');
    });

    it('logout without a session -> 401 unauthenticated', async () => {
      assertError(await api(url, 'POST', '/api/v1/auth/logout'), 401, 'unauthenticated');
    });
  });
});

describe('auth: per-address login throttling (50 failures from one address)', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  it('after 50 failed logins from one address (spread over many emails) -> 429 rate_limited', async () => {
    const url = server.url;
    const acct = await signup(url, { password: 'addr-pass-123' });
    let n = 0;
    // 5 failures per email: far below the per-email limit of 10
    for (let e = 0; e < 10; e++) {
      const email = uniqueEmail(`spray${e}`);
      for (let i = 0; i < 5; i++) {
        n += 1;
        const r = await api(url, 'POST', '/api/v1/auth/login', { json: { email, password: 'wrong-password' } });
        assert.equal(r.status, 401, `failed attempt #${n} should still be 401: ${describeRes(r)}`);
      }
    }
    const blocked = await api(url, 'POST', '/api/v1/auth/login', { json: { email: acct.email, password: 'addr-pass-123' } });
    assertError(blocked, 429, 'rate_limited');
    assert.ok(blocked.headers.get('retry-after'), 'Retry-After missing');
  });
});
