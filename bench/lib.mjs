// Shared bits of the benchmarks: start the real binary on loopback, make users, percentiles.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
export const bin = process.env.HELPLINE_BIN || join(repo, 'build/dev/helpline');

// A fresh PostgreSQL database on the cluster of `adminUrl` (psql); returns {url, drop()}.
export function createPgDatabase(adminUrl) {
  const name = `helpline_bench_${process.pid}_${Date.now()}`;
  execFileSync('psql', ['-X', '-q', '-d', adminUrl, '-c', `CREATE DATABASE ${name}`]);
  const u = new URL(adminUrl);
  u.pathname = '/' + name;
  return {
    url: u.toString(),
    drop() { execFileSync('psql', ['-X', '-q', '-d', adminUrl, '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]); },
  };
}

// Starts `helpline serve` on a new temp data folder, or on `shared.dataDir` (a second node
// of the same installation: then the folder is not removed by stop()).
export async function startServer(args = [], env = {}, shared = null) {
  const dataDir = shared?.dataDir || mkdtempSync(join(tmpdir(), 'helpline-bench-'));
  env = { ...process.env, HELPLINE_SIGNUP_LIMIT: '1000000', ...env };
  const child = spawn(bin, ['serve', '--port', '0', '--data-dir', dataDir, ...args], {
    env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error('server did not start: ' + out)), 20000);
  });
  return {
    url, dataDir, env, pid: child.pid,
    rssKiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(status.match(/VmRSS:\s+(\d+)/)[1]);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      if (!shared) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function addAgent(server, email, password = 'benchmark-password') {
  execFileSync(bin, ['user', 'add', '--role', 'agent', '--email', email, '--name', 'Agent ' + email.split('@')[0],
    '--data-dir', server.dataDir], { input: password + '\n', env: server.env });
  return login(server.url, email, password);
}

export async function signup(url, email, password = 'benchmark-password') {
  const r = await fetch(url + '/api/v1/auth/signup', {
    method: 'POST', body: JSON.stringify({ email, password, name: email.split('@')[0] }),
  });
  if (r.status !== 201) throw new Error('signup ' + r.status + ' ' + await r.text());
  return (await r.json()).token;
}

export async function login(url, email, password = 'benchmark-password') {
  const r = await fetch(url + '/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ email, password }) });
  if (r.status !== 200) throw new Error('login ' + r.status);
  return (await r.json()).token;
}

export async function createTicket(url, token, subject = 'Benchmark ticket') {
  const fd = new FormData();
  fd.append('subject', subject);
  fd.append('description', 'Created by the benchmark.');
  fd.append('category', 'general');
  const r = await fetch(url + '/api/v1/tickets', { method: 'POST', body: fd, headers: { Authorization: 'Bearer ' + token } });
  if (r.status !== 201) throw new Error('ticket ' + r.status + ' ' + await r.text());
  return (await r.json()).ticket;
}

export function percentiles(values) {
  if (values.length === 0) return { n: 0, p50: NaN, p99: NaN, max: NaN };
  const s = Float64Array.from(values).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1] };
}

export const fmt = (ms) => (Number.isFinite(ms) ? ms.toFixed(2) + ' ms' : '-');

export async function metrics(url) {
  const text = await (await fetch(url + '/metrics')).text();
  const out = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^(helpline_[a-z_]+)(\{[^}]*\})? ([\d.e+-]+)$/);
    if (m) out[m[1] + (m[2] || '')] = Number(m[3]);
  }
  return out;
}

// Starts the server on an existing data folder (kept afterwards) with a fresh agent to query as.
// With HELPLINE_DB in `env` (postgresql://...), on that database instead of DATA_DIR/helpline.db.
export async function startServerOn(dataDir, env = {}) {
  env = { ...process.env, ...env };
  const child = spawn(bin, ['serve', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => { out += d; const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/); if (m) resolve(m[1]); };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  const email = `bench-${Date.now()}@example.com`;
  return {
    url,
    async agentToken() {
      execFileSync(bin, ['user', 'add', '--role', 'agent', '--email', email, '--name', 'Bench', '--data-dir', dataDir],
        { input: 'benchmark-password\n', env });
      return login(url, email);
    },
    async stop() { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); },
  };
}
