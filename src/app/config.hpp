#pragma once
// One typed configuration, filled from defaults, HELPLINE_* environment
// variables and flags (the flag wins), validated once at start.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace helpline {

struct Category {
  std::string id;
  std::string name;
};

struct Config {
  std::string bind = "127.0.0.1";
  int port = 8080;
  std::string data_dir = "./data";
  std::string db_url;        // empty: SQLite at DATA_DIR/helpline.db
  std::string web_dir;       // empty: the web/ folder of the source tree, else ./web
  std::string public_origin; // e.g. https://help.example.com; empty: http(s)://<Host header>
  int workers = 4;           // threads for database work and light requests
  int heavy_workers = 2;     // threads for password hashing and image decoding
  int signup_limit = 20;     // sign-ups per client address per 15 minutes
  int min_screenshots = 1;   // the contract allows configuring this down to 0
  int max_screenshots = 3;
  std::size_t max_file_bytes = 4 * 1024 * 1024;
  std::size_t max_ticket_body_bytes = 13 * 1024 * 1024;
  std::size_t ws_queue_bytes = 16 * 1024 * 1024;  // a WebSocket reader this far behind is cut off
  // Files that no ticket names are removed at start once this many seconds old. -1: 0 on
  // SQLite (one node owns the folder), an hour on PostgreSQL, where several nodes may share
  // the folder and another node's upload may be between its files and its commit.
  int orphan_grace_s = -1;
  // Peers whose X-Forwarded-For is believed (a load balancer): per-address limits then
  // apply to the real client, not to the proxy that all clients share.
  std::vector<std::string> trusted_proxies;
  std::vector<Category> categories = {
      {"general", "General question"}, {"billing", "Billing"}, {"technical", "Technical problem"},
      {"account", "Account and login"}, {"feature", "Feature request"}};

  std::string FilesDir() const { return data_dir + "/files"; }
  std::string ResolvedWebDir() const;
  bool HasCategory(std::string_view id) const;
  bool IsTrustedProxy(const std::string& address) const;
  bool OnPostgres() const { return db_url.starts_with("postgresql://") || db_url.starts_with("postgres://"); }
  int OrphanGraceSeconds() const { return orphan_grace_s >= 0 ? orphan_grace_s : (OnPostgres() ? 3600 : 0); }
};

// "id:Name,id2:Name 2" -> categories; throws std::invalid_argument on a bad list.
std::vector<Category> ParseCategories(const std::string& spec);

}  // namespace helpline
