// Chat messages, read marks and unread counts in SQLite.
#include <algorithm>
#include "core/time.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace helpline::sqlite {

namespace {

constexpr const char* kMessageSelect =
    "SELECT m.id, m.ticket_id, m.kind, m.author_id, u.name, u.role, m.body, m.client_id, m.created_at "
    "FROM messages m LEFT JOIN users u ON u.id = m.author_id ";

Message ReadMessage(const Stmt& s) {
  Message m;
  m.id = s.Int(0);
  m.ticket_id = s.Int(1);
  m.kind = s.Text(2);
  if (!s.IsNull(3)) m.author = Author{s.Int(3), s.Text(4), s.Text(5)};
  m.body = s.Text(6);
  if (!s.IsNull(7)) m.client_id = s.Text(7);
  m.created_at = s.Int(8);
  return m;
}

std::optional<TicketAccess> ReadAccess(Connection& conn, std::int64_t ticket_id) {
  auto s = conn.Prepare("SELECT id, customer_id, agent_id, status, priority FROM tickets WHERE id = ?1");
  s.Bind(1, ticket_id);
  if (!s.Step()) return std::nullopt;
  return TicketAccess{s.Int(0), s.Int(1), s.OptInt(2), s.Text(3), s.Text(4)};
}

}  // namespace

std::optional<TicketAccess> SqliteStore::GetTicketAccess(std::int64_t ticket_id) {
  auto conn = pool_.Acquire();
  return ReadAccess(*conn, ticket_id);
}

std::optional<std::vector<Message>> SqliteStore::ApplyTicketChange(const TicketChange& c) {
  auto conn = pool_.Acquire();
  Transaction tx(*conn);
  auto now = NowMs();
  auto upd = conn->Prepare(
      "UPDATE tickets SET status = ?2, agent_id = ?3, priority = ?4, priority_rank = ?5, updated_at = ?6 "
      "WHERE id = ?1 AND status = ?7 AND agent_id IS ?8");
  upd.Bind(1, c.ticket_id).Bind(2, c.status).Bind(3, c.agent_id).Bind(4, c.priority);
  upd.Bind(5, static_cast<std::int64_t>(PriorityRank(c.priority))).Bind(6, now).Bind(7, c.expected_status);
  upd.Bind(8, c.expected_agent);
  upd.Run();
  if (conn->Changes() == 0) return std::nullopt;  // someone else changed it first
  std::vector<Message> stored;
  for (const auto& body : c.system_messages) {
    conn->Prepare(
            "INSERT INTO messages(ticket_id, kind, author_id, sender_id, body, client_id, created_at) "
            "VALUES (?1, 'system', NULL, ?2, ?3, NULL, ?4)")
        .Bind(1, c.ticket_id)
        .Bind(2, c.actor_id)
        .Bind(3, body)
        .Bind(4, now)
        .Run();
    stored.push_back(Message{conn->LastInsertId(), c.ticket_id, "system", std::nullopt, body, std::nullopt, now});
  }
  if (!stored.empty()) {
    conn->Prepare("UPDATE tickets SET last_message_at = ?2, last_message_id = ?3 WHERE id = ?1")
        .Bind(1, c.ticket_id)
        .Bind(2, now)
        .Bind(3, stored.back().id)
        .Run();
  }
  tx.Commit();
  return stored;
}

std::pair<StatusCounts, StatusCounts> SqliteStore::CountTickets(const User& viewer) {
  auto conn = pool_.Acquire();
  auto fill = [](Stmt& s) {
    StatusCounts c;
    while (s.Step()) {
      auto status = s.Text(0);
      auto n = s.Int(1);
      if (status == "open") c.open = n;
      else if (status == "in_progress") c.in_progress = n;
      else if (status == "resolved") c.resolved = n;
      else if (status == "closed") c.closed = n;
    }
    return c;
  };
  if (viewer.role == "agent") {
    auto all = conn->Prepare("SELECT status, n FROM ticket_counts");
    auto mine = conn->Prepare("SELECT status, count(*) FROM tickets WHERE agent_id = ?1 GROUP BY status");
    mine.Bind(1, viewer.id);
    return {fill(all), fill(mine)};
  }
  auto own = conn->Prepare("SELECT status, count(*) FROM tickets WHERE customer_id = ?1 GROUP BY status");
  own.Bind(1, viewer.id);
  auto c = fill(own);
  return {c, c};
}

