#include "app/app.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "auth/password.hpp"
#include "core/json.hpp"
#include "http/static_files.hpp"
#include "storage/postgres/pg_event_bus.hpp"

namespace helpline {

http::Response JsonResponse(int status, const boost::json::value& body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = boost::json::serialize(body);
  r.Set("Cache-Control", "no-store");
  return r;
}

http::Response ErrorResponse(const Error& error) {
  auto r = JsonResponse(HttpStatus(error.code), json::ErrorJson(error));
  if (error.code == Code::kRateLimited) r.Set("Retry-After", std::to_string(std::max(1, error.retry_after_s)));
  if (error.code == Code::kUnauthenticated) r.Set("WWW-Authenticate", "Bearer");
  return r;
}

http::Response NoContent() {
  http::Response r;
  r.status = 204;
  return r;
}

namespace {
std::unique_ptr<EventBus> MakeEventBus(const Config& cfg) {
  if (cfg.OnPostgres()) return std::make_unique<pg::PgEventBus>(cfg.db_url);
  return std::make_unique<LocalEventBus>();
}
}  // namespace

App::App(const Config& cfg, Store& st)
    : config(cfg),
      store(st),
      event_bus(MakeEventBus(cfg)),
      bus(*event_bus),
      files(cfg.FilesDir()),
      auth(st, cfg.signup_limit),
      tickets(cfg, st, files, metrics),
      writer(st, bus, metrics),
      workflow(st, writer, bus),
      router_(MakeRoutes(*this)) {}

void App::AddSecurityHeaders(http::Response& res) {
  res.Set("Content-Security-Policy",
          "default-src 'self'; img-src 'self' blob: data:; frame-ancestors 'none'; base-uri 'none'; "
          "object-src 'none'; form-action 'self'");
  res.Set("X-Content-Type-Options", "nosniff");
  res.Set("Referrer-Policy", "same-origin");
  res.Set("X-Frame-Options", "DENY");
  res.Set("Cross-Origin-Opener-Policy", "same-origin");
}

App::RouteTraits App::Traits(std::string_view method, std::string_view path) const {
  auto m = router_.Find(method, path);
  if (!m.route) return {};
  return {m.route->body_limit, m.route->heavy};
}

std::optional<Error> App::PreAuthorize(http::Request& req) {
  auto m = router_.Find(req.method, req.path);
  if (!m.route) return std::nullopt;
  return CheckAccess(*m.route, req);
}

std::string App::OwnOrigin(const http::Request& req) const {
  if (!config.public_origin.empty()) return config.public_origin;
  return req.scheme + "://" + std::string(req.Header("host"));
}

void App::Authenticate(http::Request& req) {
  // Bearer first (API clients), then the cookie (browsers).
  auto authz = req.Header("authorization");
  if (authz.size() > 7 && (authz.starts_with("Bearer ") || authz.starts_with("bearer "))) {
    req.session_token = std::string(authz.substr(7));
  } else if (auto c = req.Cookie("helpline_session"); !c.empty()) {
    req.session_token = c;
    req.via_cookie = true;
  }
  if (!req.session_token.empty()) req.user = auth.Authenticate(req.session_token);
  if (!req.user) req.via_cookie = false;
}

Result<App::Upgrade> App::AuthorizeUpgrade(http::Request& req) {
  // Cross-site WebSocket hijacking: a browser always sends Origin on an upgrade.
  auto origin = req.Header("origin");
  if (!origin.empty() && origin != OwnOrigin(req))
    return Fail(Code::kBadOrigin, "This connection must come from the Helpline site itself.");
  Authenticate(req);
  if (!req.user) return Fail(Code::kUnauthenticated, "Log in to continue.");
  return Upgrade{*req.user, auth::HashToken(req.session_token)};
}

std::optional<Error> App::CheckAccess(const http::Route& route, http::Request& req) {
  Authenticate(req);

  const bool writes = req.method != "GET" && req.method != "HEAD";
  auto origin = req.Header("origin");
  // Cross-site request forgery: a cookie-authenticated write must come from our own pages.
  // Public writes (sign-up, log-in) are checked when the browser says where they come from.
  if (writes && (req.via_cookie || (route.access == http::Access::kPublic && !origin.empty())) &&
      origin != OwnOrigin(req)) {
    return Error{Code::kBadOrigin, "This request must come from the Helpline site itself.", {}, 0};
  }
  if (route.access == http::Access::kPublic) return std::nullopt;
  if (!req.user) return Error{Code::kUnauthenticated, "Log in to continue.", {}, 0};
  if (route.access == http::Access::kCustomer && req.user->role != "customer")
    return Error{Code::kForbidden, "Only customers can do this.", {}, 0};
  if (route.access == http::Access::kAgent && req.user->role != "agent")
    return Error{Code::kForbidden, "Only agents can do this.", {}, 0};
  return std::nullopt;
}

http::Response App::Dispatch(http::Request& req) {
  auto started = std::chrono::steady_clock::now();
  http::Response res;
  try {
    auto match = router_.Find(req.method, req.path);
    if (match.route) {
      req.ids = match.ids;
      if (auto denied = CheckAccess(*match.route, req)) {
        res = ErrorResponse(*denied);
      } else {
        res = match.route->handler(req);
      }
    } else if (match.path_known) {
      res = ErrorResponse({Code::kMethodNotAllowed, "This method is not allowed here.", {}, 0});
    } else if (req.path.starts_with("/api/")) {
      res = ErrorResponse({Code::kNotFound, "No such API route.", {}, 0});
    } else if (req.method == "GET" || req.method == "HEAD") {
      res = http::ServeStatic(config.ResolvedWebDir(), req.path);
    } else {
      res = ErrorResponse({Code::kNotFound, "Not found.", {}, 0});
    }
  } catch (const std::exception& e) {
    // A failure we did not foresee: answer 500 in the contract's shape and keep serving.
    spdlog::error("event=handler_exception method={} path={} what=\"{}\"", req.method, req.path, e.what());
    res = ErrorResponse({Code::kInternal, "Something went wrong on our side. Please try again.", {}, 0});
  }
  AddSecurityHeaders(res);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics.ObserveRequest(res.status, secs);
  return res;
}

}  // namespace helpline
