#pragma once
#include <string>

#include "storage/sqlite/sqlite_db.hpp"
#include "storage/store.hpp"

namespace helpline::sqlite {

// The embedded default store: one SQLite file in WAL mode, a pool of connections
// (one per worker thread), writers serialized by SQLite's own write lock.
class SqliteStore final : public Store {
 public:
  SqliteStore(const std::string& path, int connections);

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

 private:
  void Migrate();
  // Fills attachments and unread counts of the given tickets with one query each.
  void LoadDetails(Connection& conn, std::vector<Ticket>& tickets, std::int64_t viewer_id);
  // ListTickets with a text query (sqlite_search.cpp): up to limit + 1 tickets.
  TicketPage SearchTickets(Connection& conn, const TicketQuery& query);

  Pool pool_;
};

}  // namespace helpline::sqlite
