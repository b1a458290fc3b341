// Offline mid-chat: the customer's browser loses the network, sends messages (shown
// as pending), and comes back: each message is delivered exactly once (the agent's
// page, the customer's page and GET .../messages all show it once), and what the
// agent said meanwhile reaches the customer once too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHelpline, addAgent, openBrowser, watchPage, apiCustomer, apiSession, uiLogin, sendChat, api, describeRes,
  eventually, saveShot, LIVE_MS, MOBILE, TEST_TIMEOUT,
} from './lib/e2e.mjs';
import { createTicket } from '../integration/lib/harness.mjs';

let server;
const browsers = [];

before(async () => { server = await startHelpline(); });
after(async () => {
  for (const b of browsers) await b.close();
  if (server) await server.stop();
});

async function bodiesFromApi(ticketId, token) {
  const res = await api(server.url, 'GET', `/api/v1/tickets/${ticketId}/messages?limit=200`, { token });
  assert.equal(res.status, 200, describeRes(res));
  return res.json.items.filter((m) => m.kind === 'text').map((m) => m.body);
}

const countIn = (page, text) => page.locator('.chat__list .msg__body').filter({ hasText: new RegExp(`^${text}$`) }).count();

test('a message sent while offline is shown pending, then delivered exactly once', { timeout: TEST_TIMEOUT }, async (t) => {
  const agentAccount = await addAgent(server, { name: 'Alex Agent' });
  const cust = await apiCustomer(server, { name: 'Casey Customer' });
  const ticket = await createTicket(server.url, { token: cust.token }, { subject: 'Offline chat' });
  const customer = await openBrowser();
  const agent = await openBrowser();
  browsers.push(customer, agent);
  const cPage = customer.page;
  const aPage = agent.page;
  const cWatch = watchPage(cPage, 'customer');
  const aWatch = watchPage(aPage, 'agent');

  await uiLogin(cPage, server.url, cust, { landing: 'My tickets' });
  await uiLogin(aPage, server.url, agentAccount, { landing: 'Dashboard' });
  await cPage.getByRole('link', { name: 'Offline chat' }).click();
  await aPage.getByRole('link', { name: 'Offline chat' }).click();
  await cPage.getByLabel('Message', { exact: true }).waitFor();
  await aPage.getByLabel('Message', { exact: true }).waitFor();
  // both in the room (presence), and one message each way to prove the link
  await aPage.getByText('Casey Customer (customer) is online').waitFor();
  await sendChat(cPage, 'before going offline');
  await aPage.locator('.chat__list').getByText('before going offline').waitFor();

  // -- offline --
  await customer.context.setOffline(true);
  await eventually(() => cPage.evaluate(() => navigator.onLine === false), { message: 'navigator.onLine false' });
  await sendChat(cPage, 'sent while offline 1');
  await sendChat(cPage, 'sent while offline 2');
  const pending = cPage.locator('.msg--pending');
  await eventually(async () => (await pending.count()) === 2, { message: 'two pending messages' });
  assert.match(await pending.first().textContent(), /Sending…/, 'a pending message says Sending…');
  await cPage.waitForTimeout(1500);
  assert.equal(await pending.count(), 2, 'still pending while offline');
  assert.equal(await countIn(aPage, 'sent while offline 1'), 0, 'the agent has not got it while the customer is offline');
  assert.deepEqual(await bodiesFromApi(ticket.id, cust.token), ['before going offline'], 'nothing stored while offline');

  // the agent talks meanwhile
  await sendChat(aPage, 'reply while you were away');

  // -- back online --
  await customer.context.setOffline(false);
  await eventually(async () => (await pending.count()) === 0, { ms: LIVE_MS * 2, message: 'pending messages delivered' });
  for (const text of ['sent while offline 1', 'sent while offline 2']) {
    await aPage.locator('.chat__list').getByText(text).waitFor();
  }
  await cPage.locator('.chat__list').getByText('reply while you were away').waitFor();
  // Let any duplicate (a resend, a replay) arrive before counting.
  await cPage.waitForTimeout(1500);
  for (const text of ['sent while offline 1', 'sent while offline 2', 'reply while you were away']) {
    assert.equal(await countIn(aPage, text), 1, `the agent sees "${text}" once`);
    assert.equal(await countIn(cPage, text), 1, `the customer sees "${text}" once`);
  }
  const bodies = await bodiesFromApi(ticket.id, cust.token);
  assert.deepEqual(bodies.filter((b) => b.startsWith('sent while offline')), ['sent while offline 1', 'sent while offline 2'],
    `GET messages has each offline message once, in order: ${JSON.stringify(bodies)}`);
  assert.equal(bodies.length, 4, `4 text messages in all: ${JSON.stringify(bodies)}`);

  // A reload of both pages still shows each once (history, not just live frames).
  await cPage.reload();
  await aPage.reload();
  await cPage.locator('.chat__list').getByText('sent while offline 2').waitFor();
  await aPage.locator('.chat__list').getByText('sent while offline 2').waitFor();
  for (const text of ['sent while offline 1', 'sent while offline 2']) {
    assert.equal(await countIn(aPage, text), 1, `after reload the agent sees "${text}" once`);
    assert.equal(await countIn(cPage, text), 1, `after reload the customer sees "${text}" once`);
  }
  assert.equal(await cPage.locator('.msg--pending').count(), 0, 'no pending copy left after reload (the outbox is empty)');
  const agentView = await apiSession(server, agentAccount);
  assert.equal((await bodiesFromApi(ticket.id, agentView.token)).length, 4);
  cWatch.assertClean();
  aWatch.assertClean();
  t.diagnostic('delivered once each after going back online');
});

