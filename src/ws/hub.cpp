#include "ws/hub.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "core/json.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace helpline::ws {

namespace asio = boost::asio;
namespace bj = boost::json;

namespace {

Frame MakeFrame(const bj::object& obj) { return std::make_shared<const std::string>(bj::serialize(obj)); }

Frame MessageFrame(const Message& m) { return MakeFrame({{"type", "message"}, {"message", json::MessageJson(m)}}); }

std::int64_t IdField(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return 0;
  if (v->is_int64() && v->as_int64() >= 0) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v->as_uint64());
  return -1;  // present but not a positive integer
}

bool MayView(const User& u, const TicketAccess& t) { return u.role == "agent" || u.id == t.customer_id; }

}  // namespace

Hub::Hub(asio::io_context& io, asio::thread_pool& pool, Store& store, chat::MessageWriter& writer, EventBus& bus,
         Metrics& metrics)
    : io_(io), pool_(pool), store_(store), writer_(writer), bus_(bus), metrics_(metrics) {
  bus_.Subscribe([this](const Event& e) { asio::post(io_, [this, e] { OnEvent(e); }); });
}

std::uint64_t Hub::Connect(std::weak_ptr<Peer> peer, const User& user, std::string token_hash) {
  auto id = next_conn_++;
  conns_.emplace(id, Conn{std::move(peer), user, std::move(token_hash)});
  auto& uc = users_[user.id];
  uc.user = user;
  uc.conns.insert(id);
  names_[user.id] = user.name;
  if (user.role == "agent") agent_conns_.insert(id);
  metrics_.ws_connections.fetch_add(1);
  SendTo(id, MakeFrame({{"type", "hello"}, {"user", json::UserJson(user)}, {"server_time", FormatTime(NowMs())}}));
  return id;
}

void Hub::Disconnect(std::uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  auto rooms = it->second.rooms;
  for (auto ticket_id : rooms) LeaveRoom(id, it->second, ticket_id);
  auto user_id = it->second.user.id;
  if (auto u = users_.find(user_id); u != users_.end()) {
    u->second.conns.erase(id);
    if (u->second.conns.empty()) {
      users_.erase(u);
      unread_sent_.erase(user_id);
    }
  }
  agent_conns_.erase(id);
  conns_.erase(it);
  metrics_.ws_connections.fetch_sub(1);
}

bool Hub::Allow(Conn& conn) {
  // 50 frames a second with bursts of 100: a person typing and sending in several
  // rooms stays far below it; a script flooding the server does not.
  auto now = std::chrono::steady_clock::now();
  conn.tokens = std::min(100.0, conn.tokens + std::chrono::duration<double>(now - conn.refilled).count() * 50.0);
  conn.refilled = now;
  if (conn.tokens < 1) return false;
  conn.tokens -= 1;
  if (conn.refusals > 0) --conn.refusals;  // refusals count only while they outpace accepted frames
  return true;
}

