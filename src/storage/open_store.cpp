#include <filesystem>

#include "storage/postgres/pg_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/store.hpp"

namespace helpline {

std::unique_ptr<Store> OpenStore(const std::string& db_url, const std::string& data_dir) {
  // A connection per worker thread plus a few for the I/O side and the message writer.
  constexpr int kConnections = 8;
  if (db_url.starts_with("postgresql://") || db_url.starts_with("postgres://")) {
    // libpq reads the URL itself (host, port, user, password, dbname, sslmode, ...).
    return std::make_unique<pg::PgStore>(db_url, kConnections);
  }
  std::string path;
  if (db_url.empty()) {
    path = (std::filesystem::path(data_dir) / "helpline.db").string();
  } else if (db_url.starts_with("sqlite://")) {
    path = db_url.substr(9);
  } else if (db_url.starts_with("sqlite:")) {
    path = db_url.substr(7);
  } else {
    throw StoreError("unknown database URL (expected sqlite:PATH or postgresql://...)");
  }
  // SQLite serializes writers itself.
  return std::make_unique<sqlite::SqliteStore>(path, kConnections);
}

}  // namespace helpline
