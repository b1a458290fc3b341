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
  // Runs `job` on the writer thread, in order with the messages around it, and
  // waits for it. Ticket changes that add system messages go through here, so
  // every message event is published in id order.
  void RunExclusive(const std::function<void()>& job);

  static constexpr std::size_t kMaxBatch = 512;

 private:
  void Run();

  Store& store_;
  EventBus& bus_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  struct Item {
    NewMessage message;
    Done done;
    std::function<void()> job;  // set for an exclusive job instead of a message
  };
  void Commit(std::vector<Item*>& batch);

  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace helpline::chat
