#pragma once
// Route handlers: parse -> validate -> call the service -> serialize.
#include "app/app.hpp"

namespace helpline::handlers {

using http::Request;
using http::Response;

// Auth (handlers_auth.cpp)
Response Signup(App& app, Request& req);
Response Login(App& app, Request& req);
Response Logout(App& app, Request& req);
Response Me(App& app, Request& req);

// Tickets and attachments (handlers_tickets.cpp)
Response Categories(App& app, Request& req);
Response CreateTicket(App& app, Request& req);
Response ListTickets(App& app, Request& req);
Response GetTicket(App& app, Request& req);
Response ClaimTicket(App& app, Request& req);
Response PatchTicket(App& app, Request& req);
Response TicketCounts(App& app, Request& req);
Response GetAttachment(App& app, Request& req, bool thumb);

// Chat over REST (handlers_messages.cpp)
Response ListMessages(App& app, Request& req);
Response PostMessage(App& app, Request& req);
Response MarkRead(App& app, Request& req);

// Operations
Response Health(App& app, Request& req);
Response MetricsText(App& app, Request& req);

}  // namespace helpline::handlers
