#pragma once
// Times are milliseconds since the Unix epoch inside the program and RFC 3339
// UTC strings with milliseconds on the wire ("2026-12-03T17:53:53.120Z").
#include <cstdint>
#include <string>

namespace helpline {

std::int64_t NowMs();
std::string FormatTime(std::int64_t ms);

}  // namespace helpline
