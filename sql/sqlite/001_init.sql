-- Helpline schema, SQLite dialect. Append-only: never edit a released migration,
-- add the next numbered file instead. Times are milliseconds since the epoch (UTC).

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,          -- stored lower-cased
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('customer', 'agent')),
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,                -- hex SHA-256 of the token; the token itself is never stored
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE tickets (
  id              INTEGER PRIMARY KEY,         -- grows with time: id order is created_at order
  customer_id     INTEGER NOT NULL REFERENCES users(id),
  agent_id        INTEGER REFERENCES users(id),
  subject         TEXT NOT NULL,
  description     TEXT NOT NULL,
  category        TEXT NOT NULL,
  priority        TEXT NOT NULL,
  priority_rank   INTEGER NOT NULL,            -- low 0, normal 1, high 2, urgent 3: sortable
  status          TEXT NOT NULL DEFAULT 'open',
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  last_message_at INTEGER,
  last_message_id INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tickets_customer ON tickets(customer_id, id);
CREATE INDEX tickets_priority ON tickets(priority_rank, id);
CREATE INDEX tickets_updated ON tickets(updated_at, id);
CREATE INDEX tickets_status ON tickets(status, id);
CREATE INDEX tickets_agent ON tickets(agent_id, id);

CREATE TABLE attachments (
  id                 INTEGER PRIMARY KEY,
  ticket_id          INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  filename           TEXT NOT NULL,
  content_type       TEXT NOT NULL,
  size               INTEGER NOT NULL,
  width              INTEGER NOT NULL,
  height             INTEGER NOT NULL,
  stored_name        TEXT NOT NULL UNIQUE,
  thumb_name         TEXT NOT NULL UNIQUE,
  thumb_content_type TEXT NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket_id, id);

-- Chat. sender_id is who caused the message (its author, or the actor of a
-- system message): unread counts skip a user's own messages.
CREATE TABLE messages (
  id         INTEGER PRIMARY KEY,
  ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  kind       TEXT NOT NULL CHECK (kind IN ('text', 'system')),
  author_id  INTEGER REFERENCES users(id),     -- NULL for system messages
  sender_id  INTEGER REFERENCES users(id),
  body       TEXT NOT NULL,
  client_id  TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);
-- Idempotent sends: the same client_id from the same author on the same ticket is one message.
CREATE UNIQUE INDEX messages_client ON messages(ticket_id, author_id, client_id) WHERE client_id IS NOT NULL;

-- One read mark per user and ticket: unread counts derive from it.
CREATE TABLE read_marks (
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  ticket_id    INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  last_read_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, ticket_id)
) WITHOUT ROWID;

-- Full-text search over subjects, descriptions and messages; ticket_id finds the ticket.
CREATE VIRTUAL TABLE search_fts USING fts5(body, ticket_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER tickets_search AFTER INSERT ON tickets BEGIN
  INSERT INTO search_fts(body, ticket_id) VALUES (new.subject || char(10) || new.description, new.id);
END;
CREATE TRIGGER messages_search AFTER INSERT ON messages WHEN new.kind = 'text' BEGIN
  INSERT INTO search_fts(body, ticket_id) VALUES (new.body, new.ticket_id);
END;
