#include "core/json.hpp"

#include "core/time.hpp"

namespace helpline::json {

bj::object UserJson(const User& u) {
  return {{"id", u.id}, {"email", u.email}, {"name", u.name}, {"role", u.role}, {"created_at", FormatTime(u.created_at)}};
}

bj::object AttachmentJson(const Attachment& a) {
  auto base = "/api/v1/attachments/" + std::to_string(a.id);
  return {{"id", a.id},          {"filename", a.filename}, {"content_type", a.content_type},
          {"size", a.size},      {"width", a.width},       {"height", a.height},
          {"url", base},         {"thumb_url", base + "/thumb"}};
}

bj::object TicketJson(const Ticket& t) {
  bj::array attachments;
  for (const auto& a : t.attachments) attachments.push_back(AttachmentJson(a));
  bj::object o;
  o["id"] = t.id;
  o["subject"] = t.subject;
  o["description"] = t.description;
  o["category"] = t.category;
  o["priority"] = t.priority;
  o["status"] = t.status;
  o["customer"] = bj::object{{"id", t.customer.id}, {"name", t.customer.name}};
  o["agent"] = t.agent ? bj::value(bj::object{{"id", t.agent->id}, {"name", t.agent->name}}) : bj::value(nullptr);
  o["created_at"] = FormatTime(t.created_at);
  o["updated_at"] = FormatTime(t.updated_at);
  o["last_message_at"] = t.last_message_at ? bj::value(FormatTime(*t.last_message_at)) : bj::value(nullptr);
  o["attachments"] = std::move(attachments);
  o["unread_count"] = t.unread_count;
  return o;
}

bj::object MessageJson(const Message& m) {
  bj::object o{{"id", m.id}, {"ticket_id", m.ticket_id}, {"kind", m.kind}, {"body", m.body},
               {"created_at", FormatTime(m.created_at)}};
  o["author"] = m.author ? bj::value(bj::object{{"id", m.author->id}, {"name", m.author->name}, {"role", m.author->role}})
                         : bj::value(nullptr);
  o["client_id"] = m.client_id ? bj::value(*m.client_id) : bj::value(nullptr);
  return o;
}

bj::object ErrorJson(const Error& e) {
  bj::object inner{{"code", CodeName(e.code)}, {"message", e.message}};
  if (!e.field.empty()) inner["field"] = e.field;
  return {{"error", std::move(inner)}};
}

Result<bj::object> ParseObject(std::string_view body) {
  boost::system::error_code ec;
  bj::parse_options opts;
  opts.max_depth = 32;
  auto v = bj::parse(body, ec, {}, opts);
  if (ec) return Fail(Code::kInvalidJson, "The request body is not valid JSON.");
  if (!v.is_object()) return Fail(Code::kInvalidJson, "The request body must be a JSON object.");
  return std::move(v.as_object());
}

Result<std::string> RequiredString(const bj::object& obj, std::string_view field) {
  auto* v = obj.if_contains(field);
  if (!v || v->is_null()) return Fail(Code::kValidationFailed, std::string(field) + " is required.", std::string(field));
  if (!v->is_string()) return Fail(Code::kValidationFailed, std::string(field) + " must be a string.", std::string(field));
  std::string s(v->as_string());
  if (s.empty()) return Fail(Code::kValidationFailed, std::string(field) + " is required.", std::string(field));
  return s;
}

Result<std::optional<std::string>> OptionalString(const bj::object& obj, std::string_view field) {
  auto* v = obj.if_contains(field);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return Fail(Code::kValidationFailed, std::string(field) + " must be a string.", std::string(field));
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::optional<std::int64_t>> OptionalId(const bj::object& obj, std::string_view field) {
  auto* v = obj.if_contains(field);
  if (!v || v->is_null()) return std::optional<std::int64_t>();
  if (v->is_int64() && v->as_int64() >= 0) return std::optional<std::int64_t>(v->as_int64());
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return std::optional<std::int64_t>(static_cast<std::int64_t>(v->as_uint64()));
  return Fail(Code::kValidationFailed, std::string(field) + " must be a non-negative integer.", std::string(field));
}

}  // namespace helpline::json
