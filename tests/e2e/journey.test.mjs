// The whole job, with two browsers: a customer signs up and raises a ticket with two
// screenshots (one from the file picker, one pasted); an agent sees it arrive live,
// claims it, they chat both ways (typing indicator, unread badge and tab title count),
// the agent resolves it, the customer sees that live and closes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHelpline, addAgent, openBrowser, watchPage, screenshotFiles, pasteFile, uiSignup, uiLogin,
  fillTicketForm, ticketIdFromUrl, sendChat, uniqueEmail, api, describeRes, apiSession, eventually, saveShot, LIVE_MS, TEST_TIMEOUT,
} from './lib/e2e.mjs';

let server;
let agentAccount;
const browsers = [];

before(async () => {
  server = await startHelpline();
  agentAccount = await addAgent(server, { name: 'Alex Agent' });
});

after(async () => {
  for (const b of browsers) await b.close();
  if (server) await server.stop();
});

test('customer and agent: ticket with screenshots, live dashboard, claim, chat, resolve, close', { timeout: TEST_TIMEOUT }, async (t) => {
  const files = screenshotFiles(2, (m) => t.diagnostic(m));
  t.diagnostic(`screenshots: ${files.map((f) => `${f.name} (${f.buffer.length} B${f.real ? ', real' : ', generated'})`).join(', ')}`);
  const customer = await openBrowser();
  const agent = await openBrowser();
  browsers.push(customer, agent);
  const cPage = customer.page;
  const aPage = agent.page;
  const cWatch = watchPage(cPage, 'customer');
  const aWatch = watchPage(aPage, 'agent');
  const me = { name: 'Casey Customer', email: uniqueEmail('casey'), password: 'casey-password-1' };

  // -- the agent waits on the dashboard; the customer signs up --
  await uiLogin(aPage, server.url, agentAccount, { landing: 'Dashboard' });
  await aPage.evaluate(() => { window.__sameDocument = true; });
  await uiSignup(cPage, server.url, me);
  await assert.doesNotReject(cPage.getByRole('button', { name: 'Log out' }).waitFor());

  // -- new ticket: picker + paste --
  await cPage.getByRole('link', { name: 'New ticket' }).click();
  await cPage.getByRole('heading', { level: 1, name: 'New ticket' }).waitFor();
  const subject = `Export button does nothing ${Date.now()}`;
  await fillTicketForm(cPage, {
    subject,
    description: 'When I click Export, nothing happens.\nSee the two screenshots.',
    category: 'Technical problem',
    priority: 'High',
    files: [files[0]],
  });
  await cPage.getByRole('button', { name: `Remove ${files[0].name}` }).waitFor();
  await cPage.getByRole('heading', { level: 1 }).click(); // focus leaves the inputs, as after a real click
  await pasteFile(cPage, files[1]);
  await cPage.getByRole('button', { name: `Remove ${files[1].name}` }).waitFor();
  assert.equal(await cPage.getByRole('list', { name: 'Selected files' }).getByRole('listitem').count(), 2,
    'two screenshots selected (one picked, one pasted)');
  assert.equal(await cPage.locator('.field-error').filter({ hasText: /\S/ }).count(), 0, 'no field error before sending');

  await cPage.getByRole('button', { name: 'Create ticket' }).click();
  const ticketId = await ticketIdFromUrl(cPage);
  await cPage.getByRole('heading', { level: 1, name: subject }).waitFor();
  t.diagnostic(`ticket ${ticketId} created`);

  // -- the agent's dashboard shows it without a reload --
  const row = aPage.getByRole('link', { name: subject });
  await row.waitFor({ timeout: LIVE_MS });
  assert.equal(await aPage.evaluate(() => window.__sameDocument), true, 'the dashboard was not reloaded');
  await row.click();
  await aPage.getByRole('heading', { level: 1, name: subject }).waitFor();

  // thumbnails of both screenshots, loaded
  for (const f of files) {
    const img = aPage.getByRole('img', { name: `Screenshot ${f.name}` });
    await img.waitFor();
    await img.scrollIntoViewIfNeeded();
    await eventually(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), { message: `thumbnail of ${f.name} loaded` });
    const src = await img.getAttribute('src');
    assert.match(src, /\/api\/v1\/attachments\/\d+\/thumb/, 'the thumbnail comes from the thumb URL');
  }

  // -- claim --
  await aPage.getByRole('button', { name: 'Claim' }).click();
  await aPage.getByRole('button', { name: 'Claim' }).waitFor({ state: 'hidden' });
  await eventually(async () => /Alex Agent/.test(await aPage.locator('.fact', { hasText: 'Assigned to' }).textContent()),
    { message: 'Assigned to: Alex Agent' });
  // the customer sees who took it, live
  await eventually(async () => /Alex Agent/.test(await cPage.locator('.fact', { hasText: 'Assigned to' }).textContent()),
    { message: 'the customer sees the agent assigned' });
  await cPage.getByText('In progress', { exact: true }).first().waitFor();

  // -- chat: customer -> agent, with the typing indicator --
  const cMsg = cPage.getByLabel('Message', { exact: true });
  await cMsg.click();
  await cMsg.pressSequentially('Hello, any news', { delay: 15 });
  await aPage.getByText('Casey Customer is typing…').waitFor();
  await saveShot(aPage, 'ticket-agent-typing-desktop');
  await cPage.getByRole('button', { name: 'Send', exact: true }).click();
  await aPage.locator('.chat__list').getByText('Hello, any news', { exact: true }).waitFor();
  await aPage.getByText('Casey Customer is typing…').waitFor({ state: 'hidden' });

  // agent -> customer
  const aMsg = aPage.getByLabel('Message', { exact: true });
  await aMsg.click();
  await aMsg.pressSequentially('Looking at it now', { delay: 15 });
  await cPage.getByText('Alex Agent is typing…').waitFor();
  await aPage.keyboard.press('Enter'); // Enter sends
  await cPage.locator('.chat__list').getByText('Looking at it now', { exact: true }).waitFor();

  // -- the customer is elsewhere (the list): unread badge and title count --
  await cPage.getByRole('link', { name: 'Back to tickets' }).click();
  await cPage.getByRole('heading', { level: 1, name: 'My tickets' }).waitFor();
  const item = cPage.getByRole('listitem').filter({ has: cPage.getByRole('link', { name: subject }) });
  await item.waitFor();
  // (the read mark went out over the socket as the reply arrived; the list may be a moment older)
  await eventually(async () => (await item.getByText(/unread/).count()) === 0,
    { message: 'nothing unread yet (the chat was read on the ticket page)' });
  await sendChat(aPage, 'Found it: a permissions problem, fixed.');
  await item.getByText('1 unread').waitFor();
  await saveShot(cPage, 'my-tickets-unread-desktop');
  await eventually(async () => (await cPage.title()).startsWith('(1) '), { message: `the title "(1) …"; got "${await cPage.title()}"` });
  t.diagnostic(`customer's tab title: ${await cPage.title()}`);

  // -- back to the ticket: the message is there and read --
  await cPage.getByRole('link', { name: subject }).click();
  await cPage.getByRole('heading', { level: 1, name: subject }).waitFor();
  const found = cPage.locator('.chat__list').getByText('Found it: a permissions problem, fixed.');
  await found.waitFor();
  // Read marks go out once the newest message is on screen: scroll to the chat, as a reader would.
  await found.scrollIntoViewIfNeeded();
  await eventually(async () => !(await cPage.title()).startsWith('('), { message: 'the title count gone once read' });

  // -- the agent resolves; the customer sees it live and closes --
  const status = aPage.getByRole('combobox', { name: 'Status' });
  const options = await status.locator('option').allTextContents();
  // the moves of the assigned agent, by name: release (Open), Resolved, Closed
  for (const name of ['In progress', 'Open', 'Resolved', 'Closed']) {
    assert.ok(options.includes(name), `Status offers ${name}: ${options.join(', ')}`);
  }
  await status.selectOption({ label: 'Resolved' });
  await aPage.getByRole('button', { name: 'Update status' }).click();
  await aPage.locator('.ticket__status').getByText('Resolved').waitFor();

  await cPage.locator('.ticket__status').getByText('Resolved').waitFor();
  await saveShot(cPage, 'ticket-resolved-customer-desktop');
  await cPage.getByRole('button', { name: 'Close', exact: true }).click();
  const dialog = cPage.getByRole('dialog');
  await dialog.waitFor();
  await saveShot(cPage, 'ticket-close-dialog-desktop', { fullPage: false });
  assert.match(await dialog.textContent(), /Close this ticket/);
  await dialog.getByRole('button', { name: 'Close ticket' }).click();
  await cPage.getByText('This ticket is closed').waitFor();
  assert.equal(await cPage.getByLabel('Message', { exact: true }).isVisible(), false, 'the composer is gone');
  assert.equal(await cPage.getByRole('button', { name: 'Send', exact: true }).isVisible(), false, 'no Send button');
  await cPage.locator('.ticket__status').getByText('Closed').waitFor();
  await saveShot(cPage, 'ticket-closed-customer-desktop');
  // the agent's page follows
  await aPage.getByText('This ticket is closed').waitFor();

  // -- the server agrees --
  const s = await apiSession(server, me);
  const res = await api(server.url, 'GET', `/api/v1/tickets/${ticketId}`, { token: s.token });
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.ticket.status, 'closed');
  assert.equal(res.json.ticket.attachments.length, 2, 'both screenshots stored');
  assert.deepEqual(res.json.ticket.attachments.map((a) => a.filename).sort(), files.map((f) => f.name).sort());
  cWatch.assertClean();
  aWatch.assertClean();
});
