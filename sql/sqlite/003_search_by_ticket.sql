-- Full-text search, take two. Every document's rowid is (ticket_id << 24) | n:
-- n = 0 for the ticket's subject and description, 1, 2, ... for its text
-- messages. Documents of one ticket sit together and rowid order is ticket
-- order, so a search sorted by date streams matches newest ticket first and
-- stops after one page instead of collecting every match. Contentless: the
-- text already lives in tickets and messages. (A ticket holds at most 2^24-1
-- searchable messages.)
ALTER TABLE tickets ADD COLUMN search_seq INTEGER NOT NULL DEFAULT 0;

CREATE VIRTUAL TABLE search_index USING fts5(body, content = '', tokenize = 'unicode61 remove_diacritics 2');

INSERT INTO search_index(rowid, body)
  SELECT id << 24, subject || char(10) || description FROM tickets;
INSERT INTO search_index(rowid, body)
  SELECT (ticket_id << 24) | row_number() OVER (PARTITION BY ticket_id ORDER BY id), body
  FROM messages WHERE kind = 'text';
UPDATE tickets SET search_seq = (SELECT count(*) FROM messages m WHERE m.ticket_id = tickets.id AND m.kind = 'text');

DROP TRIGGER tickets_search;
DROP TRIGGER messages_search;
DROP TABLE search_fts;

CREATE TRIGGER tickets_search AFTER INSERT ON tickets BEGIN
  INSERT INTO search_index(rowid, body) VALUES (new.id << 24, new.subject || char(10) || new.description);
END;
CREATE TRIGGER messages_search AFTER INSERT ON messages WHEN new.kind = 'text' BEGIN
  UPDATE tickets SET search_seq = search_seq + 1 WHERE id = new.ticket_id;
  INSERT INTO search_index(rowid, body)
    SELECT (new.ticket_id << 24) | search_seq, new.body FROM tickets WHERE id = new.ticket_id;
END;
