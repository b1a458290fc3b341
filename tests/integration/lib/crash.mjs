// Helpers for crash-safety.test.mjs: traffic generators that record what the server
// acknowledged (WS acks, REST 2xx), and the checks run after a kill -9 + restart.
//
// Builds on lib/harness.mjs and lib/chat.mjs (not modified).

import assert from 'node:assert/strict';
import path from 'node:path';
import {
  api, describeRes, qs, postTicket, makePng, TINY_JPEG, TINY_PROGRESSIVE_JPEG, jpegWithExif,
  PNG_SIGNATURE, pngChunks, verifyPng, verifyJpegStructure, imageInfo, walkFiles,
} from './harness.mjs';
import { postMessage, dbQuery } from './chat.mjs';

// ---------------------------------------------------------------------------------------------
// Images

/**
 * A fixed pool of screenshots (made once, so the test process spends no CPU on them per round):
 * PNGs of several sizes and colour types, and baseline / progressive / EXIF-rotated JPEGs.
 */
export function makeImagePool() {
  const pool = [];
  const pngs = [[48, 32, {}], [64, 48, { colorType: 6 }], [120, 80, {}], [96, 96, { colorType: 0 }],
    [33, 17, { interlace: true }], [160, 90, { colorType: 3 }], [200, 120, {}], [80, 60, { bitDepth: 16 }]];
  for (const [w, h, o] of pngs) {
    pool.push({ data: makePng(w, h, o), filename: `shot-${w}x${h}.png`, type: 'image/png', kind: 'png' });
  }
  pool.push({ data: TINY_JPEG, filename: 'photo.jpg', type: 'image/jpeg', kind: 'jpeg' });
  pool.push({ data: TINY_PROGRESSIVE_JPEG, filename: 'progressive.jpg', type: 'image/jpeg', kind: 'jpeg' });
  pool.push({ data: jpegWithExif(TINY_JPEG), filename: 'phone.jpg', type: 'image/jpeg', kind: 'jpeg' });
  return pool;
}

export function pick(arr) {
  return arr[Math.floor(Math.random() * arr.length)];
}

