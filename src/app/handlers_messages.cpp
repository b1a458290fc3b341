#include <charconv>

#include "app/handlers.hpp"
#include "auth/password.hpp"
#include "core/json.hpp"
#include "core/text.hpp"

namespace helpline::handlers {

namespace {
// The ticket if the caller may see it; 404 otherwise (another customer's ticket looks missing).
Result<TicketAccess> Visible(App& app, const Request& req, std::int64_t ticket_id) {
  auto access = app.store.GetTicketAccess(ticket_id);
  if (!access || !tickets::TicketService::MayView(*req.user, access->customer_id))
    return Fail(Code::kNotFound, "No such ticket.");
  return *access;
}

Result<std::optional<std::int64_t>> QueryInt(const Request& req, const char* key, std::int64_t min, std::int64_t max) {
  if (!req.HasQuery(key)) return std::optional<std::int64_t>();
  auto s = req.Query(key);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max)
    return Fail(Code::kValidationFailed,
                std::string(key) + " must be a number from " + std::to_string(min) + " to " + std::to_string(max) + ".",
                key);
  return std::optional<std::int64_t>(v);
}
}  // namespace

Response ListMessages(App& app, Request& req) {
  auto ticket = Visible(app, req, req.ids.at(0));
  if (!ticket) return ErrorResponse(ticket.error());
  auto after = QueryInt(req, "after", 0, INT64_MAX);
  if (!after) return ErrorResponse(after.error());
  auto before = QueryInt(req, "before", 1, INT64_MAX);
  if (!before) return ErrorResponse(before.error());
  auto limit = QueryInt(req, "limit", 1, 200);
  if (!limit) return ErrorResponse(limit.error());
  auto items = app.store.ListMessages(ticket->id, *after, *before, static_cast<int>(limit->value_or(50)));
  boost::json::array out;
  for (const auto& m : items) out.push_back(json::MessageJson(m));
  return JsonResponse(200, {{"items", std::move(out)}});
}

Response PostMessage(App& app, Request& req) {
  auto body = json::ParseObject(req.body);
  if (!body) return ErrorResponse(body.error());
  auto text_body = json::RequiredString(*body, "body");
  if (!text_body) return ErrorResponse(text_body.error());
  if (!text::LengthWithin(*text_body, 1, 5000) || text::Trim(*text_body).empty())
    return ErrorResponse({Code::kValidationFailed, "A message is 1 to 5000 characters of text.", "body", 0});
  auto client_id = json::OptionalString(*body, "client_id");
  if (!client_id) return ErrorResponse(client_id.error());
  if (*client_id && !text::LengthWithin(**client_id, 1, 100))
    return ErrorResponse({Code::kValidationFailed, "client_id must be 1 to 100 characters.", "client_id", 0});
  // Stored through the one chat writer: durable (group commit) before we answer.
  auto stored = app.writer.Append(NewMessage{req.ids.at(0), *req.user, *text_body, *client_id});
  if (!stored) return ErrorResponse(stored.error());
  return JsonResponse(stored->created ? 201 : 200, {{"message", json::MessageJson(stored->message)}});
}

Response MarkRead(App& app, Request& req) {
  auto ticket = Visible(app, req, req.ids.at(0));
  if (!ticket) return ErrorResponse(ticket.error());
  auto body = json::ParseObject(req.body);
  if (!body) return ErrorResponse(body.error());
  auto up_to = json::OptionalId(*body, "up_to");
  if (!up_to) return ErrorResponse(up_to.error());
  if (!*up_to) return ErrorResponse({Code::kValidationFailed, "up_to is required.", "up_to", 0});
  auto mark = app.store.MarkRead(req.user->id, ticket->id, **up_to);
  if (mark.moved) app.bus.Publish(ReadMoved{ticket->id, req.user->id, mark.up_to});
  return NoContent();
}

}  // namespace helpline::handlers