void Hub::OnFrame(std::uint64_t id, std::string_view text) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  auto& conn = it->second;
  if (!Allow(conn)) {
    if (++conn.refusals > 200) {  // a flood at several times the rate: cut it off
      if (auto p = conn.peer.lock()) p->Close(CloseReason::kSessionEnded);
      return;
    }
    SendError(id, "rate_limited", "Too many frames; slow down.", nullptr);
    return;
  }
  boost::system::error_code ec;
  auto parsed = bj::parse(text, ec);
  if (ec || !parsed.is_object() || !parsed.as_object().contains("type") || !parsed.as_object().at("type").is_string()) {
    SendError(id, "bad_request", "A frame must be a JSON object with a type.", nullptr);
    return;
  }
  const auto& frame = parsed.as_object();
  auto type = frame.at("type").as_string();
  auto ticket_id = IdField(frame, "ticket_id");

  if (type == "ping") {
    SendTo(id, MakeFrame({{"type", "pong"}}));
  } else if (type == "subscribe" || type == "unsubscribe" || type == "typing" || type == "read") {
    if (ticket_id <= 0) {
      SendError(id, "validation_failed", "ticket_id must be a positive integer.", nullptr);
      return;
    }
    if (type == "subscribe") {
      auto after = IdField(frame, "after");
      if (after < 0) {
        SendError(id, "validation_failed", "after must be a message id.", ticket_id);
        return;
      }
      Subscribe(id, conn, ticket_id, after);
    } else if (type == "unsubscribe") {
      Unsubscribe(id, ticket_id);
    } else if (type == "typing") {
      auto* state = frame.if_contains("state");
      if (!state || !state->is_bool()) {
        SendError(id, "validation_failed", "state must be true or false.", ticket_id);
        return;
      }
      Typing(id, conn, ticket_id, state->as_bool());
    } else {
      auto* up = frame.if_contains("up_to");
      if (!up || !(up->is_int64() || up->is_uint64()) || (up->is_int64() && up->as_int64() < 0)) {
        SendError(id, "validation_failed", "up_to must be a message id.", ticket_id);
        return;
      }
      Read(id, conn, ticket_id, up->is_int64() ? up->as_int64() : static_cast<std::int64_t>(up->as_uint64()));
    }
  } else if (type == "message") {
    PostMessage(id, conn, frame);
  } else {
    SendError(id, "bad_request", "Unknown frame type.", nullptr);
  }
}

// --- subscribe: join first (buffering live messages), then replay, then go live ---

namespace {
constexpr int kReplayPage = 100;             // messages read from the store at a time
constexpr std::size_t kMaxBuffered = 2000;   // live messages held for a replaying member
}  // namespace

void Hub::Subscribe(std::uint64_t id, Conn& conn, std::int64_t ticket_id, std::int64_t after) {
  auto& room = rooms_[ticket_id];
  if (room.members.empty() && !conn.rooms.contains(ticket_id)) metrics_.rooms.fetch_add(1);
  auto& member = room.members[id];
  if (member.live) {  // a re-subscribe: not live again until its replay is done
    if (--room.online[conn.user.id] <= 0) {
      room.online.erase(conn.user.id);
      LocalPresenceChanged(ticket_id, room);
    }
  }
  member = Member{};
  member.generation = next_generation_++;
  member.last_sent = after;
  conn.rooms.insert(ticket_id);
  FetchReplay(id, ticket_id, member, true);
}

void Hub::FetchReplay(std::uint64_t id, std::int64_t ticket_id, Member& member, bool check_access) {
  member.fetching = true;
  auto c = conns_.find(id);
  if (c == conns_.end()) return;
  User user = c->second.user;
  auto generation = member.generation;
  auto from = member.last_sent;
  asio::post(pool_, [this, id, ticket_id, generation, from, user, check_access] {
    bool allowed = true;
    std::vector<Message> page;
    try {
      if (check_access) {
        auto access = store_.GetTicketAccess(ticket_id);
        allowed = access && MayView(user, *access);
      }
      if (allowed) page = store_.ListMessages(ticket_id, from, std::nullopt, kReplayPage);
    } catch (const std::exception& e) {
      spdlog::error("event=replay_failed ticket={} what=\"{}\"", ticket_id, e.what());
      allowed = false;
    }
    asio::post(io_, [this, id, ticket_id, generation, allowed, page = std::move(page)]() mutable {
      OnReplayPage(id, ticket_id, generation, allowed, std::move(page));
    });
  });
}

void Hub::OnReplayPage(std::uint64_t id, std::int64_t ticket_id, std::uint64_t generation, bool allowed,
                       std::vector<Message> page) {
  auto c = conns_.find(id);
  auto r = rooms_.find(ticket_id);
  if (c == conns_.end() || r == rooms_.end()) return;
  auto m = r->second.members.find(id);
  if (m == r->second.members.end() || m->second.generation != generation) return;  // unsubscribed or superseded
  if (!allowed) {
    LeaveRoom(id, c->second, ticket_id);
    SendError(id, "not_found", "No such ticket.", ticket_id);
    return;
  }
  auto& member = m->second;
  member.fetching = false;
  member.more_in_store = static_cast<int>(page.size()) == kReplayPage;
  for (auto& msg : page) member.replay.push_back(std::move(msg));
  PumpReplay(id, ticket_id);
}

