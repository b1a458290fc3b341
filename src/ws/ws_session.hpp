#pragma once
// A WebSocket connection (Beast). Owns its socket and one bounded outbound
// queue; reads frames and hands them to the Hub. Only http/server.cpp and
// ws/ws_session.cpp include this header (it brings Beast in).
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>

#include "storage/model.hpp"
#include "ws/hub.hpp"

namespace helpline::ws {

struct SessionLimits {
  std::size_t max_frame_bytes = 64 * 1024;          // larger incoming frames close the connection
  std::size_t max_queued_bytes = 16 * 1024 * 1024;  // a reader this far behind is disconnected
};

// Takes over an HTTP connection whose request is a WebSocket upgrade already authorised.
void StartSession(boost::beast::tcp_stream stream, boost::beast::http::request<boost::beast::http::string_body> request,
                  Hub& hub, Metrics& metrics, User user, std::string token_hash, SessionLimits limits);

}  // namespace helpline::ws
