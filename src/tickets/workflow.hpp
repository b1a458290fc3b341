#pragma once
// Claiming and changing tickets: the state machine's decision, applied as one
// conditional update with its system messages, through the chat writer (so
// message events stay in id order), then announced on the event bus.
#include <optional>
#include <string>

#include "chat/message_writer.hpp"
#include "core/error.hpp"
#include "events/event.hpp"
#include "storage/store.hpp"

namespace helpline::tickets {

struct TicketView {
  Ticket ticket;
  std::vector<std::string> allowed_status;  // for the viewer
};

class Workflow {
 public:
  Workflow(Store& store, chat::MessageWriter& writer, EventBus& bus) : store_(store), writer_(writer), bus_(bus) {}

  Result<TicketView> View(const User& viewer, std::int64_t ticket_id);
  Result<TicketView> Claim(const User& agent, std::int64_t ticket_id);
  Result<TicketView> Update(const User& actor, std::int64_t ticket_id, const std::optional<std::string>& status,
                            const std::optional<std::string>& priority);

 private:
  // Applies `change` if the ticket still matches it; false when it changed meanwhile.
  bool Apply(const TicketChange& change);

  Store& store_;
  chat::MessageWriter& writer_;
  EventBus& bus_;
};

}  // namespace helpline::tickets
