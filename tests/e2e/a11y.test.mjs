// Accessibility: axe-core on every page (desktop and mobile size, light and dark, plus the
// states with errors, previews and dialogs) with no violation of impact serious or critical; the log-in
// and new-ticket forms completed with the keyboard only; a new chat message is read out
// through an aria-live="polite" region.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHelpline, openBrowser, watchPage, runAxe, describeViolations, makePng, api, describeRes, apiCustomer,
  DESKTOP, MOBILE, TEST_TIMEOUT,
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
    // (axe is injected as a script: the server's CSP would refuse it)
    users[who] = await openBrowser({ viewport: DESKTOP, bypassCSP: true });
    watches.push(watchPage(users[who].page, who));
  }
  await signIn(users.customer.context, server, world.customer);
  await signIn(users.agent.context, server, world.agent);
});

after(async () => {
  for (const b of Object.values(users)) await b.close();
  if (server) await server.stop();
});

test('axe: no serious or critical violation on any page', { timeout: TEST_TIMEOUT }, async (t) => {
  const report = [];
  const check = async (page, label) => {
    const v = await runAxe(page);
    t.diagnostic(`${label}: ${v.length ? v.map((x) => x.id).join(', ') : 'no serious/critical violations'}`);
    if (v.length) report.push(`${label}:\n${describeViolations(v)}`);
  };
  // light at desktop and mobile size, and dark (prefers-color-scheme: the CSS has a dark theme)
  for (const [viewport, colorScheme] of [[DESKTOP, 'light'], [MOBILE, 'light'], [DESKTOP, 'dark']]) {
    for (const p of pages(world)) {
      const { page } = users[p.who];
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme });
      await page.goto(`${server.url}${p.path}`);
      await p.ready(page);
      await imagesLoaded(page);
      await check(page, `${p.title} ${viewport.width}x${viewport.height} ${colorScheme}`);
    }
  }
  for (const { page } of Object.values(users)) await page.emulateMedia({ colorScheme: 'light' });

  // States: form errors, file previews and refusals, the confirm and image dialogs.
  const { page: v } = users.visitor;
  await v.setViewportSize(DESKTOP);
  await v.goto(`${server.url}/login`);
  await v.getByRole('button', { name: 'Log in' }).click();
  await v.getByText('Enter your email address.').waitFor();
  await check(v, 'Log in with errors');
  await v.goto(`${server.url}/signup`);
  await v.getByLabel('Email').fill('not-an-email');
  await v.getByRole('button', { name: 'Sign up' }).click();
  await v.getByText('Enter your name.').waitFor();
  await check(v, 'Sign up with errors');

  const { page: c } = users.customer;
  await c.setViewportSize(DESKTOP);
  await c.goto(`${server.url}/tickets/new`);
  await c.getByLabel('Screenshots').setInputFiles([
    { name: 'good.png', mimeType: 'image/png', buffer: makePng(200, 100) },
    { name: 'bad.png', mimeType: 'image/png', buffer: Buffer.from('text') },
  ]);
  await c.getByText('bad.png is not a PNG or JPEG image').waitFor();
  await c.getByRole('button', { name: 'Create ticket' }).click();
  await c.getByText('Enter a subject.').waitFor();
  await check(c, 'New ticket with errors and previews');

  await c.goto(`${server.url}/tickets/${world.main.id}`);
  await c.getByRole('button', { name: 'Close', exact: true }).click();
  await c.getByRole('dialog').waitFor();
  await check(c, 'Close confirmation dialog');
  await c.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await c.locator('.shot__link').first().click();
  await c.getByRole('dialog').waitFor();
  await imagesLoaded(c);
  await check(c, 'Image viewer dialog');
  await c.keyboard.press('Escape');
  await c.getByRole('dialog').waitFor({ state: 'detached' });

  assert.equal(report.length, 0, `axe violations (serious/critical):\n${report.join('\n')}`);
});

/** Presses Tab until the focused element has this accessible label/name; returns the names passed. */
async function tabTo(page, name, max = 25) {
  const seen = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return '';
      const label = el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent) || el.textContent || '';
      return label.replace(/\s+/g, ' ').trim();
    });
    seen.push(focused);
    if (focused === name) return seen;
  }
  throw new Error(`Tab never reached "${name}"; focus went through: ${seen.map((s) => JSON.stringify(s)).join(' > ')}`);
}