test('a message refused after reconnecting (ticket closed meanwhile) says so, with Retry and Discard', { timeout: TEST_TIMEOUT }, async (t) => {
  const agentAccount = await addAgent(server, { name: 'Alex Agent' });
  const agentApi = await apiSession(server, agentAccount);
  const cust = await apiCustomer(server, { name: 'Casey Customer' });
  const ticket = await createTicket(server.url, { token: cust.token }, { subject: 'Closed while offline' });
  const customer = await openBrowser({ viewport: MOBILE });
  browsers.push(customer);
  const page = customer.page;
  const watch = watchPage(page, 'customer');
  await uiLogin(page, server.url, cust, { landing: 'My tickets' });
  await page.getByRole('link', { name: 'Closed while offline' }).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
  await page.getByText('No messages yet').waitFor();

  await customer.context.setOffline(true);
  await sendChat(page, 'too late, sadly');
  await page.locator('.msg--pending').getByText('Sending…').waitFor();
  const res = await api(server.url, 'PATCH', `/api/v1/tickets/${ticket.id}`, { token: agentApi.token, json: { status: 'closed' } });
  assert.equal(res.status, 200, describeRes(res));
  await customer.context.setOffline(false);

  const failed = page.locator('.msg--failed');
  await failed.waitFor({ timeout: LIVE_MS * 2 });
  await page.getByText('This ticket is closed', { exact: true }).waitFor();
  assert.match(await failed.textContent(), /Not sent/);
  t.diagnostic(`refused message shows: ${(await failed.locator('.msg__status').textContent()).trim()}`);
  const retry = failed.getByRole('button', { name: 'Retry' });
  const discard = failed.getByRole('button', { name: 'Discard' });
  await failed.scrollIntoViewIfNeeded();
  await saveShot(page, 'ticket-message-refused-mobile');
  for (const [name, b] of [['Retry', retry], ['Discard', discard]]) {
    const box = await b.boundingBox();
    assert.ok(box && box.height >= 44, `${name} is at least 44 px tall on a phone (${box && Math.round(box.height)} px)`);
  }
  await discard.click();
  await failed.waitFor({ state: 'detached' });
  await page.reload();
  await page.getByText('This ticket is closed', { exact: true }).waitFor();
  assert.equal(await page.getByText('too late, sadly').count(), 0, 'a discarded message does not come back after a reload');
  assert.deepEqual(await bodiesFromApi(ticket.id, cust.token), [], 'nothing stored');
  watch.assertClean();
});
