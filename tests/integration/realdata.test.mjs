// Real files from ../shared/data (not committed): malformed/hostile images, real screenshots,
// EXIF photos, an HEIC, and real ticket texts. Every test here skips when the folder is absent.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, api, signup, createAgent, assertError, describeRes, postTicket, createTicket, fetchImage,
  assertAttachment, storeSnapshot, assertNothingStored, imageInfo, jpegOrientation, hasExif, jpegMetadataSegments,
  pngChunkTypes, makePng, SHARED_DATA, HAVE_SHARED_DATA, NO_SHARED_DATA_MSG,
} from './lib/harness.mjs';

const UPLOAD_TIMEOUT = 60_000;
const read = (rel) => fs.readFileSync(path.join(SHARED_DATA, rel));
const mime = (name) => (/\.png$/i.test(name) ? 'image/png' : /\.jpe?g$/i.test(name) ? 'image/jpeg'
  : /\.gif$/i.test(name) ? 'image/gif' : /\.heic$/i.test(name) ? 'image/heic' : 'application/octet-stream');
const METADATA_PNG_CHUNKS = ['eXIf', 'tEXt', 'zTXt', 'iTXt'];

// The "expected" column of ../shared/data/README.md, section 4. Each entry lists the allowed
// answers: [status, code] (code omitted for 201).
const MALFORMED_EXPECTED = {
  'pngsuite__xcrn0g04.png': [[422, 'invalid_image']],
  'pngsuite__xhdn0g08.png': [[422, 'invalid_image']],
  'pngsuite__xdtn0g01.png': [[422, 'invalid_image']],
  'pngsuite__xcsn0g01.png': [[422, 'invalid_image'], [201]], // strictness probe: a lenient decoder may accept (documented)
  'libpng__badadler.png': [[422, 'invalid_image']],
  'libpng__huge_IDAT.png': [[422, 'invalid_image']],
  'libpng__huge_iCCP_chunk.png': [[422, 'invalid_image']],
  'pillow__truncated_image.png': [[422, 'invalid_image']],
  'pillow__truncated_jpeg.jpg': [[422, 'invalid_image']],
  'pillow__png_decompression_dos.png': [[422, 'invalid_image'], [422, 'image_too_large'], [201]], // or accept, dropping text chunks uninflated
  'pillow__decompression_bomb.gif': [[415, 'unsupported_media_type']],
  'fuzzdb__lottapixel.jpg': [[422, 'image_too_large']],
  'fuzzdb__POC_phpinfo-metadata.jpg': [[201]],
  'fuzzdb__POC_img_phpinfo-CR.gif': [[415, 'unsupported_media_type'], [422, 'invalid_image']],
  'pillow__hopper_bad_exif.jpg': [[201]],
};

/** Expected display size of a real file: header size, swapped for EXIF orientations 5..8. */
function displaySize(buf) {
  const info = imageInfo(buf);
  if (info.type === 'jpeg' && [5, 6, 7, 8].includes(jpegOrientation(buf))) return [info.height, info.width];
  return [info.width, info.height];
}

function assertClean(body, what) {
  const info = imageInfo(body);
  if (info.type === 'jpeg') {
    assert.ok(!hasExif(body), `${what}: served JPEG still has an Exif APP1 segment`);
    const meta = jpegMetadataSegments(body).filter((m) => /Exif|xap|XMP|adobe/i.test(m));
    assert.deepEqual(meta, [], `${what}: served JPEG still has metadata segments`);
  } else {
    const types = pngChunkTypes(body);
    for (const c of METADATA_PNG_CHUNKS) assert.ok(!types.includes(c), `${what}: served PNG still has a ${c} chunk (${types.join(',')})`);
  }
}

