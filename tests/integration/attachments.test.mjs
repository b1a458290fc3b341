// Attachments: serving, headers, access control, thumbnails, EXIF orientation and metadata
// stripping, accepted PNG/JPEG variants. Runs without ../shared/data (generated images only).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, signup, createAgent, assertError, describeRes, createTicket, fetchImage, assertAttachment,
  assertSecurityHeaders, makePng, TINY_JPEG, TINY_PROGRESSIVE_JPEG, jpegWithExif, jpegSegments, hasExif,
  jpegMetadataSegments, pngChunkTypes, imageInfo,
} from './lib/harness.mjs';

const METADATA_PNG_CHUNKS = ['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME'];

function assertThumb(info, srcW, srcH, what) {
  assert.ok(info.width > 0 && info.height > 0, `${what}: thumb has no size`);
  assert.ok(Math.max(info.width, info.height) <= 320, `${what}: thumb is ${info.width}x${info.height}, long side must be <= 320`);
  if (Math.max(srcW, srcH) >= 320 && Math.min(srcW, srcH) >= 40) {
    const r1 = srcW / srcH;
    const r2 = info.width / info.height;
    assert.ok(Math.abs(r1 - r2) / r1 < 0.1, `${what}: thumb ${info.width}x${info.height} does not keep the ${srcW}x${srcH} aspect ratio`);
  }
}

