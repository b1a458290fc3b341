#include "ws/ws_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/websocket.hpp>
#include <deque>

namespace helpline::ws {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {

class Session final : public Peer, public std::enable_shared_from_this<Session> {
 public:
  Session(beast::tcp_stream stream, Hub& hub, SessionLimits limits)
      : ws_(std::move(stream)), hub_(hub), limits_(limits) {}

  void Accept(beast::http::request<beast::http::string_body> req, User user, std::string token_hash) {
    beast::get_lowest_layer(ws_).expires_never();
    // Beast pings an idle peer at half the idle timeout and drops it when the
    // timeout passes with no answer: dead peers go within ~40 s.
    websocket::stream_base::timeout t{std::chrono::seconds(10), std::chrono::seconds(40), true};
    ws_.set_option(t);
    ws_.read_message_max(limits_.max_frame_bytes);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "helpline"); }));
    ws_.async_accept(req, [self = shared_from_this(), user = std::move(user),
                           token_hash = std::move(token_hash)](beast::error_code ec) mutable {
      if (ec) return;
      self->id_ = self->hub_.Connect(self->weak_from_this(), user, std::move(token_hash));
      self->Read();
    });
  }

  void Send(Frame frame) override {
    if (closing_) return;
    queued_bytes_ += frame->size();
    if (queued_bytes_ > limits_.max_queued_bytes) {
      // A client that cannot keep up is cut off; its backlog is not the server's memory.
      spdlog::warn("event=ws_slow_consumer conn={} queued_bytes={}", id_, queued_bytes_);
      Abort();
      return;
    }
    queue_.push_back(std::move(frame));
    if (!writing_) Write();
  }

  bool Congested() const override { return queued_bytes_ > limits_.max_queued_bytes / 4; }

  void Close(CloseReason reason) override {
    if (closing_) return;
    closing_ = true;
    close_reason_ = reason == CloseReason::kResync
                        ? websocket::close_reason(websocket::close_code::service_restart, "resync")
                        : websocket::close_reason(websocket::close_code::policy_error, "session ended");
    if (!writing_) CloseHandshake();
  }

 private:
  void Read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Finish();
      if (self->ws_.got_text()) {
        auto data = self->buffer_.cdata();
        self->hub_.OnFrame(self->id_, std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
      self->buffer_.consume(self->buffer_.size());
      self->Read();
    });
  }

  void Write() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->queued_bytes_ -= self->queue_.front()->size();
      self->queue_.pop_front();
      self->writing_ = false;
      if (ec) return self->Abort();
      if (self->closing_) return self->CloseHandshake();
      if (!self->queue_.empty()) return self->Write();
      if (self->id_) self->hub_.OnDrained(self->id_);  // a paused replay may go on
    });
  }

  void CloseHandshake() {
    writing_ = true;  // the close frame is a write
    ws_.async_close(close_reason_,
                    [self = shared_from_this()](beast::error_code) { self->Abort(); });
  }

  void Abort() {
    closing_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);  // pending reads and writes end with an error
    Finish();
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    // Posted, never called in place: Finish can run inside a hub loop over a
    // room's members (a Send that overflowed), and removing a member there
    // would invalidate the loop.
    if (id_) boost::asio::post(ws_.get_executor(), [self = shared_from_this()] { self->hub_.Disconnect(self->id_); });
  }

  websocket::stream<beast::tcp_stream> ws_;
  Hub& hub_;
  SessionLimits limits_;
  beast::flat_buffer buffer_;
  std::deque<Frame> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t id_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  websocket::close_reason close_reason_{websocket::close_code::policy_error, "session ended"};
};

}  // namespace

void StartSession(beast::tcp_stream stream, beast::http::request<beast::http::string_body> request, Hub& hub,
                  Metrics& metrics, User user, std::string token_hash, SessionLimits limits) {
  auto session = std::make_shared<Session>(std::move(stream), hub, limits);
  session->Accept(std::move(request), std::move(user), std::move(token_hash));
}

}  // namespace helpline::ws
