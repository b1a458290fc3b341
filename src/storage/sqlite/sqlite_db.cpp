#include "storage/sqlite/sqlite_db.hpp"

#include "storage/store.hpp"

namespace helpline::sqlite {

Stmt::~Stmt() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::Bind(int index, std::optional<std::int64_t> value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Stmt& Stmt::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  conn_->Throw("step");
}

void Stmt::Run() {
  while (Step()) {
  }
}

std::string Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

Connection::Connection(const std::string& path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw StoreError("cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  sqlite3_extended_result_codes(db_, 1);
  // WAL lets readers run beside the one writer; synchronous=FULL makes a commit
  // survive a power cut, which is what an acknowledged message promises.
  Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;");
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Stmt Connection::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) return Stmt(*this, it->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                         nullptr) != SQLITE_OK) {
    Throw("prepare");
  }
  cache_.emplace(std::move(key), stmt);
  return Stmt(*this, stmt);
}

void Connection::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError("sqlite exec: " + msg);
  }
}

void Connection::Throw(std::string_view what) const {
  throw StoreError("sqlite " + std::string(what) + ": " + sqlite3_errmsg(db_) + " (" +
                   std::to_string(sqlite3_extended_errcode(db_)) + ")");
}

Transaction::Transaction(Connection& conn) : conn_(conn) { conn_.Exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(conn_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::Commit() {
  conn_.Exec("COMMIT");
  done_ = true;
}

Pool::Pool(std::string path, int size) : path_(std::move(path)) {
  for (int i = 0; i < size; ++i) idle_.push_back(std::make_unique<Connection>(path_));
}

Pool::Lease Pool::Acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty(); });
  auto conn = std::move(idle_.back());
  idle_.pop_back();
  return Lease(*this, std::move(conn));
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

Pool::Lease::~Lease() {
  if (conn_) pool_->Release(std::move(conn_));
}

}  // namespace helpline::sqlite
