#pragma once
#include <string>
#include <string_view>

#include "http/types.hpp"

namespace helpline::http {

// Serves a file of the web folder, or index.html for page paths (the pages route
// on the client). Paths are checked: no "..", no hidden files, nothing outside the folder.
Response ServeStatic(const std::string& web_dir, std::string_view path);

}  // namespace helpline::http
