#include "auth/throttle.hpp"

namespace helpline::auth {

void Throttle::Prune(std::deque<std::int64_t>& times, std::int64_t now_ms) {
  while (!times.empty() && times.front() <= now_ms - window_ms_) times.pop_front();
}

int Throttle::RetryAfter(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  Prune(it->second, now_ms);
  if (it->second.empty()) {
    failures_.erase(it);
    return 0;
  }
  if (static_cast<int>(it->second.size()) < max_) return 0;
  // Blocked until the oldest failure that keeps the count at the limit leaves the window.
  auto oldest = it->second[it->second.size() - static_cast<std::size_t>(max_)];
  auto wait_ms = oldest + window_ms_ - now_ms;
  return static_cast<int>((wait_ms + 999) / 1000);
}

void Throttle::RecordFailure(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto& times = failures_[key];
  Prune(times, now_ms);
  times.push_back(now_ms);
  // Bound memory per key: more than the limit adds no information.
  while (static_cast<int>(times.size()) > max_ * 2) times.pop_front();
  // Bound the number of keys: an address flood must not grow the map without end.
  if (failures_.size() > 100000) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      Prune(it->second, now_ms);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
  }
}

void Throttle::Reset(const std::string& key) {
  std::lock_guard lock(mutex_);
  failures_.erase(key);
}

}  // namespace helpline::auth
