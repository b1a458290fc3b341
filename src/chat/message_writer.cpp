#include "chat/message_writer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <future>

namespace helpline::chat {

MessageWriter::MessageWriter(Store& store, EventBus& bus, Metrics& metrics)
    : store_(store), bus_(bus), metrics_(metrics), thread_([this] { Run(); }) {}

MessageWriter::~MessageWriter() { Stop(); }

void MessageWriter::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MessageWriter::Submit(NewMessage message, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Item{std::move(message), std::move(done), {}});
  }
  wake_.notify_one();
}

Result<AppendResult> MessageWriter::Append(NewMessage message) {
  std::promise<Result<AppendResult>> promise;
  auto future = promise.get_future();
  Submit(std::move(message), [&promise](const Result<AppendResult>& r) { promise.set_value(r); });
  return future.get();
}

void MessageWriter::RunExclusive(const std::function<void()>& job) {
  std::promise<void> finished;
  auto future = finished.get_future();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Item{{}, {}, [&] {
      try {
        job();
        finished.set_value();
      } catch (...) {
        finished.set_exception(std::current_exception());
      }
    }});
  }
  wake_.notify_one();
  future.get();  // rethrows what the job threw
}

void MessageWriter::Run() {
  while (true) {
    std::vector<Item> items;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && items.size() < kMaxBatch) {
        items.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    // Consecutive messages share one commit; an exclusive job runs between them, in order.
    std::vector<Item*> batch;
    for (auto& item : items) {
      if (item.job) {
        Commit(batch);
        item.job();
      } else {
        batch.push_back(&item);
      }
    }
    Commit(batch);
  }
}

void MessageWriter::Commit(std::vector<Item*>& batch) {
  if (batch.empty()) return;
  std::vector<NewMessage> messages;
  messages.reserve(batch.size());
  for (auto* item : batch) messages.push_back(item->message);
  std::vector<Result<AppendResult>> results;
  auto started = std::chrono::steady_clock::now();
  try {
    results = store_.AppendMessages(messages);
    metrics_.message_batches.fetch_add(1, std::memory_order_relaxed);
    metrics_.message_batch_us.fetch_add(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count(),
        std::memory_order_relaxed);
  } catch (const std::exception& e) {
    spdlog::error("event=message_batch_failed size={} what=\"{}\"", batch.size(), e.what());
    results.assign(batch.size(), Fail(Code::kInternal, "The message could not be stored. Please try again."));
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i]->done(results[i]);  // the ack goes out before the broadcast
    if (results[i] && results[i]->created) {
      metrics_.messages_stored.fetch_add(1, std::memory_order_relaxed);
      bus_.Publish(MessageStored{results[i]->message, results[i]->ticket, batch[i]->message.author.id});
    }
  }
  batch.clear();
}

}  // namespace helpline::chat
