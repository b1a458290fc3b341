// Test harness for the Helpline HTTP integration suite.
//
// - startServer(): runs `helpline serve` on a fresh temp data dir and a free port; with
//   HELPLINE_TEST_PG_URL set, on a fresh PostgreSQL database too (see below).
// - dbQuery(): SQL on a server's database, whichever it is (sqlite3 or psql CLI).
// - createAgent(): `helpline user add --role agent ...` (password on stdin), then logs in.
// - signup() / login() / api(): small HTTP client on node:http, so that the tests control
//   every header (no automatic Origin, no cookie jar) and can see an early answer of the
//   server (e.g. a 413 sent before the upload has been read; see expect100).
// - Image makers that need no files: makePng(), makePngOfSize(), TINY_JPEG, jpegWithExif(), ...
// - Image inspectors: imageInfo(), verifyPng(), jpegSegments(), hasExif(), pngChunkTypes().
//
// Nothing here needs npm packages: Node 20 built-ins only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Paths and settings

export const REPO = path.resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const BIN = process.env.HELPLINE_BIN || path.join(REPO, 'build', 'dev', 'helpline');
export const SHARED_DATA = process.env.HELPLINE_SHARED_DATA || path.resolve(REPO, '..', 'shared', 'data');
export const HAVE_SHARED_DATA = fs.existsSync(path.join(SHARED_DATA, 'README.md'))
  || fs.existsSync(path.join(SHARED_DATA, 'screenshots'));
export const NO_SHARED_DATA_MSG = '../shared/data is absent: real-data test skipped';

/** Per-request timeout: a request that gets no complete answer in time fails (server hang). */
export const REQUEST_TIMEOUT_MS = Number(process.env.HELPLINE_TEST_REQUEST_TIMEOUT_MS) || 20_000;
const START_TIMEOUT_MS = Number(process.env.HELPLINE_TEST_START_TIMEOUT_MS) || 20_000;
const STOP_TIMEOUT_MS = 10_000;

export const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The database under test
//
// By default every server has its own SQLite file in its data dir. With HELPLINE_TEST_PG_URL
// (the admin database of a throwaway cluster, e.g. from scripts/pg.sh), startServer() creates
// a fresh PostgreSQL database per server, points the binary at it with HELPLINE_DB (restarts
// reuse it) and drops it in stop().

export const PG_URL = process.env.HELPLINE_TEST_PG_URL || '';
export const ON_POSTGRES = PG_URL !== '';

/** Runs `psql URL -c SQL` (unaligned, no headers, '|' between columns, like sqlite3's default). */
export function psql(url, sql) {
  return runTool('psql', ['-X', '-q', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], `psql "${sql}"`);
}

