// Browser test harness for Helpline (node:test + playwright-core + Debian's chromium).
//
// - startHelpline(): one `helpline serve` per test file (fresh temp data dir, free port),
//   via the integration harness's startServer().
// - addAgent(): `helpline user add --role agent` (password on stdin).
// - openBrowser(): one persistent chromium context per user (customer, agent...).
// - watchPage(): fails the test on any JS dialog (alert/confirm/prompt) and collects
//   page errors, so an XSS payload that runs, or a crash, is noticed.
// - UI helpers that go through the pages by role and label only (api.md "Pages").
// - screenshotFiles(): real screenshots from /work/shared/data/screenshots, or PNGs
//   generated in code when that folder is absent (says so on stderr / t.diagnostic).
// - runAxe(), tapTargets(), horizontalOverflow(), saveShot().

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import {
  startServer, runCli, uniqueEmail, makePng, api, describeRes, signup as apiSignup, login as apiLogin,
  REPO, SHARED_DATA,
} from '../../integration/lib/harness.mjs';

export { api, describeRes, uniqueEmail, makePng, REPO };

export const CHROMIUM = process.env.HELPLINE_CHROMIUM || '/usr/bin/chromium';
export const SHOTS_DIR = path.join(REPO, 'test-results', 'screenshots');
export const AXE_PATH = path.join(REPO, 'node_modules', 'axe-core', 'axe.min.js');
export const SCREENSHOTS_DIR = path.join(SHARED_DATA, 'screenshots');

export const DESKTOP = { width: 1280, height: 900 };
export const MOBILE = { width: 390, height: 844 };
export const SMALL = { width: 360, height: 740 };

/** The most one test may take (a hang fails instead of stalling the suite). */
export const TEST_TIMEOUT = 120_000;

/** Default timeout for a "should show up live" expectation. */
export const LIVE_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Server and accounts

export async function startHelpline(opts = {}) {
  return startServer(opts);
}

export async function addAgent(server, { email = uniqueEmail('agent'), name = 'Alex Agent', password = 'agent-password-123' } = {}) {
  const r = await runCli(['user', 'add', '--role', 'agent', '--email', email, '--name', name, '--data-dir', server.dataDir], {
    input: `${password}\n`,
  });
  assert.equal(r.code, 0, `helpline user add failed:\n${r.stdout}\n${r.stderr}`);
  return { email, name, password };
}

/** Signs a customer up through the API (for tests whose subject is not the sign-up page). */
export async function apiCustomer(server, { name = 'Casey Customer', email = uniqueEmail('cust'), password = 'customer-pass-123' } = {}) {
  const s = await apiSignup(server.url, { name, email, password });
  return { ...s, name, email, password };
}

export async function apiSession(server, { email, password }) {
  return apiLogin(server.url, { email, password });
}

// ---------------------------------------------------------------------------------------------
// Browser

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/**
 * A persistent context (one per user). Returns {context, page, close()}.
 * options: viewport (default DESKTOP), anything else for launchPersistentContext.
 */
export async function openBrowser({ viewport = DESKTOP, ...rest } = {}) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hl-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
    locale: 'en-GB',
    timezoneId: 'UTC',
    ...rest,
  });
  context.setDefaultTimeout(LIVE_MS);
  const page = context.pages()[0] || await context.newPage();
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => {});
      await fsp.rm(dir, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/**
 * Watches a page: every JS dialog (alert/confirm/prompt/beforeunload) is recorded and
 * dismissed; page errors are recorded. assertClean() fails on either.
 */
export function watchPage(page, label = 'page') {
  const dialogs = [];
  const errors = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => errors.push(String(e && e.stack ? e.stack : e)));
  return {
    dialogs,
    errors,
    assertClean() {
      assert.deepEqual(dialogs, [], `${label}: no JS dialog may open`);
      assert.deepEqual(errors, [], `${label}: no uncaught page error`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Screenshots (input files)

let fallbackNoted = false;

/**
 * n image files for the Screenshots field: [{name, mimeType, buffer, real}].
 * Real files from /work/shared/data/screenshots (smallest first) when present, otherwise
 * PNGs generated in code (noted once on stderr and through note()).
 */
export function screenshotFiles(n = 2, note = () => {}) {
  let real = [];
  try {
    real = fs.readdirSync(SCREENSHOTS_DIR)
      .filter((f) => /\.(png|jpe?g)$/i.test(f))
      .map((f) => ({ f, size: fs.statSync(path.join(SCREENSHOTS_DIR, f)).size }))
      .filter((x) => x.size <= 1024 * 1024)
      .sort((a, b) => a.size - b.size || a.f.localeCompare(b.f));
  } catch {
    real = [];
  }
  if (real.length >= n) {
    // Alternate PNG and JPEG (smallest of each first), so both formats go through the pages.
    const png = real.filter((x) => /\.png$/i.test(x.f));
    const jpg = real.filter((x) => !/\.png$/i.test(x.f));
    const mixed = [];
    while (png.length || jpg.length) {
      if (png.length) mixed.push(png.shift());
      if (jpg.length) mixed.push(jpg.shift());
    }
    return mixed.slice(0, n).map(({ f }) => ({
      name: f,
      mimeType: /\.png$/i.test(f) ? 'image/png' : 'image/jpeg',
      buffer: fs.readFileSync(path.join(SCREENSHOTS_DIR, f)),
      real: true,
    }));
  }
  const msg = `${SCREENSHOTS_DIR} is absent: using PNG screenshots generated in code instead of real ones`;
  note(msg);
  if (!fallbackNoted) {
    fallbackNoted = true;
    process.stderr.write(`${msg}\n`);
  }
  return Array.from({ length: n }, (_, i) => ({
    name: `generated-${i + 1}.png`,
    mimeType: 'image/png',
    buffer: makePng(640 + 80 * i, 400 + 40 * i),
    real: false,
  }));
}

/**
 * Pastes a file into the page: a ClipboardEvent 'paste' whose clipboardData (a
 * DataTransfer) holds a File, dispatched on the focused element (or the document).
 */
export async function pasteFile(page, { name, mimeType, buffer }) {
  await page.evaluate(({ name: n, type, b64 }) => {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i += 1) bytes[i] = bin.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], n, { type }));
    const target = document.activeElement || document.body;
    target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, { name, type: mimeType, b64: buffer.toString('base64') });
}

// ---------------------------------------------------------------------------------------------
// UI flows (by role and label only)

export async function uiSignup(page, base, { name, email, password }) {
  await page.goto(`${base}/`);
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { level: 1, name: 'My tickets' }).waitFor();
}

