#pragma once
// JSON for the domain types (the contract's shapes) and for request bodies.
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "storage/model.hpp"

namespace helpline::json {

namespace bj = boost::json;

bj::object UserJson(const User& u);
bj::object AttachmentJson(const Attachment& a);
bj::object TicketJson(const Ticket& t);
bj::object MessageJson(const Message& m);
bj::object ErrorJson(const Error& e);

// A request body that must be one JSON object; 400 invalid_json otherwise.
Result<bj::object> ParseObject(std::string_view body);

// A required string member: 422 validation_failed with `field` when missing,
// not a string, or empty after trimming (when `trim` is set).
Result<std::string> RequiredString(const bj::object& obj, std::string_view field);
// An optional string member: nullopt when absent or null, 422 when another type.
Result<std::optional<std::string>> OptionalString(const bj::object& obj, std::string_view field);
// An optional positive integer member.
Result<std::optional<std::int64_t>> OptionalId(const bj::object& obj, std::string_view field);

}  // namespace helpline::json
