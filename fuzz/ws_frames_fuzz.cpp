// Fuzzes WebSocket frame handling: the real Hub (rooms, presence, typing, read
// marks, replay, message posting through the group-commit writer) on a real
// SQLite store. Input: frames separated by "\n"; a frame starting with "!" is
// sent by the agent, "?" by a customer who does not own the ticket, anything
// else by the ticket's owner. Properties: never crash, every frame the hub
// sends is a JSON object with a type, and the stranger never receives a
// message or ticket of the fixture's ticket.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <memory>
#include <string_view>

#include "fixture.hpp"
#include "ws/hub.hpp"

using namespace helpline;
namespace asio = boost::asio;

namespace {

struct FakePeer : ws::Peer {
  bool stranger = false;
  std::int64_t watched_ticket = 0;
  void Send(ws::Frame frame) override {
    boost::system::error_code ec;
    auto v = boost::json::parse(*frame, ec);
    if (ec || !v.is_object() || !v.as_object().contains("type")) std::abort();
    if (!stranger) return;
    const auto& o = v.as_object();
    auto type = o.at("type").as_string();
    if (type == "message" || type == "typing" || type == "presence" || type == "ticket") {
      const boost::json::value* t = o.if_contains("ticket_id");
      if (!t && o.contains("message")) t = o.at("message").as_object().if_contains("ticket_id");
      if (!t && o.contains("ticket")) t = o.at("ticket").as_object().if_contains("id");
      if (t && t->is_int64() && t->as_int64() == watched_ticket) std::abort();  // leaked another's ticket
    }
  }
  void Close(ws::CloseReason) override {}
  bool Congested() const override { return false; }
};

struct HubWorld {
  asio::io_context io;
  asio::thread_pool pool{2};
  ws::Hub hub;
  fuzz::Fixture& world;
  explicit HubWorld(fuzz::Fixture& w) : hub(io, pool, w.app->store, w.app->writer, w.app->bus, w.app->metrics), world(w) {}

  // Runs until the writer, the pool and the I/O queue have nothing left from this input.
  void Drain() {
    for (int round = 0; round < 4; ++round) {
      world.app->writer.RunExclusive([] {});
      std::promise<void> done;
      asio::post(pool, [&] { done.set_value(); });
      done.get_future().wait();
      io.restart();
      io.poll();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  auto& world = fuzz::World();
  static HubWorld hw(world);  // destroyed before the World (constructed after it)

  auto owner = std::make_shared<FakePeer>();
  auto agent = std::make_shared<FakePeer>();
  auto stranger = std::make_shared<FakePeer>();
  stranger->stranger = true;
  stranger->watched_ticket = world.ticket_id;
  auto owner_id = hw.hub.Connect(owner, world.customer, auth::HashToken(world.customer_token));
  auto agent_id = hw.hub.Connect(agent, world.agent, auth::HashToken(world.agent_token));
  auto stranger_id = hw.hub.Connect(stranger, world.stranger, auth::HashToken(world.stranger_token));

  std::string_view input(reinterpret_cast<const char*>(data), size);
  int frames = 0;
  while (!input.empty() && frames++ < 64) {
    auto nl = input.find('\n');
    auto frame = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
    auto conn = owner_id;
    if (!frame.empty() && frame[0] == '!') conn = agent_id, frame.remove_prefix(1);
    else if (!frame.empty() && frame[0] == '?') conn = stranger_id, frame.remove_prefix(1);
    hw.hub.OnFrame(conn, frame);
    hw.io.restart();
    hw.io.poll();
  }
  hw.Drain();
  hw.hub.Disconnect(owner_id);
  hw.hub.Disconnect(agent_id);
  hw.hub.Disconnect(stranger_id);
  hw.Drain();
  return 0;
}
