#pragma once
// Tickets: create (with screenshots, all or nothing), list, get, and serve
// attachments to those who may see them. Blocking: runs on the worker pool.
#include <string>
#include <unordered_map>
#include <vector>

#include "app/config.hpp"
#include "attachments/file_store.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "storage/store.hpp"
#include "tickets/multipart.hpp"

namespace helpline::tickets {

struct ListParams {
  std::unordered_map<std::string, std::string> query;  // raw query parameters
};

struct FileBytes {
  std::string content_type;
  std::string data;
};

// Turns what a person types into a safe FTS5 query: every word quoted (no
// operators get through), all words required, whole words.
std::string FtsQuery(std::string_view q);

class TicketService {
 public:
  TicketService(const Config& config, Store& store, FileStore& files, Metrics& metrics)
      : config_(config), store_(store), files_(files), metrics_(metrics) {}

  Result<Ticket> Create(const User& customer, const std::vector<multipart::Part>& parts);
  Result<TicketPage> List(const User& viewer, const std::unordered_map<std::string, std::string>& query);
  Result<Ticket> Get(const User& viewer, std::int64_t id);
  Result<FileBytes> AttachmentFile(const User& viewer, std::int64_t attachment_id, bool thumb);

  static bool MayView(const User& viewer, std::int64_t customer_id) {
    return viewer.role == "agent" || viewer.id == customer_id;
  }

 private:
  const Config& config_;
  Store& store_;
  FileStore& files_;
  Metrics& metrics_;
};

}  // namespace helpline::tickets
