// Mobile layout and page screenshots. Every page (log in, sign up, my tickets, new ticket,
// the ticket page with its chat for customer and agent, the dashboard) at 360x740 and
// 390x844: no horizontal scroll, controls at least 44 px tall (offenders named), the chat
// composer usable, the dashboard as cards. Each page is also saved as a PNG at desktop
// (1280x900) and mobile (390x844) size in test-results/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  startHelpline, openBrowser, watchPage, horizontalOverflow, smallTapTargets, inViewport, saveShot, makePng,
  DESKTOP, MOBILE, SMALL, SHOTS_DIR, TEST_TIMEOUT,
} from './lib/e2e.mjs';
import { seedWorld, signIn, pages, imagesLoaded } from './lib/world.mjs';

let server;
let world;
const users = {};
const watches = [];

before(async () => {
  server = await startHelpline();
  world = await seedWorld(server);
  for (const who of ['visitor', 'customer', 'agent']) {
    users[who] = await openBrowser({ viewport: MOBILE });
    watches.push(watchPage(users[who].page, who));
  }
  await signIn(users.customer.context, server, world.customer);
  await signIn(users.agent.context, server, world.agent);
});

after(async () => {
  for (const b of Object.values(users)) await b.close();
  if (server) await server.stop();
});

async function open(p, viewport) {
  const { page } = users[p.who];
  await page.setViewportSize(viewport);
  await page.goto(`${server.url}${p.path}`);
  await p.ready(page);
  if (p.id === 'new-ticket') {
    // with two previews (one with a long name), as a customer sees it before sending
    await page.getByLabel('Screenshots').setInputFiles([
      { name: 'screenshot-of-the-error-dialog-with-a-rather-long-name.png', mimeType: 'image/png', buffer: makePng(800, 500) },
      { name: 'short.png', mimeType: 'image/png', buffer: makePng(300, 600) },
    ]);
    await page.locator('.preview').nth(1).waitFor();
  }
  await imagesLoaded(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  return page;
}

/** The mobile checks of one page; returns a list of problems (empty: fine). */
async function mobileProblems(p, page) {
  const problems = [];
  const o = await horizontalOverflow(page);
  if (o.scrollWidth > o.innerWidth) {
    problems.push(`horizontal scroll: scrollWidth ${o.scrollWidth} > innerWidth ${o.innerWidth} (${o.culprits.join(', ')})`);
  }
  const small = await smallTapTargets(page);
  if (small.length) problems.push(`controls under 44 px: ${small.join('; ')}`);

  if (p.kind === 'ticket') {
    const textarea = page.getByLabel('Message', { exact: true });
    const send = page.getByRole('button', { name: 'Send', exact: true });
    // Going to the composer (as a tap on it would) shows the textarea, Send and the newest message together.
    await page.locator('.composer').evaluate((el) => el.scrollIntoView({ block: 'end' }));
    if (!(await textarea.isVisible()) || !(await inViewport(textarea))) problems.push('the Message box is not visible');
    if (!(await send.isVisible()) || !(await inViewport(send))) problems.push('the Send button is not visible');
    const box = await send.boundingBox();
    const vw = page.viewportSize().width;
    if (box && box.x + box.width > vw) problems.push(`the Send button sticks out (right edge ${Math.round(box.x + box.width)} > ${vw})`);
    const newest = page.locator('.chat__list .msg').last();
    if (!(await inViewport(newest))) problems.push('the newest message is not on screen together with the composer');
    await page.evaluate(() => window.scrollTo(0, 0));
  }
  if (p.kind === 'dashboard') {
    const layout = await page.evaluate(() => {
      const table = document.querySelector('.ticket-table');
      const head = table && table.querySelector('thead');
      const row = table && table.querySelector('tbody tr');
      return {
        table: table ? getComputedStyle(table).display : null,
        headVisible: head ? head.getBoundingClientRect().height > 1 && getComputedStyle(head).visibility !== 'hidden' : false,
        row: row ? getComputedStyle(row).display : null,
        rowWidth: row ? Math.round(row.getBoundingClientRect().width) : 0,
        cellsStacked: row ? (() => {
          const cells = [...row.children].filter((c) => c.getBoundingClientRect().height > 0);
          const tops = new Set(cells.map((c) => Math.round(c.getBoundingClientRect().top)));
          return tops.size > 1;
        })() : false,
      };
    });
    if (layout.table === 'table' || layout.row === 'table-row' || layout.headVisible || !layout.cellsStacked) {
      problems.push(`the dashboard shows a table, not cards: ${JSON.stringify(layout)}`);
    }
    // the card says what each value is (data-label)
    const label = await page.locator('tbody td[data-label="Customer"]').first()
      .evaluate((td) => getComputedStyle(td, '::before').content);
    if (!/Customer/.test(label)) problems.push(`card values are not labelled (::before content ${label})`);
  }
  return problems;
}

for (const viewport of [SMALL, MOBILE]) {
  test(`every page at ${viewport.width}x${viewport.height}: no sideways scroll, 44 px controls, composer, cards`, { timeout: TEST_TIMEOUT }, async (t) => {
    const report = [];
    for (const p of pages(world)) {
      const page = await open(p, viewport);
      const problems = await mobileProblems(p, page);
      if (viewport === MOBILE) await saveShot(page, `${p.id}-mobile`);
      t.diagnostic(`${p.id}: ${problems.length ? problems.join(' | ') : 'ok'}`);
      for (const pr of problems) report.push(`${p.title} (${p.path}) at ${viewport.width}x${viewport.height}: ${pr}`);
    }
    assert.deepEqual(report, [], `mobile layout problems:\n${report.join('\n')}`);
  });
}

test('desktop screenshots (1280x900) of every page; the dashboard is a table there', { timeout: TEST_TIMEOUT }, async (t) => {
  for (const p of pages(world)) {
    const page = await open(p, DESKTOP);
    const o = await horizontalOverflow(page);
    assert.ok(o.scrollWidth <= o.innerWidth, `${p.title}: no sideways scroll at desktop size either (${o.culprits.join(', ')})`);
    if (p.kind === 'dashboard') {
      assert.equal(await page.locator('.ticket-table thead').isVisible(), true, 'a table with column headers on a desktop');
    }
    await saveShot(page, `${p.id}-desktop`);
  }
  t.diagnostic(`screenshots in ${path.relative(process.cwd(), SHOTS_DIR) || SHOTS_DIR}`);
  for (const w of watches) w.assertClean();
});