void Hub::PumpReplay(std::uint64_t id, std::int64_t ticket_id) {
  auto c = conns_.find(id);
  auto r = rooms_.find(ticket_id);
  if (c == conns_.end() || r == rooms_.end()) return;
  auto m = r->second.members.find(id);
  if (m == r->second.members.end() || m->second.live || m->second.fetching) return;
  auto& member = m->second;
  auto peer = c->second.peer.lock();
  if (!peer) return;
  while (!member.replay.empty()) {
    if (peer->Congested()) {
      member.waiting_for_drain = true;  // OnDrained resumes
      return;
    }
    auto& msg = member.replay.front();
    if (msg.id > member.last_sent) {
      peer->Send(MessageFrame(msg));
      member.last_sent = msg.id;
    }
    member.replay.pop_front();
  }
  if (member.more_in_store || member.buffer_overflowed) {
    member.buffer_overflowed = false;
    FetchReplay(id, ticket_id, member, false);
    return;
  }
  GoLive(id, c->second, ticket_id, member);
}

void Hub::OnDrained(std::uint64_t id) {
  auto c = conns_.find(id);
  if (c == conns_.end()) return;
  std::vector<std::int64_t> resume;
  for (auto ticket_id : c->second.rooms) {
    auto r = rooms_.find(ticket_id);
    if (r == rooms_.end()) continue;
    auto m = r->second.members.find(id);
    if (m != r->second.members.end() && m->second.waiting_for_drain) {
      m->second.waiting_for_drain = false;
      resume.push_back(ticket_id);
    }
  }
  for (auto ticket_id : resume) PumpReplay(id, ticket_id);
}

void Hub::GoLive(std::uint64_t id, Conn& conn, std::int64_t ticket_id, Member& member) {
  // Live messages that arrived during the replay, minus what the replay already sent.
  for (auto& [msg_id, frame] : member.buffered) {
    if (msg_id <= member.last_sent) continue;
    SendTo(id, frame);
    member.last_sent = msg_id;
  }
  member.buffered.clear();
  member.buffered.shrink_to_fit();
  member.live = true;
  auto& room = rooms_.at(ticket_id);
  bool newcomer = room.online[conn.user.id]++ == 0;
  SendTo(id, MakeFrame({{"type", "subscribed"}, {"ticket_id", ticket_id}, {"presence", PresenceList(ticket_id, room)}}));
  if (newcomer) LocalPresenceChanged(ticket_id, room);
  // Who is typing right now (here or on another node), so a newcomer sees it too.
  for (const auto* typists : {&room.typing, &room.remote_typing}) {
    for (auto& [typist, timer] : *typists) {
      if (typist == conn.user.id) continue;
      SendTo(id, MakeFrame({{"type", "typing"}, {"ticket_id", ticket_id},
                            {"user", {{"id", typist}, {"name", names_[typist]}}}, {"state", true}}));
    }
  }
}

void Hub::Unsubscribe(std::uint64_t id, std::int64_t ticket_id) {
  auto c = conns_.find(id);
  if (c != conns_.end()) LeaveRoom(id, c->second, ticket_id);
}

void Hub::LeaveRoom(std::uint64_t id, Conn& conn, std::int64_t ticket_id) {
  conn.rooms.erase(ticket_id);
  auto r = rooms_.find(ticket_id);
  if (r == rooms_.end()) return;
  auto& room = r->second;
  auto m = room.members.find(id);
  if (m == room.members.end()) return;
  bool was_live = m->second.live;
  room.members.erase(m);
  // The tab that was typing is gone: the indicator goes with it, even if another tab stays.
  if (auto tc = room.typing_conn.find(conn.user.id); tc != room.typing_conn.end() && tc->second == id)
    SetTyping(ticket_id, room, conn.user.id, false);
  if (was_live) {
    auto& count = room.online[conn.user.id];
    if (--count <= 0) {
      room.online.erase(conn.user.id);
      SetTyping(ticket_id, room, conn.user.id, false);  // the typist left: tell the others
      LocalPresenceChanged(ticket_id, room);
    }
  }
  if (room.members.empty()) {
    rooms_.erase(r);
    metrics_.rooms.fetch_sub(1);
  }
}

