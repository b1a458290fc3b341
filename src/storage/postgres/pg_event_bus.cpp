#include "storage/postgres/pg_event_bus.hpp"

#include <poll.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <unordered_map>

#include "storage/postgres/pg_db.hpp"
#include "storage/postgres/pg_sql.hpp"

namespace helpline::pg {

namespace bj = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kEventsChannel = "helpline_events";
constexpr auto kBeatEvery = std::chrono::seconds(2);
constexpr auto kNodeSilence = std::chrono::seconds(6);  // three missed beats: gone
constexpr std::size_t kMaxOutbox = 10000;              // while the database is away
constexpr std::size_t kMaxPayload = 7900;              // NOTIFY takes under 8000 bytes

std::string NewNodeId() {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

std::int64_t IntOf(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

std::string TextOf(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::vector<std::int64_t> ParseIds(std::string_view s) {
  std::vector<std::int64_t> ids;
  std::int64_t n = 0;
  bool any = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      n = n * 10 + (c - '0');
      any = true;
    } else {
      if (any) ids.push_back(n);
      n = 0;
      any = false;
    }
  }
  if (any) ids.push_back(n);
  return ids;
}

}  // namespace

PgEventBus::PgEventBus(std::string url) : url_(std::move(url)), node_(NewNodeId()) {}

PgEventBus::~PgEventBus() { Stop(); }

// --- encoding ---

std::string PgEventBus::Encode(const Event& event) const {
  bj::object o{{"n", node_}};
  bool ok = std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, TicketChanged>) {
          o["t"] = "ticket";
          o["ticket_id"] = e.ticket_id;
        } else if constexpr (std::is_same_v<T, ReadMoved>) {
          o["t"] = "read";
          o["ticket_id"] = e.ticket_id;
          o["user_id"] = e.user_id;
          o["up_to"] = e.up_to;
        } else if constexpr (std::is_same_v<T, SessionEnded>) {
          o["t"] = "session";
          o["token_hash"] = e.token_hash;
        } else if constexpr (std::is_same_v<T, TypingChanged>) {
          o["t"] = "typing";
          o["ticket_id"] = e.ticket_id;
          o["user_id"] = e.user_id;
          o["name"] = e.user_name;
          o["state"] = e.state;
        } else if constexpr (std::is_same_v<T, PresenceChanged>) {
          o["t"] = "presence";
          o["ticket_id"] = e.ticket_id;
          bj::array online;
          for (const auto& u : e.online) online.push_back(bj::array{u.id, u.name, u.role});
          o["online"] = std::move(online);
        } else {
          return false;  // messages travel through the store's channel; node events are the bus's own
        }
        return true;
      },
      event);
  return ok ? bj::serialize(o) : std::string();
}

std::optional<Event> PgEventBus::Decode(std::string_view payload) const {
  boost::system::error_code ec;
  auto v = bj::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  auto type = TextOf(o, "t");
  auto origin = TextOf(o, "n");
  if (type == "ticket") return TicketChanged{IntOf(o, "ticket_id")};
  if (type == "read") return ReadMoved{IntOf(o, "ticket_id"), IntOf(o, "user_id"), IntOf(o, "up_to")};
  if (type == "session") return SessionEnded{TextOf(o, "token_hash")};
  if (type == "typing") {
    auto* s = o.if_contains("state");
    return TypingChanged{origin, IntOf(o, "ticket_id"), IntOf(o, "user_id"), TextOf(o, "name"),
                         s && s->is_bool() && s->as_bool()};
  }
  if (type == "presence") {
    PresenceChanged p{origin, IntOf(o, "ticket_id"), {}};
    if (auto* online = o.if_contains("online"); online && online->is_array()) {
      for (const auto& u : online->as_array()) {
        if (!u.is_array() || u.as_array().size() != 3) continue;
        const auto& a = u.as_array();
        if (!a[0].is_int64() || !a[1].is_string() || !a[2].is_string()) continue;
        p.online.push_back(PresenceUser{a[0].as_int64(), std::string(a[1].as_string()), std::string(a[2].as_string())});
      }
    }
    return p;
  }
  return std::nullopt;
}

