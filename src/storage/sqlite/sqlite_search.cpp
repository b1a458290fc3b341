// Ticket search over search_index (see sql/sqlite/003_search_by_ticket.sql):
// document rowids are (ticket_id << 24) | n, so rowid order is ticket order.
//  - Date sorts stream matches in rowid order and stop after one page.
//  - Priority sorts do the same once per priority rank, in rank order.
//  - Updated sorts: rowids say nothing about updated_at, so these rank the
//    kUpdatedSearchCap newest matching tickets by updated_at (help desks cap
//    search results the same way; Zendesk's search API stops at 1,000).
// Cost follows the page (or the cap), never the total number of matches.
#include <algorithm>
#include <climits>

#include "storage/sqlite/sqlite_store.hpp"
#include "storage/sqlite/ticket_sql.hpp"

namespace helpline::sqlite {

namespace {

constexpr int kShift = 24;
constexpr std::size_t kUpdatedSearchCap = 1000;  // Zendesk's search API stops at 1,000 too

// Streams tickets in document-rowid order (desc or asc), skipping the repeats
// of a ticket that matches in several documents, until `want` tickets are found.
void Stream(Connection& conn, const TicketQuery& q, bool desc, std::int64_t bound, std::optional<int> rank,
            std::size_t want, std::vector<Ticket>& out) {
  std::string sql = std::string("SELECT ") + kTicketColumns + "FROM search_index f JOIN tickets t ON t.id = (f.rowid >> 24) " +
                    kTicketJoins + "WHERE search_index MATCH ?4 AND f.rowid " + (desc ? "< ?9" : ">= ?9") + FilterSql(q) +
                    (rank ? " AND t.priority_rank = ?10" : "") + " ORDER BY f.rowid " + (desc ? "DESC" : "ASC");
  auto s = conn.Prepare(sql);
  BindFilters(s, q);
  s.Bind(9, bound);
  if (rank) s.Bind(10, static_cast<std::int64_t>(*rank));
  std::int64_t previous = 0;
  while (out.size() < want && s.Step()) {
    auto id = s.Int(0);
    if (id == previous) continue;  // the same ticket matched again in another document
    previous = id;
    out.push_back(ReadTicket(s));
  }
}

std::int64_t DescBound(std::int64_t id) { return id << kShift; }             // documents of tickets < id
std::int64_t AscBound(std::int64_t id) { return (id + 1) << kShift; }        // documents of tickets > id

}  // namespace

TicketPage SqliteStore::SearchTickets(Connection& conn, const TicketQuery& q) {
  TicketPage page;
  const std::size_t want = static_cast<std::size_t>(q.limit) + 1;
  switch (q.sort) {
    case TicketSort::kCreatedDesc:
      Stream(conn, q, true, q.after ? DescBound(q.after->id) : LLONG_MAX, std::nullopt, want, page.items);
      return page;
    case TicketSort::kCreatedAsc:
      Stream(conn, q, false, q.after ? AscBound(q.after->id) : 0, std::nullopt, want, page.items);
      return page;
    case TicketSort::kPriorityDesc:
      for (int rank = q.after ? static_cast<int>(q.after->key) : 3; rank >= 0 && page.items.size() < want; --rank) {
        bool cursor_rank = q.after && rank == q.after->key;
        Stream(conn, q, true, cursor_rank ? DescBound(q.after->id) : LLONG_MAX, rank, want, page.items);
      }
      return page;
    case TicketSort::kPriorityAsc:
      for (int rank = q.after ? static_cast<int>(q.after->key) : 0; rank <= 3 && page.items.size() < want; ++rank) {
        bool cursor_rank = q.after && rank == q.after->key;
        Stream(conn, q, false, cursor_rank ? AscBound(q.after->id) : 0, rank, want, page.items);
      }
      return page;
    case TicketSort::kUpdatedAsc:
    case TicketSort::kUpdatedDesc:
      break;
  }

  // Updated sorts: the newest matching tickets (ids and updated_at only), ranked in memory.
  std::string sql = std::string("SELECT t.id, t.updated_at FROM search_index f JOIN tickets t ON t.id = (f.rowid >> 24) ") +
                    "WHERE search_index MATCH ?4" + FilterSql(q) + " ORDER BY f.rowid DESC";
  auto s = conn.Prepare(sql);
  BindFilters(s, q);
  std::vector<std::pair<std::int64_t, std::int64_t>> keys;  // (updated_at, id)
  std::int64_t previous = 0;
  while (keys.size() < kUpdatedSearchCap && s.Step()) {
    auto id = s.Int(0);
    if (id == previous) continue;
    previous = id;
    keys.emplace_back(s.Int(1), id);
  }
  const bool desc = q.sort == TicketSort::kUpdatedDesc;
  std::sort(keys.begin(), keys.end());
  if (desc) std::reverse(keys.begin(), keys.end());
  boost::json::array ids;
  for (const auto& k : keys) {
    if (q.after) {
      std::pair<std::int64_t, std::int64_t> cursor{q.after->key, q.after->id};
      if (desc ? !(k < cursor) : !(cursor < k)) continue;  // strictly after the cursor
    }
    ids.push_back(k.second);
    if (ids.size() == want) break;
  }
  if (ids.empty()) return page;
  auto rows = conn.Prepare(kTicketSelect + "WHERE t.id IN (SELECT value FROM json_each(?1)) ORDER BY " + SqlFor(q.sort).order);
  rows.Bind(1, boost::json::serialize(ids));
  while (rows.Step()) page.items.push_back(ReadTicket(rows));
  return page;
}

}  // namespace helpline::sqlite
