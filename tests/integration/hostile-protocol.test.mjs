// Protocol abuse over raw TCP and raw WebSocket frames: garbage, oversized headers, smuggling
// shapes, HTTP/1.0, pipelining, 1000 connections, malformed/binary/fragmented WS frames.
// After each attack the server must still answer /healthz and serve other users.
//
// FINDING (low): a request whose chunked body is malformed (bad chunk size) gets no answer at all:
// the connection is just closed, where the contract asks for 400 bad_request on a malformed request.
//
// FINDING (low): a WS `subscribe` with `after: 0` ("I hold nothing yet": every message has an
// id > 0) is refused with validation_failed, while REST accepts `?after=0`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import { startServer, signup, api, createTicket, sleep } from './lib/harness.mjs';
import { connectWs, postMessageOk, clientId } from './lib/chat.mjs';

let server;
let U;
let T;

before(async () => {
  server = await startServer();
  U = await signup(server.url, { name: 'Regular user' });
  T = await createTicket(server.url, U);
  await postMessageOk(server, U, T.id, 'first message', clientId('p'));
});

after(async () => {
  await server?.stop();
});

/** Writes raw bytes; collects what comes back until the server closes or `wait` ms pass. */
function raw(data, { wait = 2000 } = {}) {
  return new Promise((resolve) => {
    const s = net.connect(server.port, '127.0.0.1');
    let out = Buffer.alloc(0);
    let closed = false;
    const done = () => { clearTimeout(t); s.destroy(); resolve({ text: out.toString('latin1'), closed }); };
    s.on('data', (d) => { out = Buffer.concat([out, d]); });
    s.on('close', () => { closed = true; done(); });
    s.on('error', () => {});
    s.on('connect', () => s.write(data));
    const t = setTimeout(done, wait);
  });
}

// (not anchored: a pipelined answer follows the previous body on the same line)
const statuses = (text) => (text.match(/HTTP\/1\.[01] \d{3} /g) || []).map((l) => Number(l.slice(9, 12)));

async function stillServing(what) {
  const h = await api(server.url, 'GET', '/healthz');
  assert.equal(h.status, 200, `after ${what}: /healthz HTTP ${h.status}`);
  const me = await api(server.url, 'GET', '/api/v1/me', { token: U.token });
  assert.equal(me.status, 200, `after ${what}: another user's /me HTTP ${me.status}`);
  assert.equal(server.proc.exitCode, null, `after ${what}: the server exited`);
}