function runTool(cmd, args, what) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => { out += c; });
    p.stderr.on('data', (c) => { err += c; });
    p.once('error', reject);
    p.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${what} failed (exit ${code}): ${err}`));
    });
  });
}

let dbSeq = 0;
async function createTestDatabase() {
  dbSeq += 1;
  // Only [a-z0-9_]: safe to put in the statement as an identifier.
  const name = `helpline_it_${process.pid}_${dbSeq}_${crypto.randomBytes(4).toString('hex')}`;
  await psql(PG_URL, `CREATE DATABASE ${name}`);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return { name, url: u.toString() };
}

async function dropTestDatabase(name) {
  if (process.env.HELPLINE_TEST_KEEP_DATA) return;
  await psql(PG_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/**
 * Runs SQL on the server's database and returns the output rows as text ('|' between columns,
 * one row per line): the sqlite3 CLI on DATA_DIR/helpline.db, or psql on the server's
 * PostgreSQL database. For states the API cannot make; write SQL both dialects accept.
 */
export function dbQuery(server, sql) {
  if (server.db) return psql(server.db.url, sql);
  const db = path.join(server.dataDir, 'helpline.db');
  return runTool('sqlite3', ['-cmd', '.timeout 5000', db, sql], `sqlite3 ${db} "${sql}"`);
}

/** Why a test that inspects the SQLite file itself does not run on PostgreSQL. */
export function sqliteOnly(reason) {
  return ON_POSTGRES ? `SQLite only (HELPLINE_TEST_PG_URL is set): ${reason}` : false;
}

// ---------------------------------------------------------------------------------------------
// Server process management

const liveProcs = new Set();
process.on('exit', () => {
  for (const p of liveProcs) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

function waitForExit(proc, ms) {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode, timedOut: false });
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ code: null, signal: null, timedOut: true }), ms);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut: false });
    });
  });
}

function tail(s, n = 4000) {
  return s.length > n ? '...' + s.slice(-n) : s;
}

/**
 * Starts `helpline serve --bind 127.0.0.1 --port 0 --data-dir <fresh temp dir>`.
 * Options: env (extra environment, or a function dataDir -> env), args (extra CLI args), port (default '0'; null = omit the
 * flag), bind (default '127.0.0.1'; null = omit), dataDirFlag (default true; false = omit
 * --data-dir, e.g. to test HELPLINE_DATA_DIR).
 * Returns { url, origin, port, dataDir, filesDir, db, output(), stop(), terminate(), kill9(), restart() }
 * (db: {name, url} of the server's PostgreSQL database, or null on SQLite).
 */
export async function startServer({ env = {}, args = [], port = '0', bind = '127.0.0.1', dataDirFlag = true } = {}) {
  if (!fs.existsSync(BIN)) {
    throw new Error(`helpline binary not found at ${BIN} (build it first, or set HELPLINE_BIN)`);
  }
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'helpline-it-'));
  if (typeof env === 'function') env = env(dataDir); // e.g. (dir) => ({ HELPLINE_DATA_DIR: dir })
  // Every test signs up many users from 127.0.0.1: lift the per-address sign-up limit
  // unless the test sets it (tests of the limit itself do).
  env = { HELPLINE_SIGNUP_LIMIT: '1000000', ...env };
  let db = null;
  if (ON_POSTGRES && env.HELPLINE_DB === undefined) {
    try {
      db = await createTestDatabase();
    } catch (e) {
      await fsp.rm(dataDir, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
    env = { ...env, HELPLINE_DB: db.url };
  }
  const server = {
    dataDir,
    db,
    filesDir: path.join(dataDir, 'files'),
    url: null,
    origin: null,
    port: null,
    proc: null,
    log: '',
    env,
    output() { return server.log; },
  };

  async function launch() {
    const argv = ['serve'];
    if (bind != null) argv.push('--bind', bind);
    if (port != null) argv.push('--port', String(port));
    if (dataDirFlag) argv.push('--data-dir', dataDir);
    argv.push(...args);
    const proc = spawn(BIN, argv, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveProcs.add(proc);
    proc.once('exit', () => liveProcs.delete(proc));
    server.proc = proc;
    const header = `\n--- ${BIN} ${argv.join(' ')} ---\n`;
    server.log += header;

    const streams = { stdout: '', stderr: '' };
    const found = await new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new Error(`helpline did not log "listening on http://..." within ${START_TIMEOUT_MS} ms.\n`
          + `Captured output:\n${tail(server.log)}`));
      }, START_TIMEOUT_MS);
      const onData = (name) => (chunk) => {
        const s = chunk.toString('utf8');
        streams[name] += s;
        server.log += s;
        if (server.log.length > 2_000_000) server.log = server.log.slice(-1_000_000);
        if (settled) return;
        const m = /listening on (https?:\/\/[^\s"'<>,;)\]}]+)/i.exec(streams[name]);
        if (m) {
          settled = true;
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      proc.stdout.on('data', onData('stdout'));
      proc.stderr.on('data', onData('stderr'));
      proc.once('error', (e) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`cannot run ${BIN}: ${e.message}`));
      });
      proc.once('exit', (code, signal) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`helpline exited (code ${code}, signal ${signal}) before listening.\n`
          + `Captured output:\n${tail(server.log)}`));
      });
    });
    const u = new URL(found.replace(/[./]+$/, ''));
    server.url = u.origin; // http://127.0.0.1:PORT
    server.origin = u.origin;
    server.port = Number(u.port);
  }

  /** SIGTERM, wait for exit (SIGKILL after 10 s). Keeps the data dir. Returns {code, signal, timedOut}. */
  server.terminate = async () => {
    const proc = server.proc;
    if (!proc) return { code: null, signal: null, timedOut: false };
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const r = await waitForExit(proc, STOP_TIMEOUT_MS);
    if (r.timedOut) {
      proc.kill('SIGKILL');
      await waitForExit(proc, STOP_TIMEOUT_MS);
    }
    return r;
  };
  /** SIGKILL (a crash); keeps the data dir so that restart() can reopen it. */
  server.kill9 = async () => {
    const proc = server.proc;
    if (!proc) return;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await waitForExit(proc, STOP_TIMEOUT_MS);
  };
  /** Stops (if running) and starts again on the same data dir; url/port may change. */
  server.restart = async () => {
    await server.terminate();
    await launch();
    return server;
  };
  /** SIGTERM, then removes the temp data dir (and drops the PostgreSQL database). Returns the exit info of the process. */
  server.stop = async () => {
    const r = await server.terminate();
    if (!process.env.HELPLINE_TEST_KEEP_DATA) {
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
    if (db) await dropTestDatabase(db.name);
    return r;
  };

  try {
    await launch();
  } catch (e) {
    await server.kill9().catch(() => {});
    await fsp.rm(dataDir, { recursive: true, force: true }).catch(() => {});
    if (db) await dropTestDatabase(db.name).catch(() => {});
    throw e;
  }
  return server;
}

/** Runs the helpline CLI; returns {code, signal, stdout, stderr}. */
export function runCli(args, { input, env = {}, timeout = 20_000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    liveProcs.add(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => { stdout += c; });
    proc.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`helpline ${args.join(' ')} did not finish in ${timeout} ms\n${stdout}\n${stderr}`));
    }, timeout);
    proc.once('error', (e) => { clearTimeout(timer); reject(e); });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      liveProcs.delete(proc);
      resolve({ code, signal, stdout, stderr });
    });
    proc.stdin.on('error', () => {}); // the CLI may exit before reading stdin
    if (input !== undefined) proc.stdin.end(input);
    else proc.stdin.end();
  });
}

let uniq = 0;
/** A unique, valid email address. */
export function uniqueEmail(prefix = 'user') {
  uniq += 1;
  return `${prefix}-${process.pid}-${uniq}-${crypto.randomBytes(3).toString('hex')}@example.com`;
}

/**
 * Creates an agent account with the CLI on the server's data dir, then logs it in.
 * Returns {email, password, name, token, user, cookie}.
 */
export async function createAgent(server, { email = uniqueEmail('agent'), name = 'Agent Smith', password = 'agent-password-123' } = {}) {
  const r = await runCli(['user', 'add', '--role', 'agent', '--email', email, '--name', name, '--data-dir', server.dataDir], {
    input: password + '\n',
    env: server.env,
  });
  if (r.code !== 0) {
    throw new Error(`helpline user add failed (exit ${r.code}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  const s = await login(server.url, { email, password });
  assert.equal(s.user.role, 'agent', `the account created by "user add --role agent" has role ${s.user.role}`);
  return { email, password, name, ...s };
}

// ---------------------------------------------------------------------------------------------
// HTTP client

