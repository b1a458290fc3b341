// THE route table: every HTTP route of Helpline, its access level and handler.
// The WebSocket endpoint GET /api/v1/ws is upgraded in http/server.cpp (frames: ws/hub.cpp).
#include "app/app.hpp"
#include "app/handlers.hpp"

namespace helpline {

std::vector<http::Route> MakeRoutes(App& app) {
  using http::Access;
  namespace h = handlers;
  constexpr std::size_t kSmallBody = 64 * 1024;
  constexpr bool kHeavy = true;
  auto bind = [&app](http::Response (*fn)(App&, http::Request&)) {
    return [&app, fn](http::Request& req) { return fn(app, req); };
  };
  return {
      // method  path                                 access              handler
      {"POST", "/api/v1/auth/signup",                Access::kPublic,   bind(h::Signup),       kSmallBody, kHeavy},
      {"POST", "/api/v1/auth/login",                 Access::kPublic,   bind(h::Login),        kSmallBody, kHeavy},
      {"POST", "/api/v1/auth/logout",                Access::kUser,     bind(h::Logout)},
      {"GET",  "/api/v1/me",                         Access::kUser,     bind(h::Me)},
      {"GET",  "/api/v1/categories",                 Access::kPublic,   bind(h::Categories)},
      {"GET",  "/api/v1/tickets",                    Access::kUser,     bind(h::ListTickets)},
      {"POST", "/api/v1/tickets",                    Access::kCustomer, bind(h::CreateTicket),
       app.config.max_ticket_body_bytes, kHeavy},
      {"GET",  "/api/v1/tickets/counts",             Access::kUser,     bind(h::TicketCounts)},
      {"GET",  "/api/v1/tickets/{id}",               Access::kUser,     bind(h::GetTicket)},
      {"PATCH", "/api/v1/tickets/{id}",              Access::kUser,     bind(h::PatchTicket)},
      {"POST", "/api/v1/tickets/{id}/claim",         Access::kAgent,    bind(h::ClaimTicket)},
      {"GET",  "/api/v1/tickets/{id}/messages",      Access::kUser,     bind(h::ListMessages)},
      {"POST", "/api/v1/tickets/{id}/messages",      Access::kUser,     bind(h::PostMessage)},
      {"POST", "/api/v1/tickets/{id}/read",          Access::kUser,     bind(h::MarkRead)},
      {"GET",  "/api/v1/attachments/{id}",           Access::kUser,
       [&app](http::Request& req) { return h::GetAttachment(app, req, false); }},
      {"GET",  "/api/v1/attachments/{id}/thumb",     Access::kUser,
       [&app](http::Request& req) { return h::GetAttachment(app, req, true); }},
      {"GET",  "/healthz",                           Access::kPublic,   bind(h::Health)},
      {"GET",  "/metrics",                           Access::kPublic,   bind(h::MetricsText)},
  };
}

}  // namespace helpline