test('garbage, oversized and ambiguous requests get 4xx answers, never a crash or a hang', async () => {
  const cases = [
    ['binary garbage', Buffer.concat([crypto.randomBytes(2000), Buffer.from('\r\n\r\n')]), [400]],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', [400, 505]],
    ['TLS ClientHello', Buffer.from('16030100a5010000a10303', 'hex'), [400, null]],
    ['20 KiB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, [431]],
    ['1000 headers of 20 bytes', `GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-Many-Hdr: y\r\n'.repeat(1500)}\r\n`, [431]],
    ['20 KiB URL', `GET /api/v1/tickets?${'a=b&'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`, [414, 431]],
    ['Content-Length and Transfer-Encoding', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', [400]],
    ['two Content-Lengths', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', [400]],
    ['negative Content-Length', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', [400]],
    ['Content-Length of 10^14 on the upload route', 'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n', [413]],
    ['1 MiB chunked JSON', `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n${'a'.repeat(0x100000)}\r\n0\r\n\r\n`, [413]],
    ['absolute-form target', 'GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n', [400, 200]],
    ['bad percent-encoding', 'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n', [400, 404]],
    ['NUL in the path', 'GET /api/v1/%00 HTTP/1.1\r\nHost: x\r\n\r\n', [400, 404]],
    ['obs-fold header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n', [200, 400]],
  ];
  for (const [what, data, allowed] of cases) {
    const r = await raw(data);
    const got = statuses(r.text);
    if (allowed.includes(null) && got.length === 0) continue;
    assert.ok(got.length >= 1 && allowed.includes(got[0]), `${what}: expected ${allowed.join('|')}, got ${JSON.stringify(got)} `
      + `(closed: ${r.closed}) ${JSON.stringify(r.text.slice(0, 120))}`);
    assert.ok(got.every((s) => s < 500), `${what}: ${JSON.stringify(got)}`);
  }
  await stillServing('garbage requests');
});

test('HTTP/1.0 is answered and closed; pipelined requests are answered in order, then garbage gets 400', async () => {
  const r10 = await raw('GET /healthz HTTP/1.0\r\n\r\n');
  assert.deepEqual(statuses(r10.text), [200]);
  assert.ok(r10.closed, 'an HTTP/1.0 request without keep-alive must close the connection');
  const piped = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
    + `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${U.token}\r\n\r\n`
    + 'GET /nope/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n'
    + 'THIS IS NOT HTTP\r\n\r\n');
  const got = statuses(piped.text);
  assert.deepEqual(got.slice(0, 2), [200, 200], `pipelined answers: ${JSON.stringify(got)}`);
  assert.equal(got.at(-1), 400, `the garbage after pipelined requests: ${JSON.stringify(got)}`);
  assert.ok(!piped.text.includes('root:x:0:0'), 'served /etc/passwd');
  await stillServing('pipelining');
});

test('an early 413 reaches a client that is still sending its body (lingering close)', async () => {
  // The server answers 413 once the body passes the route's limit, with most of the body still
  // on its way. Closing at once would make the kernel reset the connection, and the reset can
  // wipe the answer before the client reads it (seen in CI). Several at once make the race likely.
  const body = 'a'.repeat(4 * 1024 * 1024);
  const shapes = [
    `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  ];
  for (let round = 0; round < 4; round++) {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => raw(shapes[i % 2], { wait: 8000 })));
    results.forEach((r, i) => {
      assert.deepEqual(statuses(r.text), [413], `round ${round} client ${i}: ${JSON.stringify(r.text.slice(0, 80))}`);
      assert.ok(r.closed, 'the server closes the connection after its 413');
    });
  }
  await stillServing('early 413s');
});

test('a malformed chunked body is answered with 400, not a silent disconnect', async () => {
  const r = await raw('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
    + 'Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n');
  assert.deepEqual(statuses(r.text), [400], `got ${JSON.stringify(r.text.slice(0, 100))} (closed: ${r.closed})`);
});

test('1000 idle connections from one client do not lock other users out', async () => {
  const socks = [];
  try {
    await Promise.all(Array.from({ length: 1000 }, () => new Promise((resolve) => {
      const s = net.connect(server.port, '127.0.0.1');
      socks.push(s);
      s.on('connect', resolve);
      s.on('error', () => resolve());
    })));
    const t0 = Date.now();
    await stillServing('1000 idle connections');
    assert.ok(Date.now() - t0 < 2000, `other users waited ${Date.now() - t0} ms`);
  } finally {
    for (const s of socks) s.destroy();
  }
});

/** A masked client frame (RFC 6455) with raw control over every bit. */
function frame({ fin = true, rsv = 0, opcode = 1, payload = Buffer.alloc(0), mask = true, lengthOverride }) {
  const b0 = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  const len = lengthOverride ?? payload.length;
  let head;
  if (len < 126) head = Buffer.from([b0, (mask ? 0x80 : 0) | len]);
  else if (len < 65536) { head = Buffer.from([b0, (mask ? 0x80 : 0) | 126, 0, 0]); head.writeUInt16BE(len, 2); }
  else { head = Buffer.alloc(10); head[0] = b0; head[1] = (mask ? 0x80 : 0) | 127; head.writeBigUInt64BE(BigInt(len), 2); }
  if (!mask) return Buffer.concat([head, payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload.map((x, i) => x ^ key[i % 4]));
  return Buffer.concat([head, key, body]);
}

test('malformed WebSocket frames close that socket with a protocol code; others keep working', async () => {
  const watcher = await connectWs(server, { token: U.token }, { label: 'bystander' });
  await watcher.subscribe(T.id);
  const cases = [
    ['unmasked client frame', frame({ payload: Buffer.from('{"type":"ping"}'), mask: false }), [1002]],
    ['reserved opcode 3', frame({ opcode: 3 }), [1002]],
    ['RSV bits without an extension', frame({ rsv: 7, payload: Buffer.from('{}') }), [1002]],
    ['control frame of 200 bytes', frame({ opcode: 9, payload: Buffer.alloc(200) }), [1002]],
    ['fragmented control frame', frame({ opcode: 9, fin: false }), [1002]],
    ['continuation without a start', frame({ opcode: 0, payload: Buffer.from('x') }), [1002]],
    ['invalid UTF-8 text', frame({ payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }), [1007]],
    ['overlong UTF-8 / surrogate', frame({ payload: Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]) }), [1007]],
    ['declared length 2^62', frame({ lengthOverride: 2 ** 62 }), [1009, 1002]],
    ['close frame with 1-byte payload', frame({ opcode: 8, payload: Buffer.from([3]) }), [1002]],
  ];
  for (const [what, bytes, codes] of cases) {
    const ws = await connectWs(server, { token: U.token }, { label: what });
    ws.ws._socket.write(bytes);
    const info = await Promise.race([ws.closed, sleep(5000).then(() => null)]);
    assert.ok(info, `${what}: the socket is still open 5 s later`);
    assert.ok(codes.includes(info.code), `${what}: close code ${info.code}, expected ${codes.join('|')}`);
  }
  // binary frames are ignored; a fragmented text frame is reassembled and answered
  const ws = await connectWs(server, { token: U.token }, { label: 'fragments' });
  ws.ws._socket.write(frame({ opcode: 2, payload: crypto.randomBytes(1000) }));
  ws.ws._socket.write(frame({ fin: false, opcode: 1, payload: Buffer.from('{"type":') }));
  ws.ws._socket.write(frame({ fin: false, opcode: 0, payload: Buffer.from('"pi') }));
  ws.ws._socket.write(frame({ fin: true, opcode: 0, payload: Buffer.from('ng"}') }));
  await ws.next('pong');
  ws.terminate();
  // the bystander still works
  const cid = clientId('by');
  const ack = await watcher.sendMessage(T.id, 'still here', cid);
  assert.equal(ack.type, 'ack');
  watcher.terminate();
  await stillServing('malformed WebSocket frames');
});

test('subscribe with after: 0 replays every message (REST accepts after=0 too)', async () => {
  const rest = await api(server.url, 'GET', `/api/v1/tickets/${T.id}/messages?after=0`, { token: U.token });
  assert.equal(rest.status, 200, rest.text);
  const ws = await connectWs(server, { token: U.token });
  try {
    ws.send({ type: 'subscribe', ticket_id: T.id, after: 0 });
    const f = await ws.next((x) => (x.type === 'subscribed' && x.ticket_id === T.id) || (x.type === 'error' && x.ref === T.id));
    assert.equal(f.type, 'subscribed', `subscribe {after: 0} was refused: ${JSON.stringify(f)}`);
    assert.ok(ws.all((x) => x.type === 'message' && x.message.ticket_id === T.id).length >= 1, 'no replay');
  } finally {
    ws.terminate();
  }
});