// --- messages ---

void Hub::PostMessage(std::uint64_t id, Conn& conn, const bj::object& frame) {
  auto ticket_id = IdField(frame, "ticket_id");
  auto* cid = frame.if_contains("client_id");
  bj::value ref = cid && cid->is_string() ? bj::value(cid->as_string()) : bj::value(ticket_id > 0 ? ticket_id : 0);
  if (!cid || !cid->is_string() || !text::LengthWithin(cid->as_string(), 1, 100)) {
    SendError(id, "validation_failed", "client_id must be a string of 1 to 100 characters.", ref);
    return;
  }
  if (ticket_id <= 0) {
    SendError(id, "validation_failed", "ticket_id must be a positive integer.", ref);
    return;
  }
  auto* body = frame.if_contains("body");
  if (!body || !body->is_string() || !text::LengthWithin(body->as_string(), 1, kMaxBody) ||
      text::Trim(body->as_string()).empty()) {
    SendError(id, "validation_failed", "A message is 1 to 5000 characters of text.", ref);
    return;
  }
  std::string client_id(cid->as_string());
  NewMessage m{ticket_id, conn.user, std::string(body->as_string()), client_id, conn.token_hash};
  writer_.Submit(std::move(m), [this, id, client_id](const Result<AppendResult>& r) {
    // On the writer thread, after the commit: hand the outcome to the I/O thread.
    if (!r) {
      std::string code = CodeName(r.error().code), message = r.error().message;
      bool session_over = r.error().code == Code::kUnauthenticated;
      asio::post(io_, [this, id, code, message, client_id, session_over] {
        SendError(id, code, message, bj::value(client_id));
        if (session_over)
          if (auto c = conns_.find(id); c != conns_.end())
            if (auto p = c->second.peer.lock()) p->Close(CloseReason::kSessionEnded);
      });
      return;
    }
    asio::post(io_, [this, id, result = *r] {
      SendTo(id, MakeFrame({{"type", "ack"}, {"client_id", result.message.client_id.value_or("")},
                            {"message_id", result.message.id}}));
      // A repeat of an earlier send is not broadcast again; the sender gets the original.
      if (!result.created) SendTo(id, MessageFrame(result.message));
    });
  });
}

void Hub::DeliverMessage(const MessageStored& ev) {
  auto frame = MessageFrame(ev.message);
  if (auto r = rooms_.find(ev.message.ticket_id); r != rooms_.end()) {
    for (auto& [conn_id, member] : r->second.members) {
      if (!member.live) {
        if (member.buffered.size() < kMaxBuffered) {
          member.buffered.emplace_back(ev.message.id, frame);
        } else {  // too many to hold: drop them and read the store once more before going live
          member.buffered.clear();
          member.buffer_overflowed = true;
        }
        continue;
      }
      if (ev.message.id <= member.last_sent) continue;
      member.last_sent = ev.message.id;
      SendTo(conn_id, frame);
    }
    // Everyone present in the room may have a new unread count.
    for (auto& [user_id, count] : r->second.online)
      if (user_id != ev.sender_id) QueueUnread(user_id, ev.message.ticket_id);
  }
  // The ticket's customer and its agent count it in unread_total even when not in the room.
  if (ev.ticket.customer_id != ev.sender_id && users_.contains(ev.ticket.customer_id))
    QueueUnread(ev.ticket.customer_id, ev.message.ticket_id);
  if (ev.ticket.agent_id && *ev.ticket.agent_id != ev.sender_id && users_.contains(*ev.ticket.agent_id))
    QueueUnread(*ev.ticket.agent_id, ev.message.ticket_id);
  QueueTicketEvent(ev.message.ticket_id, true);
}

// --- typing and presence ---

