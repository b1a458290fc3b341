#pragma once
// SQL pieces shared by the ticket list and the ticket search (SQLite dialect).
// Fixed fragments only: every user value is a bound parameter.
//   ?1 viewer id, ?2 statuses (JSON array), ?3 category, ?4 search query,
//   ?5 cursor key, ?6 cursor id, ?7 limit, ?8 customer id
#include <boost/json.hpp>
#include <string>

#include "storage/model.hpp"
#include "storage/sqlite/sqlite_db.hpp"

namespace helpline::sqlite {

inline constexpr const char* kTicketColumns =
    "t.id, t.subject, t.description, t.category, t.priority, t.status, t.customer_id, c.name, "
    "t.agent_id, a.name, t.created_at, t.updated_at, t.last_message_at, t.priority_rank ";

inline constexpr const char* kTicketJoins =
    "JOIN users c ON c.id = t.customer_id LEFT JOIN users a ON a.id = t.agent_id ";

inline const std::string kTicketSelect = std::string("SELECT ") + kTicketColumns + "FROM tickets t " + kTicketJoins;

inline Ticket ReadTicket(const Stmt& s) {
  Ticket t;
  t.id = s.Int(0);
  t.subject = s.Text(1);
  t.description = s.Text(2);
  t.category = s.Text(3);
  t.priority = s.Text(4);
  t.status = s.Text(5);
  t.customer = {s.Int(6), s.Text(7)};
  if (!s.IsNull(8)) t.agent = PersonRef{s.Int(8), s.Text(9)};
  t.created_at = s.Int(10);
  t.updated_at = s.Int(11);
  t.last_message_at = s.OptInt(12);
  return t;
}

// ORDER BY and the keyset condition for each sort: (key, id) strictly after the cursor.
struct SortSql {
  const char* after;
  const char* order;
};

inline SortSql SqlFor(TicketSort sort) {
  switch (sort) {
    case TicketSort::kCreatedDesc: return {"t.id < ?6", "t.id DESC"};
    case TicketSort::kCreatedAsc: return {"t.id > ?6", "t.id ASC"};
    case TicketSort::kPriorityAsc: return {"(t.priority_rank, t.id) > (?5, ?6)", "t.priority_rank ASC, t.id ASC"};
    case TicketSort::kPriorityDesc: return {"(t.priority_rank, t.id) < (?5, ?6)", "t.priority_rank DESC, t.id DESC"};
    case TicketSort::kUpdatedAsc: return {"(t.updated_at, t.id) > (?5, ?6)", "t.updated_at ASC, t.id ASC"};
    case TicketSort::kUpdatedDesc: return {"(t.updated_at, t.id) < (?5, ?6)", "t.updated_at DESC, t.id DESC"};
  }
  return {"t.id < ?6", "t.id DESC"};
}


// The filters of a list or search, as " AND ..." fragments.
inline std::string FilterSql(const TicketQuery& q) {
  std::string sql;
  if (!q.viewer_is_agent) sql += " AND t.customer_id = ?1";
  // One status is an equality, so an index on (…, status, sort key) yields rows in order;
  // several go through json_each (one bound parameter for any number of them).
  if (q.statuses.size() == 1) sql += " AND t.status = ?2";
  if (q.statuses.size() > 1) sql += " AND t.status IN (SELECT value FROM json_each(?2))";
  if (q.assignee == "me") sql += " AND t.agent_id = ?1";
  if (q.assignee == "none") sql += " AND t.agent_id IS NULL";
  if (!q.category.empty()) sql += " AND t.category = ?3";
  if (q.customer_id) sql += " AND t.customer_id = ?8";
  return sql;
}

inline void BindFilters(Stmt& s, const TicketQuery& q) {
  boost::json::array statuses;
  for (const auto& st : q.statuses) statuses.emplace_back(st);
  s.Bind(1, q.viewer_id).Bind(3, q.category).Bind(4, q.fts_query);
  if (q.statuses.size() == 1) s.Bind(2, q.statuses.front());
  else s.Bind(2, boost::json::serialize(statuses));
  if (q.customer_id) s.Bind(8, *q.customer_id);
}

}  // namespace helpline::sqlite
