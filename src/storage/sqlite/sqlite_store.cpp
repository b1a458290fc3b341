#include "storage/sqlite/sqlite_store.hpp"

#include <spdlog/spdlog.h>

#include "core/time.hpp"
#include "storage/migrations.hpp"

namespace helpline::sqlite {

namespace {
constexpr std::string_view kUserColumns = "id, email, name, role, created_at";

User ReadUser(const Stmt& s, int first = 0) {
  return User{s.Int(first), s.Text(first + 1), s.Text(first + 2), s.Text(first + 3), s.Int(first + 4)};
}
}  // namespace

SqliteStore::SqliteStore(const std::string& path, int connections) : pool_(path, connections) { Migrate(); }

void SqliteStore::Migrate() {
  auto conn = pool_.Acquire();
  conn->Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at INTEGER NOT NULL)");
  for (const auto& m : storage::EmbeddedMigrations("sqlite")) {
    Transaction tx(*conn);
    auto check = conn->Prepare("SELECT 1 FROM schema_migrations WHERE version = ?1");
    check.Bind(1, static_cast<std::int64_t>(m.version));
    bool applied = check.Step();
    if (applied) continue;
    spdlog::info("event=migrate version={} name={}", m.version, m.name);
    conn->Exec(m.sql);
    conn->Prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, ?2, ?3)")
        .Bind(1, static_cast<std::int64_t>(m.version))
        .Bind(2, std::string_view(m.name))
        .Bind(3, NowMs())
        .Run();
    tx.Commit();
  }
}

bool SqliteStore::Healthy() {
  try {
    auto conn = pool_.Acquire();
    auto s = conn->Prepare("SELECT 1");
    return s.Step();
  } catch (const StoreError&) {
    return false;
  }
}

Result<User> SqliteStore::CreateUser(const NewUser& user) {
  auto conn = pool_.Acquire();
  auto now = NowMs();
  auto s = conn->Prepare(
      "INSERT INTO users(email, name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(email) DO NOTHING");
  s.Bind(1, user.email).Bind(2, user.name).Bind(3, user.role).Bind(4, user.password_hash).Bind(5, now).Run();
  if (conn->Changes() == 0) return Fail(Code::kEmailTaken, "An account with this email already exists.", "email");
  return User{conn->LastInsertId(), user.email, user.name, user.role, now};
}

std::optional<Credentials> SqliteStore::FindCredentials(std::string_view email) {
  auto conn = pool_.Acquire();
  auto s = conn->Prepare(std::string("SELECT ") + std::string(kUserColumns) +
                         ", password_hash FROM users WHERE email = ?1");
  s.Bind(1, email);
  if (!s.Step()) return std::nullopt;
  return Credentials{ReadUser(s), s.Text(5)};
}

std::optional<User> SqliteStore::FindUser(std::int64_t id) {
  auto conn = pool_.Acquire();
  auto s = conn->Prepare(std::string("SELECT ") + std::string(kUserColumns) + " FROM users WHERE id = ?1");
  s.Bind(1, id);
  if (!s.Step()) return std::nullopt;
  return ReadUser(s);
}

std::int64_t SqliteStore::CountUsers(std::string_view role) {
  auto conn = pool_.Acquire();
  auto s = conn->Prepare("SELECT count(*) FROM users WHERE role = ?1");
  s.Bind(1, role);
  s.Step();
  return s.Int(0);
}

void SqliteStore::CreateSession(std::string_view token_hash, std::int64_t user_id, std::int64_t expires_at) {
  auto conn = pool_.Acquire();
  conn->Prepare("INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)")
      .Bind(1, token_hash)
      .Bind(2, user_id)
      .Bind(3, NowMs())
      .Bind(4, expires_at)
      .Run();
}

std::optional<User> SqliteStore::UserForSession(std::string_view token_hash, std::int64_t now) {
  auto conn = pool_.Acquire();
  auto s = conn->Prepare(
      "SELECT u.id, u.email, u.name, u.role, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id "
      "WHERE s.token_hash = ?1 AND s.expires_at > ?2");
  s.Bind(1, token_hash).Bind(2, now);
  if (!s.Step()) return std::nullopt;
  return ReadUser(s);
}

void SqliteStore::DeleteSession(std::string_view token_hash) {
  auto conn = pool_.Acquire();
  conn->Prepare("DELETE FROM sessions WHERE token_hash = ?1").Bind(1, token_hash).Run();
}

std::vector<std::string> SqliteStore::AllStoredFileNames() {
  auto conn = pool_.Acquire();
  std::vector<std::string> names;
  auto s = conn->Prepare("SELECT stored_name, thumb_name FROM attachments");
  while (s.Step()) {
    names.push_back(s.Text(0));
    names.push_back(s.Text(1));
  }
  return names;
}

}  // namespace helpline::sqlite
