-- Tickets per status, kept by triggers, so the dashboard's tab counts cost one
-- small read instead of a count over every ticket.
CREATE TABLE ticket_counts (
  status TEXT PRIMARY KEY,
  n      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO ticket_counts(status, n)
  SELECT s.column1, (SELECT count(*) FROM tickets t WHERE t.status = s.column1)
  FROM (VALUES ('open'), ('in_progress'), ('resolved'), ('closed')) AS s;

CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets BEGIN
  UPDATE ticket_counts SET n = n + 1 WHERE status = new.status;
END;
CREATE TRIGGER tickets_count_update AFTER UPDATE OF status ON tickets WHEN old.status <> new.status BEGIN
  UPDATE ticket_counts SET n = n - 1 WHERE status = old.status;
  UPDATE ticket_counts SET n = n + 1 WHERE status = new.status;
END;
CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets BEGIN
  UPDATE ticket_counts SET n = n - 1 WHERE status = old.status;
END;

-- An agent's own counts and "mine" lists.
CREATE INDEX tickets_agent_status ON tickets(agent_id, status, id);
