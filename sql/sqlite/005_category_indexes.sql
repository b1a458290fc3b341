-- "Open billing tickets, most urgent first" (a category queue): with only the status or
-- priority indexes, a deep page scanned some 60,000 tickets at a million (bench/RESULTS.md).
-- These hand one category's tickets of one status over in sort order.
CREATE INDEX tickets_category_status_priority ON tickets(category, status, priority_rank, id);
CREATE INDEX tickets_category_status_updated ON tickets(category, status, updated_at, id);

-- Planner statistics in the same spirit as 004 (five categories, four statuses).
DELETE FROM sqlite_stat1 WHERE tbl = 'tickets' AND idx IN ('tickets_category_status_priority', 'tickets_category_status_updated');
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
  ('tickets', 'tickets_category_status_priority', '1000000 200000 50000 12500 1'),
  ('tickets', 'tickets_category_status_updated', '1000000 200000 50000 1 1');
