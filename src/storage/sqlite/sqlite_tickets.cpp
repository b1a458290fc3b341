// Tickets and attachments in SQLite. SQL text is built only from fixed
// fragments chosen by the query's shape; every user value is a bound parameter.
#include <boost/json.hpp>

#include "core/time.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/sqlite/ticket_sql.hpp"

namespace helpline::sqlite {

namespace {

Attachment ReadAttachment(const Stmt& s) {
  Attachment a;
  a.id = s.Int(0);
  a.ticket_id = s.Int(1);
  a.filename = s.Text(2);
  a.content_type = s.Text(3);
  a.size = s.Int(4);
  a.width = static_cast<int>(s.Int(5));
  a.height = static_cast<int>(s.Int(6));
  a.stored_name = s.Text(7);
  a.thumb_name = s.Text(8);
  a.thumb_content_type = s.Text(9);
  return a;
}

constexpr const char* kAttachmentColumns =
    "id, ticket_id, filename, content_type, size, width, height, stored_name, thumb_name, thumb_content_type";

std::string IdsJson(const std::vector<Ticket>& tickets) {
  boost::json::array ids;
  for (const auto& t : tickets) ids.push_back(t.id);
  return boost::json::serialize(ids);
}

}  // namespace

void SqliteStore::LoadDetails(Connection& conn, std::vector<Ticket>& tickets, std::int64_t viewer_id) {
  if (tickets.empty()) return;
  std::unordered_map<std::int64_t, Ticket*> by_id;
  for (auto& t : tickets) by_id[t.id] = &t;
  auto ids = IdsJson(tickets);

  auto att = conn.Prepare(std::string("SELECT ") + kAttachmentColumns +
                          " FROM attachments WHERE ticket_id IN (SELECT value FROM json_each(?1)) ORDER BY id");
  att.Bind(1, ids);
  while (att.Step()) {
    auto a = ReadAttachment(att);
    by_id[a.ticket_id]->attachments.push_back(std::move(a));
  }

  // Unread: messages after the viewer's read mark that the viewer did not cause.
  auto unread = conn.Prepare(
      "SELECT m.ticket_id, count(*) FROM messages m "
      "LEFT JOIN read_marks r ON r.user_id = ?2 AND r.ticket_id = m.ticket_id "
      "WHERE m.ticket_id IN (SELECT value FROM json_each(?1)) AND m.id > coalesce(r.last_read_id, 0) "
      "AND m.sender_id IS NOT ?2 GROUP BY m.ticket_id");
  unread.Bind(1, ids).Bind(2, viewer_id);
  while (unread.Step()) by_id[unread.Int(0)]->unread_count = unread.Int(1);
}

Ticket SqliteStore::CreateTicket(const NewTicket& ticket, const std::vector<NewAttachment>& attachments) {
  auto conn = pool_.Acquire();
  std::int64_t id;
  {
    Transaction tx(*conn);
    // Taken under the write lock: created_at order is id order even when requests overlap.
    auto now = NowMs();
    conn->Prepare(
            "INSERT INTO tickets(customer_id, subject, description, category, priority, priority_rank, status, "
            "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?7)")
        .Bind(1, ticket.customer_id)
        .Bind(2, ticket.subject)
        .Bind(3, ticket.description)
        .Bind(4, ticket.category)
        .Bind(5, ticket.priority)
        .Bind(6, static_cast<std::int64_t>(PriorityRank(ticket.priority)))
        .Bind(7, now)
        .Run();
    id = conn->LastInsertId();
    for (const auto& a : attachments) {
      conn->Prepare(
              "INSERT INTO attachments(ticket_id, filename, content_type, size, width, height, stored_name, "
              "thumb_name, thumb_content_type) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
          .Bind(1, id)
          .Bind(2, a.filename)
          .Bind(3, a.content_type)
          .Bind(4, a.size)
          .Bind(5, static_cast<std::int64_t>(a.width))
          .Bind(6, static_cast<std::int64_t>(a.height))
          .Bind(7, a.stored_name)
          .Bind(8, a.thumb_name)
          .Bind(9, a.thumb_content_type)
          .Run();
    }
    tx.Commit();
  }
  auto s = conn->Prepare(std::string(kTicketSelect) + "WHERE t.id = ?1");
  s.Bind(1, id);
  if (!s.Step()) throw StoreError("ticket vanished after insert");
  std::vector<Ticket> one{ReadTicket(s)};
  LoadDetails(*conn, one, ticket.customer_id);
  return std::move(one.front());
}

std::optional<Ticket> SqliteStore::GetTicket(std::int64_t id, std::int64_t viewer_id) {
  auto conn = pool_.Acquire();
  auto s = conn->Prepare(std::string(kTicketSelect) + "WHERE t.id = ?1");
  s.Bind(1, id);
  if (!s.Step()) return std::nullopt;
  std::vector<Ticket> one{ReadTicket(s)};
  LoadDetails(*conn, one, viewer_id);
  return std::move(one.front());
}

TicketPage SqliteStore::ListTickets(const TicketQuery& q) {
  auto conn = pool_.Acquire();
  TicketPage page;
  if (!q.fts_query.empty()) {
    page = SearchTickets(*conn, q);
  } else {
    auto shape = SqlFor(q.sort);
    std::string sql = std::string(kTicketSelect) + "WHERE 1" + FilterSql(q);
    if (q.after) sql += std::string(" AND ") + shape.after;
    sql += std::string(" ORDER BY ") + shape.order + " LIMIT ?7";  // one extra row says whether a next page exists
    auto s = conn->Prepare(sql);
    BindFilters(s, q);
    if (q.after) s.Bind(5, q.after->key).Bind(6, q.after->id);
    s.Bind(7, static_cast<std::int64_t>(q.limit + 1));
    while (s.Step()) page.items.push_back(ReadTicket(s));
  }
  EndPage(page, q);
  LoadDetails(*conn, page.items, q.viewer_id);
  return page;
}

std::optional<AttachmentAccess> SqliteStore::GetAttachment(std::int64_t id) {
  auto conn = pool_.Acquire();
  auto s = conn->Prepare(
      "SELECT a.id, a.ticket_id, a.filename, a.content_type, a.size, a.width, a.height, a.stored_name, "
      "a.thumb_name, a.thumb_content_type, t.customer_id FROM attachments a JOIN tickets t ON t.id = a.ticket_id "
      "WHERE a.id = ?1");
  s.Bind(1, id);
  if (!s.Step()) return std::nullopt;
  return AttachmentAccess{ReadAttachment(s), s.Int(10)};
}

}  // namespace helpline::sqlite
