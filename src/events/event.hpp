#pragma once
// What happened, as the real-time side needs to hear it. Events travel on the
// EventBus: in one process (LocalEventBus), or between the nodes that share one
// PostgreSQL database (storage/postgres/pg_event_bus.hpp), so they carry ids and
// plain data only.
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

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

// The rest only matters with several nodes: what one node's hub tells the others'.
// `origin` is the node id of the hub that published it (EventBus::NodeId).

// Someone started or stopped typing on a ticket (a connection of node `origin`).
struct TypingChanged {
  std::string origin;
  std::int64_t ticket_id = 0;
  std::int64_t user_id = 0;
  std::string user_name;
  bool state = false;
};

struct PresenceUser {
  std::int64_t id = 0;
  std::string name;
  std::string role;
};

// Who is in a ticket's room on node `origin` now (all of them: it replaces the last list).
struct PresenceChanged {
  std::string origin;
  std::int64_t ticket_id = 0;
  std::vector<PresenceUser> online;
};

// A node appeared (the others tell it their presence) or is gone (its presence ends).
struct NodeJoined {
  std::string node;
};
struct NodeGone {
  std::string node;
};

// This node may have missed events (its connection to the other nodes broke and is back):
// its clients must resynchronise from the database.
struct EventsMissed {};

using Event = std::variant<MessageStored, TicketChanged, ReadMoved, SessionEnded, TypingChanged, PresenceChanged,
                           NodeJoined, NodeGone, EventsMissed>;

// Publish from any thread; subscribers are called on the publishing thread (or the
// bus's own) and must hand the event to their own thread themselves.
class EventBus {
 public:
  virtual ~EventBus() = default;
  virtual void Publish(const Event& event) = 0;
  // Subscribe before Start: the handler list is not locked.
  virtual void Subscribe(std::function<void(const Event&)> handler) = 0;
  // Begins delivering events from other nodes (after every subscriber is in); Stop ends it.
  virtual void Start() {}
  virtual void Stop() {}
  // True when other nodes may be listening: the hub then publishes typing and presence.
  virtual bool SpansNodes() const { return false; }
  virtual const std::string& NodeId() const = 0;
};

// The single-node bus: delivers in-process, in publishing order.
class LocalEventBus final : public EventBus {
 public:
  void Publish(const Event& event) override {
    for (auto& h : handlers_) h(event);
  }
  void Subscribe(std::function<void(const Event&)> handler) override { handlers_.push_back(std::move(handler)); }
  const std::string& NodeId() const override { return node_; }

 private:
  std::vector<std::function<void(const Event&)>> handlers_;
  std::string node_ = "local";
};

}  // namespace helpline
