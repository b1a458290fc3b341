#include "app/config.hpp"

#include <filesystem>
#include <stdexcept>

namespace helpline {

std::string Config::ResolvedWebDir() const {
  if (!web_dir.empty()) return web_dir;
  if (std::filesystem::exists(HELPLINE_SOURCE_WEB_DIR "/index.html")) return HELPLINE_SOURCE_WEB_DIR;
  return "./web";
}

bool Config::HasCategory(std::string_view id) const {
  for (const auto& c : categories)
    if (c.id == id) return true;
  return false;
}

bool Config::IsTrustedProxy(const std::string& address) const {
  for (const auto& p : trusted_proxies)
    if (p == address) return true;
  return false;
}

std::vector<Category> ParseCategories(const std::string& spec) {
  std::vector<Category> out;
  std::size_t start = 0;
  while (start <= spec.size()) {
    auto end = spec.find(',', start);
    auto item = spec.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto colon = item.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size())
      throw std::invalid_argument("category '" + item + "' is not id:Name");
    out.push_back({item.substr(0, colon), item.substr(colon + 1)});
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (out.empty()) throw std::invalid_argument("no categories");
  return out;
}

}  // namespace helpline
