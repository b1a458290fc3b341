// The PostgreSQL store: set-up, migrations, users and sessions.
#include "storage/postgres/pg_store.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "core/time.hpp"
#include "storage/migrations.hpp"
#include "storage/postgres/pg_sql.hpp"

namespace helpline::pg {

namespace {

constexpr std::string_view kUserColumns = "id, email, name, role, created_at";

User ReadUser(const Rows& r, int row, int first = 0) {
  return User{r.Int(row, first), r.Text(row, first + 1), r.Text(row, first + 2), r.Text(row, first + 3),
              r.Int(row, first + 4)};
}

}  // namespace

PgStore::PgStore(const std::string& url, int connections) : pool_(url, connections) { Migrate(); }

// Every pending migration in one transaction, under an advisory lock: two nodes starting
// together apply them once (the second waits, then finds them applied).
void PgStore::Migrate() {
  auto conn = pool_.Acquire();
  Transaction tx(*conn);
  Params lock;
  conn->Query("SELECT pg_advisory_xact_lock(" + lock.Int(kMigrationLock) + ")", lock);
  conn->Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
      "applied_at bigint NOT NULL)");
  std::set<std::int64_t> applied;
  auto rows = conn->Query("SELECT version FROM schema_migrations");
  for (int i = 0; i < rows.size(); ++i) applied.insert(rows.Int(i, 0));
  for (const auto& m : storage::EmbeddedMigrations("postgresql")) {
    if (applied.contains(m.version)) continue;
    spdlog::info("event=migrate dialect=postgresql version={} name={}", m.version, m.name);
    conn->Exec(m.sql);
    Params p;
    auto sql = "INSERT INTO schema_migrations(version, name, applied_at) VALUES (" + p.Int(m.version) + ", " +
               p.Text(m.name) + ", " + p.Int(NowMs()) + ")";
    conn->Query(sql, p);
  }
  tx.Commit();
}

bool PgStore::Healthy() {
  try {
    auto conn = pool_.Acquire();
    return conn->Query("SELECT 1").size() == 1;
  } catch (const StoreError&) {
    return false;
  }
}

Result<User> PgStore::CreateUser(const NewUser& user) {
  auto conn = pool_.Acquire();
  auto now = NowMs();
  Params p;
  auto sql = "INSERT INTO users(email, name, role, password_hash, created_at) VALUES (" + p.Text(user.email) + ", " +
             p.Text(user.name) + ", " + p.Text(user.role) + ", " + p.Text(user.password_hash) + ", " + p.Int(now) +
             ") ON CONFLICT (email) DO NOTHING RETURNING id";
  auto r = conn->Query(sql, p);
  if (r.empty()) return Fail(Code::kEmailTaken, "An account with this email already exists.", "email");
  return User{r.Int(0, 0), user.email, user.name, user.role, now};
}

std::optional<Credentials> PgStore::FindCredentials(std::string_view email) {
  auto conn = pool_.Acquire();
  Params p;
  auto r = conn->Query("SELECT " + std::string(kUserColumns) + ", password_hash FROM users WHERE email = " +
                           p.Text(email),
                       p);
  if (r.empty()) return std::nullopt;
  return Credentials{ReadUser(r, 0), r.Text(0, 5)};
}

std::optional<User> PgStore::FindUser(std::int64_t id) {
  auto conn = pool_.Acquire();
  Params p;
  auto r = conn->Query("SELECT " + std::string(kUserColumns) + " FROM users WHERE id = " + p.Int(id), p);
  if (r.empty()) return std::nullopt;
  return ReadUser(r, 0);
}

std::int64_t PgStore::CountUsers(std::string_view role) {
  auto conn = pool_.Acquire();
  Params p;
  return conn->Query("SELECT count(*) FROM users WHERE role = " + p.Text(role), p).Int(0, 0);
}

void PgStore::CreateSession(std::string_view token_hash, std::int64_t user_id, std::int64_t expires_at) {
  auto conn = pool_.Acquire();
  Params p;
  auto sql = "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES (" + p.Text(token_hash) + ", " +
             p.Int(user_id) + ", " + p.Int(NowMs()) + ", " + p.Int(expires_at) + ")";
  conn->Query(sql, p);
}

std::optional<User> PgStore::UserForSession(std::string_view token_hash, std::int64_t now) {
  auto conn = pool_.Acquire();
  Params p;
  auto sql = "SELECT u.id, u.email, u.name, u.role, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id "
             "WHERE s.token_hash = " + p.Text(token_hash) + " AND s.expires_at > " + p.Int(now);
  auto r = conn->Query(sql, p);
  if (r.empty()) return std::nullopt;
  return ReadUser(r, 0);
}

void PgStore::DeleteSession(std::string_view token_hash) {
  auto conn = pool_.Acquire();
  Params p;
  conn->Query("DELETE FROM sessions WHERE token_hash = " + p.Text(token_hash), p);
}

std::vector<std::string> PgStore::AllStoredFileNames() {
  auto conn = pool_.Acquire();
  std::vector<std::string> names;
  auto r = conn->Query("SELECT stored_name, thumb_name FROM attachments");
  names.reserve(static_cast<std::size_t>(r.size()) * 2);
  for (int i = 0; i < r.size(); ++i) {
    names.push_back(r.Text(i, 0));
    names.push_back(r.Text(i, 1));
  }
  return names;
}

}  // namespace helpline::pg
