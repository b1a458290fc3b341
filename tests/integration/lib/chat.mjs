// WebSocket / chat helpers for the chat-*.test.mjs integration tests.
//
// - connectWs(server, auth, opts): opens GET /api/v1/ws with `ws` and returns a ChatClient that
//   records every frame, so a test can wait for one (`next`), read them in strict order
//   (`nextFrame`), or check that something did NOT arrive (`noneSince`).
// - upgradeStatus(): the HTTP status of a refused upgrade (401 / 403).
// - REST helpers for messages: postMessage(), listMessages(), allMessages(), markRead(), me().
// - dbQuery() (from harness.mjs): SQL on the server's database, SQLite or PostgreSQL (for states
//   the API cannot make yet).
//
// Everything else (startServer, signup, createAgent, createTicket, api ...) is in harness.mjs.

import WebSocket from 'ws';
import assert from 'node:assert/strict';
import { api, describeRes, qs, signup, createTicket } from './harness.mjs';

export const WS_PATH = '/api/v1/ws';
export const FRAME_TIMEOUT_MS = Number(process.env.HELPLINE_TEST_FRAME_TIMEOUT_MS) || 5_000;

export function wsUrl(server) {
  return server.url.replace(/^http/, 'ws') + WS_PATH;
}

function authHeaders(auth = {}) {
  const h = {};
  if (auth.token) h.authorization = `Bearer ${auth.token}`;
  if (auth.cookie) h.cookie = auth.cookie;
  return h;
}

function short(v, max = 300) {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? s.slice(0, max) + '...' : s;
}

