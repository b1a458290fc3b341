#pragma once
// SQL pieces shared by the PostgreSQL store's files: the ticket columns, the list
// filters, the keyset conditions, the search condition. Fixed fragments only: every
// value goes through Params and appears in the SQL as a "$n::type" placeholder.
#include <string>
#include <string_view>

#include "storage/model.hpp"
#include "storage/postgres/pg_db.hpp"

namespace helpline::pg {

// Advisory lock keys (transaction-scoped, per database): "Helpline" + a number.
inline constexpr std::int64_t kMigrationLock = 0x48656c706c696e00;
inline constexpr std::int64_t kTicketCreateLock = 0x48656c706c696e01;

inline constexpr const char* kTicketColumns =
    "t.id, t.subject, t.description, t.category, t.priority, t.status, t.customer_id, c.name, "
    "t.agent_id, a.name, t.created_at, t.updated_at, t.last_message_at, t.priority_rank ";

inline constexpr const char* kTicketJoins =
    "JOIN users c ON c.id = t.customer_id LEFT JOIN users a ON a.id = t.agent_id ";

inline const std::string kTicketSelect = std::string("SELECT ") + kTicketColumns + "FROM tickets t " + kTicketJoins;

inline Ticket ReadTicket(const Rows& r, int row) {
  Ticket t;
  t.id = r.Int(row, 0);
  t.subject = r.Text(row, 1);
  t.description = r.Text(row, 2);
  t.category = r.Text(row, 3);
  t.priority = r.Text(row, 4);
  t.status = r.Text(row, 5);
  t.customer = {r.Int(row, 6), r.Text(row, 7)};
  if (!r.IsNull(row, 8)) t.agent = PersonRef{r.Int(row, 8), r.Text(row, 9)};
  t.created_at = r.Int(row, 10);
  t.updated_at = r.Int(row, 11);
  t.last_message_at = r.OptInt(row, 12);
  return t;
}

// A message with its author's name and role: the columns ReadMessage reads first.
inline constexpr const char* kMessageSelect =
    "SELECT m.id, m.ticket_id, m.kind, m.author_id, u.name, u.role, m.body, m.client_id, m.created_at "
    "FROM messages m LEFT JOIN users u ON u.id = m.author_id ";

inline Message ReadMessage(const Rows& r, int row) {
  Message m;
  m.id = r.Int(row, 0);
  m.ticket_id = r.Int(row, 1);
  m.kind = r.Text(row, 2);
  if (!r.IsNull(row, 3)) m.author = Author{r.Int(row, 3), r.Text(row, 4), r.Text(row, 5)};
  m.body = r.Text(row, 6);
  m.client_id = r.OptText(row, 7);
  m.created_at = r.Int(row, 8);
  return m;
}

// The channel on which the store announces committed chat messages, from inside the
// committing transaction, so every listener hears them in commit order
// (pg_event_bus.cpp). The payload is their ids, comma-separated.
inline constexpr const char* kMessagesChannel = "helpline_messages";
void NotifyMessages(Connection& conn, const std::vector<std::int64_t>& ids);

// ORDER BY for each sort.
inline const char* OrderSql(TicketSort sort) {
  switch (sort) {
    case TicketSort::kCreatedDesc: return "t.id DESC";
    case TicketSort::kCreatedAsc: return "t.id ASC";
    case TicketSort::kPriorityAsc: return "t.priority_rank ASC, t.id ASC";
    case TicketSort::kPriorityDesc: return "t.priority_rank DESC, t.id DESC";
    case TicketSort::kUpdatedAsc: return "t.updated_at ASC, t.id ASC";
    case TicketSort::kUpdatedDesc: return "t.updated_at DESC, t.id DESC";
  }
  return "t.id DESC";
}

// The keyset condition: (key, id) strictly after the cursor, in the sort's direction.
inline std::string AfterSql(TicketSort sort, const TicketCursor& c, Params& p) {
  switch (sort) {
    case TicketSort::kCreatedDesc: return "t.id < " + p.Int(c.id);
    case TicketSort::kCreatedAsc: return "t.id > " + p.Int(c.id);
    case TicketSort::kPriorityAsc: return "(t.priority_rank, t.id) > (" + p.Int(c.key) + ", " + p.Int(c.id) + ")";
    case TicketSort::kPriorityDesc: return "(t.priority_rank, t.id) < (" + p.Int(c.key) + ", " + p.Int(c.id) + ")";
    case TicketSort::kUpdatedAsc: return "(t.updated_at, t.id) > (" + p.Int(c.key) + ", " + p.Int(c.id) + ")";
    case TicketSort::kUpdatedDesc: return "(t.updated_at, t.id) < (" + p.Int(c.key) + ", " + p.Int(c.id) + ")";
  }
  return "t.id < " + p.Int(c.id);
}

// The filters of a list or search, as " AND ..." fragments.
inline std::string FilterSql(const TicketQuery& q, Params& p) {
  std::string sql;
  if (!q.viewer_is_agent) sql += " AND t.customer_id = " + p.Int(q.viewer_id);
  if (!q.statuses.empty()) sql += " AND t.status = ANY(" + p.Texts(q.statuses) + ")";
  if (q.assignee == "me") sql += " AND t.agent_id = " + p.Int(q.viewer_id);
  if (q.assignee == "none") sql += " AND t.agent_id IS NULL";
  if (!q.category.empty()) sql += " AND t.category = " + p.Text(q.category);
  if (q.customer_id) sql += " AND t.customer_id = " + p.Int(*q.customer_id);
  return sql;
}


}  // namespace helpline::pg
