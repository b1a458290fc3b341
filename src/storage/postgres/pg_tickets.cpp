// Tickets, attachments and status counts in PostgreSQL.
#include <unordered_map>

#include "core/time.hpp"
#include "storage/postgres/pg_sql.hpp"
#include "storage/postgres/pg_store.hpp"

namespace helpline::pg {

namespace {

constexpr const char* kAttachmentColumns =
    "a.id, a.ticket_id, a.filename, a.content_type, a.size, a.width, a.height, a.stored_name, a.thumb_name, "
    "a.thumb_content_type";

Attachment ReadAttachment(const Rows& r, int row) {
  Attachment a;
  a.id = r.Int(row, 0);
  a.ticket_id = r.Int(row, 1);
  a.filename = r.Text(row, 2);
  a.content_type = r.Text(row, 3);
  a.size = r.Int(row, 4);
  a.width = static_cast<int>(r.Int(row, 5));
  a.height = static_cast<int>(r.Int(row, 6));
  a.stored_name = r.Text(row, 7);
  a.thumb_name = r.Text(row, 8);
  a.thumb_content_type = r.Text(row, 9);
  return a;
}

}  // namespace

void PgStore::LoadDetails(Connection& conn, std::vector<Ticket>& tickets, std::int64_t viewer_id) {
  if (tickets.empty()) return;
  std::unordered_map<std::int64_t, Ticket*> by_id;
  std::vector<std::int64_t> ids;
  for (auto& t : tickets) {
    by_id[t.id] = &t;
    ids.push_back(t.id);
  }
  {
    Params p;
    auto r = conn.Query(std::string("SELECT ") + kAttachmentColumns + " FROM attachments a WHERE a.ticket_id = ANY(" +
                            p.Ints(ids) + ") ORDER BY a.id",
                        p);
    for (int i = 0; i < r.size(); ++i) {
      auto a = ReadAttachment(r, i);
      by_id[a.ticket_id]->attachments.push_back(std::move(a));
    }
  }
  // Unread: messages after the viewer's read mark that the viewer did not cause.
  Params p;
  auto ids_ph = p.Ints(ids);
  auto viewer = p.Int(viewer_id);
  auto r = conn.Query("SELECT m.ticket_id, count(*) FROM messages m LEFT JOIN read_marks r ON r.user_id = " + viewer +
                          " AND r.ticket_id = m.ticket_id WHERE m.ticket_id = ANY(" + ids_ph +
                          ") AND m.id > coalesce(r.last_read_id, 0) AND m.sender_id IS DISTINCT FROM " + viewer +
                          " GROUP BY m.ticket_id",
                      p);
  for (int i = 0; i < r.size(); ++i) by_id[r.Int(i, 0)]->unread_count = r.Int(i, 1);
}

Ticket PgStore::CreateTicket(const NewTicket& ticket, const std::vector<NewAttachment>& attachments) {
  auto conn = pool_.Acquire();
  std::int64_t id;
  {
    Transaction tx(*conn);
    // Ticket creations take turns (as under SQLite's write lock): ids are handed out and
    // committed in created_at order even when requests overlap.
    Params lock;
    conn->Query("SELECT pg_advisory_xact_lock(" + lock.Int(kTicketCreateLock) + ")", lock);
    auto now = NowMs();
    Params p;
    auto sql = "INSERT INTO tickets(customer_id, subject, description, category, priority, priority_rank, status, "
               "created_at, updated_at) VALUES (" +
               p.Int(ticket.customer_id) + ", " + p.Text(ticket.subject) + ", " + p.Text(ticket.description) + ", " +
               p.Text(ticket.category) + ", " + p.Text(ticket.priority) + ", " +
               p.Int(static_cast<std::int64_t>(PriorityRank(ticket.priority))) + ", 'open', " + p.Int(now) + ", " +
               p.Int(now) + ") RETURNING id";
    id = conn->Query(sql, p).Int(0, 0);
    for (const auto& a : attachments) {
      Params q;
      auto ins = "INSERT INTO attachments(ticket_id, filename, content_type, size, width, height, stored_name, "
                 "thumb_name, thumb_content_type) VALUES (" +
                 q.Int(id) + ", " + q.Text(a.filename) + ", " + q.Text(a.content_type) + ", " + q.Int(a.size) + ", " +
                 q.Int(static_cast<std::int64_t>(a.width)) + ", " + q.Int(static_cast<std::int64_t>(a.height)) + ", " +
                 q.Text(a.stored_name) + ", " + q.Text(a.thumb_name) + ", " + q.Text(a.thumb_content_type) + ")";
      conn->Query(ins, q);
    }
    tx.Commit();
  }
  Params p;
  auto r = conn->Query(kTicketSelect + "WHERE t.id = " + p.Int(id), p);
  if (r.empty()) throw StoreError("ticket vanished after insert");
  std::vector<Ticket> one{ReadTicket(r, 0)};
  LoadDetails(*conn, one, ticket.customer_id);
  return std::move(one.front());
}

std::optional<Ticket> PgStore::GetTicket(std::int64_t id, std::int64_t viewer_id) {
  auto conn = pool_.Acquire();
  Params p;
  auto r = conn->Query(kTicketSelect + "WHERE t.id = " + p.Int(id), p);
  if (r.empty()) return std::nullopt;
  std::vector<Ticket> one{ReadTicket(r, 0)};
  LoadDetails(*conn, one, viewer_id);
  return std::move(one.front());
}

TicketPage PgStore::ListTickets(const TicketQuery& q) {
  auto conn = pool_.Acquire();
  TicketPage page;
  if (!q.fts_query.empty()) {
    page = SearchTickets(*conn, q);
  } else {
    Params p;
    std::string sql = kTicketSelect + "WHERE true" + FilterSql(q, p);
    if (q.after) sql += " AND " + AfterSql(q.sort, *q.after, p);
    // One extra row says whether a next page exists.
    sql += std::string(" ORDER BY ") + OrderSql(q.sort) + " LIMIT " + p.Int(static_cast<std::int64_t>(q.limit + 1));
    auto r = conn->Query(sql, p);
    for (int i = 0; i < r.size(); ++i) page.items.push_back(ReadTicket(r, i));
  }
  EndPage(page, q);
  LoadDetails(*conn, page.items, q.viewer_id);
  return page;
}

std::optional<AttachmentAccess> PgStore::GetAttachment(std::int64_t id) {
  auto conn = pool_.Acquire();
  Params p;
  auto r = conn->Query(std::string("SELECT ") + kAttachmentColumns +
                           ", t.customer_id FROM attachments a JOIN tickets t ON t.id = a.ticket_id WHERE a.id = " +
                           p.Int(id),
                       p);
  if (r.empty()) return std::nullopt;
  return AttachmentAccess{ReadAttachment(r, 0), r.Int(0, 10)};
}

std::pair<StatusCounts, StatusCounts> PgStore::CountTickets(const User& viewer) {
  auto conn = pool_.Acquire();
  auto fill = [](const Rows& r) {
    StatusCounts c;
    for (int i = 0; i < r.size(); ++i) {
      auto status = r.Text(i, 0);
      auto n = r.Int(i, 1);
      if (status == "open") c.open = n;
      else if (status == "in_progress") c.in_progress = n;
      else if (status == "resolved") c.resolved = n;
      else if (status == "closed") c.closed = n;
    }
    return c;
  };
  Params p;
  if (viewer.role == "agent") {
    auto all = conn->Query("SELECT status, n FROM ticket_counts");
    auto mine = conn->Query("SELECT status, count(*) FROM tickets WHERE agent_id = " + p.Int(viewer.id) +
                                " GROUP BY status",
                            p);
    return {fill(all), fill(mine)};
  }
  auto own = conn->Query("SELECT status, count(*) FROM tickets WHERE customer_id = " + p.Int(viewer.id) +
                             " GROUP BY status",
                         p);
  auto c = fill(own);
  return {c, c};
}

}  // namespace helpline::pg
