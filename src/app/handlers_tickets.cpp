#include "app/handlers.hpp"
#include "core/json.hpp"
#include "tickets/cursor.hpp"
#include "tickets/multipart.hpp"

namespace helpline::handlers {

Response Categories(App& app, Request&) {
  boost::json::array list;
  for (const auto& c : app.config.categories) list.push_back({{"id", c.id}, {"name", c.name}});
  return JsonResponse(200, {{"categories", std::move(list)}});
}

Response CreateTicket(App& app, Request& req) {
  auto boundary = multipart::Boundary(req.Header("content-type"));
  if (!boundary)
    return ErrorResponse({Code::kBadRequest, "Send the ticket as multipart/form-data.", {}, 0});
  multipart::Limits limits;
  limits.max_file_bytes = app.config.max_file_bytes;
  auto parts = multipart::Parse(req.body, *boundary, limits);
  if (!parts) return ErrorResponse(parts.error());
  auto ticket = app.tickets.Create(*req.user, *parts);
  if (!ticket) return ErrorResponse(ticket.error());
  app.bus.Publish(TicketChanged{ticket->id});  // agents' dashboards see it arrive
  auto res = JsonResponse(201, {{"ticket", json::TicketJson(*ticket)}});
  res.Set("Location", "/api/v1/tickets/" + std::to_string(ticket->id));
  return res;
}

Response ListTickets(App& app, Request& req) {
  auto page = app.tickets.List(*req.user, req.query);
  if (!page) return ErrorResponse(page.error());
  boost::json::array items;
  for (const auto& t : page->items) items.push_back(json::TicketJson(t));
  return JsonResponse(200, {{"items", std::move(items)},
                            {"next_cursor", page->next ? boost::json::value(cursor::Encode(*page->next))
                                                       : boost::json::value(nullptr)}});
}

namespace {
Response TicketViewResponse(const Result<tickets::TicketView>& view) {
  if (!view) return ErrorResponse(view.error());
  auto body = json::TicketJson(view->ticket);
  boost::json::array allowed;
  for (const auto& s : view->allowed_status) allowed.emplace_back(s);
  body["allowed_status"] = std::move(allowed);
  return JsonResponse(200, {{"ticket", std::move(body)}});
}
}  // namespace

Response GetTicket(App& app, Request& req) { return TicketViewResponse(app.workflow.View(*req.user, req.ids.at(0))); }

Response ClaimTicket(App& app, Request& req) { return TicketViewResponse(app.workflow.Claim(*req.user, req.ids.at(0))); }

Response PatchTicket(App& app, Request& req) {
  auto body = json::ParseObject(req.body);
  if (!body) return ErrorResponse(body.error());
  auto status = json::OptionalString(*body, "status");
  if (!status) return ErrorResponse(status.error());
  auto priority = json::OptionalString(*body, "priority");
  if (!priority) return ErrorResponse(priority.error());
  return TicketViewResponse(app.workflow.Update(*req.user, req.ids.at(0), *status, *priority));
}

Response TicketCounts(App& app, Request& req) {
  auto [all, mine] = app.store.CountTickets(*req.user);
  auto obj = [](const StatusCounts& c) {
    return boost::json::object{{"open", c.open}, {"in_progress", c.in_progress}, {"resolved", c.resolved}, {"closed", c.closed}};
  };
  return JsonResponse(200, {{"counts", obj(all)}, {"mine", obj(mine)}});
}

Response GetAttachment(App& app, Request& req, bool thumb) {
  auto file = app.tickets.AttachmentFile(*req.user, req.ids.at(0), thumb);
  if (!file) return ErrorResponse(file.error());
  Response res;
  res.content_type = file->content_type;
  res.body = std::move(file->data);
  res.Set("Cache-Control", "private, max-age=3600");
  res.Set("Content-Disposition", "inline");
  return res;
}

Response Health(App& app, Request&) {
  if (!app.store.Healthy())
    return ErrorResponse({Code::kUnavailable, "The database does not answer.", {}, 0});
  return JsonResponse(200, {{"status", "ok"}});
}

Response MetricsText(App& app, Request&) {
  Response res;
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  res.body = app.metrics.Render();
  return res;
}

}  // namespace helpline::handlers
