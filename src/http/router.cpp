#include "http/router.hpp"

#include <charconv>

namespace helpline::http {

std::int64_t ParseId(std::string_view s) {
  if (s.empty() || s.size() > 19 || s.front() == '0') return 0;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return 0;
  return v;
}

namespace {
// Matches `path` against `pattern` segment by segment, collecting {id} values.
bool MatchPath(std::string_view pattern, std::string_view path, std::vector<std::int64_t>& ids) {
  ids.clear();
  while (true) {
    if (pattern.empty() || path.empty()) return pattern.empty() && path.empty();
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto pe = pattern.find('/');
    auto se = path.find('/');
    auto pseg = pattern.substr(0, pe);
    auto sseg = path.substr(0, se);
    if (pseg == "{id}") {
      auto id = ParseId(sseg);
      if (id == 0) return false;
      ids.push_back(id);
    } else if (pseg != sseg) {
      return false;
    }
    pattern = pe == std::string_view::npos ? std::string_view() : pattern.substr(pe);
    path = se == std::string_view::npos ? std::string_view() : path.substr(se);
  }
}
}  // namespace

Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  std::vector<std::int64_t> ids;
  for (const auto& r : routes_) {
    if (!MatchPath(r.pattern, path, ids)) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      m.route = &r;
      m.ids = ids;
      return m;
    }
    m.path_known = true;
  }
  return m;
}

}  // namespace helpline::http

namespace helpline::http {

std::string_view Request::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

std::string Request::Cookie(std::string_view name) const {
  auto header = Header("cookie");
  while (!header.empty()) {
    auto semi = header.find(';');
    auto item = header.substr(0, semi);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    auto eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == name) return std::string(item.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

std::string_view Request::Query(const std::string& key) const {
  auto it = query.find(key);
  return it == query.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace helpline::http
