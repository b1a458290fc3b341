// Chat messages, ticket changes, read marks and unread counts in PostgreSQL.
#include <algorithm>
#include <climits>
#include <map>
#include <tuple>
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

// A batch in a fixed number of statements, whatever its size (each statement is a round trip
// to the server, and a batch is what queued while the last one committed): lock and read the
// tickets, check the sessions, insert every accepted message in batch order, read back the
// earlier copies of repeated sends, move the tickets' last message, announce, commit.
std::vector<Result<AppendResult>> PgStore::AppendMessages(const std::vector<NewMessage>& batch) {
  std::vector<Result<AppendResult>> results;
  results.reserve(batch.size());
  if (batch.empty()) return results;
  auto conn = pool_.Acquire();
  Transaction tx(*conn);
  const auto now = NowMs();

  // The batch's tickets, locked in id order: a concurrent status change waits (or is waited
  // for) as a whole, and with several writers (several nodes) messages of one ticket commit in
  // id order. NO KEY UPDATE leaves inserts that reference the tickets free.
  std::map<std::int64_t, TicketAccess> tickets;
  {
    std::set<std::int64_t> ids;
    for (const auto& m : batch) ids.insert(m.ticket_id);
    Params p;
    auto r = conn->Query("SELECT id, customer_id, agent_id, status, priority FROM tickets WHERE id = ANY(" +
                             p.Ints(std::vector<std::int64_t>(ids.begin(), ids.end())) + ") ORDER BY id FOR NO KEY UPDATE",
                         p);
    for (int i = 0; i < r.size(); ++i)
      tickets.emplace(r.Int(i, 0), TicketAccess{r.Int(i, 0), r.Int(i, 1), r.OptInt(i, 2), r.Text(i, 3), r.Text(i, 4)});
  }
  // WebSocket senders' sessions must still be alive now.
  std::set<std::string> live_sessions;
  {
    std::set<std::string> hashes;
    for (const auto& m : batch)
      if (!m.session_hash.empty()) hashes.insert(m.session_hash);
    if (!hashes.empty()) {
      Params p;
      auto r = conn->Query("SELECT token_hash FROM sessions WHERE token_hash = ANY(" +
                               p.Texts(std::vector<std::string>(hashes.begin(), hashes.end())) +
                               ") AND expires_at > " + p.Int(now),
                           p);
      for (int i = 0; i < r.size(); ++i) live_sessions.insert(r.Text(i, 0));
    }
  }

  // Decide each message; the accepted ones go into one INSERT, in batch order.
  std::vector<std::size_t> accepted;
  std::vector<std::int64_t> ticket_ids, author_ids;
  std::vector<std::string> bodies, client_ids;  // "" = none (a client_id has 1 to 100 characters)
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& m = batch[i];
    results.push_back(Fail(Code::kInternal, "The message could not be stored. Please try again."));
    if (!m.session_hash.empty() && !live_sessions.contains(m.session_hash)) {
      results[i] = Fail(Code::kUnauthenticated, "Your session has ended. Log in again.");
      continue;
    }
    auto t = tickets.find(m.ticket_id);
    auto refused = MessageRefusal(m, t == tickets.end() ? std::nullopt : std::optional<TicketAccess>(t->second));
    if (refused) {
      results[i] = Fail(refused->code, refused->message);
      continue;
    }
    accepted.push_back(i);
    ticket_ids.push_back(m.ticket_id);
    author_ids.push_back(m.author.id);
    bodies.push_back(m.body);
    client_ids.push_back(m.client_id.value_or(std::string()));
  }
  if (accepted.empty()) {
    tx.Commit();
    return results;
  }

  // The unique index on (ticket_id, author_id, client_id) makes a repeated send a no-op (also a
  // repeat within this batch). Ids are drawn in the SELECT's order, and RETURNING gives the
  // inserted rows in that order, so walking both together pairs them up.
  Params p;
  auto inserted = conn->Query(
      "INSERT INTO messages(ticket_id, kind, author_id, sender_id, body, client_id, created_at) "
      "SELECT x.t, 'text', x.a, x.a, x.b, NULLIF(x.c, ''), " + p.Int(now) + " FROM unnest(" + p.Ints(ticket_ids) +
          ", " + p.Ints(author_ids) + ", " + p.Texts(bodies) + ", " + p.Texts(client_ids) +
          ") WITH ORDINALITY AS x(t, a, b, c, n) ORDER BY x.n "
          "ON CONFLICT (ticket_id, author_id, client_id) WHERE client_id IS NOT NULL DO NOTHING "
          "RETURNING id, ticket_id, author_id, coalesce(client_id, '')",
      p);
  std::map<std::int64_t, std::int64_t> last_of_ticket;
  std::vector<std::size_t> repeats;  // indexes into `accepted` of sends stored before
  int row = 0;
  for (std::size_t k = 0; k < accepted.size(); ++k) {
    const auto& m = batch[accepted[k]];
    bool match = row < inserted.size() && inserted.Int(row, 1) == m.ticket_id && inserted.Int(row, 2) == m.author.id &&
                 inserted.Text(row, 3) == client_ids[k];
    if (!match) {
      repeats.push_back(k);
      continue;
    }
    auto id = inserted.Int(row++, 0);
    last_of_ticket[m.ticket_id] = id;
    results[accepted[k]] = AppendResult{Message{id, m.ticket_id, "text", Author{m.author.id, m.author.name, m.author.role},
                                                m.body, m.client_id, now},
                                        true, tickets.at(m.ticket_id)};
  }
  if (row != inserted.size()) throw StoreError("postgres: inserted messages do not match the batch");

  if (!repeats.empty()) {
    std::vector<std::int64_t> rt, ra;
    std::vector<std::string> rc;
    for (auto k : repeats) {
      rt.push_back(ticket_ids[k]);
      ra.push_back(author_ids[k]);
      rc.push_back(client_ids[k]);
    }
    Params q;
    auto found = conn->Query(std::string(kMessageSelect) + "WHERE (m.ticket_id, m.author_id, m.client_id) IN (SELECT * FROM unnest(" +
                                 q.Ints(rt) + ", " + q.Ints(ra) + ", " + q.Texts(rc) + "))",
                             q);
    std::map<std::tuple<std::int64_t, std::int64_t, std::string>, Message> earlier;
    for (int i = 0; i < found.size(); ++i) {
      auto msg = ReadMessage(found, i);
      earlier.emplace(std::tuple{msg.ticket_id, msg.author ? msg.author->id : 0, msg.client_id.value_or("")}, msg);
    }
    for (auto k : repeats) {
      auto it = earlier.find({ticket_ids[k], author_ids[k], client_ids[k]});
      if (it == earlier.end()) throw StoreError("duplicate message vanished");
      results[accepted[k]] = AppendResult{it->second, false, tickets.at(ticket_ids[k])};
    }
  }

  if (!last_of_ticket.empty()) {
    std::vector<std::int64_t> ids, last;
    for (auto [t, m] : last_of_ticket) {
      ids.push_back(t);
      last.push_back(m);
    }
    Params q;
    conn->Query("UPDATE tickets t SET last_message_at = " + q.Int(now) + ", last_message_id = x.m, updated_at = " +
                    q.Int(now) + " FROM unnest(" + q.Ints(ids) + ", " + q.Ints(last) + ") AS x(id, m) WHERE t.id = x.id",
                q);
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

namespace {
// A customer's total covers their tickets; an agent's, the tickets assigned to them.
std::string TotalSql(const User& user, const std::string& id) {
  std::string owner = user.role == "agent" ? "t.agent_id" : "t.customer_id";
  return "SELECT count(*) FROM tickets t JOIN messages m ON m.ticket_id = t.id "
         "LEFT JOIN read_marks r ON r.user_id = " + id + " AND r.ticket_id = t.id WHERE " + owner + " = " + id +
         " AND m.id > coalesce(r.last_read_id, 0) AND m.sender_id IS DISTINCT FROM " + id;
}
}  // namespace

std::pair<std::int64_t, std::int64_t> PgStore::UnreadCounts(const User& user, std::int64_t ticket_id) {
  auto conn = pool_.Acquire();
  Params p;
  auto id = p.Int(user.id);
  auto ticket = p.Int(ticket_id);
  auto r = conn->Query("SELECT (SELECT count(*) FROM messages m WHERE m.ticket_id = " + ticket +
                           " AND m.sender_id IS DISTINCT FROM " + id +
                           " AND m.id > coalesce((SELECT last_read_id FROM read_marks WHERE user_id = " + id +
                           " AND ticket_id = " + ticket + "), 0)), (" + TotalSql(user, id) + ")",
                       p);
  return {r.Int(0, 0), r.Int(0, 1)};
}

std::int64_t PgStore::UnreadTotal(const User& user) {
  auto conn = pool_.Acquire();
  Params p;
  auto id = p.Int(user.id);
  return conn->Query(TotalSql(user, id), p).Int(0, 0);
}

}  // namespace helpline::pg
