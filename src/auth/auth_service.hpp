#pragma once
// Accounts and sessions: sign-up, log-in with throttling, log-out, and turning
// a session token into a user. Blocking (Argon2id, store): runs on the worker pool.
#include <string>

#include "auth/throttle.hpp"
#include "core/error.hpp"
#include "storage/store.hpp"

namespace helpline::auth {

struct SessionStart {
  User user;
  std::string token;  // given to the client once; only its hash is stored
};

class AuthService {
 public:
  static constexpr std::int64_t kSessionLifetimeMs = 30LL * 24 * 3600 * 1000;

  AuthService(Store& store, int signups_per_address)
      : store_(store), per_email_(10, 15 * 60 * 1000), per_address_(50, 15 * 60 * 1000),
        signups_(signups_per_address, 15 * 60 * 1000) {}

  // Validates and creates an account; role is "customer" for self sign-up.
  Result<User> CreateAccount(std::string email, const std::string& password, std::string name, std::string role);
  // Sign-ups per address are limited (each costs an Argon2id hash): --signup-limit per 15 minutes.
  Result<SessionStart> Signup(std::string email, const std::string& password, std::string name,
                              const std::string& address);
  Result<SessionStart> Login(const std::string& email, const std::string& password, const std::string& address);
  void Logout(const std::string& token);
  std::optional<User> Authenticate(const std::string& token);

 private:
  SessionStart StartSession(const User& user);

  Store& store_;
  Throttle per_email_;
  Throttle per_address_;
  Throttle signups_;  // counts every sign-up attempt per address
};

}  // namespace helpline::auth
