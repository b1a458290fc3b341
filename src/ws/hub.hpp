#pragma once
// The real-time heart: connections, ticket rooms, presence, typing, replay,
// read receipts and unread counts. Everything here runs on the one I/O thread,
// so it needs no locks; database work goes to the worker pool and its result
// comes back to the I/O thread. Knows frames as JSON text, not Beast.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "chat/message_writer.hpp"
#include "core/metrics.hpp"
#include "events/event.hpp"
#include "storage/store.hpp"

namespace helpline::ws {

using Frame = std::shared_ptr<const std::string>;

// Why the server closes a socket: the session ended (1008), or the client must
// resynchronise because this node may have missed events (1012, "service restart").
enum class CloseReason { kSessionEnded, kResync };

// One client connection as the hub sees it (implemented by the WebSocket session).
class Peer {
 public:
  virtual ~Peer() = default;
  virtual void Send(Frame frame) = 0;  // queues; a peer whose queue overflows closes itself
  virtual void Close(CloseReason reason) = 0;
  // True while the peer's outbound queue is long: replays pause until it drains
  // (the peer then calls Hub::OnDrained), so a long history never overflows it.
  virtual bool Congested() const = 0;
};

class Hub {
 public:
  static constexpr auto kTypingTimeout = std::chrono::seconds(6);
  static constexpr std::size_t kMaxBody = 5000;  // code points

  Hub(boost::asio::io_context& io, boost::asio::thread_pool& pool, Store& store, chat::MessageWriter& writer,
      EventBus& bus, Metrics& metrics);

  // All of these run on the I/O thread.
  std::uint64_t Connect(std::weak_ptr<Peer> peer, const User& user, std::string token_hash);
  void Disconnect(std::uint64_t conn);
  void OnFrame(std::uint64_t conn, std::string_view text);
  void OnEvent(const Event& event);
  void OnDrained(std::uint64_t conn);  // the peer's outbound queue emptied
  // Every 30 s: close sockets whose session expired or was revoked (logout closes at once).
  void StartSessionSweep();
  void StopSessionSweep() { session_sweep_.reset(); }

 private:
  struct Conn {
    std::weak_ptr<Peer> peer;
    User user;
    std::string token_hash;
    std::unordered_set<std::int64_t> rooms;
    double tokens = 100;  // rate limit: a token bucket of frames
    std::chrono::steady_clock::time_point refilled = std::chrono::steady_clock::now();
    int refusals = 0;
  };
  // A connection in a room. After `subscribe` it replays the history page by
  // page, paced by the peer's queue, buffering live messages meanwhile; then it goes live.
  struct Member {
    bool live = false;               // false while replaying
    std::uint64_t generation = 0;    // which subscribe this membership belongs to
    std::int64_t last_sent = 0;      // highest message id sent: nothing is sent twice
    std::deque<Message> replay;      // fetched, not yet sent
    bool more_in_store = true;       // the last page was full: fetch again when `replay` is empty
    bool fetching = false;
    bool waiting_for_drain = false;
    std::vector<std::pair<std::int64_t, Frame>> buffered;  // live messages that arrived during the replay
    bool buffer_overflowed = false;  // then the store is read once more before going live
  };
  struct Room {
    std::unordered_map<std::uint64_t, Member> members;
    std::map<std::int64_t, int> online;  // user -> live connections in the room
    std::unordered_map<std::int64_t, std::unique_ptr<boost::asio::steady_timer>> typing;  // user -> expiry
    std::unordered_map<std::int64_t, std::uint64_t> typing_conn;  // user -> the connection that typed
    // Typists on other nodes, each with its own expiry here (their node may die mid-word).
    std::unordered_map<std::int64_t, std::unique_ptr<boost::asio::steady_timer>> remote_typing;
  };
  struct UserConns {
    User user;
    std::unordered_set<std::uint64_t> conns;
  };

