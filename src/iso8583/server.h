// The ISO 8583 TCP server (Asio, C++20 coroutines). It owns sockets, framing (2-byte big-endian
// length prefix), decoding and limits; what a message means is the handler's (processor.h).
//
// Per connection: frames are read in a loop, and a client may pipeline: send many requests
// without waiting. Up to max_in_flight of one connection's messages are decided at once, on the
// worker threads (http/blocking.h), so that they share group commits; answers are written in
// the order the requests arrived. A message over the limit, or one that would join a queue the
// workers are behind on (shed_after_wait_ms), is answered 91 (issuer unavailable) at once,
// without touching the store; the connection is read on, so that no message ages
// unseen in the socket's buffers (reading pauses only while the peer does not read its
// answers). A frame that does not decode is answered with the request MTI + 10
// and field 39 "30" when its MTI is readable; otherwise — or when the length prefix is 0 or over
// kMaxMessageBytes, so the stream cannot be resynchronised — the connection is closed.
// Limits: message size, idle time between frames, time to receive a started frame, open
// connections (over the limit, a new connection is closed at once).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "iso8583/codec.h"

namespace cardcore::iso8583 {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8583;                // 0 = ephemeral
  int threads = 2;                     // I/O threads
  int workers = 64;                    // threads that run the handler; 0: on the I/O threads
  int max_in_flight = 256;             // messages of one connection being decided at once
  // A message no worker has taken up this long after it arrived is answered 91 (issuer
  // unavailable) without touching the store: under overload every message gets an answer in
  // about this time, not after the network gave up. 0: every such message is answered 91
  // (draining; 0800 is still answered).
  int decision_budget_ms = 1000;
  // Shedding at the door: while messages wait for a worker and the last one a worker took up had
  // waited longer than this, a new message is answered 91 as it is read, on the I/O thread,
  // instead of joining the queue: under overload the 91s cost about what an echo costs and leave
  // at once, rather than after the budget (and the reading falls behind less). The queue drains,
  // and the first message to find it empty is decided again. -1: half of decision_budget_ms.
  int shed_after_wait_ms = -1;
  int idle_timeout_seconds = 300;      // no frame for this long: close (networks echo every ~60 s)
  int frame_timeout_seconds = 30;      // a frame's bytes must all arrive within this
  int max_connections = 256;
  // Told of every answer once it is framed (metrics): the request's MTI (the answer's, one
  // lower: 0110 answers 0100), field 39 and the seconds since the request was read.
  std::function<void(std::string_view request_mti, std::string_view response_code, double seconds)> on_answered;
};

// Answers one decoded message; nullopt closes the connection. Must not throw (the server answers
// 96 if it does, but the handler should map its own failures).
using Handler = std::function<std::optional<Message>(const Message&)>;
// Messages whose handling is cheap and never blocks (0800 network management) run on the I/O
// thread; when unset, every message goes to the workers.
using InlinePredicate = std::function<bool(const Message&)>;

class Server {
 public:
  Server(ServerOptions options, Handler handler, InlinePredicate run_inline = {});
  ~Server();  // stops and joins
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns the bound port. Throws on failure (address in use, …).
  uint16_t listen();
  // Runs the I/O threads in the background.
  void start();
  // Stops accepting, gives answers in flight a moment, closes everything and joins the threads.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cardcore::iso8583
