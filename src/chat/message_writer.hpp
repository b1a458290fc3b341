#pragma once
// The one writer of chat messages. Sends queue up while a commit is under way
// and the next commit takes them all: one transaction and one fsync for many
// messages (group commit). Each sender hears back only after its message is
// durable; then the MessageStored event goes out.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/metrics.hpp"
#include "events/event.hpp"
#include "storage/store.hpp"

namespace helpline::chat {

class MessageWriter {
 public:
  using Done = std::function<void(const Result<AppendResult>&)>;

  MessageWriter(Store& store, EventBus& bus, Metrics& metrics);
  ~MessageWriter();  // Stop()
  // Commits what is queued, then ends the writer thread. Idempotent.
  void Stop();

  // Called from any thread; `done` runs on the writer thread after the commit.
  void Submit(NewMessage message, Done done);
  // Blocking convenience for REST handlers (worker threads).
  Result<AppendResult> Append(NewMessage message);

  static constexpr std::size_t kMaxBatch = 512;

 private:
  void Run();

  Store& store_;
  EventBus& bus_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<NewMessage, Done>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace helpline::chat