void Hub::Typing(std::uint64_t id, Conn& conn, std::int64_t ticket_id, bool state) {
  auto r = rooms_.find(ticket_id);
  if (r == rooms_.end()) return;
  auto m = r->second.members.find(id);
  if (m == r->second.members.end() || !m->second.live) return;  // only room members type
  if (state) r->second.typing_conn[conn.user.id] = id;
  SetTyping(ticket_id, r->second, conn.user.id, state);
}

void Hub::SetTyping(std::int64_t ticket_id, Room& room, std::int64_t user_id, bool state) {
  auto t = room.typing.find(user_id);
  if (!state && t == room.typing.end()) return;  // was not typing: nothing to say
  if (state) {
    if (t == room.typing.end()) t = room.typing.emplace(user_id, std::make_unique<asio::steady_timer>(io_)).first;
    t->second->expires_after(kTypingTimeout);
    t->second->async_wait([this, ticket_id, user_id](boost::system::error_code ec) {
      if (ec) return;  // renewed or cancelled
      auto r = rooms_.find(ticket_id);
      if (r != rooms_.end()) SetTyping(ticket_id, r->second, user_id, false);
    });
  } else {
    room.typing.erase(t);  // destroying the timer cancels its wait
    room.typing_conn.erase(user_id);
  }
  auto frame = MakeFrame({{"type", "typing"}, {"ticket_id", ticket_id},
                          {"user", {{"id", user_id}, {"name", names_[user_id]}}}, {"state", state}});
  BroadcastToRoom(room, frame, user_id);
  if (bus_.SpansNodes()) bus_.Publish(TypingChanged{bus_.NodeId(), ticket_id, user_id, names_[user_id], state});
}

bj::array Hub::PresenceList(std::int64_t ticket_id, const Room& room) const {
  // This node's users, then the other nodes' (a user on two nodes once), in user id order.
  std::map<std::int64_t, bj::object> online;
  for (auto& [user_id, count] : room.online) {
    if (count <= 0) continue;
    auto u = users_.find(user_id);
    if (u == users_.end()) continue;
    online.emplace(user_id, bj::object{{"id", user_id}, {"name", u->second.user.name}, {"role", u->second.user.role}});
  }
  if (auto r = remote_online_.find(ticket_id); r != remote_online_.end())
    for (const auto& [node, users] : r->second)
      for (const auto& u : users) online.emplace(u.id, bj::object{{"id", u.id}, {"name", u.name}, {"role", u.role}});
  bj::array list;
  for (auto& [id, o] : online) list.push_back(std::move(o));
  return list;
}

void Hub::BroadcastPresence(std::int64_t ticket_id, Room& room) {
  BroadcastToRoom(room,
                  MakeFrame({{"type", "presence"}, {"ticket_id", ticket_id}, {"online", PresenceList(ticket_id, room)}}), 0);
}

void Hub::LocalPresenceChanged(std::int64_t ticket_id, Room& room) {
  BroadcastPresence(ticket_id, room);
  AnnouncePresence(ticket_id, room);
}

void Hub::AnnouncePresence(std::int64_t ticket_id, const Room& room) {
  if (!bus_.SpansNodes()) return;
  PresenceChanged ev{bus_.NodeId(), ticket_id, {}};
  for (auto& [user_id, count] : room.online) {
    if (count <= 0) continue;
    if (auto u = users_.find(user_id); u != users_.end())
      ev.online.push_back(PresenceUser{user_id, u->second.user.name, u->second.user.role});
    if (ev.online.size() >= 50) break;  // a room's list, not a crowd's: it must fit one notification
  }
  bus_.Publish(ev);
}

// --- other nodes ---

