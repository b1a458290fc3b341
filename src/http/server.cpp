#include "http/server.hpp"

#include "ws/ws_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <unordered_map>

namespace helpline::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kTuple = asio::experimental::as_tuple(use_awaitable);

namespace {

constexpr auto kHeaderTimeout = 15s;   // every request's headers, keep-alive or not: slow-loris is cut off
constexpr auto kBodyTimeout = 120s;    // a 13 MiB upload on a slow line
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kSmallBody = 64 * 1024;
constexpr int kMaxLargeBodies = 8;         // uploads being read at once, in all
constexpr int kMaxLargeBodiesPerAddress = 2;
constexpr int kMaxHeavyQueued = 32;        // password and image jobs waiting: past this, 503

struct ServerState {
  const Config& config;
  App& app;
  asio::io_context& ioc;
  asio::thread_pool& pool;
  asio::thread_pool& heavy_pool;  // Argon2id and libvips: a small pool, so they cannot starve the rest
  ws::Hub& hub;
  // Touched only on the I/O thread.
  std::int64_t in_flight = 0;
  int heavy_in_flight = 0;
  int large_bodies = 0;
  std::unordered_map<std::string, int> large_bodies_by_address;
  bool stopping = false;
};

// Who is asking: the peer, or, when the peer is a trusted proxy (nginx in front of several
// nodes), the address the proxy appended to X-Forwarded-For. The last entry is the one the
// proxy itself wrote; earlier ones come from the client and could be anything.
template <typename Fields>
std::string ClientAddress(const Config& config, const std::string& peer, const Fields& header) {
  if (config.trusted_proxies.empty() || !config.IsTrustedProxy(peer)) return peer;
  auto xff = header["X-Forwarded-For"];
  if (xff.empty()) return peer;
  auto comma = xff.rfind(',');
  auto last = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  beast::error_code ec;
  auto addr = asio::ip::make_address(std::string(last), ec);
  return ec ? peer : addr.to_string();
}

template <typename Body>
Request ToRequest(const bhttp::request<Body>& msg, std::string remote, bool& ok) {
  Request req;
  req.method = std::string(msg.method_string());
  req.remote_address = std::move(remote);
  auto parsed = boost::urls::parse_origin_form(msg.target());
  ok = parsed.has_value();
  if (!ok) return req;
  req.path = parsed->path();
  for (auto p : parsed->params()) req.query[p.key] = p.value;
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  if constexpr (std::is_same_v<Body, bhttp::string_body>) req.body = msg.body();
  return req;
}

bhttp::response<bhttp::string_body> ToBeast(Response& res, unsigned version, bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
  out.set(bhttp::field::server, "helpline");
  if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
  for (auto& [k, v] : res.headers) out.insert(k, v);
  out.keep_alive(keep_alive);
  auto size = res.body.size();
  if (!head) out.body() = std::move(res.body);
  out.content_length(size);
  return out;
}

Response PlainError(int status, Code code, const char* message) {
  auto r = ErrorResponse({code, message, {}, 0});
  r.status = status;
  App::AddSecurityHeaders(r);
  return r;
}

// An answer sent before the request was read to its end (413, 431, 429, ...). Closing the
// socket at once with the rest of the request unread makes the kernel send a reset, and a reset
// can reach the client before it has read our answer, which it then never sees. So, as nginx
// and Apache do ("lingering close"), stop sending, then read and drop what the client is still
// sending for a bounded time before closing.
constexpr auto kLingerIdle = 1s;    // the client has stopped sending
constexpr auto kLingerTotal = 5s;   // a client that never stops is cut off anyway
constexpr std::size_t kLingerBytes = 64 * 1024 * 1024;

awaitable<void> WriteAndClose(beast::tcp_stream& stream, Response res, unsigned version) {
  auto out = ToBeast(res, version, false, false);
  stream.expires_after(10s);
  auto [werr, wn] = co_await bhttp::async_write(stream, out, kTuple);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (werr || ec) co_return;
  const auto deadline = std::chrono::steady_clock::now() + kLingerTotal;
  std::size_t dropped = 0;
  static thread_local char scratch[16 * 1024];
  while (dropped < kLingerBytes) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    stream.expires_after(std::min<std::chrono::steady_clock::duration>(left, kLingerIdle));
    auto [rerr, n] = co_await stream.async_read_some(asio::buffer(scratch), kTuple);
    if (rerr) break;  // end of stream (the client closed: the clean case), timeout, reset
    dropped += n;
  }
}

