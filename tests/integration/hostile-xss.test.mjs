// Stored XSS through every text field and file name: the API must return the text verbatim (as
// JSON, never as HTML), and the pages must show it as text, never execute or parse it.
// (Regression guards: these pass today.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, signup, createTicket, createAgent, api, makePng, sleep } from './lib/harness.mjs';
import { postMessageOk, connectWs } from './lib/chat.mjs';

const CHROMIUM = '/usr/bin/chromium';

let server;
let C;
let agent;
let T;
let M;

// Each payload marks what it injects with data-xss="<field>" and, if it ever runs, sets window.__xss.
const P = (tag) => `<img src=x data-xss="${tag}" onerror="window.__xss='${tag}'"><script data-xss="${tag}">window.__xss='${tag}'</script>`;
const NAME = `<svg data-xss=name onload=window.__xss=1>N`; // <= 100 characters
const FILE = `<img src=x data-xss=file onerror=window.__xss=1>'.png`; // (a browser sends " as %22)
const SUBJECT = `${P('subject')}</title><a href="javascript:window.__xss=1" data-xss=subj-a>x</a>`.slice(0, 200);
const DESC = `${P('desc')}\n<iframe data-xss=desc-iframe srcdoc="<script>parent.__xss=1</script>"></iframe>\njavascript:window.__xss=1 https://example.com/"><b data-xss=link>x</b>`;
const BODY = `${P('message')} [click](javascript:window.__xss=1) https://example.com/a"onmouseover="window.__xss=1 {{constructor.constructor('window.__xss=1')()}}`;

before(async () => {
  server = await startServer();
  C = await signup(server.url, { name: NAME });
  T = await createTicket(server.url, C, { subject: SUBJECT, description: DESC, files: [{ data: makePng(30, 30), filename: FILE, type: 'image/png' }] });
  M = await postMessageOk(server, C, T.id, BODY, '<script>window.__xss=1</script>');
  agent = await createAgent(server, { name: '<b data-xss=agent onmouseover=window.__xss=1>Agent</b>' });
  const claim = await api(server.url, 'POST', `/api/v1/tickets/${T.id}/claim`, { token: agent.token });
  assert.equal(claim.status, 200, claim.text);
  await postMessageOk(server, agent, T.id, `${P('agent-message')}`, 'agent-1');
});

after(async () => {
  await server?.stop();
});

test('the API returns every text field verbatim, as application/json with nosniff', async () => {
  const res = await api(server.url, 'GET', `/api/v1/tickets/${T.id}`, { token: C.token });
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const t = res.json.ticket;
  assert.equal(t.subject, SUBJECT);
  assert.equal(t.description, DESC);
  assert.equal(t.customer.name, NAME);
  assert.equal(t.attachments[0].filename, FILE);
  const msgs = (await api(server.url, 'GET', `/api/v1/tickets/${T.id}/messages`, { token: C.token })).json.items;
  const m = msgs.find((x) => x.id === M.id);
  assert.equal(m.body, BODY);
  assert.equal(m.client_id, '<script>window.__xss=1</script>');
  // the same over the WebSocket
  const ws = await connectWs(server, { token: C.token });
  const { replay } = await ws.subscribe(T.id);
  ws.terminate();
  assert.equal(replay.find((x) => x.id === M.id)?.body, BODY);
  // and in the list
  const list = await api(server.url, 'GET', `/api/v1/tickets?q=${encodeURIComponent('data xss')}`, { token: agent.token });
  assert.equal(list.status, 200, list.text);
});

test('the pages show hostile text as text: nothing injected, nothing executed (customer and agent views)', async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent`);
    return;
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    t.skip('playwright-core is not installed');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helpline-xss-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const problems = [];
    for (const [who, token] of [['customer', C.token], ['agent', agent.token]]) {
      await ctx.clearCookies();
      await ctx.addCookies([{ name: 'helpline_session', value: token, url: server.url, httpOnly: true, sameSite: 'Lax' }]);
      const page = await ctx.newPage();
      page.on('dialog', (d) => { problems.push(`${who}: a dialog opened: ${d.message()}`); d.dismiss().catch(() => {}); });
      for (const url of ['/', `/tickets/${T.id}`, `/tickets/${encodeURIComponent('<img src=x onerror=window.__xss=1>')}`,
        `/login?next=${encodeURIComponent('javascript:window.__xss=1')}`]) {
        await page.goto(server.url + url, { waitUntil: 'load' });
        await sleep(1000); // the page renders from /api/v1/me and the ticket fetches
        const r = await page.evaluate(() => ({
          xss: window.__xss ?? null,
          injected: [...document.querySelectorAll('[data-xss], iframe, script:not([src]), a[href^="javascript:" i]')]
            .map((e) => e.outerHTML.slice(0, 80)),
          shown: document.body.innerText.includes('data-xss'),
          origin: location.origin,
        }));
        if (r.xss !== null) problems.push(`${who} ${url}: a payload ran (window.__xss = ${r.xss})`);
        if (r.injected.length) problems.push(`${who} ${url}: hostile markup became elements: ${r.injected.join(' | ')}`);
        if (r.origin !== server.origin) problems.push(`${who} ${url}: navigated away to ${r.origin}`);
        if (url === `/tickets/${T.id}`) assert.ok(r.shown, `${who}: the hostile text is not shown as text on the ticket page`);
      }
      await page.close();
    }
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