function rawRequest(urlStr, { method, headers, body, timeout, expect100 = false }) {
  return new Promise((resolve, reject) => {
    const u = new URL(urlStr);
    let settled = false;
    let gotResponse = false;
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      method,
      headers,
      agent: false,
    });
    const fail = (msg) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new Error(msg));
    };
    const timer = setTimeout(() => {
      fail(`no complete answer within ${timeout} ms to ${method} ${u.pathname}${u.search} (server hang?)`);
    }, timeout);
    req.on('response', (res) => {
      gotResponse = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) });
      });
      res.on('aborted', () => fail(`${method} ${u.pathname}: the response (HTTP ${res.statusCode}) was cut off`));
      res.on('error', (e) => fail(`${method} ${u.pathname}: response error after HTTP ${res.statusCode}: ${e.message}`));
    });
    req.on('error', (e) => {
      // A write error (EPIPE/ECONNRESET) after the server has answered early is fine.
      if (gotResponse) return;
      fail(`${method} ${u.pathname}: request failed without an HTTP answer: ${e.code || ''} ${e.message}`);
    });
    if (expect100 && body && body.length) {
      // Like curl: send "Expect: 100-continue" and wait up to 1 s for "100 Continue" before the
      // body, so that an early final answer (e.g. 413 on Content-Length) is read, not lost in
      // a reset connection.
      let sent = false;
      const sendBody = () => {
        if (sent || gotResponse || settled) return;
        sent = true;
        req.end(body);
      };
      req.on('continue', sendBody);
      setTimeout(sendBody, 1000).unref();
      req.flushHeaders();
    } else if (body && body.length) req.end(body);
    else req.end();
  });
}

/**
 * Builds a multipart/form-data body by hand. parts: [{name, value: string|Buffer, filename?, type?}].
 * Returns {body: Buffer, contentType}.
 */
export function buildMultipart(parts) {
  const boundary = '----helpline-it-' + crypto.randomBytes(12).toString('hex');
  const chunks = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    else if (p.filename !== undefined) head += 'Content-Type: application/octet-stream\r\n';
    head += '\r\n';
    chunks.push(Buffer.from(head, 'utf8'));
    chunks.push(Buffer.isBuffer(p.value) ? p.value : Buffer.from(String(p.value), 'utf8'));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * api(url, method, path, {token, cookie, origin, json, form, multipart, body, headers, timeout, expect100})
 *  - token: sends Authorization: Bearer <token>
 *  - cookie: sends Cookie: <cookie> (e.g. "helpline_session=...")
 *  - origin: true = the server's own origin, or a string; absent = no Origin header
 *  - json: a value sent as JSON; form: a FormData; multipart: parts for buildMultipart();
 *    body: raw bytes/string (set content-type in headers)
 *  - headers: extra headers (lower-case names; value null removes a header)
 * Returns {status, headers (Headers), json (parsed or null), text, body (Buffer), req}.
 */
export async function api(base, method, p, opts = {}) {
  const { token, cookie, origin, json, form, multipart, body, headers = {}, timeout = REQUEST_TIMEOUT_MS, expect100 = false } = opts;
  const h = {};
  if (token) h.authorization = `Bearer ${token}`;
  if (cookie) h.cookie = cookie;
  if (origin === true) h.origin = new URL(base).origin;
  else if (origin) h.origin = origin;
  let payload = null;
  if (json !== undefined) {
    payload = Buffer.from(JSON.stringify(json), 'utf8');
    h['content-type'] = 'application/json';
  } else if (form !== undefined) {
    const r = new Response(form);
    h['content-type'] = r.headers.get('content-type');
    payload = Buffer.from(await r.arrayBuffer());
  } else if (multipart !== undefined) {
    const mp = buildMultipart(multipart);
    h['content-type'] = mp.contentType;
    payload = mp.body;
  } else if (body !== undefined) {
    payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
  }
  if (expect100) h.expect = '100-continue';
  for (const [k, v] of Object.entries(headers)) {
    if (v === null) delete h[k.toLowerCase()];
    else h[k.toLowerCase()] = v;
  }
  if (payload) h['content-length'] = String(payload.length);
  else if (!['GET', 'HEAD'].includes(method)) h['content-length'] = '0';

  const url = new URL(p, base).toString();
  const r = await rawRequest(url, { method, headers: h, body: payload, timeout, expect100 });
  const hdrs = new Headers();
  for (let i = 0; i < r.rawHeaders.length; i += 2) {
    try { hdrs.append(r.rawHeaders[i], r.rawHeaders[i + 1]); } catch { /* invalid header value */ }
  }
  const text = r.body.toString('utf8');
  let parsed = null;
  try { parsed = text.length ? JSON.parse(text) : null; } catch { parsed = null; }
  const shownHeaders = { ...h };
  if (shownHeaders.authorization) shownHeaders.authorization = 'Bearer <token>';
  if (shownHeaders.cookie) shownHeaders.cookie = shownHeaders.cookie.replace(/=.*/, '=<session>');
  return {
    status: r.status,
    headers: hdrs,
    json: parsed,
    text,
    body: r.body,
    req: { method, path: p, headers: shownHeaders, bodyBytes: payload ? payload.length : 0 },
  };
}

/** "METHOD /path -> status body" for assertion messages. */
export function describeRes(res, max = 600) {
  const body = res.body && res.headers.get('content-type')?.startsWith('image/')
    ? `<${res.body.length} bytes of ${res.headers.get('content-type')}>`
    : (res.text.length > max ? res.text.slice(0, max) + '...' : res.text);
  return `${res.req.method} ${res.req.path} -> HTTP ${res.status} ${body}`;
}

/** Asserts the contract's error shape {"error":{"code","message","field"?}}. field: string, or undefined to skip. */
export function assertError(res, status, code, field) {
  const ctx = describeRes(res);
  const statuses = Array.isArray(status) ? status : [status];
  const codes = Array.isArray(code) ? code : [code];
  assert.ok(statuses.includes(res.status), `expected HTTP ${statuses.join('|')} ${codes.join('|')}; got: ${ctx}`);
  assert.ok(res.json && typeof res.json === 'object' && res.json.error && typeof res.json.error === 'object',
    `expected a JSON body {"error":{...}}; got: ${ctx}`);
  assert.ok(codes.includes(res.json.error.code), `expected error code ${codes.join('|')}; got: ${ctx}`);
  assert.equal(typeof res.json.error.message, 'string', `error.message must be a string; got: ${ctx}`);
  assert.ok(res.json.error.message.length > 0, `error.message must not be empty; got: ${ctx}`);
  if (field !== undefined) {
    assert.equal(res.json.error.field, field, `expected error.field "${field}"; got: ${ctx}`);
  }
  return res.json.error;
}

export function assertStatus(res, status) {
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(res.status), `expected HTTP ${statuses.join('|')}; got: ${describeRes(res)}`);
}

