#pragma once
// Process-wide counters for /metrics (Prometheus text format). Lock-free atomics:
// cheap enough to touch on every request.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace helpline {

class Metrics {
 public:
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};

  void ObserveRequest(int status, double seconds);
  std::string Render() const;

  std::atomic<std::int64_t> http_connections{0};
  std::atomic<std::int64_t> ws_connections{0};
  std::atomic<std::int64_t> rooms{0};
  std::atomic<std::int64_t> messages_stored{0};
  std::atomic<std::int64_t> tickets_created{0};
  std::atomic<std::int64_t> uploads_rejected{0};
  std::atomic<std::int64_t> message_batches{0};
  std::atomic<std::int64_t> message_batch_us{0};  // total time spent committing batches

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> latency_{};  // last: +Inf
  std::atomic<std::uint64_t> latency_sum_us_{0};
  std::array<std::atomic<std::uint64_t>, 6> by_class_{};  // 1xx..5xx, index = status/100
};

}  // namespace helpline
