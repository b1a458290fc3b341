#include "tickets/state_machine.hpp"

#include <array>

namespace helpline::tickets {

namespace {

enum Who : unsigned { kAnyAgent = 1, kItsAgent = 2, kCustomer = 4 };

struct Rule {
  std::string_view from, to;
  unsigned who;
  Assign assign;
};

constexpr std::array<Rule, 7> kRules = {{
    {"open", "in_progress", kAnyAgent, Assign::kActor},
    {"in_progress", "open", kItsAgent, Assign::kNobody},
    {"in_progress", "resolved", kItsAgent, Assign::kKeep},
    {"resolved", "in_progress", kItsAgent | kCustomer, Assign::kKeep},
    {"resolved", "closed", kItsAgent | kCustomer, Assign::kKeep},
    {"open", "closed", kAnyAgent | kCustomer, Assign::kKeep},
    {"in_progress", "closed", kItsAgent | kCustomer, Assign::kKeep},
}};

bool Permits(const Rule& rule, const TicketAccess& t, const User& actor) {
  if (actor.role == "agent") {
    if (rule.who & kAnyAgent) return true;
    return (rule.who & kItsAgent) && t.agent_id && *t.agent_id == actor.id;
  }
  return (rule.who & kCustomer) && t.customer_id == actor.id;
}

}  // namespace

bool IsStatus(std::string_view s) { return s == "open" || s == "in_progress" || s == "resolved" || s == "closed"; }

Result<std::optional<Move>> Decide(const TicketAccess& t, const User& actor, std::string_view to) {
  if (!IsStatus(to)) return Fail(Code::kValidationFailed, "status must be open, in_progress, resolved or closed.", "status");
  if (to == t.status) return std::optional<Move>();
  for (const auto& rule : kRules) {
    if (rule.from != t.status || rule.to != to) continue;
    if (!Permits(rule, t, actor))
      return Fail(Code::kForbidden, "You cannot move this ticket from " + StatusName(t.status) + " to " +
                                        StatusName(to) + ".");
    return std::optional<Move>(Move{std::string(rule.from), std::string(rule.to), rule.assign});
  }
  return Fail(Code::kInvalidTransition,
              t.status == "closed" ? std::string("This ticket is closed.")
                                   : "A ticket cannot move from " + StatusName(t.status) + " to " + StatusName(to) + ".");
}

std::vector<std::string> AllowedStatuses(const TicketAccess& t, const User& actor) {
  std::vector<std::string> out;
  for (const auto& rule : kRules)
    if (rule.from == t.status && Permits(rule, t, actor)) out.emplace_back(rule.to);
  return out;
}

std::string StatusName(std::string_view s) {
  if (s == "open") return "Open";
  if (s == "in_progress") return "In progress";
  if (s == "resolved") return "Resolved";
  if (s == "closed") return "Closed";
  return std::string(s);
}

}  // namespace helpline::tickets
