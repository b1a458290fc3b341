#include "tickets/multipart.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace helpline::multipart {

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Finds `key=value` or `key="quoted value"` among `;`-separated parameters.
std::optional<std::string> Param(std::string_view header, std::string_view key) {
  std::size_t i = 0;
  while (i < header.size()) {
    auto semi = header.find(';', i);
    if (semi == std::string_view::npos) return std::nullopt;
    i = semi + 1;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    auto eq = header.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    auto name = text::Trim(header.substr(i, eq - i));
    std::size_t v = eq + 1;
    std::string value;
    if (v < header.size() && header[v] == '"') {
      ++v;
      while (v < header.size() && header[v] != '"') {
        if (header[v] == '\\' && v + 1 < header.size()) ++v;
        value += header[v++];
      }
      i = v + 1;
    } else {
      auto end = header.find(';', v);
      value = text::Trim(header.substr(v, end == std::string_view::npos ? std::string_view::npos : end - v));
      i = end == std::string_view::npos ? header.size() : end;
    }
    if (IEquals(name, key)) return value;
  }
  return std::nullopt;
}

Error Malformed(std::string why) { return Error{Code::kBadRequest, "Malformed multipart body: " + why, {}, 0}; }

}  // namespace

std::optional<std::string> Boundary(std::string_view content_type) {
  auto semi = content_type.find(';');
  if (!IEquals(text::Trim(content_type.substr(0, semi)), "multipart/form-data")) return std::nullopt;
  auto b = Param(content_type, "boundary");
  if (!b || b->empty() || b->size() > 70) return std::nullopt;
  return b;
}

Result<std::vector<Part>> Parse(std::string_view body, std::string_view boundary, const Limits& limits) {
  const std::string delim = "--" + std::string(boundary);
  const std::string next_delim = "\r\n" + delim;
  std::vector<Part> parts;

  std::size_t pos;
  if (body.starts_with(delim)) {
    pos = delim.size();
  } else {
    auto first = body.find(next_delim);  // a preamble before the first boundary is allowed
    if (first == std::string_view::npos) return Unexpected(Malformed("no boundary"));
    pos = first + next_delim.size();
  }
  while (true) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing boundary
    // Transport padding after a boundary line is allowed by RFC 2046.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return Unexpected(Malformed("bad boundary line"));
    pos += 2;
    auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos || headers_end - pos > 8192)
      return Unexpected(Malformed("part headers"));
    Part part;
    bool has_disposition = false;
    auto headers = body.substr(pos, headers_end - pos);
    std::size_t h = 0;
    while (h <= headers.size()) {
      auto eol = headers.find("\r\n", h);
      auto line = headers.substr(h, eol == std::string_view::npos ? std::string_view::npos : eol - h);
      auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        auto name = text::Trim(line.substr(0, colon));
        auto value = line.substr(colon + 1);
        if (IEquals(name, "content-disposition")) {
          has_disposition = true;
          auto n = Param(value, "name");
          if (!n) return Unexpected(Malformed("part without a name"));
          part.name = *n;
          part.filename = Param(value, "filename");
        } else if (IEquals(name, "content-type")) {
          part.content_type = text::Trim(value);
        }
      }
      if (eol == std::string_view::npos) break;
      h = eol + 2;
    }
    if (!has_disposition) return Unexpected(Malformed("part without Content-Disposition"));
    auto data_start = headers_end + 4;
    auto data_end = body.find(next_delim, data_start);
    if (data_end == std::string_view::npos) return Unexpected(Malformed("unterminated part"));
    part.data = body.substr(data_start, data_end - data_start);
    if (part.filename) {
      if (part.data.size() > limits.max_file_bytes)
        return Fail(Code::kTooLarge, "Each screenshot must be at most 4 MB.", limits.file_field);
    } else if (part.data.size() > limits.max_field_bytes) {
      // The name is the client's: echo it only when it is one of ours.
      bool known = part.name == "subject" || part.name == "description" || part.name == "category" ||
                   part.name == "priority";
      return Fail(Code::kTooLarge, "A form field is too long.", known ? part.name : std::string());
    }
    if (parts.size() >= limits.max_parts) return Fail(Code::kBadRequest, "Too many parts in the form.");
    parts.push_back(std::move(part));
    pos = data_end + next_delim.size();
  }
}

}  // namespace helpline::multipart