export function sessionCookie(res) {
  const list = res.headers.getSetCookie();
  for (const c of list) {
    const m = /^\s*helpline_session=([^;]*)/.exec(c);
    if (m) return { cookie: `helpline_session=${m[1]}`, value: m[1], setCookie: c };
  }
  return null;
}

/** Signs up a customer. Returns {token, user, cookie, setCookie, email, password, name}. */
export async function signup(base, { email = uniqueEmail('cust'), password = 'customer-pass-123', name = 'Casey Customer' } = {}) {
  const res = await api(base, 'POST', '/api/v1/auth/signup', { json: { email, password, name } });
  assert.equal(res.status, 201, `signup failed: ${describeRes(res)}`);
  const c = sessionCookie(res);
  assert.ok(c, `signup must set the helpline_session cookie; Set-Cookie: ${JSON.stringify(res.headers.getSetCookie())}`);
  return { token: res.json.token, user: res.json.user, cookie: c.cookie, setCookie: c.setCookie, email, password, name };
}

/** Logs in. Returns {token, user, cookie, setCookie}. */
export async function login(base, { email, password }) {
  const res = await api(base, 'POST', '/api/v1/auth/login', { json: { email, password } });
  assert.equal(res.status, 200, `login failed: ${describeRes(res)}`);
  const c = sessionCookie(res);
  assert.ok(c, `login must set the helpline_session cookie; Set-Cookie: ${JSON.stringify(res.headers.getSetCookie())}`);
  return { token: res.json.token, user: res.json.user, cookie: c.cookie, setCookie: c.setCookie, email, password };
}

/** Query string from an object (undefined values dropped). */
export function qs(obj) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null) u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

// ---------------------------------------------------------------------------------------------
// Tickets

/**
 * Multipart parts for POST /api/v1/tickets (see buildMultipart). Pass null to omit a field.
 * files: [{data: Buffer, filename, type}]; extra: more parts [{name, value, filename?, type?}].
 * (Built by hand rather than with FormData: FormData turns "\n" in text fields into "\r\n",
 * and the tests check that texts come back byte-identical.)
 */
export function ticketParts({ subject = 'Printer on fire', description = 'It started smoking after the update.',
  category = 'technical', priority = null, files = [defaultScreenshot()], extra = [] } = {}) {
  const parts = [];
  if (subject !== null) parts.push({ name: 'subject', value: subject });
  if (description !== null) parts.push({ name: 'description', value: description });
  if (category !== null) parts.push({ name: 'category', value: category });
  if (priority !== null) parts.push({ name: 'priority', value: priority });
  parts.push(...extra);
  for (const f of files) {
    parts.push({ name: 'screenshots', value: f.data, filename: f.filename ?? 'screenshot.png', type: f.type ?? 'application/octet-stream' });
  }
  return parts;
}

/** The same as a FormData (as a browser would send it). */
export function ticketForm(fields = {}) {
  const fd = new FormData();
  for (const p of ticketParts(fields)) {
    if (p.filename !== undefined) fd.append(p.name, new Blob([p.value], { type: p.type }), p.filename);
    else fd.append(p.name, p.value);
  }
  return fd;
}

export function defaultScreenshot() {
  return { data: makePng(48, 32), filename: 'screenshot.png', type: 'image/png' };
}

/** POST /api/v1/tickets; auth = {token} or {cookie, origin}. Returns the raw api() result. */
export function postTicket(base, auth, fields = {}, opts = {}) {
  return api(base, 'POST', '/api/v1/tickets', { ...auth, multipart: ticketParts(fields), ...opts });
}

/** Creates a ticket and asserts 201; returns the Ticket. */
export async function createTicket(base, auth, fields = {}) {
  const res = await postTicket(base, auth, fields);
  assert.equal(res.status, 201, `ticket creation failed: ${describeRes(res)}`);
  assert.ok(res.json?.ticket, `201 without {"ticket": ...}: ${describeRes(res)}`);
  return res.json.ticket;
}

/** All ticket ids the caller sees (follows next_cursor). */
export async function listAllTicketIds(base, auth, query = {}) {
  const ids = [];
  let cursor;
  for (let i = 0; i < 100; i++) {
    const res = await api(base, 'GET', '/api/v1/tickets' + qs({ ...query, limit: 100, cursor }), auth);
    assert.equal(res.status, 200, describeRes(res));
    for (const t of res.json.items) ids.push(t.id);
    cursor = res.json.next_cursor;
    if (!cursor) break;
  }
  return ids;
}