void Hub::OnRemoteTyping(const TypingChanged& ev) {
  if (ev.origin == bus_.NodeId()) return;
  auto r = rooms_.find(ev.ticket_id);
  if (r == rooms_.end()) return;  // nobody here to tell
  auto& room = r->second;
  names_[ev.user_id] = ev.user_name;
  auto t = room.remote_typing.find(ev.user_id);
  if (ev.state) {
    if (t == room.remote_typing.end())
      t = room.remote_typing.emplace(ev.user_id, std::make_unique<asio::steady_timer>(io_)).first;
    t->second->expires_after(kTypingTimeout);
    t->second->async_wait([this, ticket_id = ev.ticket_id, user_id = ev.user_id](boost::system::error_code ec) {
      if (ec) return;  // renewed, stopped, or the room is gone
      if (auto r = rooms_.find(ticket_id); r != rooms_.end()) {
        r->second.remote_typing.erase(user_id);
        BroadcastToRoom(r->second,
                        MakeFrame({{"type", "typing"}, {"ticket_id", ticket_id},
                                   {"user", {{"id", user_id}, {"name", names_[user_id]}}}, {"state", false}}),
                        user_id);
      }
    });
  } else {
    if (t == room.remote_typing.end()) return;
    room.remote_typing.erase(t);
  }
  BroadcastToRoom(room,
                  MakeFrame({{"type", "typing"}, {"ticket_id", ev.ticket_id},
                             {"user", {{"id", ev.user_id}, {"name", ev.user_name}}}, {"state", ev.state}}),
                  ev.user_id);
}

void Hub::OnRemotePresence(const PresenceChanged& ev) {
  if (ev.origin == bus_.NodeId()) return;
  auto& by_node = remote_online_[ev.ticket_id];
  if (ev.online.empty()) by_node.erase(ev.origin);
  else by_node[ev.origin] = ev.online;
  if (by_node.empty()) remote_online_.erase(ev.ticket_id);
  if (auto r = rooms_.find(ev.ticket_id); r != rooms_.end()) BroadcastPresence(ev.ticket_id, r->second);
}

void Hub::OnNodeGone(const std::string& node) {
  std::vector<std::int64_t> changed;
  for (auto it = remote_online_.begin(); it != remote_online_.end();) {
    if (it->second.erase(node)) changed.push_back(it->first);
    it = it->second.empty() ? remote_online_.erase(it) : std::next(it);
  }
  for (auto ticket_id : changed)
    if (auto r = rooms_.find(ticket_id); r != rooms_.end()) BroadcastPresence(ticket_id, r->second);
}

void Hub::OnNodeJoined() {
  // A node that just came (or came back) knows nothing of this one's rooms.
  for (auto& [ticket_id, room] : rooms_)
    if (!room.online.empty()) AnnouncePresence(ticket_id, room);
}

void Hub::ResyncClients() {
  // This node may have missed messages and changes announced by the others. The clients
  // know how to catch up exactly (subscribe with `after`, reload their lists): have them
  // reconnect, rather than guess here what they lack.
  spdlog::warn("event=ws_resync connections={}", conns_.size());
  remote_online_.clear();  // perhaps stale too: the others announce their rooms again on our hello
  std::vector<std::shared_ptr<Peer>> peers;
  for (auto& [id, conn] : conns_)
    if (auto p = conn.peer.lock()) peers.push_back(p);
  for (auto& p : peers) p->Close(CloseReason::kResync);
}

void Hub::BroadcastToRoom(Room& room, const Frame& frame, std::int64_t except_user) {
  for (auto& [conn_id, member] : room.members) {
    if (!member.live) continue;
    auto c = conns_.find(conn_id);
    if (c == conns_.end() || c->second.user.id == except_user) continue;
    SendTo(conn_id, frame);
  }
}

// --- read marks and unread counts ---

void Hub::Read(std::uint64_t id, Conn& conn, std::int64_t ticket_id, std::int64_t up_to) {
  User user = conn.user;
  asio::post(pool_, [this, id, user, ticket_id, up_to] {
    try {
      auto access = store_.GetTicketAccess(ticket_id);
      if (!access || !MayView(user, *access)) {
        asio::post(io_, [this, id, ticket_id] { SendError(id, "not_found", "No such ticket.", ticket_id); });
        return;
      }
      auto mark = store_.MarkRead(user.id, ticket_id, up_to);
      if (mark.moved) bus_.Publish(ReadMoved{ticket_id, user.id, mark.up_to});
    } catch (const std::exception& e) {
      spdlog::error("event=read_failed ticket={} what=\"{}\"", ticket_id, e.what());
    }
  });
}

