#pragma once
#include <string>

#include "storage/postgres/pg_db.hpp"
#include "storage/store.hpp"

namespace helpline::pg {

// The PostgreSQL store (docs/decisions/005-postgresql-store.md): libpq, a pool of
// connections (one per worker thread, like the SQLite store), READ COMMITTED
// transactions. What SQLite gets from its single write lock, this store gets from
// row locks and conditional statements:
//  - ticket changes are one conditional UPDATE (of two racing changes one applies);
//  - a message batch locks its tickets in id order, so per ticket the message ids
//    grow in commit order even with several writers (several nodes);
//  - ticket creation takes a transaction-scoped advisory lock, so created_at order
//    is id order, as with SQLite's write lock.
class PgStore final : public Store {
 public:
  PgStore(const std::string& url, int connections);

  bool Healthy() override;

  Result<User> CreateUser(const NewUser& user) override;
  std::optional<Credentials> FindCredentials(std::string_view email) override;
  std::optional<User> FindUser(std::int64_t id) override;
  std::int64_t CountUsers(std::string_view role) override;
  void CreateSession(std::string_view token_hash, std::int64_t user_id, std::int64_t expires_at) override;
  std::optional<User> UserForSession(std::string_view token_hash, std::int64_t now) override;
  void DeleteSession(std::string_view token_hash) override;

  Ticket CreateTicket(const NewTicket& ticket, const std::vector<NewAttachment>& attachments) override;
  std::optional<Ticket> GetTicket(std::int64_t id, std::int64_t viewer_id) override;
  TicketPage ListTickets(const TicketQuery& query) override;
  std::optional<AttachmentAccess> GetAttachment(std::int64_t id) override;
  std::vector<std::string> AllStoredFileNames() override;
  std::optional<TicketAccess> GetTicketAccess(std::int64_t ticket_id) override;
  std::optional<std::vector<Message>> ApplyTicketChange(const TicketChange& change) override;
  std::pair<StatusCounts, StatusCounts> CountTickets(const User& viewer) override;

  std::vector<Result<AppendResult>> AppendMessages(const std::vector<NewMessage>& batch) override;
  std::vector<Message> ListMessages(std::int64_t ticket_id, std::optional<std::int64_t> after,
                                    std::optional<std::int64_t> before, int limit) override;
  ReadMark MarkRead(std::int64_t user_id, std::int64_t ticket_id, std::int64_t up_to) override;
  std::pair<std::int64_t, std::int64_t> UnreadCounts(const User& user, std::int64_t ticket_id) override;
  std::int64_t UnreadTotal(const User& user) override;

  // The pool, for whatever else needs this database (a PgEventBus's LISTEN connection
  // would open its own Connection from pool().url()).
  Pool& pool() { return pool_; }

 private:
  void Migrate();
  // Fills attachments and unread counts of the given tickets with one query each.
  void LoadDetails(Connection& conn, std::vector<Ticket>& tickets, std::int64_t viewer_id);
  // A page of a text search (pg_search.cpp).
  TicketPage SearchTickets(Connection& conn, const TicketQuery& query);

  Pool pool_;
};

}  // namespace helpline::pg
