// Hostile load: cheap requests that cost the server a lot, and what they do to everyone else.
//
// Every HTTP request (even GET /healthz) is handled on one FIFO pool of 4 worker threads, the same
// pool that hashes passwords (Argon2id, 64 MiB, ~0.1-0.3 s each) and decodes screenshots.
//
// FINDING (high): sign-up has no throttle. 100 concurrent anonymous sign-ups queue ~100 password
// hashes in front of every other request: /healthz takes ~10 s, log-in and everything else wait too.
//
// FINDING (high): a customer's uploads have no concurrency bound and the pixel limit allows a
// 6000x6000 16-bit RGBA PNG: 280 KB on the wire, 288 MB decoded, ~7 s of CPU. Four tickets of three
// such files (3.4 MB in total) hold all workers for ~90 s (/healthz measured at 85 s) and push the
// server past 1.4 GB of memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { startServer, signup, api, postTicket, sleep, PNG_SIGNATURE, ihdr, pngChunk } from './lib/harness.mjs';

const PROBE_TIMEOUT_MS = 5_000; // a probe that takes longer than this is reported as such, not waited for
const ACCEPTABLE_MS = 2_000;

function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Times a request; never throws (a timeout is reported as >= PROBE_TIMEOUT_MS). */
async function probe(server, method, p, opts = {}) {
  const t0 = Date.now();
  try {
    const res = await api(server.url, method, p, { ...opts, timeout: PROBE_TIMEOUT_MS });
    return { ms: Date.now() - t0, status: res.status };
  } catch (e) {
    return { ms: Date.now() - t0, status: /no complete answer/.test(e.message) ? 'no answer yet' : e.message.slice(0, 80) };
  }
}

/** A valid PNG of zero pixels: tiny on the wire, width*height*channels*depth/8 bytes decoded. */
function flatPng(width, height, { bitDepth = 8, colorType = 2 } = {}) {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  const raw = Buffer.alloc((1 + (width * channels * bitDepth) / 8) * height);
  const idat = zlib.deflateSync(raw, { level: 9 });
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, { bitDepth, colorType }), pngChunk('IDAT', idat), pngChunk('IEND')]);
}

test('100 anonymous sign-ups at once must not starve /healthz and other users', async () => {
  const server = await startServer();
  const flood = [];
  try {
    const victim = await signup(server.url, { name: 'Regular user' });
    for (let i = 0; i < 100; i++) flood.push(signup(server.url).catch(() => null));
    await sleep(300);
    const [health, me] = await Promise.all([
      probe(server, 'GET', '/healthz'), probe(server, 'GET', '/api/v1/me', { token: victim.token })]);
    assert.ok(health.ms < ACCEPTABLE_MS && me.ms < ACCEPTABLE_MS,
      `while 100 anonymous sign-ups were queued: GET /healthz took ${health.ms} ms (${health.status}), `
      + `another user's GET /api/v1/me took ${me.ms} ms (${me.status}); expected both under ${ACCEPTABLE_MS} ms `
      + '(sign-up should be throttled per address and password hashing bounded, off the path of cheap requests)');
  } finally {
    await server.kill9();
    await Promise.allSettled(flood);
    await server.stop();
  }
});

test('a customer uploading 36-megapixel 16-bit PNGs must not starve /healthz and other users', async () => {
  const server = await startServer();
  const uploads = [];
  try {
    const attacker = await signup(server.url, { name: 'Heavy uploader' });
    const victim = await signup(server.url, { name: 'Regular user' });
    const bomb = flatPng(6000, 6000, { bitDepth: 16, colorType: 6 }); // within 40 MP / 16384 px
    assert.ok(bomb.length < 400 * 1024, `the test image is ${bomb.length} bytes`);
    const files = [0, 1, 2].map((i) => ({ data: bomb, filename: `flat-${i}.png`, type: 'image/png' }));
    for (let i = 0; i < 4; i++) {
      uploads.push(postTicket(server.url, attacker, { files }, { timeout: 200_000 }).catch(() => null));
    }
    await sleep(1000);
    const [health, me] = await Promise.all([
      probe(server, 'GET', '/healthz'), probe(server, 'GET', '/api/v1/me', { token: victim.token })]);
    const peak = peakRss(server.proc.pid);
    assert.ok(health.ms < ACCEPTABLE_MS && me.ms < ACCEPTABLE_MS,
      `while one customer's 4 uploads (12 files of ${(bomb.length / 1024).toFixed(0)} KB) were decoded: `
      + `GET /healthz took ${health.ms} ms (${health.status}), another user's GET /api/v1/me took ${me.ms} ms `
      + `(${me.status}); server peak RSS so far ${peak.toFixed(0)} MB. Expected under ${ACCEPTABLE_MS} ms `
      + '(bound image work per user and overall, and keep cheap requests off the image queue)');
  } finally {
    await server.kill9();
    await Promise.allSettled(uploads);
    await server.stop();
  }
});
