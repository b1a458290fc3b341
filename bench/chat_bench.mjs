// Chat benchmark (not a test): R rooms, each with a customer on its own
// WebSocket and one of A agents (each agent one WebSocket in R/A rooms, as an
// agent works a queue); M messages per second open-loop (sends are scheduled by the clock,
// not sent after the previous one arrived, so a slow server cannot hide its
// queueing); latency from the scheduled send to the ack (sender) and to the
// other side's receipt. Then N idle connections and the server's memory per connection.
//
//   node bench/chat_bench.mjs [--rooms 200] [--agents 40] [--rate 2000] [--seconds 10] [--idle 10000]
//                             [--pg postgresql://ADMIN_URL [--nodes 2]]
// --pg: on a fresh PostgreSQL database of that cluster (dropped afterwards) instead of SQLite;
// --nodes 2: two nodes on it sharing one data folder, customers on the first, agents on the second.
import WebSocket from 'ws';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer, addAgent, signup, createTicket, percentiles, fmt, metrics, createPgDatabase } from './lib.mjs';

const argText = (name, dflt) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const arg = (name, dflt) => Number(argText(name, dflt));
const ROOMS = arg('rooms', 200), AGENTS = arg('agents', 40), RATE = arg('rate', 2000), SECONDS = arg('seconds', 10), IDLE = arg('idle', 10000);
const PG = argText('pg', ''), NODES = arg('nodes', 1);
if (NODES > 1 && !PG) { console.error('--nodes 2 needs --pg'); process.exit(2); }

function connect(url, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws') + '/api/v1/ws', { headers: { Authorization: 'Bearer ' + token }, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function chat(server, agentServer) {
  const agentTokens = [];
  for (let a = 0; a < AGENTS; a++) agentTokens.push(await addAgent(agentServer, `bench-agent-${a}@example.com`));
  const rooms = [];
  for (let i = 0; i < ROOMS; i += 20) {  // sign-ups hash passwords: 20 at a time
    const batch = await Promise.all(Array.from({ length: Math.min(20, ROOMS - i) }, async (_, j) => {
      const token = await signup(server.url, `bench-customer-${i + j}@example.com`);
      const ticket = await createTicket(server.url, token);
      return { token, ticket };
    }));
    rooms.push(...batch);
  }
  const sent = new Map();   // client_id -> {t0, room, side}
  const ackLat = [], delivLat = [];
  const delivered = new Map();  // client_id -> times received by the other side
  let acks = 0, errors = 0;
  const roomOfTicket = new Map(rooms.map((room, r) => [room.ticket.id, r]));

  const listen = (ws, side) => ws.on('message', (data) => {
    const f = JSON.parse(data);
    const now = performance.now();
    if (f.type === 'ack') {
      const s = sent.get(f.client_id);
      if (s) { ackLat.push(now - s.t0); acks++; }
    } else if (f.type === 'message' && f.message.kind === 'text') {
      const s = sent.get(f.message.client_id);
      if (s && s.side !== side && s.room === roomOfTicket.get(f.message.ticket_id)) {
        const n = (delivered.get(f.message.client_id) || 0) + 1;
        delivered.set(f.message.client_id, n);
        if (n === 1) delivLat.push(now - s.t0);
      }
    } else if (f.type === 'error') {
      errors++;
    }
  });

  const senders = [];  // one per room and side: {ws, room, side, ticket}
  const agentSockets = [];
  for (let a = 0; a < AGENTS; a++) {
    const ws = await connect(agentServer.url, agentTokens[a]);
    listen(ws, 'agent');
    agentSockets.push(ws);
  }
  for (const [r, room] of rooms.entries()) {
    const ws = await connect(server.url, room.token);
    listen(ws, 'customer');
    ws.send(JSON.stringify({ type: 'subscribe', ticket_id: room.ticket.id }));
    const agentWs = agentSockets[r % AGENTS];
    agentWs.send(JSON.stringify({ type: 'subscribe', ticket_id: room.ticket.id }));
    senders.push({ ws, room: r, side: 'customer', ticket: room.ticket.id });
    senders.push({ ws: agentWs, room: r, side: 'agent', ticket: room.ticket.id });
  }
  const sockets = senders;
  await new Promise((r) => setTimeout(r, 1000));

  // Open loop: at each tick send however many messages the clock says are due.
  // The load generator's own event-loop delay is part of every latency it measures: it is
  // reported beside them, so a slow client is not mistaken for a slow server.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const total = RATE * SECONDS;
  const start = performance.now();
  let n = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE));
      while (n < due) {
        const s = sockets[(n * 7919) % sockets.length];  // spread over rooms and sides
        const clientId = 'b' + n;
        const t0 = start + (n / RATE) * 1000;  // the scheduled time, not the actual one
        sent.set(clientId, { t0, room: s.room, side: s.side });
        s.ws.send(JSON.stringify({ type: 'message', ticket_id: s.ticket, body: 'benchmark message ' + n, client_id: clientId }));
        n++;
      }
      if (n < total) setTimeout(tick, 1); else resolve();
    };
    tick();
  });
  const sendSeconds = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 3000));  // let the tail arrive
  loopDelay.disable();
  const clientLoop = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  let lost = 0, doubled = 0;
  for (const id of sent.keys()) {
    const c = delivered.get(id) || 0;
    if (c === 0) lost++;
    if (c > 1) doubled++;
  }
  for (const s of sockets) s.ws.close();
  let batches = 0, batchUs = 0;
  for (const node of new Set([server, agentServer])) {
    const m = await metrics(node.url);
    batches += m.helpline_message_batches_total;
    batchUs += m.helpline_message_batch_microseconds_total;
  }
  console.log(`  server: ${batches} group commits, ${(total / batches).toFixed(1)} messages and ${(batchUs / batches / 1000).toFixed(2)} ms each on average`);
  return { total, sendSeconds, acks, errors, lost, doubled, ack: percentiles(ackLat), delivery: percentiles(delivLat), clientLoop };
}