/** A `ws` connection that keeps every frame it receives. */
export class ChatClient {
  constructor(ws, label) {
    this.ws = ws;
    this.label = label;
    this.frames = []; // every parsed frame, in arrival order
    this.consumed = new Set(); // indexes handed out by next()/nextFrame()
    this.cursor = 0; // for nextFrame(): strict order
    this.waiters = new Set();
    this.closeInfo = null;
    this.nonJson = [];
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        resolve(this.closeInfo);
        this._wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      const text = data.toString('utf8');
      let f;
      try { f = JSON.parse(text); } catch {
        this.nonJson.push({ isBinary, text });
        f = { type: '__non_json__', text, isBinary };
      }
      this.frames.push(f);
      this._wake();
    });
    ws.on('error', (e) => { this.error = e; });
  }

  _wake() {
    for (const w of [...this.waiters]) w();
  }

  /** Waits until check() returns something other than undefined (re-run on every frame / close). */
  _wait(check, timeout, describe) {
    return new Promise((resolve, reject) => {
      const run = () => {
        let r;
        try { r = check(); } catch (e) { cleanup(); reject(e); return; }
        if (r !== undefined) { cleanup(); resolve(r); return true; }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.label}: ${describe()} not received within ${timeout} ms`
          + `${this.closeInfo ? ` (socket closed: ${JSON.stringify(this.closeInfo)})` : ''}.\n`
          + `Frames received by ${this.label} (${this.frames.length}), last ones:\n  `
          + this.frames.slice(-12).map((f) => short(f)).join('\n  ')));
      }, timeout);
      const cleanup = () => { clearTimeout(timer); this.waiters.delete(run); };
      this.waiters.add(run);
      run();
    });
  }

  /** The first not yet consumed frame matching pred (a type string or a function); consumes it. */
  next(pred, { timeout = FRAME_TIMEOUT_MS, what } = {}) {
    const fn = typeof pred === 'string' ? (f) => f.type === pred : pred;
    return this._wait(() => {
      for (let i = 0; i < this.frames.length; i++) {
        if (!this.consumed.has(i) && fn(this.frames[i])) {
          this.consumed.add(i);
          return this.frames[i];
        }
      }
      if (this.closeInfo) {
        throw new Error(`${this.label}: socket closed ${JSON.stringify(this.closeInfo)} while waiting for `
          + `${what || short(String(pred), 120)}; frames: ${this.frames.map((f) => short(f, 160)).join(' | ')}`);
      }
      return undefined;
    }, timeout, () => what || (typeof pred === 'string' ? `a "${pred}" frame` : `a frame matching ${short(String(pred), 160)}`));
  }

  /**
   * The next frame in arrival order after the previous nextFrame() (ignoring frames whose type is
   * in `skip`, e.g. presence/ticket/unread noise). For strict-order checks.
   */
  nextFrame({ timeout = FRAME_TIMEOUT_MS, skip = [] } = {}) {
    return this._wait(() => {
      while (this.cursor < this.frames.length) {
        const i = this.cursor++;
        const f = this.frames[i];
        if (skip.includes(f.type)) continue;
        this.consumed.add(i);
        return f;
      }
      if (this.closeInfo) throw new Error(`${this.label}: socket closed ${JSON.stringify(this.closeInfo)} while reading frames in order`);
      return undefined;
    }, timeout, () => 'the next frame (in order)');
  }

  /** Moves the nextFrame() cursor to the end (everything so far is skipped). */
  skipAll() {
    this.cursor = this.frames.length;
  }

  /** Index to pass to since()/noneSince(). */
  mark() {
    return this.frames.length;
  }

  since(mark, pred = () => true) {
    const fn = typeof pred === 'string' ? (f) => f.type === pred : pred;
    return this.frames.slice(mark).filter(fn);
  }

  /** Waits `ms`, then asserts no frame matching pred arrived since mark. */
  async noneSince(mark, pred, ms, msg) {
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    const got = this.since(mark, pred);
    assert.equal(got.length, 0, `${this.label}: ${msg || 'unexpected frames'}: ${got.map((f) => short(f)).join(' | ')}`);
  }

  /** All frames so far matching pred (not consuming). */
  all(pred = () => true) {
    const fn = typeof pred === 'string' ? (f) => f.type === pred : pred;
    return this.frames.filter(fn);
  }

  send(obj) {
    this.ws.send(JSON.stringify(obj));
  }

  sendRaw(data, opts) {
    this.ws.send(data, opts);
  }

  /** Sends subscribe and waits for `subscribed` for that ticket. Returns {replay: [Message], subscribed}. */
  async subscribe(ticketId, after, { timeout = FRAME_TIMEOUT_MS } = {}) {
    const m = this.mark();
    const frame = { type: 'subscribe', ticket_id: ticketId };
    if (after !== undefined) frame.after = after;
    this.send(frame);
    const subscribed = await this.next((f) => f.type === 'subscribed' && f.ticket_id === ticketId,
      { timeout, what: `"subscribed" for ticket ${ticketId}` });
    const idx = this.frames.indexOf(subscribed);
    const replay = this.frames.slice(m, idx).filter((f) => f.type === 'message' && f.message?.ticket_id === ticketId)
      .map((f) => f.message);
    return { replay, subscribed };
  }

  /** Sends a `message` frame and waits for its ack. Returns the ack frame. */
  async sendMessage(ticketId, body, clientId, { timeout = FRAME_TIMEOUT_MS } = {}) {
    this.send({ type: 'message', ticket_id: ticketId, body, client_id: clientId });
    return this.next((f) => (f.type === 'ack' || f.type === 'error') && (f.client_id === clientId || f.ref === clientId),
      { timeout, what: `ack for client_id ${clientId}` });
  }

  close(code, reason) {
    try { this.ws.close(code, reason); } catch { /* already closed */ }
    return this.closed;
  }

  terminate() {
    try { this.ws.terminate(); } catch { /* already closed */ }
    return this.closed;
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }
}

/**
 * Opens a WebSocket to the server. auth = {token} or {cookie}. Resolves after the upgrade with a
 * ChatClient; waits for `hello` unless waitHello is false.
 * opts: origin (true = the server's own, or a string), headers, label, waitHello, wsOptions.
 */
export async function connectWs(server, auth, { origin, headers = {}, label = 'ws', waitHello = true, wsOptions = {} } = {}) {
  const h = { ...authHeaders(auth), ...headers };
  const o = {};
  if (origin === true) o.origin = server.origin;
  else if (origin) o.origin = origin;
  const ws = new WebSocket(wsUrl(server), { headers: h, ...o, handshakeTimeout: 10_000, ...wsOptions });
  const client = new ChatClient(ws, label);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => reject(new Error(`${label}: WebSocket upgrade refused: HTTP ${res.statusCode} ${body}`)));
    });
    ws.once('error', reject);
  });
  if (waitHello) {
    client.hello = await client.next('hello', { what: '"hello" right after the upgrade' });
  }
  return client;
}

/**
 * Tries an upgrade that should be refused; resolves with {status, body, json} of the HTTP answer,
 * or {status: 101} if the upgrade succeeded (the socket is then closed).
 */
export function upgradeStatus(server, auth = {}, { origin, headers = {} } = {}) {
  const h = { ...authHeaders(auth), ...headers };
  const o = {};
  if (origin === true) o.origin = server.origin;
  else if (origin) o.origin = origin;
  const ws = new WebSocket(wsUrl(server), { headers: h, ...o, handshakeTimeout: 10_000 });
  return new Promise((resolve, reject) => {
    ws.once('open', () => { ws.terminate(); resolve({ status: 101 }); });
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(body); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, body, json });
      });
      res.on('error', reject);
    });
    ws.once('error', (e) => reject(e));
  });
}

// ---------------------------------------------------------------------------------------------
// REST helpers

/** POST /api/v1/tickets/{id}/messages; returns the raw api() result. */
export function postMessage(server, auth, ticketId, body, clientId) {
  const json = { body };
  if (clientId !== undefined) json.client_id = clientId;
  return api(server.url, 'POST', `/api/v1/tickets/${ticketId}/messages`, { ...auth, json });
}

/** POST a message and assert 201; returns the Message. */
export async function postMessageOk(server, auth, ticketId, body, clientId) {
  const res = await postMessage(server, auth, ticketId, body, clientId);
  assert.equal(res.status, 201, `message POST failed: ${describeRes(res)}`);
  assert.ok(res.json?.message?.id, `201 without {"message": ...}: ${describeRes(res)}`);
  return res.json.message;
}

/** GET /api/v1/tickets/{id}/messages with query; returns the raw api() result. */
export function listMessages(server, auth, ticketId, query = {}) {
  return api(server.url, 'GET', `/api/v1/tickets/${ticketId}/messages${qs(query)}`, auth);
}

/** Every message of a ticket (pages with after=), oldest first. */
export async function allMessages(server, auth, ticketId) {
  const out = [];
  let after = 0;
  for (let i = 0; i < 1000; i++) {
    const res = await listMessages(server, auth, ticketId, { after, limit: 200 });
    assert.equal(res.status, 200, describeRes(res));
    const items = res.json.items;
    out.push(...items);
    if (items.length < 200) break;
    after = items.at(-1).id;
  }
  return out;
}

export async function markRead(server, auth, ticketId, upTo) {
  const res = await api(server.url, 'POST', `/api/v1/tickets/${ticketId}/read`, { ...auth, json: { up_to: upTo } });
  assert.equal(res.status, 204, describeRes(res));
}

/** GET /api/v1/me -> {user, unread_total}. */
export async function me(server, auth) {
  const res = await api(server.url, 'GET', '/api/v1/me', auth);
  assert.equal(res.status, 200, describeRes(res));
  return res.json;
}

/** GET /api/v1/tickets/{id} -> Ticket. */
export async function getTicket(server, auth, ticketId) {
  const res = await api(server.url, 'GET', `/api/v1/tickets/${ticketId}`, auth);
  assert.equal(res.status, 200, describeRes(res));
  return res.json.ticket;
}

export { dbQuery } from './harness.mjs';

/** Runs tasks (functions returning promises) with at most `limit` in flight; returns the results in order. */
export async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

let cid = 0;
/** A unique client_id. */
export function clientId(prefix = 'c') {
  cid += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${cid}`;
}

/** A fresh customer (signup) with one ticket: {auth, user, ticket}. */
export async function customerWithTicket(server, { name = 'Casey Customer', subject } = {}) {
  const auth = await signup(server.url, { name });
  const ticket = await createTicket(server.url, auth, subject ? { subject } : {});
  return { auth, user: auth.user, ticket };
}

/** A gauge/counter value from GET /metrics (first sample of that name), or NaN. */
export async function metric(server, name) {
  const res = await api(server.url, 'GET', '/metrics');
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)\\s*$`, 'm').exec(res.text);
  return m ? Number(m[1]) : NaN;
}

/** True when frame f is about ticket id (any of ticket_id, message.ticket_id, ticket.id, ref). */
export function aboutTicket(f, id) {
  return f.ticket_id === id || f.message?.ticket_id === id || f.ticket?.id === id;
}

/** "server process: running | exited (code, signal)" plus the tail of its log, for failure messages. */
export function serverState(server, tailChars = 1500) {
  const p = server.proc;
  const state = p.exitCode === null && p.signalCode === null ? 'running' : `exited (code ${p.exitCode}, signal ${p.signalCode})`;
  const log = server.output();
  return `server process: ${state}; log tail:\n${log.length > tailChars ? '...' + log.slice(-tailChars) : log}`;
}

/** Runs fn; if it throws, rethrows with serverState() appended (to tell a server crash from a refusal). */
export async function withServerState(server, fn) {
  try {
    return await fn();
  } catch (e) {
    // a crash shows as a reset connection a moment before the process is reaped
    const p = server.proc;
    if (p.exitCode === null && p.signalCode === null) {
      await new Promise((r) => { const t = setTimeout(r, 1000); p.once('exit', () => { clearTimeout(t); r(); }); });
    }
    e.message = `${e.message}\n${serverState(server)}`;
    throw e;
  }
}
