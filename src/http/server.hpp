#pragma once
// The network side: accepts connections, reads HTTP with limits and timeouts,
// runs App::Dispatch on the worker pool, writes the answer. One I/O thread owns
// every socket (no strands needed); blocking work never runs on it.
#include "app/app.hpp"

namespace helpline::http {

// Serves until SIGINT/SIGTERM, then stops accepting, lets in-flight requests
// finish (up to 10 s) and returns. Logs "listening on http://ADDR:PORT" when ready.
int RunServer(const Config& config, App& app);

}  // namespace helpline::http