void Hub::DeliverRead(const ReadMoved& ev) {
  if (auto r = rooms_.find(ev.ticket_id); r != rooms_.end()) {
    BroadcastToRoom(r->second,
                    MakeFrame({{"type", "read"}, {"ticket_id", ev.ticket_id}, {"user_id", ev.user_id}, {"up_to", ev.up_to}}),
                    ev.user_id);
  }
  if (users_.contains(ev.user_id)) QueueUnread(ev.user_id, ev.ticket_id);
}

void Hub::QueueUnread(std::int64_t user_id, std::int64_t ticket_id) {
  unread_pending_.emplace(user_id, ticket_id);
  // Flush after the current event is handled, so every (user, ticket) it queued goes in one job, once.
  if (!unread_in_flight_ && !unread_flush_posted_) {
    unread_flush_posted_ = true;
    asio::post(io_, [this] {
      unread_flush_posted_ = false;
      if (!unread_in_flight_) FlushUnread();
    });
  }
}

void Hub::FlushUnread() {
  // One job computes every pending count; what arrives meanwhile waits for the next job.
  std::vector<std::pair<User, std::int64_t>> work;
  for (auto [user_id, ticket_id] : unread_pending_) {
    auto u = users_.find(user_id);
    if (u != users_.end()) work.emplace_back(u->second.user, ticket_id);
  }
  unread_pending_.clear();
  if (work.empty()) return;
  unread_in_flight_ = true;
  asio::post(pool_, [this, work = std::move(work)] {
    std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>> out;  // user, ticket, count, total
    try {
      for (const auto& [user, ticket_id] : work) {
        auto [count, total] = store_.UnreadCounts(user, ticket_id);
        out.emplace_back(user.id, ticket_id, count, total);
      }
    } catch (const std::exception& e) {
      spdlog::error("event=unread_failed what=\"{}\"", e.what());
    }
    asio::post(io_, [this, out = std::move(out)] {
      for (auto [user_id, ticket_id, count, total] : out) {
        if (!users_.contains(user_id)) continue;
        auto& sent = unread_sent_[user_id];
        auto last = sent.find(ticket_id);
        if (last != sent.end() && last->second == std::pair{count, total}) continue;
        sent[ticket_id] = {count, total};
        SendToUser(user_id, MakeFrame({{"type", "unread"}, {"ticket_id", ticket_id}, {"count", count},
                                       {"unread_total", total}}));
      }
      unread_in_flight_ = false;
      if (!unread_pending_.empty()) FlushUnread();
    });
  });
}

// --- ticket events: to the ticket's customer, its room, and every agent ---

void Hub::QueueTicketEvent(std::int64_t ticket_id, bool coalesce) {
  auto it = ticket_cooldown_.find(ticket_id);
  if (coalesce && it != ticket_cooldown_.end()) {
    it->second.dirty = true;  // sent within the last second: send once more when it ends
    return;
  }
  SendTicketEvent(ticket_id);
  if (it == ticket_cooldown_.end()) {
    it = ticket_cooldown_.emplace(ticket_id, TicketCooldown{std::make_unique<asio::steady_timer>(io_), false}).first;
  }
  it->second.dirty = false;
  it->second.timer->expires_after(std::chrono::seconds(1) +
                                  std::chrono::milliseconds(cooldown_jitter_() % kCooldownJitterMs));
  it->second.timer->async_wait([this, ticket_id](boost::system::error_code ec) {
    if (ec) return;
    auto c = ticket_cooldown_.find(ticket_id);
    if (c == ticket_cooldown_.end()) return;
    bool dirty = c->second.dirty;
    ticket_cooldown_.erase(c);
    if (dirty) QueueTicketEvent(ticket_id, false);
  });
}