export function randInt(lo, hi) {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

/**
 * Checks served image bytes: the PNG signature / JPEG SOI, the PNG chunk structure with IEND as the
 * very last 12 bytes (nothing cut off, nothing after it) and IDAT inflating to the declared size,
 * or a JPEG ending in EOI. `what` names the attachment in failure messages.
 */
export function assertWholeImage(buf, contentType, what) {
  const info = imageInfo(buf);
  assert.ok(info, `${what}: the served bytes are neither PNG nor JPEG (first bytes ${buf.subarray(0, 16).toString('hex')})`);
  assert.equal(`image/${info.type}`, contentType, `${what}: content_type ${contentType} but the bytes are ${info.type}`);
  try {
    if (info.type === 'png') {
      assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
      const chunks = pngChunks(buf);
      const last = chunks.at(-1);
      assert.ok(last && last.type === 'IEND' && !last.truncated, `the last chunk is ${last?.type}, not IEND`);
      assert.equal(last.offset + 12, buf.length, `IEND ends at ${last.offset + 12}, the file has ${buf.length} bytes`);
      verifyPng(buf);
    } else {
      verifyJpegStructure(buf);
    }
  } catch (e) {
    e.message = `${what} (${buf.length} bytes): ${e.message}`;
    throw e;
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// REST reading

/** Every ticket the caller sees, as full Ticket objects (follows next_cursor). */
export async function listAllTickets(server, auth) {
  const out = [];
  let cursor;
  for (let i = 0; i < 1000; i++) {
    const res = await api(server.url, 'GET', '/api/v1/tickets' + qs({ limit: 100, cursor }), auth);
    assert.equal(res.status, 200, describeRes(res));
    out.push(...res.json.items);
    cursor = res.json.next_cursor;
    if (!cursor) break;
  }
  return out;
}

/** GET an attachment (or its thumb); asserts 200 and returns {body, contentType}. */
export async function getAttachmentBytes(server, auth, urlPath) {
  const res = await api(server.url, 'GET', urlPath, auth);
  assert.equal(res.status, 200, `after the restart: ${describeRes(res)}`);
  const contentType = (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  return { body: res.body, contentType };
}

// ---------------------------------------------------------------------------------------------
// Files on disk

/** Relative paths of every regular file under DATA_DIR/files (recursive). */
export async function filesOnDisk(server) {
  const m = await walkFiles(server.filesDir);
  return [...m.keys()].map((k) => k.split(path.sep).join('/')).sort();
}

/** Every stored_name and thumb_name of the attachments table (dbQuery: sqlite3 or psql, read-only use). */
export async function dbFileNames(server) {
  const out = await dbQuery(server, 'SELECT stored_name FROM attachments UNION ALL SELECT thumb_name FROM attachments;');
  return out.split('\n').map((s) => s.trim()).filter(Boolean).sort();
}

/** {tickets, attachments, ticketsWithoutAttachments} counted in the database. */
export async function dbCounts(server) {
  const out = await dbQuery(server, 'SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM attachments), '
    + '(SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.ticket_id = t.id));');
  const [tickets, attachments, ticketsWithoutAttachments] = out.trim().split('|').map(Number);
  return { tickets, attachments, ticketsWithoutAttachments };
}

// ---------------------------------------------------------------------------------------------
// Traffic

/** True for the errors a request gets when the server dies under it (or is already dead). */
export function isConnectionError(e) {
  return /request failed without an HTTP answer|was cut off|response error after HTTP|ECONNRESET|ECONNREFUSED|EPIPE|socket hang up/i
    .test(String(e?.message || e));
}

/**
 * Sends chat messages over one WebSocket, `window` frames in flight, until stop() or the socket
 * closes. Records every ack (client_id -> message_id) and every client_id sent without an ack.
 * Frames that are not ack/message/etc. (error frames) are recorded in `errors`.
 */
export class WsChatter {
  constructor(client, ticketId, { window = 3, maxMessages = Infinity, tag = 'ws', pause = [0, 0] } = {}) {
    this.client = client;
    this.pause = pause; // [lo, hi] ms to wait after an answer before sending the next frame
    this.ticketId = ticketId;
    this.window = window;
    this.maxMessages = maxMessages;
    this.tag = tag;
    this.sent = new Map(); // client_id -> body
    this.acked = new Map(); // client_id -> message_id
    this.errors = [];
    this.inFlight = 0;
    this.stopped = false;
    this.seq = 0;
    this.done = new Promise((resolve) => { this._resolve = resolve; });
    client.ws.on('message', (data) => {
      let f;
      try { f = JSON.parse(data.toString('utf8')); } catch { return; }
      if (f.type === 'ack') {
        if (this.sent.has(f.client_id) && !this.acked.has(f.client_id)) {
          this.acked.set(f.client_id, f.message_id);
          this.inFlight -= 1;
          this._later();
        }
      } else if (f.type === 'error') {
        this.errors.push(f);
        this.inFlight -= 1;
        this._later();
      }
    });
    client.closed.then(() => { this.stopped = true; this._finish(); });
  }

  start() {
    this._pump();
    return this;
  }

  stop() {
    this.stopped = true;
  }

  _finish() {
    const drained = this.inFlight <= 0 && (this.stopped || this.seq >= this.maxMessages);
    if (drained || this.client.closeInfo) this._resolve();
  }

  _later() {
    const ms = randInt(this.pause[0], this.pause[1]);
    if (ms <= 0) this._pump();
    else setTimeout(() => this._pump(), ms);
  }

  _pump() {
    while (!this.stopped && this.inFlight < this.window && this.seq < this.maxMessages && this.client.isOpen) {
      this.seq += 1;
      const cid = `${this.tag}-${this.seq}-${Math.random().toString(36).slice(2, 8)}`;
      const body = `ws ${this.tag} #${this.seq} ${'x'.repeat(randInt(0, 60))}`;
      this.sent.set(cid, body);
      this.inFlight += 1;
      try {
        this.client.send({ type: 'message', ticket_id: this.ticketId, body, client_id: cid });
      } catch {
        this.stopped = true;
      }
    }
    this._finish();
  }

  /** client_ids sent whose ack never came. */
  unacked() {
    return [...this.sent.keys()].filter((c) => !this.acked.has(c));
  }
}

/**
 * Loops `op()` (with a random pause of `pause` = [lo, hi] ms between calls) until `isStopped()`,
 * `max` calls, or the first connection error. op returns nothing; it records
 * its own results. Any other error (an unexpected HTTP status is thrown as a plain Error by the
 * op) is collected in `failures`.
 */
export async function loopUntilDown(op, isStopped, failures, { max = Infinity, pause = [0, 0] } = {}) {
  for (let i = 0; i < max && !isStopped(); i++) {
    try {
      await op();
    } catch (e) {
      if (isConnectionError(e)) return;
      failures.push(e);
      return;
    }
    const ms = randInt(pause[0], pause[1]);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }
}

/**
 * One REST chat message with a client_id. Records 201/200 answers in `acked` (client_id ->
 * {id, body, status}); a request that dies with the server is left in `pending` (client_id -> body).
 */
export async function restMessage(server, auth, ticketId, cid, body, { acked, pending }) {
  pending.set(cid, body);
  const res = await postMessage(server, auth, ticketId, body, cid);
  if (res.status === 201 || res.status === 200) {
    assert.ok(res.json?.message?.id, `2xx without a message: ${describeRes(res)}`);
    pending.delete(cid);
    acked.set(cid, { id: res.json.message.id, body: res.json.message.body, status: res.status, ticketId });
    return res;
  }
  throw new Error(`unexpected answer to a chat POST: ${describeRes(res)}`);
}

/**
 * One ticket creation with the given files. Records a 201 in `created` (ticket id -> {ticket,
 * subject, nFiles}); every attempt is in `attempts` (subject -> {nFiles}) so that a ticket stored
 * without the client seeing its 201 can still be checked for all of its files.
 */
export async function restTicket(server, auth, subject, files, { created, attempts }) {
  attempts.set(subject, { nFiles: files.length, kinds: files.map((f) => f.kind) });
  const res = await postTicket(server.url, auth, {
    subject,
    description: `crash-safety upload with ${files.length} screenshot(s): ${subject}`,
    category: 'technical',
    files,
  });
  if (res.status === 201) {
    const t = res.json?.ticket;
    assert.ok(t && Number.isSafeInteger(t.id), `201 without a ticket: ${describeRes(res)}`);
    created.set(t.id, { ticket: t, subject, nFiles: files.length });
    return res;
  }
  throw new Error(`unexpected answer to a ticket POST: ${describeRes(res)}`);
}

/** The attachment fields that must survive a restart unchanged. */
export function attachmentKey(a) {
  return JSON.stringify({
    id: a.id, filename: a.filename, content_type: a.content_type, size: a.size, width: a.width,
    height: a.height, url: a.url, thumb_url: a.thumb_url,
  });
}
