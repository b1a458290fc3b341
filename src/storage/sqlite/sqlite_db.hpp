#pragma once
// A thin RAII layer over the SQLite C API: connections with a cache of prepared
// statements, statements that reset themselves, transactions that roll back
// unless committed, and a small pool so worker threads each get a connection.
#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace helpline::sqlite {

class Connection;

// A prepared statement borrowed from its connection's cache; reset on destruction.
class Stmt {
 public:
  Stmt(Connection& conn, sqlite3_stmt* stmt) : conn_(&conn), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept : conn_(other.conn_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& Bind(int index, std::int64_t value);
  Stmt& Bind(int index, std::string_view value);
  Stmt& Bind(int index, std::optional<std::int64_t> value);
  Stmt& BindNull(int index);

  bool Step();       // true while a row is available; throws StoreError on failure
  void Run();        // steps to completion
  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<std::int64_t> OptInt(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<std::int64_t>(Int(col));
  }

 private:
  Connection* conn_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  explicit Connection(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Stmt Prepare(std::string_view sql);  // cached per connection
  void Exec(std::string_view sql);     // one or more statements, no results
  std::int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  sqlite3* raw() { return db_; }
  [[noreturn]] void Throw(std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so two writers wait instead of
// deadlocking on a lock upgrade) ... Commit(); rolled back if not committed.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  void Commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

class Pool {
 public:
  Pool(std::string path, int size);

  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<Connection> conn) : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  Lease Acquire();

 private:
  friend class Lease;
  void Release(std::unique_ptr<Connection> conn);

  std::string path_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace helpline::sqlite
