// A client that stops reading is disconnected once it falls HELPLINE_WS_QUEUE_BYTES behind; the
// others in the room keep receiving every message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createAgent, api, sleep } from './lib/harness.mjs';
import { connectWs, customerWithTicket, postMessage, clientId, pool, metric, withServerState, serverState } from './lib/chat.mjs';

const QUEUE_BYTES = 65536;
const BODY_CHARS = 5000;
const BATCH = 40;
const BOUND_MS = 20_000;
const BOUND_BYTES = 48 * 1024 * 1024; // > the largest kernel socket buffers on loopback (tcp_rmem max 32 MiB + tcp_wmem max 4 MiB)

let server;
let A;
let agent;

before(async () => {
  server = await startServer({ env: { HELPLINE_WS_QUEUE_BYTES: String(QUEUE_BYTES) } });
  A = await customerWithTicket(server, { name: 'Alice Customer' });
  agent = await createAgent(server);
});

after(async () => {
  await server?.stop();
});

test('a reader that stops reading is cut off; the normal reader gets every message', { timeout: 60_000 }, async () => {
  const T = A.ticket.id;
  const slow = await connectWs(server, A.auth, { label: 'slow reader' });
  await slow.subscribe(T);
  const normal = await connectWs(server, agent, { label: 'normal reader' });
  await normal.subscribe(T);
  assert.equal(await metric(server, 'helpline_ws_connections'), 2, 'two WebSocket connections open');

  slow.ws._socket.pause(); // stop reading: the kernel buffers fill, then the server's queue
  const posted = [];
  const t0 = Date.now();
  let serverSaysGone = false;
  let batches = 0;
  await withServerState(server, async () => {
    while (Date.now() - t0 < BOUND_MS && posted.length * BODY_CHARS < BOUND_BYTES) {
      batches += 1;
      await pool(Array.from({ length: BATCH }, (_, i) => async () => {
        const body = `batch ${batches} #${i} `.padEnd(BODY_CHARS, 'x');
        const res = await postMessage(server, agent, T, body, clientId('slow'));
        assert.equal(res.status, 201, `POST: HTTP ${res.status} ${res.text}`);
        posted.push(res.json.message.id);
      }), 8);
      if ((await metric(server, 'helpline_ws_connections')) < 2) {
        serverSaysGone = true;
        break;
      }
    }
  });
  const elapsed = Date.now() - t0;
  const mib = ((posted.length * BODY_CHARS) / (1024 * 1024)).toFixed(1);
  const what = `after ${posted.length} messages (~${mib} MiB) in ${elapsed} ms, helpline_ws_connections `
    + `${serverSaysGone ? 'dropped to 1' : 'stayed at 2'}`;

  // The slow client, reading again, finds its connection closed before it got everything.
  slow.ws._socket.resume();
  const closeInfo = await Promise.race([slow.closed, sleep(10_000).then(() => null)]);
  const slowGot = slow.all((f) => f.type === 'message' && f.message.ticket_id === T).length;
  assert.ok(closeInfo, `the slow reader was not disconnected (${what}; it then read ${slowGot} messages and stayed open)\n${serverState(server)}`);
  assert.ok(slowGot < posted.length, `the slow reader got all ${posted.length} messages, it should have been cut off (${what})`);
  assert.ok(server.proc.exitCode === null && server.proc.signalCode === null, `the server died: ${serverState(server)}`);

  // The normal reader keeps receiving: every message, in order.
  const expected = [...posted].sort((a, b) => a - b);
  const ids = () => normal.all((f) => f.type === 'message' && f.message.ticket_id === T).map((f) => f.message.id);
  const deadline = Date.now() + 15_000;
  while (ids().length < expected.length && Date.now() < deadline) await sleep(50);
  assert.ok(normal.isOpen, `the normal reader was disconnected too: ${JSON.stringify(normal.closeInfo)}`);
  assert.deepEqual(ids(), expected, `the normal reader got ${ids().length} of ${expected.length} messages`);

  // ...and still works after the slow one is gone
  const later = await postMessage(server, agent, T, 'after the cut', clientId('after'));
  assert.equal(later.status, 201);
  await normal.next((f) => f.type === 'message' && f.message.id === later.json.message.id);
  normal.send({ type: 'ping' });
  await normal.next('pong');
  const health = await api(server.url, 'GET', '/healthz');
  assert.equal(health.status, 200);

  // the customer can simply reconnect and catch up with `after`
  const again = await connectWs(server, A.auth, { label: 'slow reader, reconnected' });
  const lastHeld = slow.all((f) => f.type === 'message').map((f) => f.message.id).at(-1) ?? 0;
  const { replay } = await again.subscribe(T, lastHeld);
  assert.deepEqual(replay.map((m) => m.id), [...expected, later.json.message.id].filter((id) => id > lastHeld));
  await again.close();
  await normal.close();
});
