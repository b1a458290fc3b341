// WebSocket frame validation: non-JSON, field errors (ref = client_id), oversized frames (1009),
// ping/pong, the frame rate limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sleep } from './lib/harness.mjs';
import { connectWs, customerWithTicket, allMessages, clientId } from './lib/chat.mjs';

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

function assertErrorFrame(f, code, what) {
  assert.equal(f.type, 'error', `${what}: expected an error frame, got ${j(f)}`);
  assert.equal(f.code, code, `${what}: ${j(f)}`);
  assert.equal(typeof f.message, 'string', `${what}: ${j(f)}`);
  assert.ok(f.message.length > 0, `${what}: ${j(f)}`);
}

test('ping -> pong', async () => {
  const ws = await connectWs(server, A.auth, { label: 'pinger' });
  try {
    ws.send({ type: 'ping' });
    const f = await ws.nextFrame({ skip: ['hello', 'ticket', 'unread', 'presence'] });
    assert.equal(f.type, 'pong', `expected pong, got ${j(f)}`);
  } finally {
    await ws.close();
  }
});

test('malformed frames get error bad_request and the connection stays usable', async () => {
  const ws = await connectWs(server, A.auth, { label: 'malformed' });
  try {
    for (const raw of ['not json', '{"type":"ping"', '', '[1,2,3]', '"ping"', '42', 'null', '{"no_type":true}']) {
      const m = ws.mark();
      ws.sendRaw(raw);
      const err = await ws.next((f) => f.type === 'error' || f.type === 'pong', { what: `the answer to ${j(raw)}` });
      if (['not json', '{"type":"ping"', ''].includes(raw)) {
        assertErrorFrame(err, 'bad_request', `non-JSON frame ${j(raw)}`);
      } else {
        assert.equal(err.type, 'error', `frame ${j(raw)} (not a JSON object with a type) must be refused, got ${j(err)}`);
        assert.ok(['bad_request', 'validation_failed'].includes(err.code), `frame ${j(raw)}: ${j(err)}`);
      }
      assert.equal(ws.since(m).length, 1, `one answer per bad frame: ${j(ws.since(m))}`);
    }
    ws.send({ type: 'ping' });
    await ws.next('pong', { what: 'pong after the bad frames' });
    assert.ok(ws.isOpen);
  } finally {
    await ws.close();
  }
});

test('message validation: body length in code points, empty body, missing fields -> validation_failed with ref', async () => {
  const T = A.ticket.id;
  const ws = await connectWs(server, A.auth, { label: 'validator' });
  const before = await allMessages(server, A.auth, T);
  try {
    await ws.subscribe(T);
    // 5001 code points (and 10002 UTF-16 units): refused with ref = client_id
    const tooLong = clientId('too-long');
    const r1 = await ws.sendMessage(T, '\u{1F600}'.repeat(5001), tooLong);
    assertErrorFrame(r1, 'validation_failed', 'a 5001-code-point body');
    assert.equal(r1.ref, tooLong, `ref must echo the client_id: ${j(r1)}`);

    const ascii = clientId('too-long-ascii');
    const r1b = await ws.sendMessage(T, 'a'.repeat(5001), ascii);
    assertErrorFrame(r1b, 'validation_failed', 'a 5001-character ASCII body');
    assert.equal(r1b.ref, ascii);

    const empty = clientId('empty');
    const r2 = await ws.sendMessage(T, '', empty);
    assertErrorFrame(r2, 'validation_failed', 'an empty body');
    assert.equal(r2.ref, empty);

    const notString = clientId('number');
    const r3 = await ws.sendMessage(T, 12345, notString);
    assertErrorFrame(r3, 'validation_failed', 'a body that is not a string');
    assert.equal(r3.ref, notString);

    // exactly 5000 code points of astral characters (20000 UTF-8 bytes) is fine
    const max = clientId('max');
    const ok = await ws.sendMessage(T, '\u{1F600}'.repeat(5000), max);
    assert.equal(ok.type, 'ack', `a body of exactly 5000 code points must be accepted: ${j(ok)}`);
    const echoed = await ws.next((f) => f.type === 'message' && f.message.id === ok.message_id);
    assert.equal(echoed.message.body, '\u{1F600}'.repeat(5000), 'the body comes back byte-identical');

    // missing fields
    ws.send({ type: 'message', ticket_id: T, body: 'no client id' });
    const r4 = await ws.next((f) => f.type === 'error' || f.type === 'ack', { what: 'answer to a message without client_id' });
    assertErrorFrame(r4, 'validation_failed', 'a message without client_id');
    const noTicket = clientId('no-ticket');
    ws.send({ type: 'message', body: 'no ticket', client_id: noTicket });
    const r5 = await ws.next((f) => f.type === 'error' || f.type === 'ack', { what: 'answer to a message without ticket_id' });
    assertErrorFrame(r5, 'validation_failed', 'a message without ticket_id');
    ws.send({ type: 'subscribe', ticket_id: 'one' });
    const r6 = await ws.next((f) => f.type === 'error' || f.type === 'subscribed', { what: 'answer to subscribe with a string id' });
    assert.equal(r6.type, 'error', j(r6));
    assert.ok(['validation_failed', 'not_found'].includes(r6.code), j(r6));
    ws.send({ type: 'typing', ticket_id: T, state: 'yes' });
    const r7 = await ws.next((f) => f.type === 'error', { what: 'answer to typing with a non-boolean state' });
    assertErrorFrame(r7, 'validation_failed', 'typing with a non-boolean state');
  } finally {
    await ws.close();
  }
  const afterList = await allMessages(server, A.auth, T);
  assert.equal(afterList.length, before.length + 1, 'only the 5000-code-point message was stored');
});

