#include <filesystem>

#include "storage/sqlite/sqlite_store.hpp"
#include "storage/store.hpp"

namespace helpline {

std::unique_ptr<Store> OpenStore(const std::string& db_url, const std::string& data_dir) {
  std::string path;
  if (db_url.empty()) {
    path = (std::filesystem::path(data_dir) / "helpline.db").string();
  } else if (db_url.starts_with("sqlite://")) {
    path = db_url.substr(9);
  } else if (db_url.starts_with("sqlite:")) {
    path = db_url.substr(7);
  } else if (db_url.starts_with("postgresql://") || db_url.starts_with("postgres://")) {
    throw StoreError("PostgreSQL is not built into this version of Helpline yet; use SQLite (the default)");
  } else {
    throw StoreError("unknown database URL (expected sqlite:PATH or postgresql://...): " + db_url);
  }
  // A connection per worker thread plus a few for the I/O side; SQLite serializes writers itself.
  return std::make_unique<sqlite::SqliteStore>(path, 8);
}

}  // namespace helpline
