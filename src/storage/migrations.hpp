#pragma once
#include <string_view>
#include <vector>

namespace helpline::storage {

// One append-only numbered .sql file of sql/<dialect>/, embedded at build time.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};

const std::vector<Migration>& EmbeddedMigrations(std::string_view dialect);

}  // namespace helpline::storage