test('keyboard only: log in, then create a ticket with a screenshot', { timeout: TEST_TIMEOUT }, async (t) => {
  const cust = await apiCustomer(server, { name: 'Kim Keyboard' });
  const b = await openBrowser({ viewport: DESKTOP });
  try {
    const page = b.page;
    const watch = watchPage(page, 'keyboard user');
    await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();

    // log in: Tab to Email, type, Tab to Password, type, Enter
    t.diagnostic(`to Email: ${(await tabTo(page, 'Email')).join(' > ')}`);
    await page.keyboard.type(cust.email);
    await tabTo(page, 'Password', 1);
    await page.keyboard.type(cust.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'My tickets' }).waitFor();

    // New ticket: Tab to the link, Enter
    await tabTo(page, 'New ticket');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'New ticket' }).waitFor();
    await page.getByLabel('Subject').waitFor();
    const path = await tabTo(page, 'Subject');
    t.diagnostic(`to Subject: ${path.join(' > ')}`);
    await page.keyboard.type('Typed with the keyboard only');
    await tabTo(page, 'Description', 1);
    await page.keyboard.type('No mouse was used.\nSecond line.');
    await tabTo(page, 'Category', 1);
    await page.keyboard.press('ArrowDown'); // the second category
    await tabTo(page, 'Priority', 1);
    await page.keyboard.press('ArrowDown'); // Normal -> High
    // Playwright turns on file-chooser interception only once something listens for it, and a
    // key press sent in the same breath can beat that switch (then the chooser never reports):
    // listen first and let one round trip pass.
    page.on('filechooser', () => {});
    await page.evaluate(() => 0);
    await tabTo(page, 'Screenshots', 1);
    // Space on the file control opens the file chooser, where the file is picked.
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    await chooser.setFiles([{ name: 'keyboard.png', mimeType: 'image/png', buffer: makePng(320, 200) }]);
    await page.getByRole('button', { name: 'Remove keyboard.png' }).waitFor();
    await tabTo(page, 'Create ticket', 4);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/tickets\/\d+$/);
    await page.getByRole('heading', { level: 1, name: 'Typed with the keyboard only' }).waitFor();

    const id = Number(new URL(page.url()).pathname.split('/').pop());
    const res = await api(server.url, 'GET', `/api/v1/tickets/${id}`, { token: cust.token });
    assert.equal(res.status, 200, describeRes(res));
    const tk = res.json.ticket;
    assert.equal(tk.priority, 'high', 'Priority chosen with the arrow key');
    assert.equal(tk.category, 'billing', 'Category chosen with the arrow key (the second one)');
    assert.equal(tk.description.replace(/\r\n/g, '\n'), 'No mouse was used.\nSecond line.');
    assert.equal(tk.attachments.length, 1);
    watch.assertClean();
  } finally {
    await b.close();
  }
});

test('a new chat message is announced in an aria-live="polite" region', { timeout: TEST_TIMEOUT }, async () => {
  const { page } = users.customer;
  await page.setViewportSize(DESKTOP);
  await page.goto(`${server.url}/tickets/${world.main.id}`);
  await page.locator('.chat__list').getByText('Got it.', { exact: false }).waitFor();
  const text = `Live region check ${Date.now()}`;
  const res = await api(server.url, 'POST', `/api/v1/tickets/${world.main.id}/messages`, {
    token: world.agent.token, json: { body: text },
  });
  assert.equal(res.status, 201, describeRes(res));
  await page.locator('.chat__list').getByText(text).waitFor();
  const regions = await page.waitForFunction((needle) => {
    const found = [];
    for (const region of document.querySelectorAll('[aria-live]')) {
      if (region.getAttribute('aria-live') !== 'polite') continue;
      if (region.closest('[aria-hidden="true"]')) continue;
      if (region.textContent.includes(needle)) found.push(region.className || region.id || region.tagName);
    }
    return found.length ? found : null;
  }, text, { timeout: 5000 }).then((h) => h.jsonValue());
  assert.ok(regions.length >= 1, 'the message text is inside a polite live region');
  // and the region is the chat's own (inside the chat section), not only the page announcer
  const inChat = await page.evaluate((needle) => [...document.querySelectorAll('#chat [aria-live="polite"]')]
    .some((r) => r.textContent.includes(needle)), text);
  assert.ok(inChat, `the chat's live region carries the new message (regions: ${regions.join(', ')})`);
  for (const w of watches) w.assertClean();
});
