#pragma once
// THE store interface. SQLite implements it today (storage/sqlite/); a PostgreSQL
// implementation joins behind the same calls. Calls block: they run on the worker
// pool, never on the I/O thread. Unexpected database failures throw StoreError;
// expected outcomes (taken email, missing row) come back as values.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "storage/model.hpp"

namespace helpline {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct NewUser {
  std::string email;  // already lower-cased
  std::string name;
  std::string role;
  std::string password_hash;
};

struct Credentials {
  User user;
  std::string password_hash;
};

struct NewTicket {
  std::int64_t customer_id = 0;
  std::string subject;
  std::string description;
  std::string category;
  std::string priority;
};

// An attachment whose files are already on disk under their final names.
struct NewAttachment {
  std::string filename;
  std::string content_type;
  std::int64_t size = 0;
  int width = 0;
  int height = 0;
  std::string stored_name;
  std::string thumb_name;
  std::string thumb_content_type;
};

// An attachment with what the access check needs.
struct AttachmentAccess {
  Attachment attachment;
  std::int64_t customer_id = 0;
};

struct NewMessage {
  std::int64_t ticket_id = 0;
  User author;
  std::string body;
  std::optional<std::string> client_id;
  // For messages from a WebSocket: the session must still be valid when the
  // message is stored (kUnauthenticated otherwise). Empty for REST, which
  // authenticates every request.
  std::string session_hash;
};

// The outcome of one NewMessage: the stored message (or the earlier one with the
// same client_id, then created = false) and who belongs to its ticket.
struct AppendResult {
  Message message;
  bool created = false;
  TicketAccess ticket;
};

// Why `m` may not be stored in a ticket with this access row (nullopt: it may), the same
// rule for every store: only the ticket's customer or an agent posts, and not once it is closed.
inline std::optional<Error> MessageRefusal(const NewMessage& m, const std::optional<TicketAccess>& ticket) {
  if (!ticket || (m.author.role != "agent" && ticket->customer_id != m.author.id))
    return Error{Code::kNotFound, "No such ticket.", {}, 0};
  if (ticket->status == "closed")
    return Error{Code::kInvalidTransition, "This ticket is closed and takes no new messages.", {}, 0};
  return std::nullopt;
}

struct ReadMark {
  std::int64_t up_to = 0;  // the mark after the call (clamped, never lower than before)
  bool moved = false;
};

// A status/assignee/priority change, applied only if the ticket still has the
// expected status and agent (a conditional update: of two racing changes
// exactly one applies), with its system messages in the same transaction.
struct TicketChange {
  std::int64_t ticket_id = 0;
  std::int64_t actor_id = 0;
  std::string expected_status;
  std::optional<std::int64_t> expected_agent;
  std::string status;
  std::optional<std::int64_t> agent_id;
  std::string priority;
  std::vector<std::string> system_messages;
};

struct StatusCounts {
  std::int64_t open = 0, in_progress = 0, resolved = 0, closed = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual bool Healthy() = 0;

  // Users and sessions. Session tokens reach the store only as hashes.
  virtual Result<User> CreateUser(const NewUser& user) = 0;  // kEmailTaken
  virtual std::optional<Credentials> FindCredentials(std::string_view email) = 0;
  virtual std::optional<User> FindUser(std::int64_t id) = 0;
  virtual std::int64_t CountUsers(std::string_view role) = 0;
  virtual void CreateSession(std::string_view token_hash, std::int64_t user_id, std::int64_t expires_at) = 0;
  virtual std::optional<User> UserForSession(std::string_view token_hash, std::int64_t now) = 0;
  virtual void DeleteSession(std::string_view token_hash) = 0;

  // Tickets. CreateTicket stores the ticket and all its attachments in one transaction.
  virtual Ticket CreateTicket(const NewTicket& ticket, const std::vector<NewAttachment>& attachments) = 0;
  virtual std::optional<Ticket> GetTicket(std::int64_t id, std::int64_t viewer_id) = 0;
  virtual TicketPage ListTickets(const TicketQuery& query) = 0;
  virtual std::optional<AttachmentAccess> GetAttachment(std::int64_t id) = 0;
  virtual std::optional<TicketAccess> GetTicketAccess(std::int64_t ticket_id) = 0;
  // The stored system messages, or nullopt when the ticket no longer matches the expectation.
  virtual std::optional<std::vector<Message>> ApplyTicketChange(const TicketChange& change) = 0;
  // Per status: over every ticket the viewer sees, and over those assigned to the viewer.
  virtual std::pair<StatusCounts, StatusCounts> CountTickets(const User& viewer) = 0;

  // Chat. AppendMessages stores a batch in ONE transaction (group commit: one
  // fsync for many messages); each entry is stored, found (same client_id), or
  // refused (kNotFound: no such ticket or not the author's; kInvalidTransition: closed).
  virtual std::vector<Result<AppendResult>> AppendMessages(const std::vector<NewMessage>& batch) = 0;
  // Oldest first. No after/before: the newest `limit`; before: the `limit` just before it.
  virtual std::vector<Message> ListMessages(std::int64_t ticket_id, std::optional<std::int64_t> after,
                                            std::optional<std::int64_t> before, int limit) = 0;
  virtual ReadMark MarkRead(std::int64_t user_id, std::int64_t ticket_id, std::int64_t up_to) = 0;
  // A user's unread count on one ticket and their unread_total, read in one statement (one
  // snapshot), so that a message committing meanwhile cannot make the two disagree.
  virtual std::pair<std::int64_t, std::int64_t> UnreadCounts(const User& user, std::int64_t ticket_id) = 0;
  // A customer's sum over their tickets; an agent's over the tickets assigned to them.
  virtual std::int64_t UnreadTotal(const User& user) = 0;

  // Every stored_name and thumb_name, for the start-up sweep of orphan files.
  virtual std::vector<std::string> AllStoredFileNames() = 0;
};

// Opens the store a database URL names: empty or sqlite:PATH -> SQLite (default
// DATA_DIR/helpline.db); applies the migrations.
std::unique_ptr<Store> OpenStore(const std::string& db_url, const std::string& data_dir);

}  // namespace helpline
