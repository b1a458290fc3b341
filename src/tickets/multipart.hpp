#pragma once
// multipart/form-data (RFC 7578) over a body already bounded by the server's
// body limit. Parts are views into the body: nothing is copied.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace helpline::multipart {

struct Part {
  std::string name;
  std::optional<std::string> filename;  // present for file parts
  std::string content_type;             // as declared; never trusted for files
  std::string_view data;
};

struct Limits {
  std::size_t max_parts = 16;
  std::size_t max_field_bytes = 64 * 1024;       // a text field
  std::size_t max_file_bytes = 4 * 1024 * 1024;  // a file part -> 413 too_large
  std::string file_field = "screenshots";        // names the field in the 413 error
};

// The boundary parameter of a multipart/form-data Content-Type, or nullopt.
std::optional<std::string> Boundary(std::string_view content_type);

Result<std::vector<Part>> Parse(std::string_view body, std::string_view boundary, const Limits& limits);

}  // namespace helpline::multipart
