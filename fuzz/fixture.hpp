#pragma once
// The world a fuzz target runs in: the real App on a real SQLite store in a
// temporary folder, one customer who owns ticket `ticket_id`, another customer
// who owns nothing, and an agent, each with a session token. Built once per
// process (libFuzzer calls the target many times in one process).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "app/app.hpp"
#include "app/config.hpp"
#include "auth/password.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace helpline::fuzz {

struct Fixture {
  Config config;
  std::unique_ptr<Store> store;
  std::unique_ptr<App> app;
  User customer, stranger, agent;
  std::string customer_token = "fuzz-customer-token", stranger_token = "fuzz-stranger-token",
              agent_token = "fuzz-agent-token";
  std::int64_t ticket_id = 0;

  Fixture() {
    // tmpfs when there is one: the store fsyncs every commit.
    std::string base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path().string();
    config.data_dir = base + "/helpline-fuzz-" + std::to_string(::getpid());
    std::filesystem::remove_all(config.data_dir);
    std::filesystem::create_directories(config.FilesDir());
    config.workers = 2;
    store = std::make_unique<sqlite::SqliteStore>(config.data_dir + "/helpline.db", 4);
    app = std::make_unique<App>(config, *store);
    customer = AddUser("customer@example.com", "customer", customer_token);
    stranger = AddUser("stranger@example.com", "customer", stranger_token);
    agent = AddUser("agent@example.com", "agent", agent_token);
    ticket_id = store->CreateTicket({customer.id, "Printer on fire", "It smokes.", "technical", "high"}, {}).id;
  }
  ~Fixture() {
    app.reset();
    store.reset();
    std::filesystem::remove_all(config.data_dir);
  }

  User AddUser(const std::string& email, const std::string& role, const std::string& token) {
    auto user = store->CreateUser({email, role + " " + email, role, "not-a-real-hash"});
    if (!user) std::abort();
    store->CreateSession(auth::HashToken(token), user->id, INT64_MAX / 2);
    return *user;
  }
};

// One Fixture per process; its folder is removed when the process exits.
inline Fixture& World() {
  static Fixture fixture;
  return fixture;
}

}  // namespace helpline::fuzz
