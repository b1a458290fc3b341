// A small, realistic data set for the page-by-page suites (layout, accessibility,
// screenshots), made through the API: one customer with three tickets (one claimed, with a
// conversation and two screenshots), one agent. Plus the list of pages to visit and how
// to tell each one is ready.
import assert from 'node:assert/strict';
import { api, describeRes, addAgent, apiCustomer, apiSession, screenshotFiles, makePng } from './e2e.mjs';
import { createTicket } from '../../integration/lib/harness.mjs';

export async function seedWorld(server, note = () => {}) {
  const customer = await apiCustomer(server, { name: 'Casey Customer' });
  const agentAccount = await addAgent(server, { name: 'Alex Agent' });
  const agent = { ...agentAccount, ...(await apiSession(server, agentAccount)) };
  const shots = screenshotFiles(2, note);
  const auth = { token: customer.token };

  const main = await createTicket(server.url, auth, {
    subject: 'The export to PDF button does nothing on the invoices page',
    description: 'Since Monday, clicking "Export to PDF" on any invoice does nothing.\n'
      + 'No download, no error message. I tried Firefox and Chrome, same result.\n\n'
      + 'Steps: Invoices > pick one > Export to PDF.',
    category: 'technical',
    priority: 'high',
    files: shots.map((f) => ({ data: f.buffer, filename: f.name, type: f.mimeType })),
  });
  await createTicket(server.url, auth, {
    subject: 'Charged twice for the March subscription',
    description: 'My card statement shows two charges of 29.00 on 3 March.',
    category: 'billing',
    priority: 'urgent',
  });
  await createTicket(server.url, auth, {
    subject: 'Averyveryveryverylongwordwithoutanyspacesthatcouldbreakthelayoutonsmallscreens',
    description: 'A long unbroken subject, to check that narrow screens wrap it.',
    category: 'general',
    priority: 'low',
    files: [{ data: makePng(900, 300), filename: 'a-very-long-file-name-without-spaces-for-the-layout-test.png', type: 'image/png' }],
  });

  let res = await api(server.url, 'POST', `/api/v1/tickets/${main.id}/claim`, { token: agent.token });
  assert.equal(res.status, 200, describeRes(res));
  const lines = [
    [customer, 'Hello, the export button still does nothing today.'],
    [agent, 'Thanks Casey, I can reproduce it. Which invoice number did you try?'],
    [customer, 'INV-2031 and INV-2032. Here is the link: https://example.com/invoices/INV-2031'],
    [agent, 'Got it. Our developers are on it; I will write here as soon as it is fixed.'],
  ];
  for (const [who, body] of lines) {
    res = await api(server.url, 'POST', `/api/v1/tickets/${main.id}/messages`, { token: who.token, json: { body } });
    assert.equal(res.status, 201, describeRes(res));
  }
  return { customer, agent, main, shots };
}

/** Puts a session into a browser context (the cookie the server set at log-in). */
export async function signIn(context, server, who) {
  const value = /helpline_session=([^;]*)/.exec(who.cookie)[1];
  await context.clearCookies();
  await context.addCookies([{ name: 'helpline_session', value, url: server.url, httpOnly: true, sameSite: 'Lax' }]);
}

/**
 * The pages: {id, title, who: 'visitor'|'customer'|'agent', path, ready(page), kind}.
 * ready() waits until the page has drawn its data.
 */
export function pages(world) {
  const mainSubject = world.main.subject;
  return [
    {
      id: 'login', title: 'Log in', who: 'visitor', path: '/login',
      ready: (p) => p.getByRole('button', { name: 'Log in' }).waitFor(),
    },
    {
      id: 'signup', title: 'Sign up', who: 'visitor', path: '/signup',
      ready: (p) => p.getByRole('button', { name: 'Sign up' }).waitFor(),
    },
    {
      id: 'my-tickets', title: 'My tickets', who: 'customer', path: '/',
      ready: (p) => p.getByRole('link', { name: mainSubject }).waitFor(),
    },
    {
      id: 'new-ticket', title: 'New ticket', who: 'customer', path: '/tickets/new',
      ready: (p) => p.getByRole('button', { name: 'Create ticket' }).waitFor(),
    },
    {
      id: 'ticket-customer', title: 'Ticket (customer)', who: 'customer', path: `/tickets/${world.main.id}`, kind: 'ticket',
      ready: async (p) => {
        await p.locator('.chat__list').getByText('Got it.', { exact: false }).waitFor();
        await p.locator('.shot img').first().waitFor();
      },
    },
    {
      id: 'ticket-agent', title: 'Ticket (agent)', who: 'agent', path: `/tickets/${world.main.id}`, kind: 'ticket',
      ready: async (p) => {
        await p.locator('.chat__list').getByText('Got it.', { exact: false }).waitFor();
        await p.getByRole('combobox', { name: 'Status' }).waitFor();
        await p.locator('.other-ticket').first().waitFor();
      },
    },
    {
      id: 'dashboard', title: 'Dashboard', who: 'agent', path: '/', kind: 'dashboard',
      ready: async (p) => {
        await p.getByRole('link', { name: mainSubject }).waitFor();
        await p.locator('.tab__count').first().filter({ hasText: /\d/ }).waitFor();
      },
    },
  ];
}

/** Waits until every <img> of the page has loaded (thumbnails are lazy: scroll them in). */
export async function imagesLoaded(page) {
  await page.evaluate(async () => {
    const imgs = [...document.images];
    for (const img of imgs) img.loading = 'eager';
    await Promise.all(imgs.map((img) => (img.complete ? null
      : new Promise((r) => { img.addEventListener('load', r, { once: true }); img.addEventListener('error', r, { once: true }); }))));
  });
}
