// Refused files: a PNG of 4 MiB + 1 byte and a text file named .png are refused by the
// new-ticket page itself, with a message next to the Screenshots field, before anything
// is uploaded; a file of exactly 4 MiB is fine, and the server agrees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHelpline, openBrowser, watchPage, apiCustomer, uiLogin, fillTicketForm, pasteFile, ticketIdFromUrl, makePng,
  api, describeRes, saveShot, TEST_TIMEOUT,
} from './lib/e2e.mjs';

const MiB = 1024 * 1024;
let server;
const browsers = [];
before(async () => { server = await startHelpline(); });
after(async () => {
  for (const b of browsers) await b.close();
  if (server) await server.stop();
});

test('too large and not-an-image files are refused next to Screenshots, before any upload', { timeout: TEST_TIMEOUT }, async (t) => {
  const cust = await apiCustomer(server);
  const b = await openBrowser();
  browsers.push(b);
  const page = b.page;
  const watch = watchPage(page, 'customer');
  const uploads = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/tickets') uploads.push(r);
  });

  const tooBig = { name: 'too-big.png', mimeType: 'image/png', buffer: makePng(64, 64, { padTo: 4 * MiB + 1 }) };
  const textAsPng = { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('These are my notes, not an image.\n') };
  const exact = { name: 'exactly-4mib.png', mimeType: 'image/png', buffer: makePng(64, 64, { padTo: 4 * MiB }) };
  assert.equal(tooBig.buffer.length, 4 * MiB + 1);
  assert.equal(exact.buffer.length, 4 * MiB);

  await uiLogin(page, server.url, cust, { landing: 'My tickets' });
  await page.getByRole('link', { name: 'New ticket' }).click();
  await page.getByRole('heading', { level: 1, name: 'New ticket' }).waitFor();
  await fillTicketForm(page, { subject: 'Refused files', description: 'Two bad files.', files: [tooBig, textAsPng] });

  const input = page.getByLabel('Screenshots');
  const field = page.locator('.field').filter({ has: input });
  const error = field.locator('.field-error');
  await error.filter({ hasText: 'too-big.png' }).waitFor();
  const text = await error.textContent();
  t.diagnostic(`message next to Screenshots: ${text}`);
  assert.match(text, /too-big\.png is larger than 4 MB/);
  assert.match(text, /notes\.png is not a PNG or JPEG image/);
  // the message is tied to the control (aria-describedby) and marks it invalid
  const describedBy = (await input.getAttribute('aria-describedby')) || '';
  const errorId = await error.getAttribute('id');
  assert.ok(describedBy.split(/\s+/).includes(errorId), `the input is described by the error (${describedBy})`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true');

  // Create ticket: refused in the page, nothing sent
  await page.getByRole('button', { name: 'Create ticket' }).click();
  await page.waitForTimeout(500);
  await saveShot(page, 'new-ticket-refused-files-desktop');
  assert.equal(uploads.length, 0, 'no upload was attempted');
  assert.match(new URL(page.url()).pathname, /^\/tickets\/new$/, 'still on the form');
  assert.match(await error.textContent(), /larger than 4 MB/);

  // a pasted text "image" is refused the same way
  await page.getByRole('heading', { level: 1 }).click();
  await pasteFile(page, { name: 'pasted.png', mimeType: 'image/png', buffer: Buffer.from('not a png') });
  await error.filter({ hasText: 'pasted.png is not a PNG or JPEG image' }).waitFor();

  // Remove the bad ones; a file of exactly 4 MiB is fine
  for (const name of ['too-big.png', 'notes.png', 'pasted.png']) {
    await page.getByRole('button', { name: `Remove ${name}` }).click();
  }
  await input.setInputFiles([exact]);
  await page.getByRole('button', { name: 'Remove exactly-4mib.png' }).waitFor();
  assert.equal((await error.textContent()).trim(), '', 'no error left');
  assert.equal(uploads.length, 0, 'still nothing uploaded');

  await page.getByRole('button', { name: 'Create ticket' }).click();
  const id = await ticketIdFromUrl(page);
  assert.equal(uploads.length, 1, 'one upload, when the files are fine');
  const res = await api(server.url, 'GET', `/api/v1/tickets/${id}`, { token: cust.token });
  assert.equal(res.status, 200, describeRes(res));
  assert.deepEqual(res.json.ticket.attachments.map((a) => a.filename), ['exactly-4mib.png'], 'the server took the 4 MiB file');
  watch.assertClean();
});