async function idle(server) {
  const token = await signup(server.url, 'bench-idle@example.com');
  const before = server.rssKiB();
  const sockets = [];
  for (let i = 0; i < IDLE; i += 500) {
    sockets.push(...await Promise.all(Array.from({ length: Math.min(500, IDLE - i) }, () => connect(server.url, token))));
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = server.rssKiB();
  for (const ws of sockets) ws.terminate();
  return { connections: sockets.length, beforeMiB: before / 1024, afterMiB: after / 1024, perConnKiB: (after - before) / sockets.length };
}

const db = PG ? createPgDatabase(PG) : null;
const env = db ? { HELPLINE_DB: db.url } : {};
const server = await startServer(['--min-screenshots', '0'], env);
const second = NODES > 1 ? await startServer(['--min-screenshots', '0'], env, { dataDir: server.dataDir }) : null;
try {
  const c = await chat(server, second || server);
  const where = `${db ? 'PostgreSQL' : 'SQLite'}, ${NODES} node${NODES > 1 ? 's (customers on one, agents on the other)' : ''}`;
  console.log(`chat (${where}): ${ROOMS} rooms (${AGENTS} agents), ${RATE} msg/s open-loop for ${SECONDS} s (${c.total} messages, sent in ${c.sendSeconds.toFixed(1)} s)`);
  console.log(`  send -> ack      p50 ${fmt(c.ack.p50)}  p99 ${fmt(c.ack.p99)}  max ${fmt(c.ack.max)}  (${c.acks} acks)`);
  console.log(`  send -> delivery p50 ${fmt(c.delivery.p50)}  p99 ${fmt(c.delivery.p99)}  max ${fmt(c.delivery.max)}`);
  console.log(`  lost ${c.lost}  doubled ${c.doubled}  error frames ${c.errors}`);
  console.log(`  load generator's event-loop delay p50 ${fmt(c.clientLoop.p50)}  p99 ${fmt(c.clientLoop.p99)}  max ${fmt(c.clientLoop.max)}`);
  if (IDLE > 0) {
    const i = await idle(server);
    console.log(`idle: ${i.connections} WebSocket connections; server RSS ${i.beforeMiB.toFixed(1)} MiB -> ${i.afterMiB.toFixed(1)} MiB (${i.perConnKiB.toFixed(1)} KiB per connection)`);
  }
} finally {
  if (second) await second.stop();
  await server.stop();
  if (db) db.drop();
}
