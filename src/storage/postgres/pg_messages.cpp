// Chat messages, ticket changes, read marks and unread counts in PostgreSQL.
#include <algorithm>
#include <climits>
#include <set>

#include "core/time.hpp"
#include "storage/postgres/pg_sql.hpp"
#include "storage/postgres/pg_store.hpp"

namespace helpline::pg {

namespace {

std::optional<TicketAccess> ReadAccess(Connection& conn, std::int64_t ticket_id) {
  Params p;
  auto r = conn.Query("SELECT id, customer_id, agent_id, status, priority FROM tickets WHERE id = " + p.Int(ticket_id), p);
  if (r.empty()) return std::nullopt;
  return TicketAccess{r.Int(0, 0), r.Int(0, 1), r.OptInt(0, 2), r.Text(0, 3), r.Text(0, 4)};
}

}  // namespace

void NotifyMessages(Connection& conn, const std::vector<std::int64_t>& ids) {
  // A NOTIFY payload holds under 8000 bytes: 400 ids of up to 19 digits fit with room to spare.
  constexpr std::size_t kPerNotify = 400;
  for (std::size_t from = 0; from < ids.size(); from += kPerNotify) {
    std::string payload;
    for (std::size_t i = from; i < std::min(ids.size(), from + kPerNotify); ++i) {
      if (!payload.empty()) payload += ',';
      payload += std::to_string(ids[i]);
    }
    Params p;
    conn.Query("SELECT pg_notify('" + std::string(kMessagesChannel) + "', " + p.Text(payload) + ")", p);
  }
}

std::optional<TicketAccess> PgStore::GetTicketAccess(std::int64_t ticket_id) {
  auto conn = pool_.Acquire();
  return ReadAccess(*conn, ticket_id);
}

std::optional<std::vector<Message>> PgStore::ApplyTicketChange(const TicketChange& c) {
  auto conn = pool_.Acquire();
  Transaction tx(*conn);
  auto now = NowMs();
  // One conditional UPDATE: a concurrent change of the same ticket makes this one wait for
  // it, re-check the condition against the new row, and match nothing.
  Params p;
  auto sql = "UPDATE tickets SET status = " + p.Text(c.status) + ", agent_id = " + p.Int(c.agent_id) +
             ", priority = " + p.Text(c.priority) +
             ", priority_rank = " + p.Int(static_cast<std::int64_t>(PriorityRank(c.priority))) +
             ", updated_at = " + p.Int(now) + " WHERE id = " + p.Int(c.ticket_id) +
             " AND status = " + p.Text(c.expected_status) + " AND agent_id IS NOT DISTINCT FROM " +
             p.Int(c.expected_agent);
  if (conn->Query(sql, p).Affected() == 0) return std::nullopt;  // someone else changed it first
  std::vector<Message> stored;
  for (const auto& body : c.system_messages) {
    Params q;
    auto ins = "INSERT INTO messages(ticket_id, kind, author_id, sender_id, body, client_id, created_at) VALUES (" +
               q.Int(c.ticket_id) + ", 'system', NULL, " + q.Int(c.actor_id) + ", " + q.Text(body) + ", NULL, " +
               q.Int(now) + ") RETURNING id";
    auto id = conn->Query(ins, q).Int(0, 0);
    stored.push_back(Message{id, c.ticket_id, "system", std::nullopt, body, std::nullopt, now});
  }
  if (!stored.empty()) {
    Params q;
    conn->Query("UPDATE tickets SET last_message_at = " + q.Int(now) + ", last_message_id = " + q.Int(stored.back().id) +
                    " WHERE id = " + q.Int(c.ticket_id),
                q);
    std::vector<std::int64_t> ids;
    for (const auto& m : stored) ids.push_back(m.id);
    NotifyMessages(*conn, ids);
  }
  tx.Commit();
  return stored;
}

std::vector<Result<AppendResult>> PgStore::AppendMessages(const std::vector<NewMessage>& batch) {
  std::vector<Result<AppendResult>> results;
  results.reserve(batch.size());
  if (batch.empty()) return results;
  auto conn = pool_.Acquire();
  Transaction tx(*conn);
  {
    // Lock the batch's tickets in id order first: a concurrent status change waits (or is
    // waited for) as a whole, and with several writers (several nodes) messages of one
    // ticket commit in id order. NO KEY UPDATE leaves inserts that reference the tickets free.
    std::set<std::int64_t> ids;
    for (const auto& m : batch) ids.insert(m.ticket_id);
    Params p;
    conn->Query("SELECT id FROM tickets WHERE id = ANY(" + p.Ints(std::vector<std::int64_t>(ids.begin(), ids.end())) +
                    ") ORDER BY id FOR NO KEY UPDATE",
                p);
  }
  for (const auto& m : batch) {
    if (!m.session_hash.empty()) {
      Params p;
      auto live = conn->Query("SELECT 1 FROM sessions WHERE token_hash = " + p.Text(m.session_hash) +
                                  " AND expires_at > " + p.Int(NowMs()),
                              p);
      if (live.empty()) {
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
    Params p;
    auto ins = "INSERT INTO messages(ticket_id, kind, author_id, sender_id, body, client_id, created_at) VALUES (" +
               p.Int(m.ticket_id) + ", 'text', " + p.Int(m.author.id) + ", " + p.Int(m.author.id) + ", " +
               p.Text(m.body) + ", " + (m.client_id ? p.Text(*m.client_id) : std::string("NULL")) + ", " + p.Int(now) +
               ") ON CONFLICT (ticket_id, author_id, client_id) WHERE client_id IS NOT NULL DO NOTHING RETURNING id";
    auto inserted = conn->Query(ins, p);
    std::optional<Message> stored;
    bool created = !inserted.empty();
    if (created) {
      auto id = inserted.Int(0, 0);
      Params q;
      conn->Query("UPDATE tickets SET last_message_at = " + q.Int(now) + ", last_message_id = " + q.Int(id) +
                      ", updated_at = " + q.Int(now) + " WHERE id = " + q.Int(m.ticket_id),
                  q);
      stored = Message{id, m.ticket_id, "text", Author{m.author.id, m.author.name, m.author.role}, m.body,
                       m.client_id, now};
    } else {
      Params q;
      auto r = conn->Query(std::string(kMessageSelect) + "WHERE m.ticket_id = " + q.Int(m.ticket_id) +
                               " AND m.author_id = " + q.Int(m.author.id) + " AND m.client_id = " +
                               q.Text(m.client_id.value_or(std::string())),
                           q);
      if (r.empty()) throw StoreError("duplicate message vanished");
      stored = ReadMessage(r, 0);
    }
    results.push_back(AppendResult{std::move(*stored), created, *access});
  }
  std::vector<std::int64_t> created;
  for (const auto& r : results)
    if (r && r->created) created.push_back(r->message.id);
  NotifyMessages(*conn, created);
  tx.Commit();  // one commit (one WAL flush) for the whole batch
  return results;
}

std::vector<Message> PgStore::ListMessages(std::int64_t ticket_id, std::optional<std::int64_t> after,
                                           std::optional<std::int64_t> before, int limit) {
  auto conn = pool_.Acquire();
  std::vector<Message> out;
  Params p;
  if (after) {
    auto r = conn->Query(std::string(kMessageSelect) + "WHERE m.ticket_id = " + p.Int(ticket_id) + " AND m.id > " +
                             p.Int(*after) + " AND m.id < " + p.Int(before.value_or(INT64_MAX)) +
                             " ORDER BY m.id ASC LIMIT " + p.Int(static_cast<std::int64_t>(limit)),
                         p);
    for (int i = 0; i < r.size(); ++i) out.push_back(ReadMessage(r, i));
    return out;
  }
  // The newest `limit` (before a message, if given), fetched newest first, returned oldest first.
  auto r = conn->Query(std::string(kMessageSelect) + "WHERE m.ticket_id = " + p.Int(ticket_id) + " AND m.id < " +
                           p.Int(before.value_or(INT64_MAX)) + " ORDER BY m.id DESC LIMIT " +
                           p.Int(static_cast<std::int64_t>(limit)),
                       p);
  for (int i = 0; i < r.size(); ++i) out.push_back(ReadMessage(r, i));
  std::reverse(out.begin(), out.end());
  return out;
}

ReadMark PgStore::MarkRead(std::int64_t user_id, std::int64_t ticket_id, std::int64_t up_to) {
  auto conn = pool_.Acquire();
  // A mark past the newest message is clamped to it.
  Params n;
  auto newest = conn->Query("SELECT coalesce(max(id), 0) FROM messages WHERE ticket_id = " + n.Int(ticket_id), n).Int(0, 0);
  auto target = std::min(up_to, newest);
  if (target > 0) {
    // Moves only forward; under the row lock exactly one of two racing calls moves it.
    Params p;
    auto moved = conn->Query("INSERT INTO read_marks AS r(user_id, ticket_id, last_read_id) VALUES (" + p.Int(user_id) +
                                 ", " + p.Int(ticket_id) + ", " + p.Int(target) +
                                 ") ON CONFLICT (user_id, ticket_id) DO UPDATE SET last_read_id = excluded.last_read_id "
                                 "WHERE r.last_read_id < excluded.last_read_id RETURNING last_read_id",
                             p);
    if (!moved.empty()) return ReadMark{target, true};
  }
  Params p;
  auto old = conn->Query("SELECT last_read_id FROM read_marks WHERE user_id = " + p.Int(user_id) +
                             " AND ticket_id = " + p.Int(ticket_id),
                         p);
  return ReadMark{old.empty() ? 0 : old.Int(0, 0), false};
}

std::int64_t PgStore::UnreadCount(std::int64_t user_id, std::int64_t ticket_id) {
  auto conn = pool_.Acquire();
  Params p;
  auto user = p.Int(user_id);
  auto ticket = p.Int(ticket_id);
  return conn
      ->Query("SELECT count(*) FROM messages m WHERE m.ticket_id = " + ticket + " AND m.sender_id IS DISTINCT FROM " +
                  user + " AND m.id > coalesce((SELECT last_read_id FROM read_marks WHERE user_id = " + user +
                  " AND ticket_id = " + ticket + "), 0)",
              p)
      .Int(0, 0);
}

std::int64_t PgStore::UnreadTotal(const User& user) {
  auto conn = pool_.Acquire();
  Params p;
  auto id = p.Int(user.id);
  std::string owner = user.role == "agent" ? "t.agent_id" : "t.customer_id";
  return conn
      ->Query("SELECT count(*) FROM tickets t JOIN messages m ON m.ticket_id = t.id "
              "LEFT JOIN read_marks r ON r.user_id = " + id + " AND r.ticket_id = t.id WHERE " + owner + " = " + id +
                  " AND m.id > coalesce(r.last_read_id, 0) AND m.sender_id IS DISTINCT FROM " + id,
              p)
      .Int(0, 0);
}

}  // namespace helpline::pg