  // Frames
  void Subscribe(std::uint64_t id, Conn& conn, std::int64_t ticket_id, std::int64_t after);
  void FetchReplay(std::uint64_t id, std::int64_t ticket_id, Member& member, bool check_access);
  void OnReplayPage(std::uint64_t id, std::int64_t ticket_id, std::uint64_t generation, bool allowed,
                    std::vector<Message> page);
  void PumpReplay(std::uint64_t id, std::int64_t ticket_id);
  void GoLive(std::uint64_t id, Conn& conn, std::int64_t ticket_id, Member& member);
  void Unsubscribe(std::uint64_t id, std::int64_t ticket_id);
  void PostMessage(std::uint64_t id, Conn& conn, const boost::json::object& frame);
  void Typing(std::uint64_t id, Conn& conn, std::int64_t ticket_id, bool state);
  void Read(std::uint64_t id, Conn& conn, std::int64_t ticket_id, std::int64_t up_to);

  // Events
  void DeliverMessage(const MessageStored& event);
  void DeliverRead(const ReadMoved& event);
  void QueueUnread(std::int64_t user_id, std::int64_t ticket_id);
  void FlushUnread();
  void QueueTicketEvent(std::int64_t ticket_id, bool coalesce);
  void SendTicketEvent(std::int64_t ticket_id);

  // Helpers
  bool Allow(Conn& conn);
  void SendTo(std::uint64_t id, Frame frame);
  void SendToUser(std::int64_t user_id, const Frame& frame);
  void SendError(std::uint64_t id, std::string_view code, std::string_view message, const boost::json::value& ref);
  void BroadcastPresence(std::int64_t ticket_id, Room& room);
  // The room's online users on this node changed: tell the room, and the other nodes.
  void LocalPresenceChanged(std::int64_t ticket_id, Room& room);
  void AnnouncePresence(std::int64_t ticket_id, const Room& room);
  void SetTyping(std::int64_t ticket_id, Room& room, std::int64_t user_id, bool state);
  void BroadcastToRoom(Room& room, const Frame& frame, std::int64_t except_user);
  boost::json::array PresenceList(std::int64_t ticket_id, const Room& room) const;

  // What other nodes' hubs say (several nodes on one PostgreSQL; see events/event.hpp).
  void OnRemoteTyping(const TypingChanged& event);
  void OnRemotePresence(const PresenceChanged& event);
  void OnNodeGone(const std::string& node);
  void OnNodeJoined();
  void ResyncClients();
  void LeaveRoom(std::uint64_t id, Conn& conn, std::int64_t ticket_id);

  boost::asio::io_context& io_;
  boost::asio::thread_pool& pool_;
  Store& store_;
  chat::MessageWriter& writer_;
  EventBus& bus_;
  Metrics& metrics_;

  std::uint64_t next_conn_ = 1;
  std::uint64_t next_generation_ = 1;
  std::unordered_map<std::uint64_t, Conn> conns_;
  std::unordered_map<std::int64_t, Room> rooms_;
  std::unordered_map<std::int64_t, UserConns> users_;
  std::unordered_set<std::uint64_t> agent_conns_;
  std::unordered_map<std::int64_t, std::string> names_;  // user id -> name, for presence and typing
  // Who is in each ticket's room on the other nodes: ticket -> node -> users.
  std::unordered_map<std::int64_t, std::map<std::string, std::vector<PresenceUser>>> remote_online_;

  std::set<std::pair<std::int64_t, std::int64_t>> unread_pending_;  // (user, ticket)
  // The last (count, unread_total) sent per connected user and ticket: a recount that
  // changed nothing (two events racing to the same flush) is not sent again.
  std::unordered_map<std::int64_t, std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>>> unread_sent_;
  bool unread_in_flight_ = false;
  bool unread_flush_posted_ = false;

  struct TicketCooldown {
    std::unique_ptr<boost::asio::steady_timer> timer;
    bool dirty = false;
  };
  std::unordered_map<std::int64_t, TicketCooldown> ticket_cooldown_;
  // Cooldowns last 1 s plus up to kCooldownJitterMs: tickets that got busy together would
  // otherwise keep sending their events in the same instant every second, one burst of
  // (tickets x agents) frames that holds up the chat behind it.
  static constexpr int kCooldownJitterMs = 250;
  std::minstd_rand cooldown_jitter_{std::random_device{}()};
  std::unique_ptr<boost::asio::steady_timer> session_sweep_;
};

}  // namespace helpline::ws