// --- publishing ---

void PgEventBus::Deliver(const Event& event) {
  for (auto& h : handlers_) h(event);
}

void PgEventBus::Publish(const Event& event) {
  // A stored message is announced by its own transaction and delivered by the listener.
  if (std::holds_alternative<MessageStored>(event)) return;
  bool for_others_only = std::holds_alternative<TypingChanged>(event) || std::holds_alternative<PresenceChanged>(event);
  if (!for_others_only) Deliver(event);
  auto payload = Encode(event);
  if (payload.empty()) return;
  if (payload.size() > kMaxPayload) {
    spdlog::warn("event=bus_payload_too_large bytes={}", payload.size());
    return;
  }
  Send(std::move(payload));
}

void PgEventBus::Send(std::string payload) {
  {
    std::lock_guard lock(mutex_);
    if (outbox_.size() >= kMaxOutbox) outbox_.pop_front();  // the database is away: keep the newest
    outbox_.push_back(std::move(payload));
  }
  wake_.notify_all();
}

void PgEventBus::PublishLoop() {
  std::unique_ptr<Connection> conn;
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    std::vector<std::string> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !outbox_.empty(); });
      if (outbox_.empty()) break;  // stopping and flushed
      while (!outbox_.empty() && batch.size() < 200) {
        batch.push_back(std::move(outbox_.front()));
        outbox_.pop_front();
      }
    }
    try {
      if (!conn || !conn->Usable()) conn = std::make_unique<Connection>(url_);
      Transaction tx(*conn);  // one commit for the batch
      for (const auto& payload : batch) {
        Params p;
        conn->Query("SELECT pg_notify('" + std::string(kEventsChannel) + "', " + p.Text(payload) + ")", p);
      }
      tx.Commit();
      backoff = std::chrono::milliseconds(100);
    } catch (const std::exception& e) {
      spdlog::warn("event=bus_publish_failed events={} what=\"{}\"", batch.size(), e.what());
      conn.reset();
      {
        std::lock_guard lock(mutex_);  // try them again first
        for (auto it = batch.rbegin(); it != batch.rend(); ++it) outbox_.push_front(std::move(*it));
        while (outbox_.size() > kMaxOutbox) outbox_.pop_back();
      }
      if (stopping_) break;
      Sleep(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
  }
  std::lock_guard lock(mutex_);
  publisher_done_ = true;
}

// --- listening ---

void PgEventBus::DeliverMessages(Connection& conn, const std::vector<std::int64_t>& ids) {
  Params p;
  auto r = conn.Query(std::string("SELECT m.id, m.ticket_id, m.kind, m.author_id, u.name, u.role, m.body, m.client_id, "
                                  "m.created_at, m.sender_id, t.customer_id, t.agent_id, t.status, t.priority "
                                  "FROM messages m LEFT JOIN users u ON u.id = m.author_id "
                                  "JOIN tickets t ON t.id = m.ticket_id WHERE m.id = ANY(") +
                          p.Ints(ids) + ")",
                      p);
  std::unordered_map<std::int64_t, MessageStored> found;
  for (int i = 0; i < r.size(); ++i) {
    MessageStored ev;
    ev.message = ReadMessage(r, i);
    ev.sender_id = r.OptInt(i, 9).value_or(0);
    ev.ticket = TicketAccess{ev.message.ticket_id, r.Int(i, 10), r.OptInt(i, 11), r.Text(i, 12), r.Text(i, 13)};
    found.emplace(ev.message.id, std::move(ev));
  }
  for (auto id : ids)
    if (auto it = found.find(id); it != found.end()) Deliver(it->second);
}

void PgEventBus::OnNodeEvent(const std::string& type, const std::string& node) {
  if (type == "bye") {
    if (nodes_.erase(node)) Deliver(NodeGone{node});
    return;
  }
  bool is_new = nodes_.insert_or_assign(node, Clock::now()).second;
  // A node we did not know (new, or whose hello we missed): tell it who is here. A
  // hello from a known node means it restarted its listener and lost what we said.
  if (is_new || type == "hello") Deliver(NodeJoined{node});
}