awaitable<void> Session(ServerState& state, tcp::socket socket) {
  state.app.metrics.http_connections.fetch_add(1);
  struct Gauge {
    Metrics& m;
    ~Gauge() { m.http_connections.fetch_sub(1); }
  } gauge{state.app.metrics};

  beast::error_code ec;
  auto peer = socket.remote_endpoint(ec).address().to_string();
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (!state.stopping) {
    bhttp::request_parser<bhttp::empty_body> header_parser;
    header_parser.header_limit(kHeaderLimit);
    header_parser.body_limit(boost::none);  // the route's limit is applied below, once the path is known
    stream.expires_after(kHeaderTimeout);
    auto [herr, hn] = co_await bhttp::async_read_header(stream, buffer, header_parser, kTuple);
    if (herr == bhttp::error::header_limit) {
      co_await WriteAndClose(stream, PlainError(431, Code::kBadRequest, "Request headers are too large."), 11);
      co_return;
    }
    if (herr) {
      if (herr != bhttp::error::end_of_stream && herr != beast::error::timeout && herr != asio::error::eof &&
          herr != asio::error::connection_reset && herr != asio::error::operation_aborted) {
        co_await WriteAndClose(stream, PlainError(400, Code::kBadRequest, "Malformed HTTP request."), 11);
      }
      co_return;
    }
    const auto& header = header_parser.get();
    const unsigned version = header.version();
    const auto remote = ClientAddress(state.config, peer, header);
    auto target = boost::urls::parse_origin_form(header.target());
    std::string path = target ? std::string(target->path()) : std::string();
    auto traits = state.app.Traits(header.method_string(), path);
    std::size_t limit = traits.body_limit;

    if (header_parser.content_length() && *header_parser.content_length() > limit) {
      co_await WriteAndClose(stream, PlainError(413, Code::kTooLarge, "The request body is too large."), version);
      co_return;
    }
    // A large body (an upload) is read only for someone allowed to send it, and only a
    // few at a time: strangers cannot make the server hold megabytes.
    struct LargeBodySlot {
      ServerState* state = nullptr;
      std::string address;
      // Before any answer that ends the connection: its lingering close (up to 5 s) must not
      // keep the slot from the next upload.
      void Release() {
        if (!state) return;
        --state->large_bodies;
        if (--state->large_bodies_by_address[address] <= 0) state->large_bodies_by_address.erase(address);
        state = nullptr;
      }
      ~LargeBodySlot() { Release(); }
    } slot;
    bool large = limit > kSmallBody &&
                 (!header_parser.content_length() || *header_parser.content_length() > kSmallBody);
    if (large) {
      if (state.large_bodies >= kMaxLargeBodies || state.large_bodies_by_address[remote] >= kMaxLargeBodiesPerAddress) {
        auto busy = PlainError(429, Code::kRateLimited, "Too many uploads at once. Try again in a moment.");
        busy.Set("Retry-After", "2");
        co_await WriteAndClose(stream, std::move(busy), version);
        co_return;
      }
      ++state.large_bodies;
      ++state.large_bodies_by_address[remote];
      slot.state = &state;
      slot.address = remote;
      bool target_ok = true;
      auto pre = ToRequest(header_parser.get(), remote, target_ok);
      auto denied = co_await asio::co_spawn(
          state.pool, [&]() -> awaitable<std::optional<Error>> { co_return state.app.PreAuthorize(pre); },
          use_awaitable);
      if (denied) {
        auto res = ErrorResponse(*denied);
        App::AddSecurityHeaders(res);
        slot.Release();
        co_await WriteAndClose(stream, std::move(res), version);
        co_return;
      }
    }
    if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
      stream.expires_after(10s);
      co_await bhttp::async_write(stream, cont, kTuple);
    }

    bhttp::request_parser<bhttp::string_body> parser(std::move(header_parser));
    parser.body_limit(limit);
    stream.expires_after(kBodyTimeout);
    auto [berr, bn] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
    if (berr == bhttp::error::body_limit) {
      slot.Release();
      co_await WriteAndClose(stream, PlainError(413, Code::kTooLarge, "The request body is too large."), version);
      co_return;
    }
    if (berr) {
      // A body that breaks HTTP framing (bad chunk sizes, ...) gets an answer; a dropped or
      // timed-out connection does not need one.
      slot.Release();
      if (berr.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category())
        co_await WriteAndClose(stream, PlainError(400, Code::kBadRequest, "Malformed HTTP request body."), version);
      co_return;
    }

    auto msg = parser.release();
    if (beast::websocket::is_upgrade(msg) && path == "/api/v1/ws") {
      bool target_ok = true;
      auto req = ToRequest(msg, remote, target_ok);
      auto upgrade = co_await asio::co_spawn(
          state.pool, [&]() -> awaitable<Result<App::Upgrade>> { co_return state.app.AuthorizeUpgrade(req); },
          use_awaitable);
      if (!upgrade) {
        auto res = ErrorResponse(upgrade.error());
        App::AddSecurityHeaders(res);
        slot.Release();
        co_await WriteAndClose(stream, std::move(res), version);
        co_return;
      }
      ws::SessionLimits limits;
      limits.max_queued_bytes = state.config.ws_queue_bytes;
      ws::StartSession(std::move(stream), std::move(msg), state.hub, state.app.metrics, std::move(upgrade->user),
                       std::move(upgrade->token_hash), limits);
      co_return;
    }
    bool keep_alive = msg.keep_alive() && !state.stopping;
    bool head = msg.method() == bhttp::verb::head;
    bool ok = true;
    auto req = ToRequest(msg, remote, ok);
    msg = {};
    Response res;
    ++state.in_flight;
    if (!ok) {
      res = PlainError(400, Code::kBadRequest, "Malformed request target.");
    } else if (traits.heavy && state.heavy_in_flight >= kMaxHeavyQueued) {
      res = PlainError(503, Code::kUnavailable, "The server is busy. Try again in a moment.");
      res.Set("Retry-After", "2");
    } else {
      // The blocking part (database, images, password hashing) runs on a worker pool;
      // the CPU-heavy routes on their own small one.
      if (traits.heavy) ++state.heavy_in_flight;
      res = co_await asio::co_spawn(
          traits.heavy ? state.heavy_pool : state.pool,
          [&]() -> awaitable<Response> { co_return state.app.Dispatch(req); }, use_awaitable);
      if (traits.heavy) --state.heavy_in_flight;
    }
    auto out = ToBeast(res, version, keep_alive, head);
    stream.expires_after(60s);
    auto [werr, wn] = co_await bhttp::async_write(stream, out, kTuple);
    --state.in_flight;
    if (werr || !keep_alive) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
  }
}

