// Fuzzes the multipart/form-data parser. Input: a Content-Type line, "\n", then
// the body. Properties: never crash; every part is a view inside the body; no
// part breaks the limits it was given (a breach must be an error instead).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tickets/multipart.hpp"

using namespace helpline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  auto boundary = multipart::Boundary(input.substr(0, nl));
  if (!boundary) return 0;
  std::string_view body = input.substr(nl + 1);
  multipart::Limits limits;
  limits.max_parts = 4;
  limits.max_field_bytes = 256;
  limits.max_file_bytes = 1024;
  auto parts = multipart::Parse(body, *boundary, limits);
  if (!parts) return 0;
  if (parts->size() > limits.max_parts) std::abort();
  for (const auto& p : *parts) {
    if (!p.data.empty() && (p.data.data() < body.data() || p.data.data() + p.data.size() > body.data() + body.size()))
      std::abort();
    std::size_t limit = p.filename ? limits.max_file_bytes : limits.max_field_bytes;
    if (p.data.size() > limit) std::abort();
  }
  return 0;
}