void PgEventBus::CheckNodes() {
  auto now = Clock::now();
  if (now - last_beat_ >= kBeatEvery) {
    last_beat_ = now;
    Send(bj::serialize(bj::object{{"n", node_}, {"t", "beat"}}));
  }
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (now - it->second > kNodeSilence) {
      spdlog::warn("event=node_gone node={}", it->first);
      auto node = it->first;
      it = nodes_.erase(it);
      Deliver(NodeGone{node});
    } else {
      ++it;
    }
  }
}

bool PgEventBus::Sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, d, [&] { return stopping_.load(); });
  return !stopping_;
}

void PgEventBus::ListenLoop() {
  bool connected_before = false;
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    std::unique_ptr<Connection> listen, fetch;
    try {
      listen = std::make_unique<Connection>(url_);
      fetch = std::make_unique<Connection>(url_);
      listen->Exec(std::string("LISTEN ") + kEventsChannel);
      listen->Exec(std::string("LISTEN ") + kMessagesChannel);
    } catch (const std::exception& e) {
      spdlog::warn("event=bus_listen_failed what=\"{}\" retry_ms={}", e.what(), backoff.count());
      if (!Sleep(backoff)) break;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    spdlog::info("event=bus_listening node={}", node_);
    if (connected_before) Deliver(EventsMissed{});  // whatever was said while away is lost to us
    connected_before = true;
    Send(bj::serialize(bj::object{{"n", node_}, {"t", "hello"}}));

    PGconn* raw = listen->raw();
    bool broken = false;
    while (!stopping_ && !broken) {
      pollfd pfd{PQsocket(raw), POLLIN, 0};
      int ready = ::poll(&pfd, 1, 500);
      if (ready < 0 && errno != EINTR) broken = true;
      if (ready > 0 && PQconsumeInput(raw) == 0) broken = true;
      // Every notification that arrived, in order; runs of message ids are read back in one query.
      std::vector<std::int64_t> ids;
      try {
        while (PGnotify* n = PQnotifies(raw)) {
          std::string channel = n->relname, payload = n->extra;
          PQfreemem(n);
          if (channel == kMessagesChannel) {
            auto more = ParseIds(payload);
            ids.insert(ids.end(), more.begin(), more.end());
            continue;
          }
          if (!ids.empty()) {
            DeliverMessages(*fetch, ids);
            ids.clear();
          }
          boost::system::error_code ec;
          auto v = bj::parse(payload, ec);
          if (ec || !v.is_object()) continue;
          auto origin = TextOf(v.as_object(), "n");
          if (origin == node_) continue;  // delivered here when published
          auto type = TextOf(v.as_object(), "t");
          if (type == "hello" || type == "beat" || type == "bye") {
            OnNodeEvent(type, origin);
            continue;
          }
          // Any word from a node shows it is alive; a node first heard of here gets our presence.
          if (nodes_.insert_or_assign(origin, Clock::now()).second) Deliver(NodeJoined{origin});
          if (auto ev = Decode(payload)) Deliver(*ev);
        }
        if (!ids.empty()) DeliverMessages(*fetch, ids);
      } catch (const std::exception& e) {
        spdlog::warn("event=bus_read_back_failed what=\"{}\"", e.what());
        broken = true;  // reconnect; the hub resynchronises its clients
      }
      if (PQstatus(raw) != CONNECTION_OK) broken = true;
      CheckNodes();
    }
    if (broken && !stopping_) spdlog::warn("event=bus_connection_lost node={}", node_);
  }
}

void PgEventBus::Start() {
  if (listener_.joinable()) return;
  publisher_ = std::thread([this] { PublishLoop(); });
  listener_ = std::thread([this] { ListenLoop(); });
}

void PgEventBus::Stop() {
  if (!listener_.joinable()) return;
  Send(bj::serialize(bj::object{{"n", node_}, {"t", "bye"}}));  // the others drop our presence at once
  {
    std::lock_guard lock(mutex_);  // under the lock: no waiter can miss it
    stopping_ = true;
  }
  wake_.notify_all();
  listener_.join();
  publisher_.join();
}

}  // namespace helpline::pg
