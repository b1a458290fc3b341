// The nginx configuration of docs/deploy.md (deploy/nginx-helpline.conf, this very file with
// test ports) in front of two nodes on one PostgreSQL: pages, the API, uploads and the chat
// socket go through it; one node dies and the service carries on through the other.
//
// Runs in the PostgreSQL pass of scripts/test.sh, with Debian's nginx (scripts/setup.sh installs it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { startServer, createAgent, createTicket, api, signup, ON_POSTGRES, REPO, sleep } from './lib/harness.mjs';
import { connectWs, clientId, aboutTicket } from './lib/chat.mjs';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
const SKIP = !ON_POSTGRES ? 'two nodes need PostgreSQL: this runs in the PostgreSQL pass of scripts/test.sh (HELPLINE_TEST_PG_URL)'
  : !NGINX ? 'nginx is not installed (scripts/setup.sh installs nginx-light)' : false;

let A;
let B;
let nginx;
let dir;
let front; // {url, origin, port}: the balancer, as the servers' clients see it

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.once('error', reject);
  });
}

async function startNginx(ports) {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'helpline-nginx-'));
  const port = await freePort();
  // The documented site file, with this test's addresses.
  const site = fs.readFileSync(path.join(REPO, 'deploy', 'nginx-helpline.conf'), 'utf8')
    .replace('127.0.0.1:8081', `127.0.0.1:${ports[0]}`)
    .replace('127.0.0.1:8082', `127.0.0.1:${ports[1]}`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`);
  assert.ok(site.includes(`127.0.0.1:${ports[1]}`) && site.includes(`listen 127.0.0.1:${port}`), 'the site file has the documented addresses');
  fs.writeFileSync(path.join(dir, 'site.conf'), site);
  const root = process.getuid?.() === 0 ? 'user root;\n' : '';
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `${root}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`);
  const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
  assert.equal(check.status, 0, `nginx -t refused the configuration:\n${check.stderr}`);
  const proc = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c) => { err += c; });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url + '/healthz');
      if (r.status === 200) return { proc, front: { url, origin: url, port } };
    } catch { /* not up yet */ }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error(`nginx did not come up on ${url}: ${err}`);
}

before(async () => {
  if (SKIP) return;
  const env = { HELPLINE_TRUSTED_PROXIES: '127.0.0.1' };
  A = await startServer({ env });
  B = await startServer({ env: { ...env, HELPLINE_DB: A.db.url }, dataDirFlag: false, args: ['--data-dir', A.dataDir] });
  ({ proc: nginx, front } = await startNginx([A.port, B.port]));
});

after(async () => {
  if (nginx) {
    nginx.kill('SIGTERM');
    await new Promise((r) => { nginx.once('exit', r); setTimeout(r, 5000); });
  }
  await B?.stop();
  await A?.stop().catch(() => {});
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

test('through nginx: pages, sign-up with the cookie and Origin check, an upload, chat on sockets spread over both nodes', { skip: SKIP }, async () => {
  const page = await fetch(front.url + '/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') || '', /default-src 'self'/);

  // A browser-like client: the cookie and its own Origin (the balancer's), as a page would send.
  const customer = await signup(front.url, { name: 'Nina Customer' });
  const me = await api(front.url, 'PATCH', '/api/v1/tickets/999999', { cookie: customer.cookie, origin: front.origin, json: { status: 'closed' } });
  assert.equal(me.status, 404, JSON.stringify(me.json) + ' a cookie write with the balancer\'s Origin passes the Origin check (then 404: no such ticket)');
  const ticket = await createTicket(front.url, { token: customer.token }, { subject: 'Uploaded through nginx' });
  const att = ticket.attachments[0];
  for (const node of [A, B]) {
    const file = await api(node.url, 'GET', att.url, { token: customer.token });
    assert.equal(file.status, 200, `node ${node === A ? 'A' : 'B'} serves the screenshot`);
  }

  const agent = await createAgent(A, { name: 'Nginx Agent' });
  // Several sockets each, so that least_conn puts some on each node.
  const customerSockets = [];
  const agentSockets = [];
  for (let i = 0; i < 3; i++) {
    customerSockets.push(await connectWs(front, { token: customer.token }, { label: `customer ${i}` }));
    agentSockets.push(await connectWs(front, { token: agent.token }, { label: `agent ${i}` }));
  }
  try {
    for (const ws of [...customerSockets, ...agentSockets]) await ws.subscribe(ticket.id);
    const sent = await customerSockets[0].sendMessage(ticket.id, 'hello through the balancer', clientId('ngx'));
    assert.equal(sent.type, 'ack');
    const reply = await agentSockets[2].sendMessage(ticket.id, 'hello back', clientId('ngx'));
    assert.equal(reply.type, 'ack');
    for (const ws of [...customerSockets, ...agentSockets]) {
      for (const id of [sent.message_id, reply.message_id]) {
        await ws.next((f) => f.type === 'message' && f.message.id === id, { what: `message ${id} at ${ws.label}`, timeout: 10_000 });
      }
    }
  } finally {
    for (const ws of [...customerSockets, ...agentSockets]) await ws.close();
  }
});

test('through nginx: a node dies, requests and sockets carry on through the other', { skip: SKIP }, async () => {
  const customer = await signup(front.url, { name: 'Olga Customer' });
  const ticket = await createTicket(front.url, { token: customer.token });
  await A.kill9();
  for (let i = 0; i < 10; i++) {
    const r = await api(front.url, 'GET', '/api/v1/me', { token: customer.token });
    assert.equal(r.status, 200, `request ${i} after node A died: ${r.status}`);
  }
  const ws = await connectWs(front, { token: customer.token }, { label: 'after failover' });
  try {
    await ws.subscribe(ticket.id);
    const ack = await ws.sendMessage(ticket.id, 'still here', clientId('fail'));
    assert.equal(ack.type, 'ack');
    await ws.next((f) => f.type === 'message' && aboutTicket(f, ticket.id) && f.message.id === ack.message_id, { what: 'own message back' });
  } finally {
    await ws.close();
  }
});