export async function uiLogin(page, base, { email, password }, { landing } = {}) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  if (landing) await page.getByRole('heading', { level: 1, name: landing }).waitFor();
}

/** Fills the new-ticket form (already open). files: for the file picker. */
export async function fillTicketForm(page, { subject, description, category, priority, files = [] }) {
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Description').fill(description);
  if (category) await page.getByLabel('Category').selectOption({ label: category });
  if (priority) await page.getByLabel('Priority').selectOption({ label: priority });
  if (files.length) {
    await page.getByLabel('Screenshots').setInputFiles(files.map(({ name, mimeType, buffer }) => ({ name, mimeType, buffer })));
  }
}

/** The id in /tickets/ID after the page navigated there. */
export async function ticketIdFromUrl(page) {
  await page.waitForURL(/\/tickets\/\d+$/);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

/** Sends a chat message with the composer (textarea "Message", button "Send"). */
export async function sendChat(page, text) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

// ---------------------------------------------------------------------------------------------
// Checks

/**
 * Injects axe-core and runs it; returns the violations of impact serious or critical.
 * The server's Content-Security-Policy forbids injected scripts: the context must be
 * opened with openBrowser({ bypassCSP: true }).
 */
export async function runAxe(page) {
  const has = await page.evaluate(() => typeof window.axe === 'object');
  if (!has) await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(violations) {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.slice(0, 5)
    .map((n) => `    ${n.target.join(' ')}: ${(n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 300)}`).join('\n')}`).join('\n');
}

/** {scrollWidth, innerWidth, culprits}: the widest elements sticking out on the right. */
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const culprits = [];
    if (document.documentElement.scrollWidth > vw) {
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right > vw + 0.5 && r.width > 0) {
          const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
          culprits.push(`${el.tagName.toLowerCase()}${cls} right=${Math.round(r.right)}`);
        }
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: vw, culprits: culprits.slice(0, 8) };
  });
}

/**
 * Visible interactive controls shorter than min px: buttons, inputs, selects, textareas,
 * links styled as buttons (.btn), tabs. Returns ["button 'Send' 38px", ...].
 */
export async function smallTapTargets(page, min = 44) {
  return page.evaluate((minPx) => {
    const sel = 'button, input:not([type=hidden]), select, textarea, a.btn, [role=button], [role=tab]';
    const out = [];
    for (const el of document.querySelectorAll(sel)) {
      if (el.closest('[hidden], .visually-hidden')) continue;
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (!r.width || !r.height || cs.visibility === 'hidden' || cs.display === 'none') continue;
      if (el.closest('dialog') && !el.closest('dialog').open) continue;
      if (r.height + 0.5 >= minPx) continue;
      let name = el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent)
        || el.textContent || el.getAttribute('name') || el.getAttribute('type') || '';
      name = name.replace(/\s+/g, ' ').trim().slice(0, 40);
      const kind = el.tagName.toLowerCase() + (el.type && el.tagName === 'INPUT' ? `[${el.type}]` : '');
      out.push(`${kind} '${name}' ${Math.round(r.height)}px`);
    }
    return out;
  }, min);
}

/** Is the element's box at least partly inside the viewport (no scrolling needed)? */
export async function inViewport(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
      && r.top < window.innerHeight && r.left < window.innerWidth;
  });
}

/**
 * Saves a PNG as test-results/screenshots/NAME.png: the whole page, or only the viewport
 * (fullPage: false, for modal dialogs whose backdrop covers the viewport only).
 */
export async function saveShot(page, name, { fullPage = true } = {}) {
  await fsp.mkdir(SHOTS_DIR, { recursive: true });
  const file = path.join(SHOTS_DIR, `${name}.png`);
  // Let fonts, images and the CSS transitions settle.
  await page.evaluate(() => document.fonts && document.fonts.ready).catch(() => {});
  await page.waitForTimeout(150);
  await page.screenshot({ path: file, fullPage, animations: 'disabled', caret: 'hide' });
  return file;
}

/** Polls fn until it returns a truthy value (or throws after ms). */
export async function eventually(fn, { ms = LIVE_MS, every = 100, message = 'condition' } = {}) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${message}; last: ${last && last.message ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
