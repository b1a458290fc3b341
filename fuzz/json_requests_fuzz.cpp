// Fuzzes request decoding through the real dispatcher (routing, authentication,
// JSON bodies, query parameters, cursors) on a real SQLite store. Input byte 0
// picks the route, byte 1 the caller; the rest is the JSON body, or for the
// list route the query string. Properties: never crash, never a 5xx, every
// error is the contract's JSON shape, and the customer who does not own the
// ticket never gets a 2xx on it.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fixture.hpp"

using namespace helpline;

namespace {

struct Target {
  const char* method;
  const char* path;  // %d = the fixture's ticket (or a missing one)
  bool query;        // the rest of the input is a query string, not a body
};
constexpr Target kTargets[] = {
    {"POST", "/api/v1/tickets/%d/messages", false}, {"PATCH", "/api/v1/tickets/%d", false},
    {"POST", "/api/v1/tickets/%d/read", false},     {"POST", "/api/v1/tickets/%d/claim", false},
    {"GET", "/api/v1/tickets", true},               {"GET", "/api/v1/tickets/%d/messages", true},
};

void ParseQuery(std::string_view q, http::Request& req) {
  while (!q.empty()) {
    auto amp = q.find('&');
    auto pair = q.substr(0, amp);
    auto eq = pair.find('=');
    req.query[std::string(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2 || size > 16 * 1024) return 0;
  auto& world = fuzz::World();
  const auto& target = kTargets[data[0] % std::size(kTargets)];
  int caller = data[1] % 3;  // 0 owner, 1 agent, 2 stranger
  bool missing_ticket = data[1] & 0x80;
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);

  http::Request req;
  req.method = target.method;
  std::string path = target.path;
  if (auto pos = path.find("%d"); pos != std::string::npos)
    path.replace(pos, 2, std::to_string(missing_ticket ? world.ticket_id + 1000 : world.ticket_id));
  req.path = path;
  req.remote_address = "127.0.0.1";
  const std::string& token = caller == 0 ? world.customer_token : caller == 1 ? world.agent_token : world.stranger_token;
  req.headers.emplace_back("authorization", "Bearer " + token);
  req.headers.emplace_back("host", "localhost");
  if (target.query) {
    ParseQuery(rest, req);
  } else {
    req.headers.emplace_back("content-type", "application/json");
    req.body = std::string(rest);
  }

  auto res = world.app->Dispatch(req);
  if (res.status >= 500) std::abort();
  if (res.status >= 400) {
    boost::system::error_code ec;
    auto v = boost::json::parse(res.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("error")) std::abort();
  }
  bool on_ticket = std::string_view(target.path).find("%d") != std::string_view::npos;
  if (caller == 2 && on_ticket && res.status < 300) std::abort();
  return 0;
}
