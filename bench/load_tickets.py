#!/usr/bin/env python3
"""Bulk-load a Helpline database (SQLite, or PostgreSQL with --pg) with N tickets for the dashboard benchmark.

The ticket texts come from ../shared/data/tickets/cfpb_complaints_tickets.csv (real
complaint narratives), reused round-robin with a number in the subject. Rows go in
through the schema's own triggers (full-text index, status counts), so the database
is what the server would have built. Each ticket gets MESSAGES chat messages.

  python3 bench/load_tickets.py DATA_DIR [--tickets 1000000] [--messages 2]
  python3 bench/load_tickets.py --pg postgresql://... [--tickets 1000000] [--messages 2]

Run `helpline migrate --data-dir DATA_DIR` (or `helpline migrate --db postgresql://...`) first.
PostgreSQL rows go in with COPY through psql (its triggers and generated search columns run).
"""
import argparse
import csv
import os
import random
import sqlite3
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("data_dir", nargs="?")
parser.add_argument("--pg", help="a postgresql:// URL: load that database instead of DATA_DIR/helpline.db")
parser.add_argument("--tickets", type=int, default=1_000_000)
parser.add_argument("--messages", type=int, default=2)
parser.add_argument("--csv", default=os.path.join(os.path.dirname(__file__), "../../shared/data/tickets/cfpb_complaints_tickets.csv"))
args = parser.parse_args()

if not args.pg and not args.data_dir:
    sys.exit("usage: load_tickets.py DATA_DIR | --pg URL [--tickets N] [--messages M]")
if not os.path.exists(args.csv):
    sys.exit(f"{args.csv} is absent: the benchmark needs ../shared/data")
texts = list(csv.DictReader(open(args.csv, newline="", encoding="utf-8")))
CATEGORIES = ["general", "billing", "technical", "account", "feature"]
PRIORITIES = ["low", "normal", "high", "urgent"]
RANK = {p: i for i, p in enumerate(PRIORITIES)}
# A help desk with a long history: most tickets closed, a working queue open.
STATUSES = ["open"] * 8 + ["in_progress"] * 7 + ["resolved"] * 15 + ["closed"] * 70


SPAN_MS = 3 * 365 * 24 * 3600 * 1000  # three years of tickets


def ticket_row(i, agents, customers):
    """Ticket number i (its fields, by name) and its messages' (author, body, created_at)."""
    row = texts[i % len(texts)]
    created = now - SPAN_MS + (SPAN_MS * i) // args.tickets
    status = rng.choice(STATUSES)
    agent = None if status == "open" else rng.choice(agents)
    priority = rng.choice(PRIORITIES)
    updated = created + rng.randint(0, 7 * 24 * 3600 * 1000)
    customer = rng.choice(customers)
    t = dict(customer_id=customer, agent_id=agent, subject=f"{row['subject']} #{i}",
             description=row["description"][:10000], category=rng.choice(CATEGORIES), priority=priority,
             priority_rank=RANK[priority], status=status, created_at=created, updated_at=updated,
             last_message_at=updated if args.messages else None)
    messages = [(agent if (m % 2 and agent) else customer,
                 f"Message {m} about ticket {i}: please check the statement.", created + m * 60000)
                for m in range(args.messages)]
    return t, messages

TICKET_COLUMNS = ["customer_id", "agent_id", "subject", "description", "category", "priority", "priority_rank",
                  "status", "created_at", "updated_at", "last_message_at"]


