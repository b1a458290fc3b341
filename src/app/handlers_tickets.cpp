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

Response GetTicket(App& app, Request& req) {
  auto ticket = app.tickets.Get(*req.user, req.ids.at(0));
  if (!ticket) return ErrorResponse(ticket.error());
  return JsonResponse(200, {{"ticket", json::TicketJson(*ticket)}});
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
