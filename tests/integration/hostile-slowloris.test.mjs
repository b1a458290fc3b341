// Slow-loris: clients that dribble their request headers to hold connections open.
//
// FINDING (medium): the ~15 s header deadline applies only to the FIRST request of a connection.
// After one quick request, the next request's headers may be dribbled for the 60 s keep-alive idle
// timeout: one byte line per second keeps the connection (and its file descriptor) for a minute,
// 4x longer than on a fresh connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, signup, api } from './lib/harness.mjs';

let server;
let fresh;
let keptAlive;
let crowd;
const LIMIT_MS = 20_000; // headers ~15 s, with slack

/**
 * Opens a connection, writes `first`, then one header line a second, until the server closes the
 * connection or LIMIT_MS + 2 s pass. Resolves {closedAfterMs | null, responses}.
 */
function dribble(first) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(server.port, '127.0.0.1');
    let received = '';
    let timer;
    let done = false;
    const finish = (closedAfterMs) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(cap);
      s.destroy();
      resolve({ closedAfterMs, responses: (received.match(/HTTP\/1\.1 \d+/g) || []) });
    };
    s.on('data', (d) => { received += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => finish(Date.now() - t0));
    s.on('connect', () => {
      s.write(first);
      let n = 0;
      timer = setInterval(() => { if (!s.destroyed) s.write(`X-Slow-${n++}: a\r\n`); }, 1000);
    });
    const cap = setTimeout(() => finish(null), LIMIT_MS + 2000);
  });
}

before(async () => {
  server = await startServer();
  // all started at once, so the file takes ~22 s in total
  fresh = dribble('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  keptAlive = dribble('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n');
  crowd = Array.from({ length: 200 }, () => dribble('GET /api/v1/me HTTP/1.1\r\nHost: x\r\n'));
});

after(async () => {
  await server?.stop();
});

test('while 200 slow-loris connections dribble headers, other users are served at once', async () => {
  const user = await signup(server.url);
  const t0 = Date.now();
  const h = await api(server.url, 'GET', '/healthz');
  const me = await api(server.url, 'GET', '/api/v1/me', { token: user.token });
  assert.equal(h.status, 200);
  assert.equal(me.status, 200);
  assert.ok(Date.now() - t0 < 2000, `healthz + me took ${Date.now() - t0} ms`);
  const results = await Promise.all(crowd);
  const survivors = results.filter((r) => r.closedAfterMs === null).length;
  assert.equal(survivors, 0, `${survivors} of 200 slow-loris connections were still open after ${LIMIT_MS + 2000} ms`);
});

test('slow headers on a fresh connection are cut off within ~15 s', async () => {
  const r = await fresh;
  assert.ok(r.closedAfterMs !== null && r.closedAfterMs <= LIMIT_MS,
    `a connection dribbling its first request's headers was still open after ${LIMIT_MS + 2000} ms`);
});

test('slow headers of the SECOND request on a kept-alive connection are cut off within ~15 s too', async () => {
  const r = await keptAlive;
  assert.deepEqual(r.responses, ['HTTP/1.1 200'], `the first request must be answered: ${JSON.stringify(r.responses)}`);
  assert.ok(r.closedAfterMs !== null && r.closedAfterMs <= LIMIT_MS,
    `after one quick request, the next request's headers were dribbled for more than ${LIMIT_MS + 2000} ms `
    + 'without the server cutting the connection (the header deadline only guards the first request; '
    + 'the keep-alive idle timeout of 60 s applies instead)');
});
