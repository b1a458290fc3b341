#include "auth/auth_service.hpp"

#include "auth/password.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace helpline::auth {

namespace {
// A real Argon2id hash of a random password: verifying against it when the email
// is unknown makes a wrong email cost the same time as a wrong password.
const std::string& DummyHash() {
  static const std::string hash = HashPassword(RandomPassword());
  return hash;
}
}  // namespace

Result<User> AuthService::CreateAccount(std::string email, const std::string& password, std::string name,
                                        std::string role) {
  email = text::Lower(text::Trim(email));
  name = text::Trim(name);
  if (!text::IsEmail(email)) return Fail(Code::kValidationFailed, "Enter an email address like name@example.com.", "email");
  if (!text::CodePoints(password) || !text::LengthWithin(password, 8, 1024))
    return Fail(Code::kValidationFailed, "The password must be 8 to 1024 characters long.", "password");
  if (!text::LengthWithin(name, 1, 100))
    return Fail(Code::kValidationFailed, "The name must be 1 to 100 characters long.", "name");
  if (role != "customer" && role != "agent") return Fail(Code::kValidationFailed, "Unknown role.", "role");
  return store_.CreateUser(NewUser{email, name, role, HashPassword(password)});
}

Result<SessionStart> AuthService::Signup(std::string email, const std::string& password, std::string name,
                                         const std::string& address) {
  auto now = NowMs();
  if (int wait = signups_.RetryAfter("s:" + address, now); wait > 0) {
    Error e{Code::kRateLimited, "Too many sign-ups from your network. Try again later.", {}, wait};
    return Unexpected(e);
  }
  signups_.RecordFailure("s:" + address, now);  // every attempt counts
  auto user = CreateAccount(std::move(email), password, std::move(name), "customer");
  if (!user) return Unexpected(user.error());
  return StartSession(*user);
}

Result<SessionStart> AuthService::Login(const std::string& raw_email, const std::string& password,
                                        const std::string& address) {
  auto email = text::Lower(text::Trim(raw_email));
  auto now = NowMs();
  int wait = std::max(per_email_.RetryAfter("e:" + email, now), per_address_.RetryAfter("a:" + address, now));
  if (wait > 0) {
    Error e{Code::kRateLimited, "Too many failed log-in attempts. Try again later.", {}, wait};
    return Unexpected(e);
  }
  auto creds = store_.FindCredentials(email);
  bool ok = creds ? VerifyPassword(creds->password_hash, password) : (VerifyPassword(DummyHash(), password), false);
  if (!ok) {
    per_email_.RecordFailure("e:" + email, now);
    per_address_.RecordFailure("a:" + address, now);
    return Fail(Code::kUnauthenticated, "The email or password is not correct.");
  }
  per_email_.Reset("e:" + email);
  return StartSession(creds->user);
}

SessionStart AuthService::StartSession(const User& user) {
  // A fresh token at every log-in: a session id planted before log-in is worthless after it.
  auto token = NewToken();
  store_.CreateSession(HashToken(token), user.id, NowMs() + kSessionLifetimeMs);
  return {user, token};
}

void AuthService::Logout(const std::string& token) { store_.DeleteSession(HashToken(token)); }

std::optional<User> AuthService::Authenticate(const std::string& token) {
  if (token.empty() || token.size() > 128) return std::nullopt;
  return store_.UserForSession(HashToken(token), NowMs());
}

}  // namespace helpline::auth
