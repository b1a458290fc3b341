// Tickets: POST /api/v1/tickets (multipart), GET /api/v1/tickets/{id}, categories, every
// rejection code of ticket creation, and "a rejected request stores nothing".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, signup, createAgent, assertError, assertStatus, describeRes, postTicket, createTicket,
  makePng, makePngOfSize, pngDeclaring, jpegDeclaring, truncatedJpeg, TINY_JPEG, TINY_GIF, FAKE_HEIC,
  FAKE_WEBP, TINY_SVG, TINY_BMP, MiB, storeSnapshot, assertNothingStored, assertAttachment, RFC3339_MS,
  pngChunk, PNG_SIGNATURE, ihdr, walkFiles,
} from './lib/harness.mjs';
import zlib from 'node:zlib';

const png = (w = 40, h = 30, opts) => ({ data: makePng(w, h, opts), filename: 'shot.png', type: 'image/png' });
const jpg = () => ({ data: TINY_JPEG, filename: 'photo.jpg', type: 'image/jpeg' });
const cp = (n) => String.fromCodePoint(...Array.from({ length: n }, () => 0x20ac)); // n x "€" (3 UTF-8 bytes each)

describe('tickets', () => {
  let server;
  let url;
  let alice; // customer
  let bob; // another customer
  let agent;
  before(async () => {
    server = await startServer();
    url = server.url;
    alice = await signup(url, { name: 'Alice Customer' });
    bob = await signup(url, { name: 'Bob Customer' });
    agent = await createAgent(server, { name: 'Agnes Agent' });
  });
  after(async () => { await server?.stop(); });

  it('GET /api/v1/categories lists at least general, billing, technical, account', async () => {
    const res = await api(url, 'GET', '/api/v1/categories', { token: alice.token });
    assert.equal(res.status, 200, describeRes(res));
    assert.ok(Array.isArray(res.json.categories), describeRes(res));
    for (const c of res.json.categories) {
      assert.equal(typeof c.id, 'string');
      assert.equal(typeof c.name, 'string');
      assert.ok(c.name.length > 0);
    }
    const ids = res.json.categories.map((c) => c.id);
    for (const id of ['general', 'billing', 'technical', 'account']) assert.ok(ids.includes(id), `category ${id} missing: ${ids}`);
  });

  it('a customer creates a ticket: 201 with the full Ticket', async () => {
    const res = await postTicket(url, { token: alice.token }, {
      subject: 'Cannot log in', description: 'The page says "error 42".\nSecond line.', category: 'account',
      files: [{ data: makePng(40, 30), filename: 'login-error.png', type: 'image/png' },
        { data: TINY_JPEG, filename: 'photo.jpg', type: 'image/jpeg' }],
    });
    assert.equal(res.status, 201, describeRes(res));
    const t = res.json.ticket;
    assert.ok(Number.isSafeInteger(t.id) && t.id > 0, `ticket id: ${t.id}`);
    assert.equal(t.subject, 'Cannot log in');
    assert.equal(t.description, 'The page says "error 42".\nSecond line.');
    assert.equal(t.category, 'account');
    assert.equal(t.priority, 'normal', 'priority defaults to normal');
    assert.equal(t.status, 'open');
    assert.deepEqual({ id: t.customer.id, name: t.customer.name }, { id: alice.user.id, name: 'Alice Customer' });
    assert.equal(t.agent, null);
    assert.match(t.created_at, RFC3339_MS);
    assert.match(t.updated_at, RFC3339_MS);
    assert.ok(t.last_message_at === null || RFC3339_MS.test(t.last_message_at), `last_message_at: ${t.last_message_at}`);
    assert.equal(t.unread_count, 0, 'a new ticket has nothing unread for its creator');
    assert.equal(t.attachments.length, 2);
    t.attachments.forEach(assertAttachment);
    const [a1, a2] = t.attachments;
    assert.deepEqual([a1.filename, a1.content_type, a1.width, a1.height], ['login-error.png', 'image/png', 40, 30]);
    assert.deepEqual([a2.filename, a2.content_type, a2.width, a2.height], ['photo.jpg', 'image/jpeg', 32, 16]);

    const get = await api(url, 'GET', `/api/v1/tickets/${t.id}`, { token: alice.token });
    assert.equal(get.status, 200, describeRes(get));
    assert.equal(get.json.ticket.id, t.id);
    assert.equal(get.json.ticket.subject, t.subject);
    assert.equal(get.json.ticket.description, t.description);
    assert.deepEqual(get.json.ticket.attachments.map((a) => a.id), t.attachments.map((a) => a.id));
  });

  it('a browser-style upload (global fetch + FormData + Blob) is accepted', async () => {
    const fd = new FormData();
    fd.append('subject', 'Sent by fetch');
    fd.append('description', 'multipart built by FormData');
    fd.append('category', 'general');
    fd.append('priority', 'high');
    fd.append('screenshots', new Blob([makePng(20, 20)], { type: 'image/png' }), 'fetch.png');
    fd.append('screenshots', new Blob([TINY_JPEG], { type: 'image/jpeg' }), 'fetch.jpg');
    const res = await fetch(new URL('/api/v1/tickets', url), {
      method: 'POST', body: fd, headers: { authorization: `Bearer ${alice.token}` }, signal: AbortSignal.timeout(20_000),
    });
    const body = await res.text();
    assert.equal(res.status, 201, `POST /api/v1/tickets via fetch -> ${res.status} ${body}`);
    const t = JSON.parse(body).ticket;
    assert.equal(t.subject, 'Sent by fetch');
    assert.equal(t.priority, 'high');
    assert.deepEqual(t.attachments.map((a) => [a.filename, a.content_type]), [['fetch.png', 'image/png'], ['fetch.jpg', 'image/jpeg']]);
  });

  it('priority can be set; 1 and 3 screenshots are fine', async () => {
    const t1 = await createTicket(url, { token: alice.token }, { priority: 'urgent', files: [jpg()] });
    assert.equal(t1.priority, 'urgent');
    assert.equal(t1.attachments.length, 1);
    const t3 = await createTicket(url, { token: alice.token }, { priority: 'low', files: [png(), jpg(), png(8, 8)] });
    assert.equal(t3.priority, 'low');
    assert.equal(t3.attachments.length, 3);
    for (const p of ['normal', 'high']) assert.equal((await createTicket(url, { token: alice.token }, { priority: p })).priority, p);
  });

  it('another customer gets 404 for the ticket; an agent sees it; no session -> 401', async () => {
    const t = await createTicket(url, { token: alice.token });
    assertError(await api(url, 'GET', `/api/v1/tickets/${t.id}`, { token: bob.token }), 404, 'not_found');
    assertError(await api(url, 'GET', `/api/v1/tickets/${t.id}`), 401, 'unauthenticated');
    const ag = await api(url, 'GET', `/api/v1/tickets/${t.id}`, { token: agent.token });
    assert.equal(ag.status, 200, describeRes(ag));
    assertError(await api(url, 'GET', '/api/v1/tickets/999999999', { token: alice.token }), 404, 'not_found');
    assertError(await api(url, 'GET', '/api/v1/tickets/999999999', { token: agent.token }), 404, 'not_found');
  });

  it('an agent may not create a ticket: 403 forbidden; no session: 401', async () => {
    assertError(await postTicket(url, { token: agent.token }), 403, 'forbidden');
    assertError(await postTicket(url, {}), 401, 'unauthenticated');
    assertError(await api(url, 'GET', '/api/v1/tickets'), 401, 'unauthenticated');
  });

  it('the XSS-looking subject, description and filename come back byte-identical', async () => {
    const subject = `<img src=x onerror=alert(1)>"'&`;
    const description = `</script><script>alert("x")</script> &amp; \\u003c ${'\u{1F4A9}'} \u202e naïve`;
    const filename = `<img src=x onerror=alert(1)>'&amp; é.png`; // no "/" (a path separator) and no '"' (escaped by browsers)
    const t = await createTicket(url, { token: alice.token }, {
      subject, description, files: [{ data: makePng(10, 10), filename, type: 'image/png' }],
    });
    assert.equal(t.subject, subject);
    assert.equal(t.description, description);
    assert.equal(t.attachments[0].filename, filename);
    const get = await api(url, 'GET', `/api/v1/tickets/${t.id}`, { token: agent.token });
    assert.equal(get.json.ticket.subject, subject);
    assert.equal(get.json.ticket.description, description);
    assert.equal(get.json.ticket.attachments[0].filename, filename);
    // the uploaded name is never used on disk
    const files = await walkFiles(server.dataDir);
    for (const rel of files.keys()) assert.ok(!rel.includes('onerror') && !rel.includes('<img'), `a file on disk uses the uploaded name: ${rel}`);
  });

  it('a path-traversal filename is never used on disk', async () => {
    const before = await walkFiles(server.dataDir);
    const res = await postTicket(url, { token: alice.token }, {
      files: [{ data: makePng(12, 12), filename: '../../../../../tmp/helpline-pwned.png', type: 'image/png' }],
    });
    assert.equal(res.status, 201, describeRes(res));
    const after = await walkFiles(server.dataDir);
    for (const rel of after.keys()) {
      if (!before.has(rel)) assert.ok(!rel.includes('pwned'), `uploaded name used on disk: ${rel}`);
    }
    const { existsSync } = await import('node:fs');
    assert.ok(!existsSync('/tmp/helpline-pwned.png'), 'the traversal filename escaped the data dir');
  });

  it('the type is decided by content: a PNG named .gif with type image/gif is stored as image/png; .JPG works', async () => {
    const t = await createTicket(url, { token: alice.token }, {
      files: [{ data: makePng(20, 10), filename: 'x.gif', type: 'image/gif' },
        { data: TINY_JPEG, filename: 'HOLIDAY.JPG', type: 'application/octet-stream' }],
    });
    assert.equal(t.attachments[0].content_type, 'image/png');
    assert.equal(t.attachments[1].content_type, 'image/jpeg');
    assert.equal(t.attachments[1].filename, 'HOLIDAY.JPG');
  });

  it('subject and description lengths count code points', async () => {
    const t = await createTicket(url, { token: alice.token }, { subject: cp(200), description: cp(10000) });
    assert.equal(t.subject, cp(200));
    assert.equal(t.description.length, 10000);
    const emojiSubject = 'a'.repeat(199) + '\u{1F600}'; // 200 code points, 201 UTF-16 units
    const t2 = await createTicket(url, { token: alice.token }, { subject: emojiSubject });
    assert.equal(t2.subject, emojiSubject);
  });

  it('a real PNG of exactly 4 MiB is accepted (201); 3 of them in one ticket too', async () => {
    const four = makePngOfSize(4 * MiB);
    assert.equal(four.length, 4194304);
    const t = await createTicket(url, { token: alice.token }, { files: [{ data: four, filename: 'four.png', type: 'image/png' }] });
    assert.equal(t.attachments[0].content_type, 'image/png');
    const t3 = await createTicket(url, { token: alice.token }, {
      files: [0, 1, 2].map((i) => ({ data: four, filename: `four${i}.png`, type: 'image/png' })),
    });
    assert.equal(t3.attachments.length, 3);
  });

  describe('rejections store nothing', () => {
    // [title, fields for ticketForm, expected status, expected code, expected field (undefined = not checked)]
    const cases = () => [
      ['missing subject', { subject: null }, 422, 'validation_failed', 'subject'],
      ['empty subject', { subject: '' }, 422, 'validation_failed', 'subject'],
      ['subject of 201 code points', { subject: cp(201) }, 422, 'validation_failed', 'subject'],
      ['missing description', { description: null }, 422, 'validation_failed', 'description'],
      ['empty description', { description: '' }, 422, 'validation_failed', 'description'],
      ['description of 10001 code points', { description: cp(10001) }, 422, 'validation_failed', 'description'],
      ['missing category', { category: null }, 422, 'validation_failed', 'category'],
      ['empty category', { category: '' }, 422, 'validation_failed', 'category'],
      ['unknown category', { category: 'no-such-category' }, 422, 'validation_failed', 'category'],
      ['bad priority', { priority: 'medium' }, 422, 'validation_failed', 'priority'],
      ['upper-case priority', { priority: 'URGENT' }, 422, 'validation_failed', 'priority'],
      ['0 screenshots', { files: [] }, 422, 'validation_failed', 'screenshots'],
      ['4 screenshots', { files: [png(), png(), jpg(), png()] }, 422, 'validation_failed', 'screenshots'],
      ['a file of 4 MiB + 1 byte', { files: [png(), { data: makePngOfSize(4 * MiB + 1), filename: 'big.png', type: 'image/png' }] },
        413, 'too_large', 'screenshots'],
      ['a text file named x.png', { files: [{ data: Buffer.from('hello, I am not an image\n'), filename: 'x.png', type: 'image/png' }] },
        415, 'unsupported_media_type', undefined],
      ['a GIF', { files: [{ data: TINY_GIF, filename: 'anim.gif', type: 'image/gif' }] }, 415, 'unsupported_media_type', undefined],
      ['a GIF named .png next to a good PNG', { files: [png(), { data: TINY_GIF, filename: 'fake.png', type: 'image/png' }] },
        415, 'unsupported_media_type', undefined],
      ['an HEIC', { files: [{ data: FAKE_HEIC, filename: 'IMG_0001.HEIC', type: 'image/heic' }] }, 415, 'unsupported_media_type', undefined],
      ['a WebP', { files: [{ data: FAKE_WEBP, filename: 'x.webp', type: 'image/webp' }] }, 415, 'unsupported_media_type', undefined],
      ['an SVG named .png', { files: [{ data: TINY_SVG, filename: 'x.png', type: 'image/png' }] }, 415, 'unsupported_media_type', undefined],
      ['a BMP named .jpg', { files: [{ data: TINY_BMP, filename: 'x.jpg', type: 'image/jpeg' }] }, 415, 'unsupported_media_type', undefined],
      ['an empty file', { files: [{ data: Buffer.alloc(0), filename: 'empty.png', type: 'image/png' }] },
        [415, 422], ['unsupported_media_type', 'invalid_image', 'validation_failed'], undefined],
      ['a truncated PNG', { files: [{ data: makePng(64, 64, { level: 0 }).subarray(0, 2000), filename: 't.png', type: 'image/png' }] },
        422, 'invalid_image', undefined],
      ['a PNG without IDAT', {
        files: [{ data: Buffer.concat([PNG_SIGNATURE, ihdr(32, 32), pngChunk('IEND')]), filename: 'noidat.png', type: 'image/png' }],
      }, 422, 'invalid_image', undefined],
      ['a PNG with garbage image data', {
        files: [{ data: Buffer.concat([PNG_SIGNATURE, ihdr(16, 16), pngChunk('IDAT', Buffer.from('this is not zlib data at all')), pngChunk('IEND')]), filename: 'g.png', type: 'image/png' }],
      }, 422, 'invalid_image', undefined],
      ['a PNG with too little image data', {
        files: [{ data: Buffer.concat([PNG_SIGNATURE, ihdr(64, 64), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(100))), pngChunk('IEND')]), filename: 's.png', type: 'image/png' }],
      }, 422, 'invalid_image', undefined],
      ['a PNG whose IHDR CRC is wrong', {
        files: [{ data: (() => { const b = Buffer.from(makePng(16, 16)); b[29] ^= 0xff; return b; })(), filename: 'crc.png', type: 'image/png' }],
      }, 422, 'invalid_image', undefined],
      ['a truncated JPEG (second file)', { files: [png(), { data: truncatedJpeg(), filename: 't.jpg', type: 'image/jpeg' }] },
        422, 'invalid_image', undefined],
      ['a JPEG with only its header', { files: [{ data: TINY_JPEG.subarray(0, 300), filename: 'h.jpg', type: 'image/jpeg' }] },
        422, 'invalid_image', undefined],
      ['a PNG declaring 20000x20000 (400 MP)', { files: [{ data: pngDeclaring(20000, 20000), filename: 'flood.png', type: 'image/png' }] },
        422, 'image_too_large', undefined],
      ['a PNG declaring 7000x7000 (49 MP > 40 MP)', { files: [{ data: pngDeclaring(7000, 7000), filename: 'flood2.png', type: 'image/png' }] },
        422, 'image_too_large', undefined],
      ['a real PNG of 16385x1 (side over 16384)', { files: [{ data: makePng(16385, 1), filename: 'wide.png', type: 'image/png' }] },
        422, 'image_too_large', undefined],
      ['a JPEG declaring 60000x60000', { files: [{ data: jpegDeclaring(TINY_JPEG, 60000, 60000), filename: 'flood.jpg', type: 'image/jpeg' }] },
        422, 'image_too_large', undefined],
    ];

    for (const [title, fields, status, code, field] of cases()) {
      it(`${title} -> ${status} ${code}${field ? ` field ${field}` : ''}`, async () => {
        const auth = { token: alice.token };
        const before = await storeSnapshot(server, auth);
        const res = await postTicket(url, auth, fields);
        assertError(res, status, code, field);
        await assertNothingStored(server, auth, before, `POST /api/v1/tickets with ${title}`);
      });
    }

    it('a body over ~13 MiB -> 413 too_large (3 files of 4 MiB plus 2 MiB of extra form data)', async () => {
      const auth = { token: alice.token };
      const before = await storeSnapshot(server, auth);
      const four = makePngOfSize(4 * MiB);
      const res = await postTicket(url, auth, {
        files: [0, 1, 2].map((i) => ({ data: four, filename: `f${i}.png`, type: 'image/png' })),
        extra: [{ name: 'padding', value: Buffer.alloc(2 * MiB, 0x41), filename: 'padding.bin' }],
      }, { timeout: 60_000, expect100: true });
      assertError(res, 413, 'too_large');
      await assertNothingStored(server, auth, before, 'a 14 MiB upload');
    });

    it('a 14 MiB text field -> 413 too_large (or 422 description), nothing stored', async () => {
      const auth = { token: alice.token };
      const before = await storeSnapshot(server, auth);
      const res = await postTicket(url, auth, { description: 'x'.repeat(14 * MiB) }, { timeout: 60_000, expect100: true });
      assertError(res, [413, 422], ['too_large', 'validation_failed']);
      await assertNothingStored(server, auth, before, 'a 14 MiB description');
    });

    it('invalid UTF-8 in the subject -> 400 or 422, nothing stored', async () => {
      const auth = { token: alice.token };
      const before = await storeSnapshot(server, auth);
      const res = await api(url, 'POST', '/api/v1/tickets', {
        ...auth,
        multipart: [
          { name: 'subject', value: Buffer.from([0x42, 0x61, 0x64, 0x20, 0xff, 0xfe, 0xc3]) },
          { name: 'description', value: 'desc' },
          { name: 'category', value: 'general' },
          { name: 'screenshots', value: makePng(8, 8), filename: 'a.png', type: 'image/png' },
        ],
      });
      assertError(res, [400, 422], ['bad_request', 'validation_failed']);
      await assertNothingStored(server, auth, before, 'invalid UTF-8');
    });

    it('a body that is not multipart -> 4xx (400/415/422), nothing stored', async () => {
      const auth = { token: alice.token };
      const before = await storeSnapshot(server, auth);
      const res = await api(url, 'POST', '/api/v1/tickets', { ...auth, json: { subject: 's', description: 'd', category: 'general' } });
      assertError(res, [400, 415, 422], ['bad_request', 'unsupported_media_type', 'validation_failed', 'invalid_json']);
      const res2 = await api(url, 'POST', '/api/v1/tickets', {
        ...auth, body: '--x\r\nContent-Disposition: form-data; name="subject"\r\n\r\nbroken',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
      });
      assertError(res2, [400, 422], ['bad_request', 'validation_failed']);
      await assertNothingStored(server, auth, before, 'a non-multipart body');
    });

    it('a cookie-authenticated upload without Origin -> 403 bad_origin, nothing stored', async () => {
      const auth = { cookie: alice.cookie };
      const before = await storeSnapshot(server, { token: alice.token });
      assertError(await postTicket(url, auth), 403, 'bad_origin');
      assertError(await postTicket(url, { ...auth, origin: 'http://evil.example' }), 403, 'bad_origin');
      await assertNothingStored(server, { token: alice.token }, before, 'a cross-origin upload');
      const ok = await postTicket(url, { ...auth, origin: true });
      assertStatus(ok, 201);
    });

    it('the server still answers /healthz after all that', async () => {
      const res = await api(url, 'GET', '/healthz');
      assert.equal(res.status, 200, describeRes(res));
    });
  });
});
