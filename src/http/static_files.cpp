#include "http/static_files.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>

namespace helpline::http {

namespace {
std::string_view MimeType(std::string_view path) {
  auto dot = path.rfind('.');
  auto ext = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json" || ext == "webmanifest") return "application/json";
  if (ext == "woff2") return "font/woff2";
  if (ext == "mp3") return "audio/mpeg";
  if (ext == "wav") return "audio/wav";
  return "application/octet-stream";
}

// A path of plain segments only: no empty segment ("//" would make the rest
// absolute and escape the folder), no dot segments or hidden files, no backslash or NUL.
bool SafePath(std::string_view p) {
  if (p.empty() || p.front() != '/' || p.find("//") != std::string_view::npos ||
      p.find("..") != std::string_view::npos || p.find('\\') != std::string_view::npos ||
      p.find("/.") != std::string_view::npos || p.find('\0') != std::string_view::npos)
    return false;
  return true;
}

// The file for `path` if it lies inside `web_dir` once both are resolved (symlinks included).
std::optional<std::filesystem::path> Inside(const std::string& web_dir, std::string_view path) {
  std::error_code ec;
  auto root = std::filesystem::weakly_canonical(web_dir, ec);
  if (ec) return std::nullopt;
  auto file = std::filesystem::weakly_canonical(root / std::filesystem::path(std::string(path.substr(1))).relative_path(), ec);
  if (ec) return std::nullopt;
  auto [r, f] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (r != root.end()) return std::nullopt;
  return file;
}

std::optional<std::string> ReadFile(const std::filesystem::path& p) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}
}  // namespace

Response ServeStatic(const std::string& web_dir, std::string_view path) {
  Response r;
  if (SafePath(path) && path != "/") {
    auto file = Inside(web_dir, path);
    if (auto body = file ? ReadFile(*file) : std::nullopt) {
      r.content_type = std::string(MimeType(path));
      r.body = std::move(*body);
      // Revalidate each time: files change with each release and are small.
      r.Set("Cache-Control", "no-cache");
      return r;
    }
    // A missing asset is a 404, not the page shell.
    auto last = path.substr(path.rfind('/') + 1);
    if (last.find('.') != std::string_view::npos) {
      r.status = 404;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "Not found\n";
      return r;
    }
  }
  auto index = ReadFile(std::filesystem::path(web_dir) / "index.html");
  if (!index) {
    r.status = 500;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "The web pages are missing: set --web-dir to Helpline's web folder.\n";
    return r;
  }
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(*index);
  r.Set("Cache-Control", "no-cache");
  return r;
}

}  // namespace helpline::http