describe('attachments', () => {
  let server;
  let url;
  let alice;
  let bob;
  let agent;
  let ticket; // alice's: [PNG 400x200, JPEG 32x16]
  before(async () => {
    server = await startServer();
    url = server.url;
    alice = await signup(url, { name: 'Alice' });
    bob = await signup(url, { name: 'Bob' });
    agent = await createAgent(server);
    ticket = await createTicket(url, { token: alice.token }, {
      files: [{ data: makePng(400, 200, { colorType: 6 }), filename: 'wide.png', type: 'image/png' },
        { data: TINY_JPEG, filename: 'tiny.jpg', type: 'image/jpeg' }],
    });
  });
  after(async () => { await server?.stop(); });

  it('url serves the stored bytes: right Content-Type, nosniff, Cache-Control private, size = byte length', async () => {
    for (const [a, type, w, h] of [[ticket.attachments[0], 'png', 400, 200], [ticket.attachments[1], 'jpeg', 32, 16]]) {
      assertAttachment(a);
      assert.equal(a.content_type, `image/${type}`);
      assert.deepEqual([a.width, a.height], [w, h]);
      const { res, info, contentType } = await fetchImage(url, { token: alice.token }, a.url);
      assert.equal(contentType, `image/${type}`);
      assert.equal(res.body.length, a.size, `Attachment.size ${a.size} != ${res.body.length} bytes served by ${a.url}`);
      assert.deepEqual([info.width, info.height], [w, h], `served image is ${info.width}x${info.height}`);
      assertSecurityHeaders(res);
      const len = res.headers.get('content-length');
      if (len !== null) assert.equal(Number(len), res.body.length);
    }
  });

  it('thumb_url serves an image with the long side <= 320, same headers', async () => {
    for (const a of ticket.attachments) {
      const { res, info } = await fetchImage(url, { token: alice.token }, a.thumb_url);
      assertThumb(info, a.width, a.height, a.thumb_url);
      assertSecurityHeaders(res);
    }
  });

  it('a large image gets a downscaled thumb that keeps its aspect ratio', async () => {
    const t = await createTicket(url, { token: alice.token }, {
      files: [{ data: makePng(1000, 500), filename: 'big.png', type: 'image/png' },
        { data: makePng(300, 900), filename: 'tall.png', type: 'image/png' }],
    });
    for (const a of t.attachments) {
      const { info } = await fetchImage(url, { token: alice.token }, a.thumb_url);
      assertThumb(info, a.width, a.height, `${a.filename} ${a.width}x${a.height}`);
    }
  });

  it('another customer gets 404 for the attachment and its thumb; no session -> 401; an agent -> 200', async () => {
    for (const a of ticket.attachments) {
      assertError(await api(url, 'GET', a.url, { token: bob.token }), 404, 'not_found');
      assertError(await api(url, 'GET', a.thumb_url, { token: bob.token }), 404, 'not_found');
      assertError(await api(url, 'GET', a.url), 401, 'unauthenticated');
      assertError(await api(url, 'GET', a.thumb_url), 401, 'unauthenticated');
      assertError(await api(url, 'GET', a.url, { cookie: 'helpline_session=nope' }), 401, 'unauthenticated');
      await fetchImage(url, { token: agent.token }, a.url);
      await fetchImage(url, { token: agent.token }, a.thumb_url);
      await fetchImage(url, { cookie: alice.cookie }, a.url); // cookie GET needs no Origin
    }
  });

  it('a nonexistent attachment -> 404 not_found', async () => {
    assertError(await api(url, 'GET', '/api/v1/attachments/987654321', { token: alice.token }), 404, 'not_found');
    assertError(await api(url, 'GET', '/api/v1/attachments/987654321/thumb', { token: agent.token }), 404, 'not_found');
    const r = await api(url, 'GET', '/api/v1/attachments/not-a-number', { token: alice.token });
    assertError(r, [400, 404], ['bad_request', 'not_found']);
  });

  it('after logout the attachment is 401', async () => {
    const s = await signup(url);
    const t = await createTicket(url, { token: s.token });
    await fetchImage(url, { token: s.token }, t.attachments[0].url);
    const out = await api(url, 'POST', '/api/v1/auth/logout', { token: s.token });
    assert.equal(out.status, 204, describeRes(out));
    assertError(await api(url, 'GET', t.attachments[0].url, { token: s.token }), 401, 'unauthenticated');
  });

  for (const [orientation, w, h] of [[6, 16, 32], [8, 16, 32], [3, 32, 16]]) {
    it(`a JPEG with EXIF Orientation=${orientation} (stored 32x16, GPS) comes back upright ${w}x${h} without EXIF`, async () => {
      const src = jpegWithExif(TINY_JPEG, { orientation, make: 'HelplineTestCam', gps: true });
      assert.ok(hasExif(src));
      const t = await createTicket(url, { token: alice.token }, {
        files: [{ data: src, filename: `rot${orientation}.jpg`, type: 'image/jpeg' }],
      });
      const a = t.attachments[0];
      assert.deepEqual([a.width, a.height], [w, h], `Attachment is ${a.width}x${a.height}; after EXIF rotation it must be ${w}x${h}`);
      const { res, info } = await fetchImage(url, { token: alice.token }, a.url);
      assert.deepEqual([info.width, info.height], [w, h], `served JPEG is ${info.width}x${info.height}, expected ${w}x${h} (rotation not baked in?)`);
      assert.equal(res.body.length, a.size);
      assert.ok(!hasExif(res.body), `served bytes still contain an Exif APP1 segment: ${jpegMetadataSegments(res.body)}`);
      assert.ok(!res.body.includes(Buffer.from('HelplineTestCam')), 'served bytes still contain the EXIF Make');
      const thumb = await fetchImage(url, { token: alice.token }, a.thumb_url);
      assert.ok(!hasExif(thumb.res.body), 'thumb contains EXIF');
      assert.equal(thumb.info.width < thumb.info.height, w < h, `thumb ${thumb.info.width}x${thumb.info.height} is not oriented like ${w}x${h}`);
    });
  }

  it('PNG metadata chunks (tEXt, iTXt, zTXt, eXIf) are removed before storage', async () => {
    const exifTiff = jpegSegments(jpegWithExif(TINY_JPEG, { orientation: 1, make: 'SecretCamPNG', gps: true }))
      .segs.find((s) => s.marker === 0xe1).data.subarray(6);
    const src = makePng(64, 48, {
      chunks: [
        { type: 'tEXt', data: Buffer.from('Comment\0secret-text-canary', 'latin1') },
        { type: 'iTXt', data: Buffer.from('XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>secret-xmp-canary</x:xmpmeta>', 'utf8') },
        { type: 'zTXt', data: Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), (await import('node:zlib')).deflateSync(Buffer.from('secret-ztxt-canary'))]) },
        { type: 'eXIf', data: exifTiff },
        { type: 'prVt', data: Buffer.from('private ancillary chunk: no reason to refuse') },
      ],
    });
    const t = await createTicket(url, { token: alice.token }, { files: [{ data: src, filename: 'meta.png', type: 'image/png' }] });
    const a = t.attachments[0];
    assert.deepEqual([a.content_type, a.width, a.height], ['image/png', 64, 48]);
    const { res } = await fetchImage(url, { token: alice.token }, a.url);
    const types = pngChunkTypes(res.body);
    for (const c of METADATA_PNG_CHUNKS) assert.ok(!types.includes(c), `served PNG still has a ${c} chunk: ${types}`);
    for (const canary of ['secret-text-canary', 'secret-xmp-canary', 'SecretCamPNG']) {
      assert.ok(!res.body.includes(Buffer.from(canary)), `served PNG still contains "${canary}"`);
    }
  });

  it('PNG/JPEG variants are accepted: gray, palette, gray+alpha, RGBA 16-bit, interlaced, progressive JPEG', async () => {
    const variants = [
      ['gray.png', makePng(17, 9, { colorType: 0 }), 'image/png', 17, 9],
      ['palette.png', makePng(10, 12, { colorType: 3 }), 'image/png', 10, 12],
      ['gray-alpha.png', makePng(5, 7, { colorType: 4 }), 'image/png', 5, 7],
      ['rgba16.png', makePng(13, 7, { colorType: 6, bitDepth: 16 }), 'image/png', 13, 7],
      ['interlaced.png', makePng(37, 23, { colorType: 6, interlace: true }), 'image/png', 37, 23],
      ['progressive.jpg', TINY_PROGRESSIVE_JPEG, 'image/jpeg', 24, 16],
    ];
    for (let i = 0; i < variants.length; i += 3) {
      const group = variants.slice(i, i + 3);
      const t = await createTicket(url, { token: alice.token }, {
        files: group.map(([filename, data, type]) => ({ data, filename, type })),
      });
      for (const [k, a] of t.attachments.entries()) {
        const [filename, , type, w, h] = group[k];
        assert.deepEqual([a.filename, a.content_type, a.width, a.height], [filename, type, w, h]);
        const { res, info } = await fetchImage(url, { token: alice.token }, a.url);
        assert.deepEqual([info.width, info.height], [w, h], `${filename} served as ${info.width}x${info.height}`);
        assert.equal(res.body.length, a.size);
        await fetchImage(url, { token: alice.token }, a.thumb_url);
      }
    }
  });

  it('a 16384x1 PNG (side limit, inclusive) is accepted and gets a valid thumb', async () => {
    const t = await createTicket(url, { token: alice.token }, {
      files: [{ data: makePng(16384, 1), filename: 'line.png', type: 'image/png' },
        { data: makePng(1, 2000), filename: 'column.png', type: 'image/png' }],
    });
    assert.deepEqual([t.attachments[0].width, t.attachments[0].height], [16384, 1]);
    for (const a of t.attachments) {
      const { info } = await fetchImage(url, { token: alice.token }, a.thumb_url);
      assertThumb(info, a.width, a.height, a.filename);
    }
  });

  it('the image bytes are never served as something else: no sniffable HTML, type from content', async () => {
    // a PNG whose private chunk carries HTML; uploaded as text/html with an .html name
    const src = makePng(8, 8, { chunks: [{ type: 'prVt', data: Buffer.from('<html><script>alert(1)</script></html>') }] });
    const t = await createTicket(url, { token: alice.token }, { files: [{ data: src, filename: 'page.html', type: 'text/html' }] });
    const a = t.attachments[0];
    assert.equal(a.content_type, 'image/png');
    const { res } = await fetchImage(url, { token: alice.token }, a.url);
    assert.equal(imageInfo(res.body).type, 'png');
    const cd = res.headers.get('content-disposition');
    if (cd) assert.ok(!/\.html/i.test(cd), `Content-Disposition reuses the .html name: ${cd}`);
  });
});
