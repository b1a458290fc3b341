#pragma once
// HTTP request and response as the application sees them: plain data, no Beast.
// http/server.cpp converts to and from the wire; handlers never see a socket.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/model.hpp"

namespace helpline::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query
  std::unordered_map<std::string, std::string> query;  // decoded; the last value of a repeated key wins
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  std::string scheme = "http";

  // Filled by the dispatcher.
  std::vector<std::int64_t> ids;  // the {id} segments of the matched route, in order
  std::optional<User> user;
  std::string session_token;      // the token that authenticated this request
  bool via_cookie = false;

  std::string_view Header(std::string_view lower_name) const;
  std::string Cookie(std::string_view name) const;
  std::string_view Query(const std::string& key) const;
  bool HasQuery(const std::string& key) const { return query.contains(key); }
};

struct Response {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  Response& Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace helpline::http