std::vector<Result<AppendResult>> SqliteStore::AppendMessages(const std::vector<NewMessage>& batch) {
  std::vector<Result<AppendResult>> results;
  results.reserve(batch.size());
  auto conn = pool_.Acquire();
  Transaction tx(*conn);
  for (const auto& m : batch) {
    if (!m.session_hash.empty()) {
      auto session = conn->Prepare("SELECT 1 FROM sessions WHERE token_hash = ?1 AND expires_at > ?2");
      session.Bind(1, m.session_hash).Bind(2, NowMs());
      if (!session.Step()) {
        results.push_back(Fail(Code::kUnauthenticated, "Your session has ended. Log in again."));
        continue;
      }
    }
    auto access = ReadAccess(*conn, m.ticket_id);
    if (auto refused = MessageRefusal(m, access)) {
      results.push_back(Fail(refused->code, refused->message));
      continue;
    }
    auto now = NowMs();
    // The unique index on (ticket_id, author_id, client_id) makes a repeated send a no-op.
    auto ins = conn->Prepare(
        "INSERT INTO messages(ticket_id, kind, author_id, sender_id, body, client_id, created_at) "
        "VALUES (?1, 'text', ?2, ?2, ?3, ?4, ?5) "
        "ON CONFLICT(ticket_id, author_id, client_id) WHERE client_id IS NOT NULL DO NOTHING");
    ins.Bind(1, m.ticket_id).Bind(2, m.author.id).Bind(3, m.body).Bind(5, now);
    if (m.client_id) ins.Bind(4, *m.client_id);
    else ins.BindNull(4);
    ins.Run();
    bool created = conn->Changes() > 0;
    std::optional<Message> stored;
    if (created) {
      auto id = conn->LastInsertId();
      conn->Prepare("UPDATE tickets SET last_message_at = ?2, last_message_id = ?3, updated_at = ?2 WHERE id = ?1")
          .Bind(1, m.ticket_id)
          .Bind(2, now)
          .Bind(3, id)
          .Run();
      stored = Message{id, m.ticket_id, "text", Author{m.author.id, m.author.name, m.author.role}, m.body,
                       m.client_id, now};
    } else {
      auto s = conn->Prepare(std::string(kMessageSelect) +
                             "WHERE m.ticket_id = ?1 AND m.author_id = ?2 AND m.client_id = ?3");
      s.Bind(1, m.ticket_id).Bind(2, m.author.id).Bind(3, *m.client_id);
      if (!s.Step()) throw StoreError("duplicate message vanished");
      stored = ReadMessage(s);
    }
    results.push_back(AppendResult{std::move(*stored), created, *access});
  }
  tx.Commit();  // one fsync for the whole batch
  return results;
}

std::vector<Message> SqliteStore::ListMessages(std::int64_t ticket_id, std::optional<std::int64_t> after,
                                               std::optional<std::int64_t> before, int limit) {
  auto conn = pool_.Acquire();
  std::vector<Message> out;
  if (after) {
    auto s = conn->Prepare(std::string(kMessageSelect) +
                           "WHERE m.ticket_id = ?1 AND m.id > ?2 AND m.id < ?3 ORDER BY m.id ASC LIMIT ?4");
    s.Bind(1, ticket_id).Bind(2, *after).Bind(3, before.value_or(INT64_MAX)).Bind(4, static_cast<std::int64_t>(limit));
    while (s.Step()) out.push_back(ReadMessage(s));
    return out;
  }
  // The newest `limit` (before a message, if given), fetched newest first, returned oldest first.
  auto s = conn->Prepare(std::string(kMessageSelect) +
                         "WHERE m.ticket_id = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3");
  s.Bind(1, ticket_id).Bind(2, before.value_or(INT64_MAX)).Bind(3, static_cast<std::int64_t>(limit));
  while (s.Step()) out.push_back(ReadMessage(s));
  std::reverse(out.begin(), out.end());
  return out;
}

ReadMark SqliteStore::MarkRead(std::int64_t user_id, std::int64_t ticket_id, std::int64_t up_to) {
  auto conn = pool_.Acquire();
  Transaction tx(*conn);
  // A mark past the newest message is clamped to it.
  auto newest = conn->Prepare("SELECT coalesce(max(id), 0) FROM messages WHERE ticket_id = ?1");
  newest.Bind(1, ticket_id);
  newest.Step();
  auto target = std::min(up_to, newest.Int(0));
  auto old = conn->Prepare("SELECT last_read_id FROM read_marks WHERE user_id = ?1 AND ticket_id = ?2");
  old.Bind(1, user_id).Bind(2, ticket_id);
  std::int64_t before = old.Step() ? old.Int(0) : 0;
  if (target <= before) return ReadMark{before, false};  // never backwards
  conn->Prepare(
          "INSERT INTO read_marks(user_id, ticket_id, last_read_id) VALUES (?1, ?2, ?3) "
          "ON CONFLICT(user_id, ticket_id) DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id)")
      .Bind(1, user_id)
      .Bind(2, ticket_id)
      .Bind(3, target)
      .Run();
  tx.Commit();
  return ReadMark{target, true};
}

namespace {
// ?1 = the user. A customer's total covers their tickets; an agent's, the tickets assigned to them.
std::string TotalSql(const User& user) {
  return std::string("SELECT count(*) FROM tickets t JOIN messages m ON m.ticket_id = t.id "
                     "LEFT JOIN read_marks r ON r.user_id = ?1 AND r.ticket_id = t.id WHERE ") +
         (user.role == "agent" ? "t.agent_id" : "t.customer_id") +
         " = ?1 AND m.id > coalesce(r.last_read_id, 0) AND m.sender_id IS NOT ?1";
}
}  // namespace

std::pair<std::int64_t, std::int64_t> SqliteStore::UnreadCounts(const User& user, std::int64_t ticket_id) {
  auto conn = pool_.Acquire();
  auto s = conn->Prepare(
      "SELECT (SELECT count(*) FROM messages m WHERE m.ticket_id = ?2 AND m.sender_id IS NOT ?1 AND m.id > "
      "coalesce((SELECT last_read_id FROM read_marks WHERE user_id = ?1 AND ticket_id = ?2), 0)), (" +
      TotalSql(user) + ")");
  s.Bind(1, user.id).Bind(2, ticket_id);
  s.Step();
  return {s.Int(0), s.Int(1)};
}

std::int64_t SqliteStore::UnreadTotal(const User& user) {
  auto conn = pool_.Acquire();
  auto s = conn->Prepare(TotalSql(user));
  s.Bind(1, user.id);
  s.Step();
  return s.Int(0);
}

}  // namespace helpline::sqlite