/** Every regular file under dir (recursively): Map relativePath -> size. */
export async function walkFiles(dir) {
  const out = new Map();
  async function walk(d) {
    let entries;
    try { entries = await fsp.readdir(d, { withFileTypes: true }); } catch (e) {
      if (e.code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else {
        try {
          const st = await fsp.stat(full);
          out.set(path.relative(dir, full), st.size);
        } catch { /* vanished */ }
      }
    }
  }
  await walk(dir);
  return out;
}

const DB_FILE = /(\.(db|sqlite3?)(-wal|-shm|-journal)?|-wal|-shm|-journal|\.log)$/i;

/** Snapshot for "nothing stored": the caller's ticket ids, DIR/files/* with sizes, other non-DB files in DIR. */
export async function storeSnapshot(server, auth) {
  const ids = await listAllTicketIds(server.url, auth);
  const files = await walkFiles(server.filesDir);
  const all = await walkFiles(server.dataDir);
  const other = [...all.keys()].filter((k) => !k.startsWith('files' + path.sep) && !DB_FILE.test(k)).sort();
  return { ids, files, other };
}

export async function assertNothingStored(server, auth, before, what = 'the rejected request') {
  const after = await storeSnapshot(server, auth);
  assert.deepEqual(after.ids, before.ids, `${what} changed the customer's ticket list`);
  const added = [...after.files.keys()].filter((k) => !before.files.has(k));
  const changed = [...after.files.keys()].filter((k) => before.files.has(k) && before.files.get(k) !== after.files.get(k));
  assert.deepEqual(added, [], `${what} left new files under ${server.filesDir}: ${added.join(', ')}`);
  assert.deepEqual(changed, [], `${what} changed files under ${server.filesDir}: ${changed.join(', ')}`);
  const addedOther = after.other.filter((k) => !before.other.includes(k));
  assert.deepEqual(addedOther, [], `${what} left new files in the data dir: ${addedOther.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Checks shared by several files

export function assertSecurityHeaders(res) {
  const ctx = describeRes(res, 200);
  const csp = res.headers.get('content-security-policy');
  assert.ok(csp, `missing Content-Security-Policy on ${ctx}`);
  assert.ok(/default-src\s+[^;]*'self'/.test(csp), `CSP lacks default-src 'self' (${csp}) on ${ctx}`);
  assert.ok(/frame-ancestors\s+'none'/.test(csp), `CSP lacks frame-ancestors 'none' (${csp}) on ${ctx}`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `X-Content-Type-Options must be nosniff on ${ctx}`);
  assert.ok(res.headers.get('referrer-policy'), `missing Referrer-Policy on ${ctx}`);
}

export const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function assertUser(u, { email, name, role } = {}) {
  assert.ok(u && typeof u === 'object', `User expected, got ${JSON.stringify(u)}`);
  assert.ok(Number.isSafeInteger(u.id) && u.id > 0, `User.id must be a positive integer: ${JSON.stringify(u)}`);
  assert.ok(RFC3339_MS.test(u.created_at), `User.created_at must be RFC 3339 UTC with ms: ${JSON.stringify(u)}`);
  assert.ok(['customer', 'agent'].includes(u.role), `User.role: ${JSON.stringify(u)}`);
  if (email !== undefined) assert.equal(u.email.toLowerCase(), email.toLowerCase());
  if (name !== undefined) assert.equal(u.name, name);
  if (role !== undefined) assert.equal(u.role, role);
}

/** Checks an Attachment object's shape. */
export function assertAttachment(a) {
  const j = JSON.stringify(a);
  assert.ok(Number.isSafeInteger(a.id) && a.id > 0, `Attachment.id: ${j}`);
  assert.ok(['image/png', 'image/jpeg'].includes(a.content_type), `Attachment.content_type: ${j}`);
  assert.equal(typeof a.filename, 'string', `Attachment.filename: ${j}`);
  assert.ok(Number.isSafeInteger(a.size) && a.size > 0, `Attachment.size: ${j}`);
  assert.ok(Number.isSafeInteger(a.width) && a.width > 0, `Attachment.width: ${j}`);
  assert.ok(Number.isSafeInteger(a.height) && a.height > 0, `Attachment.height: ${j}`);
  assert.equal(a.url, `/api/v1/attachments/${a.id}`, `Attachment.url: ${j}`);
  assert.equal(a.thumb_url, `/api/v1/attachments/${a.id}/thumb`, `Attachment.thumb_url: ${j}`);
}

/** GETs an attachment (or thumb) and checks the headers every image answer must carry. */
export async function fetchImage(base, auth, urlPath) {
  const res = await api(base, 'GET', urlPath, auth);
  assert.equal(res.status, 200, describeRes(res));
  const ct = (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  assert.ok(['image/png', 'image/jpeg'].includes(ct), `Content-Type of ${urlPath} is "${res.headers.get('content-type')}"`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${urlPath} lacks X-Content-Type-Options: nosniff`);
  const cc = res.headers.get('cache-control') || '';
  assert.ok(/\bprivate\b/i.test(cc), `${urlPath} Cache-Control must contain private, got "${cc}"`);
  const info = imageInfo(res.body);
  assert.ok(info, `${urlPath} served bytes that are neither PNG nor JPEG`);
  assert.equal(`image/${info.type}`, ct, `${urlPath} Content-Type ${ct} but the bytes are ${info.type}`);
  if (info.type === 'png') verifyPng(res.body);
  else verifyJpegStructure(res.body);
  return { res, info, contentType: ct };
}

// ---------------------------------------------------------------------------------------------
// PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(...bufs) {
  let c = 0xffffffff;
  for (const b of bufs) for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function pngChunk(type, data = Buffer.alloc(0)) {
  const t = Buffer.from(type, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(t, data));
  return Buffer.concat([len, t, data, crc]);
}

export function ihdr(width, height, { bitDepth = 8, colorType = 2, interlace = 0 } = {}) {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = bitDepth;
  d[9] = colorType;
  d[10] = 0;
  d[11] = 0;
  d[12] = interlace;
  return pngChunk('IHDR', d);
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/**
 * makePng(width, height, opts) -> a valid PNG Buffer.
 * opts: colorType 0|2|3|4|6 (default 2 = RGB), bitDepth 8|16 (default 8; palette: 8),
 *   interlace (Adam7, default false), fill 'gradient' | 'noise' (default gradient),
 *   chunks: [{type, data}] extra chunks placed before IDAT (e.g. tEXt, eXIf),
 *   padTo: exact total file size, reached with a private ancillary `prVt` chunk before IEND,
 *   level: zlib level (default 9; noise uses 0).
 */
export function makePng(width, height, opts = {}) {
  const { colorType = 2, interlace = false, fill = 'gradient', chunks = [], padTo } = opts;
  const bitDepth = colorType === 3 ? 8 : (opts.bitDepth ?? 8);
  const level = opts.level ?? (fill === 'noise' ? 0 : 9);
  const bpp = CHANNELS[colorType] * (bitDepth / 8);

  const passes = interlace ? ADAM7 : [[0, 0, 1, 1]];
  const rows = [];
  let noise = fill === 'noise' ? crypto.randomBytes(Math.min(width * height * bpp + height, 64 * MiB)) : null;
  let np = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    for (let j = 0; j < ph; j++) {
      const y = y0 + j * dy;
      const row = Buffer.alloc(1 + pw * bpp); // filter type 0
      if (noise) {
        const n = pw * bpp;
        if (np + n > noise.length) { noise = crypto.randomBytes(Math.max(n, 1 * MiB)); np = 0; }
        noise.copy(row, 1, np, np + n);
        np += n;
      } else {
        for (let i = 0; i < pw; i++) {
          const x = x0 + i * dx;
          const r = Math.floor((x * 255) / Math.max(1, width - 1));
          const g = Math.floor((y * 255) / Math.max(1, height - 1));
          const b = (x + y) % 2 ? 200 : 60;
          const a = 255 - ((x * 7 + y * 3) % 64);
          let px;
          switch (colorType) {
            case 0: px = [g]; break;
            case 2: px = [r, g, b]; break;
            case 3: px = [(x + y) % 4]; break;
            case 4: px = [g, a]; break;
            case 6: px = [r, g, b, a]; break;
            default: throw new Error(`colorType ${colorType}`);
          }
          for (let c = 0; c < px.length; c++) {
            if (bitDepth === 16) row.writeUInt16BE(px[c] * 257, 1 + i * bpp + c * 2);
            else row[1 + i * bpp + c] = px[c];
          }
        }
      }
      rows.push(row);
    }
  }
  const idat = zlib.deflateSync(Buffer.concat(rows), { level });
  const parts = [PNG_SIGNATURE, ihdr(width, height, { bitDepth, colorType, interlace: interlace ? 1 : 0 })];
  if (colorType === 3) {
    parts.push(pngChunk('PLTE', Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 250, 250, 250])));
  }
  for (const c of chunks) parts.push(pngChunk(c.type, c.data));
  parts.push(pngChunk('IDAT', idat));
  const iend = pngChunk('IEND');
  let png = Buffer.concat([...parts, iend]);
  if (padTo !== undefined) {
    const missing = padTo - png.length;
    if (missing === 0) return png;
    if (missing < 12) throw new Error(`makePng: cannot pad ${png.length} bytes to ${padTo} (need >= 12 bytes for a chunk)`);
    const filler = Buffer.alloc(missing - 12, 0x5a);
    png = Buffer.concat([...parts, pngChunk('prVt', filler), iend]);
    assert.equal(png.length, padTo);
  }
  return png;
}

