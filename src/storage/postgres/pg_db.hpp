#pragma once
// A thin RAII layer over libpq: connections with a cache of prepared statements,
// parameter lists that hand out placeholders, results with typed accessors,
// transactions that roll back unless committed, and a small pool so worker
// threads each get a connection. Nothing here knows Helpline's schema.
//
// Values never enter SQL text: a Params list collects them and returns the
// "$n::type" placeholder to splice into a fixed SQL fragment; the statement is
// prepared once per connection (keyed by its text) and run with
// PQexecPrepared.
//
// Text values pass through EncodeText/DecodeText: PostgreSQL's text type holds
// neither NUL nor invalid UTF-8, which SQLite (and so the API) accepts. The
// encoding is the identity for valid UTF-8 without NUL and without U+FFFF, and
// reversible for everything else (docs/decisions/005-postgresql-store.md).
#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/store.hpp"

namespace helpline::pg {

// A failed statement; sqlstate is PostgreSQL's five-character error code ("40P01").
struct PgError : StoreError {
  PgError(const std::string& what, std::string state) : StoreError(what), sqlstate(std::move(state)) {}
  std::string sqlstate;
};

std::string EncodeText(std::string_view bytes);  // any bytes -> UTF-8 without NUL
std::string DecodeText(std::string_view text);   // the inverse

// Values of one statement. Each Add returns the typed placeholder to put in the SQL.
class Params {
 public:
  std::string Int(std::int64_t v);
  std::string Int(std::optional<std::int64_t> v);  // NULL when empty
  std::string Text(std::string_view v);
  std::string Ints(const std::vector<std::int64_t>& v);   // bigint[]
  std::string Texts(const std::vector<std::string>& v);   // text[]

  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return pointers_.data(); }

 private:
  std::string Push(std::optional<std::string> v, const char* type);
  void Repoint();

  std::vector<std::optional<std::string>> values_;
  std::vector<const char*> pointers_;
};

// A query result; owns the PGresult.
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r) {}
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows() { PQclear(r_); }

  int size() const { return PQntuples(r_); }
  bool empty() const { return size() == 0; }
  std::int64_t Affected() const;  // rows changed by INSERT/UPDATE/DELETE
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::int64_t Int(int row, int col) const;
  std::optional<std::int64_t> OptInt(int row, int col) const {
    return IsNull(row, col) ? std::nullopt : std::optional<std::int64_t>(Int(row, col));
  }
  std::string Text(int row, int col) const;  // decoded
  std::optional<std::string> OptText(int row, int col) const {
    return IsNull(row, col) ? std::nullopt : std::optional<std::string>(Text(row, col));
  }

 private:
  PGresult* r_;
};

class Connection {
 public:
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with parameters, prepared once per connection and cached by its text.
  Rows Query(std::string_view sql, const Params& params = Params());
  // Statements without parameters and without results (BEGIN, COMMIT, migrations).
  void Exec(std::string_view sql);

  // False once the server connection is lost; the pool then drops this connection.
  bool Usable() const;
  bool Idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }
  PGconn* raw() { return conn_; }

 private:
  [[noreturn]] void Throw(std::string_view what, const PGresult* r) const;
  Rows Check(PGresult* r, std::string_view what) const;

  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// BEGIN ... Commit(); rolled back if not committed (also when an exception unwinds).
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  void Commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

// Up to `max` connections, opened when first needed and kept; a lost connection
// is dropped on release and replaced by a new one on a later Acquire.
class Pool {
 public:
  Pool(std::string url, int max);

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
  const std::string& url() const { return url_; }

 private:
  friend class Lease;
  void Release(std::unique_ptr<Connection> conn);

  std::string url_;
  int max_;
  int open_ = 0;  // connections that exist (idle or leased) or are being opened
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace helpline::pg
