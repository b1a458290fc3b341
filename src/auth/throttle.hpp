#pragma once
// Login throttling: failed attempts per key (an email, or a client address) in a
// sliding window. In memory: on several nodes each node counts its own share.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace helpline::auth {

class Throttle {
 public:
  Throttle(int max_failures, std::int64_t window_ms) : max_(max_failures), window_ms_(window_ms) {}

  // Seconds until `key` may try again, or 0 when it may try now.
  int RetryAfter(const std::string& key, std::int64_t now_ms);
  void RecordFailure(const std::string& key, std::int64_t now_ms);
  void Reset(const std::string& key);

 private:
  void Prune(std::deque<std::int64_t>& times, std::int64_t now_ms);

  int max_;
  std::int64_t window_ms_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<std::int64_t>> failures_;
};

}  // namespace helpline::auth