/**
 * A real PNG of exactly `bytes` bytes: an RGB noise image (incompressible, so the image data
 * itself is large) padded to the exact size with a private ancillary `prVt` chunk.
 */
export function makePngOfSize(bytes, width = 1024) {
  const rowBytes = 1 + width * 3;
  let height = Math.floor((bytes - 4096) / rowBytes);
  for (; height > 0; height--) {
    const raw = rowBytes * height;
    // stored deflate: 2-byte zlib header + 5 bytes per 65535-byte block + 4-byte adler
    const idat = 2 + raw + 5 * Math.ceil(raw / 65535) + 4;
    const total = 8 + 25 + 12 + idat + 12;
    if (bytes - total >= 12 + 64) break;
  }
  return makePng(width, height, { fill: 'noise', padTo: bytes, level: 0 });
}

/** A PNG whose IHDR declares width x height but carries only a tiny IDAT (a pixel-flood header). */
export function pngDeclaring(width, height) {
  const idat = zlib.deflateSync(Buffer.alloc(64));
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height), pngChunk('IDAT', idat), pngChunk('IEND')]);
}

/** Chunks of a PNG: [{type, offset, length, data, crcOk}]; stops at IEND or at the end of the data. */
export function pngChunks(buf) {
  const out = [];
  let off = 8;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const end = off + 12 + len;
    if (end > buf.length) {
      out.push({ type, offset: off, length: len, truncated: true });
      break;
    }
    const data = buf.subarray(off + 8, off + 8 + len);
    const crcOk = crc32(buf.subarray(off + 4, off + 8), data) === buf.readUInt32BE(off + 8 + len);
    out.push({ type, offset: off, length: len, data, crcOk });
    off = end;
    if (type === 'IEND') break;
  }
  return out;
}

export function pngChunkTypes(buf) {
  return pngChunks(buf).map((c) => c.type);
}

/**
 * Verifies a PNG as far as possible without a codec: signature, chunk CRCs, IHDR first, IEND
 * last, and that the concatenated IDAT inflates to exactly the size the header implies.
 * Returns {width, height, bitDepth, colorType, interlace, chunks}.
 */
export function verifyPng(buf) {
  assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
  const chunks = pngChunks(buf);
  assert.ok(chunks.length >= 3, 'PNG has too few chunks');
  for (const c of chunks) {
    assert.ok(!c.truncated, `PNG chunk ${c.type} truncated`);
    assert.ok(c.crcOk, `PNG chunk ${c.type} has a bad CRC`);
  }
  assert.equal(chunks[0].type, 'IHDR', 'first PNG chunk must be IHDR');
  assert.equal(chunks.at(-1).type, 'IEND', 'last PNG chunk must be IEND');
  const h = chunks[0].data;
  const width = h.readUInt32BE(0);
  const height = h.readUInt32BE(4);
  const bitDepth = h[8];
  const colorType = h[9];
  const interlace = h[12];
  const idat = Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
  assert.ok(idat.length > 0, 'PNG without IDAT');
  const raw = zlib.inflateSync(idat);
  const bitsPerPixel = CHANNELS[colorType] * bitDepth;
  const rowLen = (w) => 1 + Math.ceil((w * bitsPerPixel) / 8);
  let expected = 0;
  for (const [x0, y0, dx, dy] of interlace ? ADAM7 : [[0, 0, 1, 1]]) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw > 0 && ph > 0) expected += ph * rowLen(pw);
  }
  assert.equal(raw.length, expected, `PNG image data inflates to ${raw.length} bytes, expected ${expected}`);
  return { width, height, bitDepth, colorType, interlace, chunks: chunks.map((c) => c.type) };
}

