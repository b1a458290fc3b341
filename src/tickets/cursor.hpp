#pragma once
// Opaque keyset cursors: base64url of "v1.<sort>.<key>.<id>". The sort is inside
// so a cursor from one ordering is refused by another.
#include <optional>
#include <string>
#include <string_view>

#include "storage/model.hpp"

namespace helpline::cursor {

std::string Encode(const TicketCursor& c);
std::optional<TicketCursor> Decode(std::string_view s);

std::optional<TicketSort> ParseSort(std::string_view s);  // "-created_at" ...
std::string_view SortName(TicketSort sort);

}  // namespace helpline::cursor
