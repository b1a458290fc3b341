#pragma once
// The event bus of several Helpline nodes on one PostgreSQL database
// (docs/decisions/006-several-nodes.md). PostgreSQL's LISTEN/NOTIFY is the wire:
//
//  - Chat messages are announced by the store itself, from inside the transaction
//    that commits them (channel helpline_messages, payload = ids). PostgreSQL hands
//    notifications to every listener in commit order, and a ticket's messages commit
//    in id order, so every node, this one included, hears each ticket's messages in
//    id order: Publish(MessageStored) is therefore not sent again; the listener reads
//    the announced messages back and delivers them, here as everywhere.
//  - Everything else (ticket changes, read marks, log-outs, typing, presence) is
//    delivered here at once and sent to the other nodes as JSON on helpline_events.
//  - Nodes say hello, beat every 2 s and say bye; one silent for 6 s is gone, and so
//    is the presence it reported.
//  - When the listening connection breaks, it reconnects with backoff and then
//    delivers EventsMissed: what was announced meanwhile is lost to this node, and
//    the hub has its clients resynchronise from the database.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "events/event.hpp"

namespace helpline::pg {

class Connection;

class PgEventBus final : public EventBus {
 public:
  explicit PgEventBus(std::string url);
  ~PgEventBus() override;

  void Publish(const Event& event) override;
  void Subscribe(std::function<void(const Event&)> handler) override { handlers_.push_back(std::move(handler)); }
  void Start() override;
  void Stop() override;
  bool SpansNodes() const override { return true; }
  const std::string& NodeId() const override { return node_; }

  // Events as they travel between nodes (exposed for tests): JSON with the origin node.
  std::string Encode(const Event& event) const;
  std::optional<Event> Decode(std::string_view payload) const;

 private:
  void Deliver(const Event& event);
  void Send(std::string payload);
  void ListenLoop();
  void PublishLoop();
  // Reads the announced messages back and delivers them in the announced order.
  void DeliverMessages(Connection& conn, const std::vector<std::int64_t>& ids);
  void OnNodeEvent(const std::string& type, const std::string& node);
  void CheckNodes();
  bool Sleep(std::chrono::milliseconds d);  // false when stopping

  const std::string url_;
  const std::string node_;
  std::vector<std::function<void(const Event&)>> handlers_;
  std::thread listener_, publisher_;
  std::atomic<bool> stopping_{false};

  std::mutex mutex_;  // guards outbox_ and the wake-ups
  std::condition_variable wake_;
  std::deque<std::string> outbox_;
  bool publisher_done_ = false;

  // Other nodes and when each was last heard (listener thread only).
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> nodes_;
  std::chrono::steady_clock::time_point last_beat_{};
};

}  // namespace helpline::pg