def load_pg():
    """The same data as the SQLite path, streamed into PostgreSQL with COPY (ids given explicitly)."""
    import io
    import subprocess

    def psql(sql, stdin=None):
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", args.pg, "-c", sql],
                           input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"psql failed: {r.stderr}")
        return r.stdout

    def copy(table, columns, rows):
        buf = io.StringIO()
        w = csv.writer(buf)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
        psql(f"\\copy {table}({','.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '')", buf.getvalue())

    out = subprocess.run(["psql", "-X", "-A", "-t", "-d", args.pg, "-c",
                          "SELECT coalesce(max(id),0) FROM users; SELECT coalesce(max(id),0) FROM tickets; "
                          "SELECT coalesce(max(id),0) FROM messages"], capture_output=True, text=True, check=True)
    uid, tid0, mid0 = (int(x) for x in out.stdout.split())
    users = []
    agents = list(range(uid + 1, uid + 21))
    customers = list(range(uid + 21, uid + 20021))
    for i, a in enumerate(agents):
        users.append((a, f"bulk-agent-{i}@example.com", f"Agent {i}", "agent", hash_, now))
    for i, c in enumerate(customers):
        users.append((c, f"bulk-customer-{i}@example.com", f"Customer {i}", "customer", hash_, now))
    copy("users", ["id", "email", "name", "role", "password_hash", "created_at"], users)
    # Secondary indexes are dropped for the load and built once at the end: a bulk GIN or
    # B-tree build is many times faster than a million single inserts into each.
    out = subprocess.run(["psql", "-X", "-A", "-t", "-d", args.pg, "-c",
                          "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('tickets', 'messages') "
                          "AND indexdef NOT LIKE 'CREATE UNIQUE%'"], capture_output=True, text=True, check=True)
    indexes = [line.split("|", 1) for line in out.stdout.splitlines() if line.strip()]
    if indexes:
        psql("DROP INDEX " + ", ".join(name for name, _ in indexes))
    start = time.time()
    BATCH = 50000
    mid = mid0
    for base in range(0, args.tickets, BATCH):
        trows, mrows = [], []
        for i in range(base, min(base + BATCH, args.tickets)):
            tid = tid0 + 1 + i
            t, messages = ticket_row(i, agents, customers)
            for author, body, at in messages:
                mid += 1
                mrows.append((mid, tid, "text", author, author, body, None, at))
            trows.append((tid, *(t[c] for c in TICKET_COLUMNS), mid if messages else 0))
        copy("tickets", ["id", *TICKET_COLUMNS, "last_message_id"], trows)
        copy("messages", ["id", "ticket_id", "kind", "author_id", "sender_id", "body", "client_id", "created_at"], mrows)
        done = min(base + BATCH, args.tickets)
        if done % 100000 == 0 or done == args.tickets:
            print(f"  {done} tickets ({done / (time.time() - start):.0f}/s)", flush=True)
    # The identity columns go on after the ids given here.
    psql("SELECT setval(pg_get_serial_sequence('users','id'), (SELECT max(id) FROM users)); "
         "SELECT setval(pg_get_serial_sequence('tickets','id'), (SELECT max(id) FROM tickets)); "
         "SELECT setval(pg_get_serial_sequence('messages','id'), (SELECT max(id) FROM messages)); ")
    print(f"  rows in ({time.time() - start:.0f} s); building {len(indexes)} indexes", flush=True)
    for _, definition in indexes:
        psql("SET maintenance_work_mem = '1GB'; " + definition)
    psql("VACUUM ANALYZE")
    print(f"loaded {args.tickets} tickets in {time.time() - start:.0f} s")
    sys.exit(0)

rng = random.Random(42)
now = int(time.time() * 1000)
hash_ = "$argon2id$v=19$m=65536,t=2,p=1$bm9sb2dpbg$bm9sb2dpbg"  # nobody logs in as these users
if args.pg:
    load_pg()  # exits
db = sqlite3.connect(os.path.join(args.data_dir, "helpline.db"))
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=OFF")  # a bulk load: durability comes from the final checkpoint

cur = db.cursor()
cur.execute("BEGIN")
agents = []
for i in range(20):
    cur.execute("INSERT INTO users(email,name,role,password_hash,created_at) VALUES (?,?,?,?,?)",
                (f"bulk-agent-{i}@example.com", f"Agent {i}", "agent", hash_, now))
    agents.append(cur.lastrowid)
customers = []
for i in range(20000):
    cur.execute("INSERT INTO users(email,name,role,password_hash,created_at) VALUES (?,?,?,?,?)",
                (f"bulk-customer-{i}@example.com", f"Customer {i}", "customer", hash_, now))
    customers.append(cur.lastrowid)
db.commit()

start = time.time()
BATCH = 5000
for base in range(0, args.tickets, BATCH):
    cur.execute("BEGIN")
    for i in range(base, min(base + BATCH, args.tickets)):
        t, messages = ticket_row(i, agents, customers)
        cur.execute(f"INSERT INTO tickets({', '.join(TICKET_COLUMNS)}) VALUES ({','.join('?' * len(TICKET_COLUMNS))})",
                    tuple(t[c] for c in TICKET_COLUMNS))
        tid = cur.lastrowid
        for author, body, at in messages:
            cur.execute(
                "INSERT INTO messages(ticket_id, kind, author_id, sender_id, body, client_id, created_at) "
                "VALUES (?,?,?,?,?,?,?)", (tid, "text", author, author, body, None, at))
    db.commit()
    done = min(base + BATCH, args.tickets)
    if done % 100000 == 0 or done == args.tickets:
        rate = done / (time.time() - start)
        print(f"  {done} tickets ({rate:.0f}/s)", flush=True)
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.execute("ANALYZE")
db.commit()
print(f"loaded {args.tickets} tickets in {time.time() - start:.0f} s")