/** Minimal RFC 4180 CSV parser. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i += 1; continue;
      }
      field += ch; i += 1; continue;
    }
    if (ch === '"') { quoted = true; i += 1; continue; }
    if (ch === ',') { row.push(field); field = ''; i += 1; continue; }
    if (ch === '\n' || ch === '\r') {
      row.push(field); field = '';
      rows.push(row); row = [];
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += ch; i += 1;
  }
  if (field.length || row.length) { row.push(field); rows.push(row); }
  const [header, ...body] = rows;
  return body.filter((r) => r.length === header.length).map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]])));
}

describe('real data (../shared/data)', () => {
  let server;
  let url;
  let cust;
  let agent;
  before(async () => {
    if (!HAVE_SHARED_DATA) return;
    server = await startServer();
    url = server.url;
    cust = await signup(url, { name: 'Real Data Customer' });
    agent = await createAgent(server);
  });
  after(async () => { await server?.stop(); });

  describe('malformed/: every file gets the answer its README row gives, never a 5xx or a hang', () => {
    const dir = path.join(SHARED_DATA, 'malformed');
    const files = HAVE_SHARED_DATA && fs.existsSync(dir) ? fs.readdirSync(dir).sort() : Object.keys(MALFORMED_EXPECTED);
    for (const name of files) {
      it(name, async (t) => {
        if (!HAVE_SHARED_DATA) return t.skip(NO_SHARED_DATA_MSG);
        const data = read(`malformed/${name}`);
        const auth = { token: cust.token };
        const before = await storeSnapshot(server, auth);
        const res = await postTicket(url, auth, {
          subject: `malformed ${name}`, files: [{ data, filename: name, type: mime(name) }],
        }, { timeout: UPLOAD_TIMEOUT });
        assert.ok(res.status < 500, `5xx for ${name}: ${describeRes(res)}`);
        const allowed = MALFORMED_EXPECTED[name];
        if (!allowed) {
          assert.ok([201, 413, 415, 422].includes(res.status), `unlisted file ${name}: ${describeRes(res)}`);
          return;
        }
        const ok = allowed.some(([st, code]) => st === res.status && (code === undefined || res.json?.error?.code === code));
        assert.ok(ok, `${name}: expected ${allowed.map(([s, c]) => `${s}${c ? ' ' + c : ''}`).join(' or ')}; got ${describeRes(res)}`);
        if (res.status === 201) {
          const a = res.json.ticket.attachments[0];
          assertAttachment(a);
          const { res: img, contentType } = await fetchImage(url, auth, a.url);
          assert.equal(img.body.length, a.size);
          assert.equal(contentType, imageInfo(data).type === 'png' ? 'image/png' : 'image/jpeg');
          assertClean(img.body, name);
          assert.ok(!img.body.includes(Buffer.from('<?php')), `${name}: served bytes still contain "<?php"`);
          await fetchImage(url, auth, a.thumb_url);
        } else {
          assertError(res, res.status, res.json?.error?.code);
          await assertNothingStored(server, auth, before, `the refused ${name}`);
        }
      });
    }

    it('the server still answers /healthz afterwards', async (t) => {
      if (!HAVE_SHARED_DATA) return t.skip(NO_SHARED_DATA_MSG);
      const res = await api(url, 'GET', '/healthz');
      assert.equal(res.status, 200, describeRes(res));
      assert.deepEqual(res.json, { status: 'ok' });
    });
  });

  it('screenshots/: every real screenshot is accepted (1-3 per ticket), sizes kept, metadata stripped, thumbs <= 320', async (t) => {
    if (!HAVE_SHARED_DATA) return t.skip(NO_SHARED_DATA_MSG);
    const names = fs.readdirSync(path.join(SHARED_DATA, 'screenshots')).filter((n) => /\.(png|jpe?g)$/i.test(n)).sort();
    assert.ok(names.length > 0);
    const auth = { token: cust.token };
    for (let i = 0; i < names.length; i += 3) {
      const group = names.slice(i, i + 3);
      const bufs = group.map((n) => read(`screenshots/${n}`));
      const res = await postTicket(url, auth, {
        subject: `screenshots ${i / 3 + 1}`, category: 'technical',
        files: group.map((n, k) => ({ data: bufs[k], filename: n, type: mime(n) })),
      }, { timeout: UPLOAD_TIMEOUT });
      assert.equal(res.status, 201, `${group.join(' + ')}: ${describeRes(res)}`);
      const atts = res.json.ticket.attachments;
      assert.equal(atts.length, group.length);
      for (const [k, a] of atts.entries()) {
        const name = group[k];
        assertAttachment(a);
        assert.equal(a.filename, name);
        assert.equal(a.content_type, mime(name), `${name}: content_type`);
        assert.deepEqual([a.width, a.height], displaySize(bufs[k]), `${name}: width/height`);
        const { res: img, info } = await fetchImage(url, auth, a.url);
        assert.equal(img.body.length, a.size, `${name}: size != served bytes`);
        assert.deepEqual([info.width, info.height], [a.width, a.height], `${name}: served dimensions`);
        assertClean(img.body, name);
        const thumb = await fetchImage(url, auth, a.thumb_url);
        assert.ok(Math.max(thumb.info.width, thumb.info.height) <= 320, `${name}: thumb ${thumb.info.width}x${thumb.info.height}`);
        assert.ok(thumb.info.width > 0 && thumb.info.height > 0);
      }
    }
  });

  it('photos/recurser__Landscape_6.jpg (stored 1200x1800, Orientation 6) comes back upright 1800x1200 without EXIF', async (t) => {
    if (!HAVE_SHARED_DATA) return t.skip(NO_SHARED_DATA_MSG);
    const data = read('photos/recurser__Landscape_6.jpg');
    assert.deepEqual([imageInfo(data).width, imageInfo(data).height, jpegOrientation(data)], [1200, 1800, 6]);
    const t1 = await createTicket(url, { token: cust.token }, {
      subject: 'sideways photo', files: [{ data, filename: 'recurser__Landscape_6.jpg', type: 'image/jpeg' }],
    });
    const a = t1.attachments[0];
    assert.deepEqual([a.width, a.height], [1800, 1200], `attachment is ${a.width}x${a.height}`);
    const { res, info } = await fetchImage(url, { token: cust.token }, a.url);
    assert.deepEqual([info.width, info.height], [1800, 1200], `served JPEG is ${info.width}x${info.height}`);
    assert.ok(!hasExif(res.body), 'served bytes still contain an Exif APP1 segment');
    assert.ok(!res.body.includes(Buffer.from('Exif\0\0', 'latin1')), 'served bytes still contain "Exif\\0\\0"');
    const thumb = await fetchImage(url, { token: cust.token }, a.thumb_url);
    assert.ok(thumb.info.width > thumb.info.height, `thumb ${thumb.info.width}x${thumb.info.height} is not landscape`);
    assert.ok(!hasExif(thumb.res.body));
  });

  it('photos/exif-samples__HMD_Nokia_8.3_5G.jpg (GPS) is accepted and served without EXIF/GPS, also to agents', async (t) => {
    if (!HAVE_SHARED_DATA) return t.skip(NO_SHARED_DATA_MSG);
    const data = read('photos/exif-samples__HMD_Nokia_8.3_5G.jpg');
    const res = await postTicket(url, { token: cust.token }, {
      subject: 'phone photo', files: [{ data, filename: 'exif-samples__HMD_Nokia_8.3_5G.jpg', type: 'image/jpeg' }],
    }, { timeout: UPLOAD_TIMEOUT });
    assert.equal(res.status, 201, describeRes(res));
    const a = res.json.ticket.attachments[0];
    assert.deepEqual([a.width, a.height], displaySize(data));
    for (const who of [{ token: cust.token }, { token: agent.token }]) {
      for (const u of [a.url, a.thumb_url]) {
        const { res: img } = await fetchImage(url, who, u);
        assert.ok(!hasExif(img.body), `${u} still has an Exif APP1 segment`);
        assert.ok(!img.body.includes(Buffer.from('Exif\0\0', 'latin1')), `${u} still contains "Exif\\0\\0"`);
        assertClean(img.body, u);
      }
    }
  });

  it('a mixed 5.8 MB ticket (gatekeeper.png 2.4 MB + 42_IndexError.jpg 2.9 MB + traceback.png) is accepted', async (t) => {
    if (!HAVE_SHARED_DATA) return t.skip(NO_SHARED_DATA_MSG);
    const files = [
      ['screenshots/electron__gatekeeper.png', 'image/png'],
      ['photos/exif-samples__42_IndexError.jpg', 'image/jpeg'],
      ['screenshots/rich__traceback.png', 'image/png'],
    ];
    const bufs = files.map(([p]) => read(p));
    const res = await postTicket(url, { token: cust.token }, {
      subject: 'mixed sizes', files: files.map(([p, type], k) => ({ data: bufs[k], filename: path.basename(p), type })),
    }, { timeout: UPLOAD_TIMEOUT });
    assert.equal(res.status, 201, describeRes(res));
    for (const [k, a] of res.json.ticket.attachments.entries()) {
      assert.deepEqual([a.width, a.height], displaySize(bufs[k]));
      const { res: img } = await fetchImage(url, { token: cust.token }, a.url);
      assert.equal(img.body.length, a.size);
      assertClean(img.body, a.filename);
    }
  });

  it('photos/exif-samples__IMG_5195.HEIC -> 415 unsupported_media_type, nothing stored', async (t) => {
    if (!HAVE_SHARED_DATA) return t.skip(NO_SHARED_DATA_MSG);
    const auth = { token: cust.token };
    const before = await storeSnapshot(server, auth);
    const heic = read('photos/exif-samples__IMG_5195.HEIC');
    for (const [filename, type] of [['IMG_5195.HEIC', 'image/heic'], ['IMG_5195.jpg', 'image/jpeg']]) {
      const res = await postTicket(url, auth, { files: [{ data: heic, filename, type }] }, { timeout: UPLOAD_TIMEOUT });
      assertError(res, 415, 'unsupported_media_type');
    }
    await assertNothingStored(server, auth, before, 'the HEIC upload');
  });

  it('tickets/cfpb_complaints_tickets.csv: real texts round-trip byte-identical; over-long and unconfigured values are refused', async (t) => {
    if (!HAVE_SHARED_DATA) return t.skip(NO_SHARED_DATA_MSG);
    const rows = parseCsv(fs.readFileSync(path.join(SHARED_DATA, 'tickets', 'cfpb_complaints_tickets.csv'), 'utf8'));
    assert.ok(rows.length > 1000, `parsed only ${rows.length} rows`);
    const fits = rows.filter((r) => [...r.description].length <= 10000);
    const picks = [
      ...fits.slice(0, 4),
      fits.find((r) => r.description.includes('"')),
      fits.find((r) => r.description.includes('\n\n')),
      fits.reduce((a, b) => (b.description.length > a.description.length ? b : a)), // the longest that fits
    ].filter(Boolean);
    const category = (c) => (/card|bank|money/i.test(c) ? 'billing' : /loan|mortgage/i.test(c) ? 'account' : 'general');
    const priority = (p) => (p === 'medium' ? 'normal' : p);
    const auth = { token: cust.token };
    const tiny = [{ data: makePng(8, 8), filename: 'x.png', type: 'image/png' }];
    for (const r of picks) {
      const tk = await createTicket(url, auth, {
        subject: r.subject, description: r.description, category: category(r.category), priority: priority(r.priority), files: tiny,
      });
      const got = await api(url, 'GET', `/api/v1/tickets/${tk.id}`, { token: agent.token });
      assert.equal(got.json.ticket.subject, r.subject);
      assert.equal(got.json.ticket.description, r.description, `description of "${r.subject}" changed`);
    }
    const before = await storeSnapshot(server, auth);
    const tooLong = rows.find((r) => [...r.description].length > 10000);
    assertError(await postTicket(url, auth, { subject: tooLong.subject, description: tooLong.description, files: tiny }),
      422, 'validation_failed', 'description');
    const r0 = rows.find((r) => r.priority === 'medium');
    assertError(await postTicket(url, auth, { subject: r0.subject, description: r0.description.slice(0, 9000), category: r0.category, files: tiny }),
      422, 'validation_failed', 'category');
    assertError(await postTicket(url, auth, { subject: r0.subject, description: r0.description.slice(0, 9000), priority: r0.priority, files: tiny }),
      422, 'validation_failed', 'priority');
    await assertNothingStored(server, auth, before, 'the refused CSV rows');
  });
});
