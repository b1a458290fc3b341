#include "tickets/cursor.hpp"

#include <sodium.h>

#include <array>
#include <charconv>
#include <vector>

namespace helpline::cursor {

namespace {
constexpr std::array<std::pair<std::string_view, TicketSort>, 6> kSorts = {{
    {"-created_at", TicketSort::kCreatedDesc},
    {"created_at", TicketSort::kCreatedAsc},
    {"priority", TicketSort::kPriorityAsc},
    {"-priority", TicketSort::kPriorityDesc},
    {"updated_at", TicketSort::kUpdatedAsc},
    {"-updated_at", TicketSort::kUpdatedDesc},
}};

bool ParseInt(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}
}  // namespace

std::optional<TicketSort> ParseSort(std::string_view s) {
  for (auto [name, sort] : kSorts)
    if (name == s) return sort;
  return std::nullopt;
}

std::string_view SortName(TicketSort sort) {
  for (auto [name, s] : kSorts)
    if (s == sort) return name;
  return "-created_at";
}

std::string Encode(const TicketCursor& c) {
  std::string raw = "v1." + std::string(SortName(c.sort)) + "." + std::to_string(c.key) + "." + std::to_string(c.id);
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::optional<TicketCursor> Decode(std::string_view s) {
  if (s.empty() || s.size() > 200) return std::nullopt;
  std::vector<unsigned char> raw(s.size());
  std::size_t len = 0;
  if (sodium_base642bin(raw.data(), raw.size(), s.data(), s.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return std::nullopt;
  std::string_view text(reinterpret_cast<const char*>(raw.data()), len);
  if (!text.starts_with("v1.")) return std::nullopt;
  text.remove_prefix(3);
  // The sort name may start with '-' but has no '.', so split from the right.
  auto last = text.rfind('.');
  if (last == std::string_view::npos) return std::nullopt;
  auto mid = text.rfind('.', last - 1);
  if (mid == std::string_view::npos || last == 0) return std::nullopt;
  auto sort = ParseSort(text.substr(0, mid));
  TicketCursor c;
  if (!sort || !ParseInt(text.substr(mid + 1, last - mid - 1), c.key) || !ParseInt(text.substr(last + 1), c.id) ||
      c.id <= 0)
    return std::nullopt;
  c.sort = *sort;
  return c;
}

}  // namespace helpline::cursor
