// Hostile client: reading files outside the web folder through the static-file fallback.
//
// FINDING (critical): a path that starts with "//" (or "/%2F") is joined onto the web folder
// with std::filesystem's operator/, which REPLACES the base when the right-hand side is
// absolute. `GET //etc/hostname` serves /etc/hostname to anyone, without a session; the same
// works for the server's own database (users, password hashes, tickets, messages) and for
// every customer's stored screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { startServer, api, createTicket, signup, sqliteOnly } from './lib/harness.mjs';

let server;
let secretSubject;

before(async () => {
  server = await startServer();
  const victim = await signup(server.url, { name: 'Victim Customer' });
  secretSubject = `TOP-SECRET-${Date.now()}`;
  await createTicket(server.url, victim, { subject: secretSubject, description: 'my card number is 4111 1111 1111 1111' });
  // a file we know the content of, outside the web folder
  fs.writeFileSync(path.join(server.dataDir, 'canary.txt'), 'CANARY-OUTSIDE-WEB-DIR\n');
});

after(async () => {
  await server?.stop();
});

// Raw request so that "//" and "%2F" reach the server as written (no URL parsing: the harness's
// api() resolves "//x" as a protocol-relative URL).
function rawGet(p) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: p, method: 'GET', agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: new Headers(res.headers), body, text: body.toString('latin1') });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${p}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}
const show = (p, res) => `GET ${p} -> HTTP ${res.status} ${res.headers.get('content-type')} `
  + `${res.body.length} bytes: ${JSON.stringify(res.text.slice(0, 80))}`;

test('static fallback: "//<absolute path>" must not read files outside the web folder', async () => {
  const canary = path.join(server.dataDir, 'canary.txt');
  for (const p of [`/${canary}`, `/%2F${canary.slice(1)}`, `//${canary.slice(1)}`, '//etc/hostname', '//proc/self/cmdline']) {
    const res = await rawGet(p);
    assert.ok(!res.text.includes('CANARY-OUTSIDE-WEB-DIR'),
      `unauthenticated request served a file outside the web folder: ${show(p, res)}`);
    assert.ok(res.status === 404 || /text\/html/.test(res.headers.get('content-type') || ''),
      `must be a 404 (or the page shell): ${show(p, res)}`);
  }
});

test('static fallback: the database (password hashes, other customers\' tickets) is not downloadable',
  { skip: sqliteOnly('it tries to download the helpline.db file from the data dir; PostgreSQL keeps no database file there') }, async () => {
  const leaks = [];
  for (const name of ['helpline.db', 'helpline.db-wal']) {
    const abs = path.join(server.dataDir, name);
    if (!fs.existsSync(abs)) continue;
    for (const p of [`/${abs}`, `/%2F${abs.slice(1)}`]) {
      const res = await rawGet(p);
      if (res.status === 200 && (res.body.includes('SQLite format 3') || res.body.includes(secretSubject) || res.body.includes('$argon2id$'))) {
        leaks.push(`GET ${p} -> HTTP 200, ${res.body.length} bytes`
          + `${res.body.includes('$argon2id$') ? ' (contains password hashes)' : ''}`
          + `${res.body.includes(secretSubject) ? ' (contains another customer\'s ticket)' : ''}`);
      }
    }
  }
  assert.deepEqual(leaks, [], `the database is served to anyone:\n  ${leaks.join('\n  ')}`);
});

test('regression guard: ordinary traversal spellings stay refused', async () => {
  for (const p of ['/../../../../etc/hostname', '/%2e%2e/%2e%2e/%2e%2e/etc/hostname', '/css/..%2f..%2f..%2fetc%2fhostname',
    '/.git/config', '/..%5c..%5cetc%5chostname', '/js/%00.js']) {
    const res = await rawGet(p);
    assert.ok(res.status < 500, show(p, res));
    const host = fs.existsSync('/etc/hostname') ? fs.readFileSync('/etc/hostname', 'utf8').trim() : null;
    if (host && res.status === 200) {
      assert.ok(!/text\/plain|octet-stream/.test(res.headers.get('content-type') || '') || !res.text.includes(host),
        `served /etc/hostname: ${show(p, res)}`);
    }
  }
  const h = await api(server.url, 'GET', '/healthz');
  assert.equal(h.status, 200);
});
