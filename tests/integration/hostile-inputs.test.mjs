// Huge and malformed inputs: 100 KB JSON strings, deep nesting, 10k-character emails, invalid
// UTF-8 in JSON, multipart fields, query parameters. Every answer is a 4xx in the contract's shape,
// in valid UTF-8, and the server keeps serving.
//
// FINDING (low): the name of an over-long multipart field is echoed raw into the 413 error
// ("The field <name> is too long.", field: "<name>"): invalid UTF-8 from the client goes out as
// invalid UTF-8 in a JSON body ("All JSON is UTF-8"), and any markup in it is reflected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, api, createTicket, createAgent, buildMultipart, describeRes } from './lib/harness.mjs';

let server;
let C;
let T;
let agent;

before(async () => {
  server = await startServer();
  C = await signup(server.url);
  T = await createTicket(server.url, C);
  agent = await createAgent(server);
});

after(async () => {
  await server?.stop();
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

function assertCleanError(res, what, statuses = [400, 401, 413, 415, 422]) {
  assert.ok(statuses.includes(res.status), `${what}: ${describeRes(res, 200)}`);
  let text;
  try {
    text = utf8.decode(res.body);
  } catch {
    assert.fail(`${what}: HTTP ${res.status} body is not valid UTF-8: ${res.body.toString('latin1').slice(0, 160)}`);
  }
  const j = JSON.parse(text);
  assert.equal(typeof j.error?.code, 'string', `${what}: ${text}`);
  assert.ok(!/<script/i.test(text), `${what}: the error reflects client markup: ${text.slice(0, 200)}`);
}

function postJson(p, body, auth = {}) {
  return api(server.url, 'POST', p, { ...auth, body, headers: { 'content-type': 'application/json' } });
}

test('JSON: huge strings, deep nesting, bad UTF-8, lone surrogates, wrong types -> 4xx', async () => {
  const cases = [
    ['100 KB password', '/api/v1/auth/signup', JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(100_000), name: 'n' })],
    ['10k-character email', '/api/v1/auth/signup', JSON.stringify({ email: `${'a'.repeat(10_000)}@example.com`, password: 'long-enough-1', name: 'n' })],
    ['50k nested arrays', '/api/v1/auth/login', `${'['.repeat(30_000)}${']'.repeat(30_000)}`],
    ['5k nested objects', '/api/v1/auth/login', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`],
    ['invalid UTF-8 in a string', '/api/v1/auth/signup', Buffer.concat([Buffer.from('{"email":"u@example.com","password":"long-enough-1","name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
    ['lone surrogate escape', '/api/v1/auth/signup', '{"email":"s@example.com","password":"long-enough-1","name":"\\ud800"}'],
    ['overlong UTF-8 "/"', '/api/v1/auth/signup', Buffer.concat([Buffer.from('{"email":"o@example.com","password":"long-enough-1","name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
    ['not an object', '/api/v1/auth/login', '["email","password"]'],
    ['numbers for strings', '/api/v1/auth/login', '{"email":1e999,"password":-0}'],
    ['trailing garbage', '/api/v1/auth/login', '{"email":"a@b.co","password":"x"} trailing'],
    ['empty body', '/api/v1/auth/login', ''],
    ['message body 100 KB', `/api/v1/tickets/${T.id}/messages`, JSON.stringify({ body: 'x'.repeat(100_000) })],
    ['message body invalid UTF-8', `/api/v1/tickets/${T.id}/messages`, Buffer.concat([Buffer.from('{"body":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
    ['client_id of 101 characters', `/api/v1/tickets/${T.id}/messages`, JSON.stringify({ body: 'x', client_id: 'c'.repeat(101) })],
    ['read up_to 2^64', `/api/v1/tickets/${T.id}/read`, '{"up_to":18446744073709551616}'],
    ['read up_to -1', `/api/v1/tickets/${T.id}/read`, '{"up_to":-1}'],
  ];
  for (const [what, p, body] of cases) {
    const res = await postJson(p, body, p.includes('/tickets/') ? { token: C.token } : {});
    assertCleanError(res, what);
  }
  const patch = await api(server.url, 'PATCH', `/api/v1/tickets/${T.id}`, { token: agent.token, body: '{"status":{"$ne":null},"priority":["urgent"]}', headers: { 'content-type': 'application/json' } });
  assertCleanError(patch, 'PATCH with objects for strings');
  assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);
});

test('query strings: invalid UTF-8, NUL, huge values, FTS operators -> 200 or 4xx, never 5xx', async () => {
  const qs = ['status=%FF', 'status=open,,', `status=${'open,'.repeat(2000)}open`, 'q=%FF%FE', 'q=%00', `q=${'a'.repeat(201)}`,
    `q=${encodeURIComponent('"*^:() NEAR OR AND - {x} col:a')}`, `q=${encodeURIComponent('é'.repeat(200))}`, 'category=%FF',
    'cursor=%FF', `cursor=${'A'.repeat(5000)}`, 'limit=1e2', 'limit=%00', 'limit=-1', 'sort=%FF', 'assignee=%FF',
    'customer=-1', 'customer=99999999999999999999', `x=${'y'.repeat(12_000)}`, 'status=open&status=closed'];
  for (const q of qs) {
    for (const who of [C, agent]) {
      const res = await api(server.url, 'GET', `/api/v1/tickets?${q}`, { token: who.token });
      if (res.status !== 200) assertCleanError(res, `GET /api/v1/tickets?${q.slice(0, 40)}`, [400, 422]);
    }
  }
  for (const q of ['after=-1', 'after=%FF', 'before=0', 'limit=0', 'limit=201', 'after=99999999999999999999', 'before=%00']) {
    const res = await api(server.url, 'GET', `/api/v1/tickets/${T.id}/messages?${q}`, { token: C.token });
    assertCleanError(res, `messages?${q}`, [400, 422]);
  }
  assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);
});

test('multipart: invalid UTF-8 in a field value -> 422 with field; in a field name -> a clean (UTF-8) error', async () => {
  const bad = Buffer.from([0xff, 0xfe, 0x41]);
  for (const field of ['subject', 'description', 'category', 'priority']) {
    const parts = [{ name: 'subject', value: 's' }, { name: 'description', value: 'd' }, { name: 'category', value: 'technical' }]
      .filter((p) => p.name !== field);
    parts.push({ name: field, value: bad });
    const mp = buildMultipart(parts);
    const res = await api(server.url, 'POST', '/api/v1/tickets', { token: C.token, body: mp.body, headers: { 'content-type': mp.contentType } });
    assertCleanError(res, `invalid UTF-8 in ${field}`, [422]);
    assert.equal(res.json.error.field, field);
  }
  // an over-long field whose NAME is invalid UTF-8 plus markup
  const mp = buildMultipart([{ name: 'PLACEHOLDER', value: 'a'.repeat(70_000) }]);
  const body = Buffer.from(mp.body.toString('latin1').replace('name="PLACEHOLDER"', 'name="\xff\xfe<script>alert(1)</script>"'), 'latin1');
  const res = await api(server.url, 'POST', '/api/v1/tickets', { token: C.token, body, headers: { 'content-type': mp.contentType } });
  assertCleanError(res, 'an over-long field with an invalid UTF-8 name', [400, 413, 422]);
});
