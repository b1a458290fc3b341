#pragma once
// The domain records the store reads and writes. Plain data: no I/O, no JSON.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace helpline {

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string name;
  std::string role;  // "customer" | "agent"
  std::int64_t created_at = 0;
};

struct PersonRef {
  std::int64_t id = 0;
  std::string name;
};

struct Attachment {
  std::int64_t id = 0;
  std::int64_t ticket_id = 0;
  std::string filename;       // as uploaded; display only, never a path
  std::string content_type;   // image/png | image/jpeg
  std::int64_t size = 0;      // bytes of the stored (cleaned) file
  int width = 0;
  int height = 0;
  std::string stored_name;    // server-made, relative to the files folder
  std::string thumb_name;
  std::string thumb_content_type;
};

struct Ticket {
  std::int64_t id = 0;
  std::string subject;
  std::string description;
  std::string category;
  std::string priority;   // low | normal | high | urgent
  std::string status;     // open | in_progress | resolved | closed
  PersonRef customer;
  std::optional<PersonRef> agent;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> last_message_at;
  std::vector<Attachment> attachments;
  std::int64_t unread_count = 0;
};

enum class TicketSort { kCreatedDesc, kCreatedAsc, kPriorityAsc, kPriorityDesc, kUpdatedAsc, kUpdatedDesc };

// Keyset position: the sort key of the last row seen (priority rank or
// updated_at; unused for the created_at sorts, where id order is time order) and its id.
struct TicketCursor {
  TicketSort sort = TicketSort::kCreatedDesc;
  std::int64_t key = 0;
  std::int64_t id = 0;
};

struct TicketQuery {
  std::int64_t viewer_id = 0;
  bool viewer_is_agent = false;
  std::vector<std::string> statuses;  // empty: any
  std::string assignee = "any";       // any | me | none
  std::string category;               // empty: any
  std::string fts_query;              // already translated to the store's search syntax; empty: none
  std::optional<std::int64_t> customer_id;  // one customer's tickets (agents' "other tickets" view)
  TicketSort sort = TicketSort::kCreatedDesc;
  int limit = 25;
  std::optional<TicketCursor> after;
};

struct TicketPage {
  std::vector<Ticket> items;
  std::optional<TicketCursor> next;
};

struct Author {
  std::int64_t id = 0;
  std::string name;
  std::string role;
};

struct Message {
  std::int64_t id = 0;
  std::int64_t ticket_id = 0;
  std::string kind;               // text | system
  std::optional<Author> author;   // none for system messages
  std::string body;
  std::optional<std::string> client_id;
  std::int64_t created_at = 0;
};

// Who belongs to a ticket: what access checks and event routing need.
struct TicketAccess {
  std::int64_t id = 0;
  std::int64_t customer_id = 0;
  std::optional<std::int64_t> agent_id;
  std::string status;
  std::string priority;
};

int PriorityRank(std::string_view priority);  // low 0 .. urgent 3, -1 if unknown
// The key a keyset cursor holds for `t` under `sort` (with t.id as the tie-break).
std::int64_t SortKey(TicketSort sort, const Ticket& t);
// A page read with limit + 1 rows: keeps `limit` of them and, when the extra row was there,
// sets the cursor of the next page from the last one kept.
void EndPage(TicketPage& page, const TicketQuery& q);

}  // namespace helpline
