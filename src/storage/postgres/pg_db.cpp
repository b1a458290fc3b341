#include "storage/postgres/pg_db.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>

namespace helpline::pg {

// ---------------------------------------------------------------------------------------------
// Text encoding

namespace {

constexpr std::string_view kEscape = "\xEF\xBF\xBF";  // U+FFFF, a noncharacter: rare in real text

bool Cont(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence at s[i], or 0 when the byte there starts none.
std::size_t SequenceLength(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) -> unsigned char { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  unsigned char c = at(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return Cont(at(1)) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;  // no overlongs, no surrogates
    return at(1) >= lo && at(1) <= hi && Cont(at(2)) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;  // U+10000..U+10FFFF
    return at(1) >= lo && at(1) <= hi && Cont(at(2)) && Cont(at(3)) ? 4 : 0;
  }
  return 0;
}

}  // namespace

std::string EncodeText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '\0') {
      out += kEscape;
      out += '0';
      ++i;
      continue;
    }
    if (s.substr(i, 3) == kEscape) {
      out += kEscape;
      out += '1';
      i += 3;
      continue;
    }
    std::size_t n = SequenceLength(s, i);
    if (n == 0) {
      static constexpr char kHex[] = "0123456789abcdef";
      auto b = static_cast<unsigned char>(s[i]);
      out += kEscape;
      out += 'x';
      out += kHex[b >> 4];
      out += kHex[b & 15];
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string DecodeText(std::string_view s) {
  if (s.find(kEscape) == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (s.substr(i, 3) == kEscape && i + 3 < s.size()) {
      char kind = s[i + 3];
      if (kind == '0') {
        out += '\0';
        i += 4;
        continue;
      }
      if (kind == '1') {
        out += kEscape;
        i += 4;
        continue;
      }
      if (kind == 'x' && i + 5 < s.size()) {
        unsigned value = 0;
        auto [p, ec] = std::from_chars(s.data() + i + 4, s.data() + i + 6, value, 16);
        if (ec == std::errc() && p == s.data() + i + 6) {
          out += static_cast<char>(value);
          i += 6;
          continue;
        }
      }
    }
    out += s[i];
    ++i;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Params

std::string Params::Push(std::optional<std::string> v, const char* type) {
  values_.push_back(std::move(v));
  Repoint();
  return "$" + std::to_string(values_.size()) + "::" + type;
}

void Params::Repoint() {
  pointers_.clear();
  for (const auto& v : values_) pointers_.push_back(v ? v->c_str() : nullptr);
}

std::string Params::Int(std::int64_t v) { return Push(std::to_string(v), "int8"); }

std::string Params::Int(std::optional<std::int64_t> v) {
  return Push(v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt, "int8");
}

std::string Params::Text(std::string_view v) { return Push(EncodeText(v), "text"); }

std::string Params::Ints(const std::vector<std::int64_t>& v) {
  std::string lit = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) lit += ',';
    lit += std::to_string(v[i]);
  }
  lit += '}';
  return Push(std::move(lit), "int8[]");
}

std::string Params::Texts(const std::vector<std::string>& v) {
  // An array literal: every element double-quoted, with " and \ escaped.
  std::string lit = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) lit += ',';
    lit += '"';
    for (char c : EncodeText(v[i])) {
      if (c == '"' || c == '\\') lit += '\\';
      lit += c;
    }
    lit += '"';
  }
  lit += '}';
  return Push(std::move(lit), "text[]");
}

// ---------------------------------------------------------------------------------------------
// Rows

std::int64_t Rows::Affected() const {
  const char* n = PQcmdTuples(r_);
  std::int64_t v = 0;
  if (n && *n) std::from_chars(n, n + std::strlen(n), v);
  return v;
}

std::int64_t Rows::Int(int row, int col) const {
  const char* p = PQgetvalue(r_, row, col);
  int len = PQgetlength(r_, row, col);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(p, p + len, v);
  if (ec != std::errc() || end != p + len) throw StoreError("postgres: not an integer: " + std::string(p, static_cast<std::size_t>(len)));
  return v;
}

std::string Rows::Text(int row, int col) const {
  return DecodeText(std::string_view(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))));
}

// ---------------------------------------------------------------------------------------------
// Connection

namespace {
void OnNotice(void*, const char* message) { spdlog::debug("event=pg_notice message=\"{}\"", message); }
}  // namespace

Connection::Connection(const std::string& url) {
  conn_ = PQconnectdb(url.c_str());
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
    PQfinish(conn_);
    conn_ = nullptr;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    // The URL may hold a password: name the failure, not the URL.
    throw StoreError("cannot connect to PostgreSQL: " + msg);
  }
  PQsetNoticeProcessor(conn_, OnNotice, nullptr);
  // Times are integers (ms since the epoch) and texts are UTF-8 whatever the server's defaults.
  Exec("SET client_encoding = 'UTF8'");
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::Usable() const { return PQstatus(conn_) == CONNECTION_OK; }

void Connection::Throw(std::string_view what, const PGresult* r) const {
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  throw PgError("postgres " + std::string(what) + ": " + msg, state ? state : "");
}

Rows Connection::Check(PGresult* r, std::string_view what) const {
  auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Rows(r);
  Rows owner(r);  // freed after the message is taken
  Throw(what, r);
}

Rows Connection::Query(std::string_view sql, const Params& params) {
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    Check(PQprepare(conn_, name.c_str(), key.c_str(), params.size(), nullptr), "prepare");
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  return Check(PQexecPrepared(conn_, it->second.c_str(), params.size(), params.values(), nullptr, nullptr, 0),
               "query");
}

void Connection::Exec(std::string_view sql) { Check(PQexec(conn_, std::string(sql).c_str()), "exec"); }

// ---------------------------------------------------------------------------------------------
// Transaction

Transaction::Transaction(Connection& conn) : conn_(conn) { conn_.Exec("BEGIN"); }

Transaction::~Transaction() {
  if (!done_) PQclear(PQexec(conn_.raw(), "ROLLBACK"));
}

void Transaction::Commit() {
  done_ = true;
  PGresult* r = PQexec(conn_.raw(), "COMMIT");
  Rows owner(r);
  // COMMIT of a failed transaction "succeeds" with the tag ROLLBACK: that is a failure here.
  if (PQresultStatus(r) != PGRES_COMMAND_OK || std::string_view(PQcmdStatus(r)) != "COMMIT") {
    std::string msg = PQresultErrorMessage(r);
    throw StoreError("postgres commit failed" + (msg.empty() ? std::string() : ": " + msg));
  }
}

// ---------------------------------------------------------------------------------------------
// Pool

Pool::Pool(std::string url, int max) : url_(std::move(url)), max_(max) {}

Pool::Lease Pool::Acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(conn));
  }
  ++open_;  // reserve the slot, connect without the lock
  lock.unlock();
  try {
    return Lease(*this, std::make_unique<Connection>(url_));
  } catch (...) {
    lock.lock();
    --open_;
    lock.unlock();
    available_.notify_one();
    throw;
  }
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  // A connection left inside a transaction (an exception between statements) is rolled back;
  // one that lost its server is dropped.
  if (conn->Usable() && !conn->Idle()) PQclear(PQexec(conn->raw(), "ROLLBACK"));
  bool keep = conn->Usable() && conn->Idle();
  if (!keep) conn.reset();
  {
    std::lock_guard lock(mutex_);
    if (keep) idle_.push_back(std::move(conn));
    else --open_;
  }
  available_.notify_one();
}

Pool::Lease::~Lease() {
  if (conn_) pool_->Release(std::move(conn_));
}

}  // namespace helpline::pg
