-- The agents' main queue is "unassigned (or mine), one status, by priority or by last
-- update". At a million tickets, sorting every match (80,000 open unassigned tickets
-- with their descriptions) took seconds; these indexes hand those rows over in order.
CREATE INDEX tickets_agent_status_priority ON tickets(agent_id, status, priority_rank, id);
CREATE INDEX tickets_agent_status_updated ON tickets(agent_id, status, updated_at, id);

-- Fixed planner statistics for the ticket indexes, as ANALYZE measured them on a
-- desk of a million tickets (bench/RESULTS.md). Without statistics SQLite cannot
-- tell tickets_agent_status from the two indexes above for an id-ordered list and
-- may pick one that needs a sort; with them every dashboard shape gets a plan that
-- reads its page in index order, from the first ticket on. The SQLite manual
-- documents hand-written sqlite_stat1 rows for exactly this. A later ANALYZE by an
-- operator replaces them with measured ones.
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl = 'tickets';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
  ('tickets', 'tickets_customer', '1000000 50 1'),
  ('tickets', 'tickets_priority', '1000000 250000 1'),
  ('tickets', 'tickets_updated', '1000000 1 1'),
  ('tickets', 'tickets_status', '1000000 250000 1'),
  ('tickets', 'tickets_agent', '1000000 47620 1'),
  ('tickets', 'tickets_agent_status', '1000000 47620 16394 1'),
  ('tickets', 'tickets_agent_status_priority', '1000000 47620 16394 4099 1'),
  ('tickets', 'tickets_agent_status_updated', '1000000 47620 16394 1 1');