// ---------------------------------------------------------------------------------------------
// JPEG

/** 32x16 baseline JPEG (libjpeg-turbo 2.1.5, quality 85, 4:2:0, JFIF, no metadata); verified with djpeg-style decode. */
export const TINY_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAUDBAQEAwUEBAQFBQUGBwwIBwcHBw8LCwkMEQ8SEhEPERETFhwXExQaFRERGCEYGh0dHx8fExciJCIeJBweHx7/2wBDAQUFBQcGBw4ICA4eFBEUHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh7/wAARCAAQACADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDxyw8JdP3X6Vv2HhLp+6/SvYbDwj0/dfpW/YeEun7r9K/TMVxT/ePgch402948CsPCXT91+lb9h4R6fuv0r2Gw8JdP3X6Vv2HhLp+6/Sv5bxXFP94/fsh40294/9k=',
  'base64');
export const TINY_JPEG_SIZE = { width: 32, height: 16 };

/** 24x16 progressive JPEG (libjpeg-turbo, jpeg_simple_progression). */
export const TINY_PROGRESSIVE_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAUDBAQEAwUEBAQFBQUGBwwIBwcHBw8LCwkMEQ8SEhEPERETFhwXExQaFRERGCEYGh0dHx8fExciJCIeJBweHx7/2wBDAQUFBQcGBw4ICA4eFBEUHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh7/wgARCAAQABgDASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABgAE/8QAFQEBAQAAAAAAAAAAAAAAAAAABQf/2gAMAwEAAhADEAAAASG5ltTLHT+nVF//xAAXEAADAQAAAAAAAAAAAAAAAAAAAwQU/9oACAEBAAEFAlSGQVIKkMgqQ//EABoRAAICAwAAAAAAAAAAAAAAAAAFASIEITH/2gAIAQMBAT8BUOrRsxnVOn//xAAbEQABBAMAAAAAAAAAAAAAAAAFAAIhJDFRsf/aAAgBAgEBPwE2UqvnXU8pOV//xAAXEAEBAQEAAAAAAAAAAAAAAAAAMQEh/9oACAEBAAY/AoziIziP/8QAFhABAQEAAAAAAAAAAAAAAAAAARAA/9oACAEBAAE/IcGpJiH/2gAMAwEAAgADAAAAEBDv/8QAFREBAQAAAAAAAAAAAAAAAAAAACH/2gAIAQMBAT8QQhP/xAAWEQADAAAAAAAAAAAAAAAAAAAQQfD/2gAIAQIBAT8QuECf/8QAGRAAAgMBAAAAAAAAAAAAAAAAADFBccGh/9oACAEBAAE/EE5OrFCMiMnVihOT/9k=',
  'base64');
export const TINY_PROGRESSIVE_JPEG_SIZE = { width: 24, height: 16 };

/**
 * Segments of a JPEG up to and including SOS: [{marker, offset, length, data}] (data = payload
 * without the 2-byte length). Also returns sosEnd (offset of the entropy-coded data).
 */
export function jpegSegments(buf) {
  const segs = [];
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return { segs, sosEnd: -1 };
  let off = 2;
  while (off + 4 <= buf.length) {
    if (buf[off] !== 0xff) break;
    let m = buf[off + 1];
    while (m === 0xff && off + 2 < buf.length) { off += 1; m = buf[off + 1]; }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { off += 2; continue; }
    if (m === 0xd9) { segs.push({ marker: m, offset: off, length: 0, data: Buffer.alloc(0) }); break; }
    const len = buf.readUInt16BE(off + 2);
    const data = buf.subarray(off + 4, off + 2 + len);
    segs.push({ marker: m, offset: off, length: len, data });
    off += 2 + len;
    if (m === 0xda) return { segs, sosEnd: off };
  }
  return { segs, sosEnd: -1 };
}