void Hub::SendTicketEvent(std::int64_t ticket_id) {
  asio::post(pool_, [this, ticket_id] {
    std::optional<Ticket> ticket;
    try {
      ticket = store_.GetTicket(ticket_id, 0);
    } catch (const std::exception& e) {
      spdlog::error("event=ticket_event_failed ticket={} what=\"{}\"", ticket_id, e.what());
    }
    if (!ticket) return;
    asio::post(io_, [this, ticket = std::move(*ticket)] {
      auto body = json::TicketJson(ticket);
      body.erase("unread_count");  // per viewer: clients keep theirs from `unread` events
      auto frame = MakeFrame({{"type", "ticket"}, {"ticket", std::move(body)}});
      std::unordered_set<std::uint64_t> targets(agent_conns_.begin(), agent_conns_.end());
      if (auto u = users_.find(ticket.customer.id); u != users_.end()) targets.insert(u->second.conns.begin(), u->second.conns.end());
      if (auto r = rooms_.find(ticket.id); r != rooms_.end())
        for (auto& [conn_id, member] : r->second.members)
          if (member.live) targets.insert(conn_id);  // live = its access check passed
      for (auto conn_id : targets) SendTo(conn_id, frame);
    });
  });
}

void Hub::OnEvent(const Event& event) {
  std::visit(
      [this](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, MessageStored>) {
          DeliverMessage(e);
        } else if constexpr (std::is_same_v<T, TicketChanged>) {
          QueueTicketEvent(e.ticket_id, false);
        } else if constexpr (std::is_same_v<T, ReadMoved>) {
          DeliverRead(e);
        } else if constexpr (std::is_same_v<T, SessionEnded>) {
          std::vector<std::shared_ptr<Peer>> closing;
          for (auto& [id, conn] : conns_)
            if (conn.token_hash == e.token_hash)
              if (auto p = conn.peer.lock()) closing.push_back(p);
          for (auto& p : closing) p->Close(CloseReason::kSessionEnded);
        } else if constexpr (std::is_same_v<T, TypingChanged>) {
          OnRemoteTyping(e);
        } else if constexpr (std::is_same_v<T, PresenceChanged>) {
          OnRemotePresence(e);
        } else if constexpr (std::is_same_v<T, NodeGone>) {
          OnNodeGone(e.node);
        } else if constexpr (std::is_same_v<T, NodeJoined>) {
          OnNodeJoined();
        } else if constexpr (std::is_same_v<T, EventsMissed>) {
          ResyncClients();
        }
      },
      event);
}

// --- sessions that end without a log-out (expiry, revocation) ---

void Hub::StartSessionSweep() {
  if (!session_sweep_) session_sweep_ = std::make_unique<asio::steady_timer>(io_);
  session_sweep_->expires_after(std::chrono::seconds(30));
  session_sweep_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    std::unordered_set<std::string> hashes;
    for (auto& [id, conn] : conns_) hashes.insert(conn.token_hash);
    asio::post(pool_, [this, hashes = std::move(hashes)] {
      std::vector<std::string> dead;
      try {
        auto now = NowMs();
        for (const auto& h : hashes)
          if (!store_.UserForSession(h, now)) dead.push_back(h);
      } catch (const std::exception& e) {
        spdlog::error("event=session_sweep_failed what=\"{}\"", e.what());
      }
      asio::post(io_, [this, dead = std::move(dead)] {
        for (const auto& h : dead) OnEvent(SessionEnded{h});
        StartSessionSweep();
      });
    });
  });
}

// --- sending ---

void Hub::SendTo(std::uint64_t id, Frame frame) {
  auto c = conns_.find(id);
  if (c == conns_.end()) return;
  if (auto p = c->second.peer.lock()) p->Send(std::move(frame));
}

void Hub::SendToUser(std::int64_t user_id, const Frame& frame) {
  auto u = users_.find(user_id);
  if (u == users_.end()) return;
  for (auto id : u->second.conns) SendTo(id, frame);
}

void Hub::SendError(std::uint64_t id, std::string_view code, std::string_view message, const bj::value& ref) {
  bj::object o{{"type", "error"}, {"code", code}, {"message", message}};
  if (!ref.is_null() && !(ref.is_int64() && ref.as_int64() == 0)) o["ref"] = ref;
  SendTo(id, MakeFrame(o));
}

}  // namespace helpline::ws
