#pragma once
// What happened, as the real-time side needs to hear it. Events travel on the
// EventBus: in one process today, between nodes (PostgreSQL NOTIFY) later, so
// they carry ids and plain data only.
#include <cstdint>
#include <functional>
#include <string>
#include <variant>

#include "storage/model.hpp"

namespace helpline {

// A chat message was stored (never published for a repeated client_id).
struct MessageStored {
  Message message;
  TicketAccess ticket;
  std::int64_t sender_id = 0;  // author, or the actor of a system message
};

// A ticket was created or changed (status, assignee, priority, last message).
struct TicketChanged {
  std::int64_t ticket_id = 0;
};

// A user's read mark on a ticket moved forward.
struct ReadMoved {
  std::int64_t ticket_id = 0;
  std::int64_t user_id = 0;
  std::int64_t up_to = 0;
};

// A session ended (log-out): its WebSockets close.
struct SessionEnded {
  std::string token_hash;
};

using Event = std::variant<MessageStored, TicketChanged, ReadMoved, SessionEnded>;

// Publish from any thread; subscribers are called on the publishing thread and
// must hand the event to their own thread themselves.
class EventBus {
 public:
  virtual ~EventBus() = default;
  virtual void Publish(const Event& event) = 0;
  virtual void Subscribe(std::function<void(const Event&)> handler) = 0;
};

// The single-node bus: delivers in-process, in publishing order.
class LocalEventBus final : public EventBus {
 public:
  void Publish(const Event& event) override {
    for (auto& h : handlers_) h(event);
  }
  // Subscribe before serving starts: the handler list is not locked.
  void Subscribe(std::function<void(const Event&)> handler) override { handlers_.push_back(std::move(handler)); }

 private:
  std::vector<std::function<void(const Event&)>> handlers_;
};

}  // namespace helpline