function isSof(m) {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/** Structural JPEG check: SOI, a SOF, a SOS, ends with EOI. */
export function verifyJpegStructure(buf) {
  assert.ok(buf[0] === 0xff && buf[1] === 0xd8, 'JPEG must start with SOI');
  const { segs, sosEnd } = jpegSegments(buf);
  assert.ok(segs.some((s) => isSof(s.marker)), 'JPEG without SOF');
  assert.ok(sosEnd > 0, 'JPEG without SOS');
  assert.ok(buf[buf.length - 2] === 0xff && buf[buf.length - 1] === 0xd9, 'JPEG must end with EOI (truncated?)');
}

/** True when the data has EXIF: a JPEG APP1 "Exif\0\0" segment, or a PNG eXIf chunk. */
export function hasExif(buf) {
  const info = imageInfo(buf);
  if (info?.type === 'jpeg') {
    return jpegSegments(buf).segs.some((s) => s.marker === 0xe1 && s.data.subarray(0, 6).toString('latin1') === 'Exif\0\0');
  }
  if (info?.type === 'png') return pngChunkTypes(buf).includes('eXIf');
  return false;
}

/** JPEG APPn segments other than APP0/JFIF and APP14/Adobe (i.e. metadata), as marker names. */
export function jpegMetadataSegments(buf) {
  return jpegSegments(buf).segs
    .filter((s) => (s.marker >= 0xe1 && s.marker <= 0xef && s.marker !== 0xee) || s.marker === 0xfe)
    .map((s) => `APP${s.marker - 0xe0}:${s.data.subarray(0, 12).toString('latin1').replace(/[^\x20-\x7e]/g, '.')}`);
}

/** Returns a copy of the JPEG whose SOF declares width x height (a pixel flood header). */
export function jpegDeclaring(jpeg, width, height) {
  const out = Buffer.from(jpeg);
  const sof = jpegSegments(out).segs.find((s) => isSof(s.marker));
  out.writeUInt16BE(height, sof.offset + 5);
  out.writeUInt16BE(width, sof.offset + 7);
  return out;
}

/** The JPEG cut in the middle of its entropy-coded data (no EOI). */
export function truncatedJpeg(jpeg = TINY_JPEG) {
  const { sosEnd } = jpegSegments(jpeg);
  return jpeg.subarray(0, sosEnd + Math.floor((jpeg.length - sosEnd) / 2));
}

/**
 * Builds an EXIF APP1 segment (little-endian TIFF): Make, Orientation and a GPS IFD
 * (60 deg 8' 48.14" N), and inserts it right after SOI.
 */
export function jpegWithExif(jpeg = TINY_JPEG, { orientation = 6, make = 'HelplineTestCam', gps = true } = {}) {
  const entries = [];
  const makeStr = Buffer.from(make + '\0', 'latin1');
  // Layout: header(8) | IFD0 | make string | GPS IFD | GPS rationals
  const ifd0Count = gps ? 3 : 2;
  const ifd0Off = 8;
  const ifd0Size = 2 + ifd0Count * 12 + 4;
  const makeOff = ifd0Off + ifd0Size;
  const gpsOff = makeOff + makeStr.length + (makeStr.length % 2);
  const gpsCount = 3;
  const gpsSize = 2 + gpsCount * 12 + 4;
  const ratOff = gpsOff + gpsSize;
  const total = gps ? ratOff + 24 : gpsOff;
  const t = Buffer.alloc(total);
  t.write('II', 0, 'latin1');
  t.writeUInt16LE(42, 2);
  t.writeUInt32LE(ifd0Off, 4);
  const entry = (base, i, tag, type, count, value, inline = false) => {
    const o = base + 2 + i * 12;
    t.writeUInt16LE(tag, o);
    t.writeUInt16LE(type, o + 2);
    t.writeUInt32LE(count, o + 4);
    if (Buffer.isBuffer(value)) value.copy(t, o + 8);
    else if (type === 3 && inline) t.writeUInt16LE(value, o + 8);
    else t.writeUInt32LE(value, o + 8);
  };
  t.writeUInt16LE(ifd0Count, ifd0Off);
  entry(ifd0Off, 0, 0x010f, 2, makeStr.length, makeOff); // Make (ASCII, offset)
  entry(ifd0Off, 1, 0x0112, 3, 1, orientation, true); // Orientation (SHORT)
  if (gps) entry(ifd0Off, 2, 0x8825, 4, 1, gpsOff); // GPSInfo IFD pointer (LONG)
  t.writeUInt32LE(0, ifd0Off + 2 + ifd0Count * 12); // no next IFD
  makeStr.copy(t, makeOff);
  if (gps) {
    t.writeUInt16LE(gpsCount, gpsOff);
    entry(gpsOff, 0, 0x0000, 1, 4, Buffer.from([2, 3, 0, 0])); // GPSVersionID
    entry(gpsOff, 1, 0x0001, 2, 2, Buffer.from('N\0\0\0', 'latin1')); // GPSLatitudeRef
    entry(gpsOff, 2, 0x0002, 5, 3, ratOff); // GPSLatitude (3 RATIONAL)
    t.writeUInt32LE(0, gpsOff + 2 + gpsCount * 12);
    const rats = [[60, 1], [8, 1], [4814, 100]];
    rats.forEach(([n, d], i) => { t.writeUInt32LE(n, ratOff + i * 8); t.writeUInt32LE(d, ratOff + i * 8 + 4); });
  }
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), t]);
  const seg = Buffer.alloc(4);
  seg[0] = 0xff;
  seg[1] = 0xe1;
  seg.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), seg, payload, jpeg.subarray(2)]);
}

// ---------------------------------------------------------------------------------------------
// Other formats (all must be refused with 415)

/** 1x1 GIF89a. */
export const TINY_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
/** The start of an HEIF/HEIC file (ftyp box, brand heic) followed by junk. */
export const FAKE_HEIC = Buffer.concat([
  Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic', 'latin1'), Buffer.from([0, 0, 0, 0]),
  Buffer.from('mif1heic', 'latin1'), crypto.randomBytes(200),
]);
export const FAKE_WEBP = Buffer.concat([
  Buffer.from('RIFF', 'latin1'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ', 'latin1'), Buffer.alloc(40),
]);
export const TINY_SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)"><rect width="10" height="10"/></svg>\n');
export const TINY_BMP = (() => {
  const b = Buffer.alloc(58);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(58, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(1, 18);
  b.writeInt32LE(1, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(4, 34);
  return b;
})();

// ---------------------------------------------------------------------------------------------
// Inspection

/** {type: 'png'|'jpeg', width, height} from the header, or null. */
export function imageInfo(buf) {
  if (!buf || buf.length < 24) return null;
  if (buf.subarray(0, 8).equals(PNG_SIGNATURE) && buf.toString('latin1', 12, 16) === 'IHDR') {
    return { type: 'png', width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    const sof = jpegSegments(buf).segs.find((s) => isSof(s.marker));
    if (!sof) return { type: 'jpeg', width: null, height: null };
    return { type: 'jpeg', width: sof.data.readUInt16BE(3), height: sof.data.readUInt16BE(1) };
  }
  return null;
}

/** Reads the EXIF Orientation of a JPEG (1 when absent). */
export function jpegOrientation(buf) {
  const seg = jpegSegments(buf).segs.find((s) => s.marker === 0xe1 && s.data.subarray(0, 6).toString('latin1') === 'Exif\0\0');
  if (!seg) return 1;
  const t = seg.data.subarray(6);
  const le = t.toString('latin1', 0, 2) === 'II';
  const u16 = (o) => (le ? t.readUInt16LE(o) : t.readUInt16BE(o));
  const u32 = (o) => (le ? t.readUInt32LE(o) : t.readUInt32BE(o));
  try {
    const ifd = u32(4);
    const n = u16(ifd);
    for (let i = 0; i < n; i++) {
      const o = ifd + 2 + i * 12;
      if (u16(o) === 0x0112) return u16(o + 8);
    }
  } catch { /* corrupt */ }
  return 1;
}

export async function readShared(rel) {
  return fsp.readFile(path.join(SHARED_DATA, rel));
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
