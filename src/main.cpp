// helpline: the command line. `serve` runs the server; `user add` creates accounts;
// `migrate` applies the schema and exits. Wires Config -> Store -> App -> server.
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <chrono>
#include <iostream>
#include <unordered_set>

#include "app/app.hpp"
#include "attachments/image.hpp"
#include "auth/password.hpp"
#include "http/server.hpp"

using namespace helpline;

namespace {

void AddStoreOptions(CLI::App* cmd, Config& config) {
  cmd->add_option("--data-dir", config.data_dir, "Folder for the database and the screenshots")
      ->envname("HELPLINE_DATA_DIR")
      ->capture_default_str();
  cmd->add_option("--db", config.db_url,
                  "Database URL: sqlite:PATH (default: SQLite in the data folder) or postgresql://...")
      ->envname("HELPLINE_DB");
}

std::unique_ptr<Store> OpenConfiguredStore(const Config& config) {
  std::filesystem::create_directories(config.data_dir);
  return OpenStore(config.db_url, config.data_dir);
}

// On first start there is no agent: make one so a person can log in right away.
void EnsureFirstAgent(App& app) {
  if (app.store.CountUsers("agent") > 0) return;
  auto password = auth::RandomPassword();
  auto user = app.auth.CreateAccount("admin@helpline.local", password, "Helpline Admin", "agent");
  if (!user) {
    spdlog::warn("event=first_agent_failed reason=\"{}\"", user.error().message);
    return;
  }
  std::cout << "\n  First start: created the agent account\n"
            << "    email:    admin@helpline.local\n"
            << "    password: " << password << "\n"
            << "  It is shown only this once. Add more agents with: helpline user add --role agent ...\n\n"
            << std::flush;
}

// Every WebSocket is a file descriptor: lift the soft limit to the hard one.
void RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

int Serve(Config& config, const char* argv0) {
  RaiseFileLimit();
  images::Init(argv0);
  auto store = OpenConfiguredStore(config);
  App app(config, *store);
  EnsureFirstAgent(app);

  // Files whose ticket was never committed (a crash mid-upload) are removed before serving.
  auto names = store->AllStoredFileNames();
  int orphans = app.files.SweepOrphans(std::unordered_set<std::string>(names.begin(), names.end()),
                                       std::chrono::seconds(config.OrphanGraceSeconds()));
  if (orphans > 0) spdlog::info("event=orphans_removed count={}", orphans);

  spdlog::info("event=start data_dir={} web_dir={} workers={}", config.data_dir, config.ResolvedWebDir(),
               config.workers);
  int rc = http::RunServer(config, app);
  spdlog::info("event=exit");
  return rc;
}

int UserAdd(Config& config, const std::string& role, const std::string& email, const std::string& name) {
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  auto store = OpenConfiguredStore(config);
  App app(config, *store);
  auto user = app.auth.CreateAccount(email, password, name, role);
  if (!user) {
    std::cerr << "helpline: " << user.error().message << "\n";
    return 1;
  }
  std::cout << "created " << user->role << " " << user->email << " (id " << user->id << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  Config config;
  CLI::App cli{"Helpline: a help desk with tickets, screenshots and live chat."};
  cli.require_subcommand(1);

  auto* serve = cli.add_subcommand("serve", "Run the server (HTTP, WebSocket and the pages)");
  serve->add_option("--bind", config.bind, "Address to listen on")->envname("HELPLINE_BIND")->capture_default_str();
  serve->add_option("--port", config.port, "Port to listen on; 0 picks a free one (the log says which)")
      ->envname("HELPLINE_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  AddStoreOptions(serve, config);
  serve->add_option("--web-dir", config.web_dir, "Folder of the browser pages (default: the source tree's web/)")
      ->envname("HELPLINE_WEB_DIR");
  serve->add_option("--public-origin", config.public_origin,
                    "The origin browsers use, e.g. https://help.example.com (default: from the Host header)")
      ->envname("HELPLINE_PUBLIC_ORIGIN");
  serve->add_option("--workers", config.workers, "Threads for database work and light requests")
      ->envname("HELPLINE_WORKERS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve->add_option("--heavy-workers", config.heavy_workers, "Threads for password hashing and image decoding")
      ->envname("HELPLINE_HEAVY_WORKERS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve->add_option("--signup-limit", config.signup_limit, "Sign-ups allowed per client address per 15 minutes")
      ->envname("HELPLINE_SIGNUP_LIMIT")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  serve->add_option("--min-screenshots", config.min_screenshots, "Screenshots a new ticket needs at least (0..3)")
      ->envname("HELPLINE_MIN_SCREENSHOTS")
      ->check(CLI::Range(0, 3))
      ->capture_default_str();
  serve->add_option("--ws-queue-bytes", config.ws_queue_bytes,
                    "Bytes a WebSocket client may fall behind before it is disconnected")
      ->envname("HELPLINE_WS_QUEUE_BYTES")
      ->check(CLI::Range(std::size_t{4096}, std::size_t{1} << 30))
      ->capture_default_str();
  serve->add_option("--orphan-grace", config.orphan_grace_s,
                    "Seconds a file no ticket names must be old before the start-up sweep removes it "
                    "(default: 0 on SQLite, 3600 on PostgreSQL, where nodes may share the files folder)")
      ->envname("HELPLINE_ORPHAN_GRACE")
      ->check(CLI::Range(0, 365 * 86400));
  serve->add_option("--trusted-proxy", config.trusted_proxies,
                    "Address of a load balancer whose X-Forwarded-For names the client (repeat, or a comma list)")
      ->envname("HELPLINE_TRUSTED_PROXIES")
      ->delimiter(',');
  std::string categories;
  serve->add_option("--categories", categories, "Ticket categories as id:Name,id:Name")
      ->envname("HELPLINE_CATEGORIES");

  auto* user = cli.add_subcommand("user", "Manage accounts");
  user->require_subcommand(1);
  auto* add = user->add_subcommand("add", "Create an account; the password is read from standard input");
  std::string role = "agent", email, name;
  add->add_option("--role", role, "agent or customer")->check(CLI::IsMember({"agent", "customer"}))->capture_default_str();
  add->add_option("--email", email, "Email address")->required();
  add->add_option("--name", name, "Display name")->required();
  AddStoreOptions(add, config);

  auto* migrate = cli.add_subcommand("migrate", "Apply database migrations and exit");
  AddStoreOptions(migrate, config);

  CLI11_PARSE(cli, argc, argv);
  try {
    auth::InitCrypto();
    if (!categories.empty()) config.categories = ParseCategories(categories);
    for (const auto& proxy : config.trusted_proxies) {
      unsigned char buf[16];
      if (inet_pton(AF_INET, proxy.c_str(), buf) != 1 && inet_pton(AF_INET6, proxy.c_str(), buf) != 1)
        throw std::invalid_argument("--trusted-proxy: not an IP address: " + proxy);
    }
    if (*serve) return Serve(config, argv[0]);
    if (*add) return UserAdd(config, role, email, name);
    if (*migrate) {
      OpenConfiguredStore(config);
      std::cout << "migrations applied\n";
      return 0;
    }
  } catch (const std::exception& e) {
    spdlog::critical("event=fatal what=\"{}\"", e.what());
    return 1;
  }
  return 0;
}
