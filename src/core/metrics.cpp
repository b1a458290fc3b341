#include "core/metrics.hpp"

#include <fmt/format.h>

namespace helpline {

void Metrics::ObserveRequest(int status, double seconds) {
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  latency_[i].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  auto cls = static_cast<std::size_t>(status / 100);
  if (cls < by_class_.size()) by_class_[cls].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::Render() const {
  std::string out;
  auto gauge = [&](const char* name, const char* help, std::int64_t v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, v);
  };
  auto counter = [&](const char* name, const char* help, std::int64_t v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, v);
  };
  gauge("helpline_http_connections", "Open HTTP connections.", http_connections.load());
  gauge("helpline_ws_connections", "Open WebSocket connections.", ws_connections.load());
  gauge("helpline_rooms", "Ticket chat rooms with at least one member.", rooms.load());
  counter("helpline_messages_stored_total", "Chat messages stored.", messages_stored.load());
  counter("helpline_tickets_created_total", "Tickets created.", tickets_created.load());
  counter("helpline_message_batches_total", "Group commits of chat messages.", message_batches.load());
  counter("helpline_message_batch_microseconds_total", "Time spent committing chat message batches.",
          message_batch_us.load());
  counter("helpline_uploads_rejected_total", "Screenshot uploads refused.", uploads_rejected.load());

  out += "# HELP helpline_http_responses_total HTTP responses by status class.\n"
         "# TYPE helpline_http_responses_total counter\n";
  for (std::size_t c = 1; c < by_class_.size(); ++c)
    out += fmt::format("helpline_http_responses_total{{class=\"{}xx\"}} {}\n", c, by_class_[c].load());

  out += "# HELP helpline_http_request_duration_seconds Time from request read to response ready.\n"
         "# TYPE helpline_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += latency_[i].load();
    out += fmt::format("helpline_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBuckets[i], cumulative);
  }
  cumulative += latency_[kBuckets.size()].load();
  out += fmt::format("helpline_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("helpline_http_request_duration_seconds_sum {}\n", latency_sum_us_.load() / 1e6);
  out += fmt::format("helpline_http_request_duration_seconds_count {}\n", cumulative);
  return out;
}

}  // namespace helpline