test('a frame over 64 KiB closes the connection with 1009; one just under is handled', async () => {
  const T = A.ticket.id;
  const ws = await connectWs(server, A.auth, { label: 'big frames' });
  // just under 64 KiB: a normal (refused, too long) message frame, the connection stays
  const cid = clientId('under');
  const under = JSON.stringify({ type: 'message', ticket_id: T, body: 'b'.repeat(65536 - 200), client_id: cid });
  assert.ok(under.length < 65536);
  ws.sendRaw(under);
  const r = await ws.next((f) => f.type === 'error' || f.type === 'ack', { what: 'the answer to a 64 KiB - 150 byte frame' });
  assertErrorFrame(r, 'validation_failed', 'a frame under 64 KiB with a too long body');
  assert.ok(ws.isOpen);

  const over = JSON.stringify({ type: 'message', ticket_id: T, body: 'c'.repeat(70_000), client_id: clientId('over') });
  ws.sendRaw(over);
  const info = await Promise.race([ws.closed, sleep(5000).then(() => null)]);
  assert.ok(info, 'the connection is still open 5 s after a frame over 64 KiB');
  assert.equal(info.code, 1009, `close code ${info.code} (${info.reason}), expected 1009 (message too big)`);
  assert.equal(ws.all('ack').length, 0);

  // a new connection works
  const again = await connectWs(server, A.auth, { label: 'after the big frame' });
  again.send({ type: 'ping' });
  await again.next('pong');
  await again.close();
});

test('frames beyond the rate limit get error rate_limited; the connection survives', async () => {
  const ws = await connectWs(server, A.auth, { label: 'flooder' });
  try {
    const N = 130; // well over the burst, but not so many refusals that the server gives up on the client
    for (let i = 0; i < N; i++) ws.send({ type: 'ping' });
    const err = await ws.next((f) => f.type === 'error' && f.code === 'rate_limited', { what: 'an error rate_limited' });
    assert.equal(typeof err.message, 'string');
    await sleep(500);
    const pongs = ws.all('pong').length;
    assert.ok(pongs >= 20 && pongs < N, `pongs for ${N} pings at once: ${pongs}`);
    // after a pause, frames are accepted again
    await sleep(1500);
    const m = ws.mark();
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong' && ws.frames.indexOf(f) >= m, { what: 'a pong after the pause' });
    assert.ok(ws.isOpen, `the flooder was disconnected: ${j(ws.closeInfo)}`);
  } finally {
    await ws.close();
  }
});

test('the rate limit is about 50 frames/s with bursts of about 100', async () => {
  const ws = await connectWs(server, A.auth, { label: 'rate meter' });
  try {
    // Every ping gets exactly one answer, in order: a pong (accepted) or rate_limited (refused),
    // so answers are matched to frames by position. No pause between the phases: a pause would
    // refill the bucket by however long this (possibly busy) machine took to wake up.
    const answers = () => ws.since(m0, (f) => f.type === 'pong' || (f.type === 'error' && f.code === 'rate_limited'));
    const m0 = ws.mark();
    // burst: everything at once on a fresh connection
    for (let i = 0; i < 160; i++) ws.send({ type: 'ping' });
    // sustained: 80 frames/s for 2 s, straight after, on the drained bucket
    const t0 = Date.now();
    for (let i = 0; i < 160; i++) {
      ws.send({ type: 'ping' });
      await sleep(Math.max(0, t0 + (i + 1) * 12.5 - Date.now()));
    }
    const secs = (Date.now() - t0) / 1000;
    const deadline = Date.now() + 10_000;
    while (answers().length < 320 && Date.now() < deadline) await sleep(50);
    const all = answers();
    assert.equal(all.length, 320, `expected one answer per ping, got ${all.length}`);
    const burst = all.slice(0, 160).filter((f) => f.type === 'pong').length;
    const rate = all.slice(160).filter((f) => f.type === 'pong').length / secs;
    assert.ok(ws.isOpen, `the meter connection was closed: ${j(ws.closeInfo)}`);
    assert.ok(burst >= 85 && burst <= 115 && rate >= 35 && rate <= 65,
      `measured burst ${burst} frames and sustained ${rate.toFixed(1)} frames/s; expected about 100 and about 50/s`);
  } finally {
    await ws.close();
  }
});
