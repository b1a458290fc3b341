#include "tickets/workflow.hpp"

#include "tickets/state_machine.hpp"

namespace helpline::tickets {

namespace {
constexpr int kAttempts = 5;  // a conditional update lost to a concurrent change is decided again

bool MayView(const User& u, const TicketAccess& t) { return u.role == "agent" || u.id == t.customer_id; }

std::string PriorityName(const std::string& p) {
  if (p.empty()) return p;
  return std::string(1, static_cast<char>(std::toupper(static_cast<unsigned char>(p[0])))) + p.substr(1);
}
}  // namespace

Result<TicketView> Workflow::View(const User& viewer, std::int64_t ticket_id) {
  auto access = store_.GetTicketAccess(ticket_id);
  if (!access || !MayView(viewer, *access)) return Fail(Code::kNotFound, "No such ticket.");
  auto ticket = store_.GetTicket(ticket_id, viewer.id);
  if (!ticket) return Fail(Code::kNotFound, "No such ticket.");
  TicketAccess now{ticket->id, ticket->customer.id,
                   ticket->agent ? std::optional<std::int64_t>(ticket->agent->id) : std::nullopt, ticket->status,
                   ticket->priority};
  return TicketView{std::move(*ticket), AllowedStatuses(now, viewer)};
}

bool Workflow::Apply(const TicketChange& change) {
  bool applied = false;
  writer_.RunExclusive([&] {
    auto stored = store_.ApplyTicketChange(change);
    if (!stored) return;
    applied = true;
    auto access = store_.GetTicketAccess(change.ticket_id);
    for (auto& m : *stored) bus_.Publish(MessageStored{m, access.value_or(TicketAccess{}), change.actor_id});
    bus_.Publish(TicketChanged{change.ticket_id});
  });
  return applied;
}

Result<TicketView> Workflow::Claim(const User& agent, std::int64_t ticket_id) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto t = store_.GetTicketAccess(ticket_id);
    if (!t) return Fail(Code::kNotFound, "No such ticket.");
    if (t->agent_id == agent.id && t->status == "in_progress") return View(agent, ticket_id);  // already yours
    if (t->agent_id && *t->agent_id != agent.id) {
      auto holder = store_.FindUser(*t->agent_id);
      return Fail(Code::kAlreadyClaimed, "Already claimed by " + (holder ? holder->name : std::string("another agent")) + ".");
    }
    if (t->status != "open") return Fail(Code::kInvalidTransition, "Only an open ticket can be claimed.");
    TicketChange change{ticket_id, agent.id, t->status, t->agent_id, "in_progress", agent.id, t->priority,
                        {agent.name + " claimed the ticket."}};
    if (Apply(change)) return View(agent, ticket_id);
  }
  return Fail(Code::kAlreadyClaimed, "The ticket changed while you claimed it. Reload it and try again.");
}

Result<TicketView> Workflow::Update(const User& actor, std::int64_t ticket_id, const std::optional<std::string>& status,
                                    const std::optional<std::string>& priority) {
  if (priority && PriorityRank(*priority) < 0)
    return Fail(Code::kValidationFailed, "Priority must be low, normal, high or urgent.", "priority");
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto t = store_.GetTicketAccess(ticket_id);
    if (!t || !MayView(actor, *t)) return Fail(Code::kNotFound, "No such ticket.");
    std::optional<Move> move;
    if (status) {
      auto decided = Decide(*t, actor, *status);
      if (!decided) return Unexpected(decided.error());
      move = *decided;
    }
    bool priority_changes = priority && *priority != t->priority;
    if (priority_changes && actor.role != "agent") return Fail(Code::kForbidden, "Only agents set the priority.", "priority");
    if (priority_changes && t->status == "closed") return Fail(Code::kInvalidTransition, "This ticket is closed.");
    if (!move && !priority_changes) return View(actor, ticket_id);  // nothing changes: no system message

    TicketChange change{ticket_id, actor.id, t->status, t->agent_id, t->status, t->agent_id, t->priority, {}};
    if (move) {
      change.status = move->to;
      if (move->assign == Assign::kActor) change.agent_id = actor.id;
      if (move->assign == Assign::kNobody) change.agent_id = std::nullopt;
      std::string text;
      if (move->assign == Assign::kActor) text = actor.name + " claimed the ticket.";
      else if (move->assign == Assign::kNobody) text = actor.name + " released the ticket.";
      else if (move->from == "resolved" && move->to == "in_progress") text = actor.name + " reopened the ticket.";
      else text = actor.name + " changed the status from " + StatusName(move->from) + " to " + StatusName(move->to) + ".";
      change.system_messages.push_back(std::move(text));
    }
    if (priority_changes) {
      change.priority = *priority;
      change.system_messages.push_back(actor.name + " changed the priority from " + PriorityName(t->priority) + " to " +
                                       PriorityName(*priority) + ".");
    }
    if (Apply(change)) return View(actor, ticket_id);
  }
  return Fail(Code::kInvalidTransition, "The ticket changed while you updated it. Reload it and try again.");
}

}  // namespace helpline::tickets