awaitable<void> Accept(ServerState& state, tcp::acceptor& acceptor) {
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of file descriptors and the like: back off briefly instead of spinning.
      spdlog::warn("event=accept_failed error=\"{}\"", ec.message());
      asio::steady_timer t(state.ioc, 100ms);
      co_await t.async_wait(kTuple);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(state.ioc, Session(state, std::move(socket)), [](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("event=session_exception what=\"{}\"", ex.what());
        }
      }
    });
  }
}

awaitable<void> DrainAndStop(ServerState& state) {
  // Give in-flight requests up to 10 s to finish, then stop the loop.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  asio::steady_timer t(state.ioc);
  while (state.in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
    t.expires_after(20ms);
    co_await t.async_wait(kTuple);
  }
  spdlog::info("event=stopped in_flight={}", state.in_flight);
  state.ioc.stop();
}

}  // namespace

int RunServer(const Config& config, App& app) {
  asio::io_context ioc(1);
  asio::thread_pool pool(static_cast<std::size_t>(config.workers));
  asio::thread_pool heavy_pool(static_cast<std::size_t>(config.heavy_workers));
  ws::Hub hub(ioc, pool, app.store, app.writer, app.bus, app.metrics);
  app.bus.Start();  // events from other nodes, now that the hub listens
  ServerState state{config, app, ioc, pool, heavy_pool, hub};

  tcp::endpoint endpoint(asio::ip::make_address(config.bind), static_cast<unsigned short>(config.port));
  tcp::acceptor acceptor(ioc);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  auto local = acceptor.local_endpoint();
  auto host = local.address().is_v6() ? "[" + local.address().to_string() + "]" : local.address().to_string();
  spdlog::info("event=ready listening on http://{}:{}", host, local.port());

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("event=shutdown signal={} in_flight={}", sig, state.in_flight);
    state.stopping = true;
    hub.StopSessionSweep();
    beast::error_code ignored;
    acceptor.close(ignored);
    asio::co_spawn(ioc, DrainAndStop(state), asio::detached);
  });

  asio::co_spawn(ioc, Accept(state, acceptor), asio::detached);
  hub.StartSessionSweep();
  ioc.run();
  app.bus.Stop();  // before the hub it delivers to goes
  heavy_pool.join();
  pool.join();
  app.writer.Stop();  // commit what is queued while the hub it reports to still exists
  return 0;
}

}  // namespace helpline::http
