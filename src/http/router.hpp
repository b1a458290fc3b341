#pragma once
// Matches a method and path against the route table (app/routes.cpp).
// Patterns are literal segments and {id} segments that take positive integers.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "http/types.hpp"

namespace helpline::http {

enum class Access { kPublic, kUser, kCustomer, kAgent };

using Handler = std::function<Response(Request&)>;

struct Route {
  std::string method;
  std::string pattern;               // "/api/v1/tickets/{id}"
  Access access = Access::kUser;
  Handler handler;
  std::size_t body_limit = 64 * 1024;  // bytes of request body this route reads at most
  bool heavy = false;  // CPU-heavy (password hashing, image decoding): runs on the small heavy pool
};

struct Match {
  const Route* route = nullptr;     // null: no route
  bool path_known = false;          // some route has this path with another method (-> 405)
  std::vector<std::int64_t> ids;
};

class Router {
 public:
  explicit Router(std::vector<Route> routes) : routes_(std::move(routes)) {}
  Match Find(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Positive decimal 64-bit integer, or 0 when s is anything else.
std::int64_t ParseId(std::string_view s);

}  // namespace helpline::http
