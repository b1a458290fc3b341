#pragma once
// THE ticket status machine: every allowed move, who may make it, and what it
// does to the assignee. One table, used by PATCH, claim, and the allowed_status
// the pages render. Pure logic: no I/O.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "storage/model.hpp"

namespace helpline::tickets {

enum class Assign { kKeep, kActor, kNobody };

struct Move {
  std::string from;
  std::string to;
  Assign assign = Assign::kKeep;  // open -> in_progress takes the ticket; in_progress -> open releases it
};

// The moves of the contract's table, as data.
//   from          to            who
//   open          in_progress   any agent (claims it too)
//   in_progress   open          its agent (releases it)
//   in_progress   resolved      its agent
//   resolved      in_progress   its agent, or the customer (reopen)
//   resolved      closed        its agent, or the customer
//   open          closed        any agent (spam, duplicates), or the customer (withdraw)
//   in_progress   closed        its agent, or the customer (withdraw)
// closed is final.
bool IsStatus(std::string_view s);

// What moving `ticket` to `to` means for `actor`:
//   a Move when allowed; nullopt when `to` is the current status (nothing to do);
//   kInvalidTransition when no such move exists from the current status;
//   kForbidden when the move exists but not for this actor.
Result<std::optional<Move>> Decide(const TicketAccess& ticket, const User& actor, std::string_view to);

// The statuses `actor` may move `ticket` to now (for the pages' Status control).
std::vector<std::string> AllowedStatuses(const TicketAccess& ticket, const User& actor);

// "In progress" for in_progress: the names the pages and system messages use.
std::string StatusName(std::string_view status);

}  // namespace helpline::tickets
