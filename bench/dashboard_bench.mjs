// Dashboard query benchmark (not a test): the agents' ticket list at scale.
// For every sort and filter shape, and for text searches: the first page and a
// deep keyset page (after walking 40 pages), each requested REPS times over HTTP
// against the real server; p50 and p99 in milliseconds.
//
//   node bench/dashboard_bench.mjs DATA_DIR              (a data folder filled by bench/load_tickets.py)
//   node bench/dashboard_bench.mjs DATA_DIR --db postgresql://...   (a database filled by load_tickets.py --pg)
//   ... --only TEXT    only the shapes whose query contains TEXT (e.g. --only q= for the searches)
import { startServerOn, percentiles, fmt } from './lib.mjs';

const dataDir = process.argv[2];
if (!dataDir) { console.error('usage: node bench/dashboard_bench.mjs DATA_DIR [--db postgresql://...]'); process.exit(2); }
const dbAt = process.argv.indexOf('--db');
const env = dbAt > 0 ? { HELPLINE_DB: process.argv[dbAt + 1] } : {};
const REPS = 20, DEEP = 40;
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : '';

const server = await startServerOn(dataDir, env);
const token = await server.agentToken();
const get = async (path) => {
  const t0 = performance.now();
  const r = await fetch(server.url + path, { headers: { Authorization: 'Bearer ' + token } });
  const body = await r.json();
  if (r.status !== 200) throw new Error(path + ' -> ' + r.status + ' ' + JSON.stringify(body));
  return { ms: performance.now() - t0, body };
};

const sorts = ['-created_at', 'created_at', '-priority', 'priority', '-updated_at', 'updated_at'];
const filters = ['', 'status=open', 'status=in_progress,resolved', 'assignee=me', 'assignee=none&status=open',
  'category=billing', 'status=open&category=billing', 'status=closed&category=feature'];
const searches = ['q=credit', 'q=foreclosure', 'q=statement', 'q=identity%20theft', 'q=zzzznotaword'];

const rows = [];
async function measure(query) {
  if (only && !query.includes(only)) return;
  const first = [];
  for (let i = 0; i < REPS; i++) first.push((await get('/api/v1/tickets?limit=25&' + query)).ms);
  let cursor = null, pages = 0;
  let res = await get('/api/v1/tickets?limit=25&' + query);
  while (res.body.next_cursor && pages < DEEP) {
    cursor = res.body.next_cursor;
    res = await get('/api/v1/tickets?limit=25&' + query + '&cursor=' + encodeURIComponent(cursor));
    pages++;
  }
  const deep = [];
  if (cursor) for (let i = 0; i < REPS; i++) deep.push((await get('/api/v1/tickets?limit=25&' + query + '&cursor=' + encodeURIComponent(cursor))).ms);
  const f = percentiles(first), d = percentiles(deep);
  rows.push({ query, f, d, pages });
  console.log(`${query.padEnd(58)} first p50 ${fmt(f.p50).padStart(10)} p99 ${fmt(f.p99).padStart(10)} | page ${String(pages + 1).padStart(2)} p50 ${fmt(d.p50).padStart(10)} p99 ${fmt(d.p99).padStart(10)}`);
}

try {
  const counts = [];
  for (let i = 0; i < REPS; i++) counts.push((await get('/api/v1/tickets/counts')).ms);
  const c = percentiles(counts);
  console.log(`${'counts'.padEnd(58)} p50 ${fmt(c.p50)} p99 ${fmt(c.p99)}`);
  for (const f of filters) for (const s of sorts) await measure([f, 'sort=' + s].filter(Boolean).join('&'));
  for (const q of searches) for (const s of ['-created_at', '-priority', '-updated_at']) await measure(q + '&sort=' + s);
  for (const q of searches.slice(0, 2)) await measure(q + '&status=open&sort=-created_at');
  const worst = rows.reduce((a, r) => Math.max(a, r.f.p99, Number.isFinite(r.d.p99) ? r.d.p99 : 0), 0);
  console.log(`worst p99 over ${rows.length} shapes: ${fmt(worst)}`);
} finally {
  await server.stop({ keep: true });
}
