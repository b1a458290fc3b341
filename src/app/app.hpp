#pragma once
// The composition root: the services, the route table, and Dispatch(), which
// turns one Request into one Response (authentication, access level, Origin
// check, error mapping, security headers). Dispatch blocks; the HTTP server
// calls it on the worker pool.
#include <boost/json.hpp>
#include <memory>

#include "app/config.hpp"
#include "attachments/file_store.hpp"
#include "auth/auth_service.hpp"
#include "chat/message_writer.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "events/event.hpp"
#include "http/router.hpp"
#include "http/types.hpp"
#include "storage/store.hpp"
#include "tickets/ticket_service.hpp"
#include "tickets/workflow.hpp"

namespace helpline {

class App {
 public:
  App(const Config& config, Store& store);

  http::Response Dispatch(http::Request& req);
  // What the server needs to know about a route before it reads the body.
  struct RouteTraits {
    std::size_t body_limit = 64 * 1024;
    bool heavy = false;
  };
  RouteTraits Traits(std::string_view method, std::string_view path) const;
  // For a large body: authentication, Origin and role checked from the headers
  // alone, so strangers cannot make the server read megabytes.
  std::optional<Error> PreAuthorize(http::Request& req);
  // Applies the headers every response carries.
  static void AddSecurityHeaders(http::Response& res);

  // A WebSocket upgrade: who is asking (401 without a session, 403 bad_origin from another site).
  struct Upgrade {
    User user;
    std::string token_hash;
  };
  Result<Upgrade> AuthorizeUpgrade(http::Request& req);

  const Config& config;
  Store& store;
  Metrics metrics;
  // In-process with SQLite; across nodes through PostgreSQL otherwise (storage/postgres/pg_event_bus.hpp).
  std::unique_ptr<EventBus> event_bus;
  EventBus& bus;
  FileStore files;
  auth::AuthService auth;
  tickets::TicketService tickets;
  chat::MessageWriter writer;
  tickets::Workflow workflow;

 private:
  std::string OwnOrigin(const http::Request& req) const;
  std::optional<Error> CheckAccess(const http::Route& route, http::Request& req);
  void Authenticate(http::Request& req);

  http::Router router_;
};

// Builds the route table (app/routes.cpp).
std::vector<http::Route> MakeRoutes(App& app);

// Response helpers shared by the handlers.
http::Response JsonResponse(int status, const boost::json::value& body);
http::Response ErrorResponse(const Error& error);
http::Response NoContent();

}  // namespace helpline
