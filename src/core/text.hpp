#pragma once
// Text rules of the contract: UTF-8 validity, lengths in code points, emails.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace helpline::text {

// Code points in s, or nullopt when s is not valid UTF-8 (overlongs, surrogates,
// truncated sequences and code points past U+10FFFF are invalid).
std::optional<std::size_t> CodePoints(std::string_view s);

// True when s is valid UTF-8 and has min..max code points.
bool LengthWithin(std::string_view s, std::size_t min, std::size_t max);

// local@domain with a dot in the domain, no spaces, at most 254 bytes.
bool IsEmail(std::string_view s);

std::string Lower(std::string_view s);   // ASCII lower-case (emails)
std::string Trim(std::string_view s);    // strips ASCII white space at both ends

}  // namespace helpline::text
