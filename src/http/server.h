// An HTTP/1.1 server on Boost.Beast with C++20 coroutines. It owns sockets, parsing, limits and
// access logging; what a request means is the handler's business. Limits: header bytes, body
// bytes (a larger body is answered 413 without being buffered past the limit), idle timeout.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cardcore::http {

struct Request {
  std::string method;      // "GET", "POST", …
  std::string target;      // path + query as sent
  std::string path;        // target without the query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_ip;
  std::string request_id;  // X-Request-Id when sane, else generated

  // Case-insensitive header lookup; empty when absent.
  std::string_view header(std::string_view lower_name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // The route template that answered, when the path itself is not one (a path with an id in
  // it): metrics label requests with it. Points to storage that lives as long as the program.
  std::string_view route;
};

using Handler = std::function<Response(const Request&)>;
// Builds the answer for failures detected before the handler runs (413, 400 malformed HTTP).
using ErrorResponder = std::function<Response(int http_status, std::string_view message)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;            // 0 = ephemeral
  size_t body_limit_bytes = 64 * 1024;
  size_t header_limit_bytes = 16 * 1024;
  int idle_timeout_seconds = 30;
  int threads = 2;                 // I/O threads
  // Threads that run the handler (blocking/http/blocking.h: a request waits there for its
  // commit, not on an I/O thread). 0: the handler runs on the I/O thread.
  int workers = 64;
  // A request no worker has taken up this long after it was read is answered 503 with
  // Retry-After instead of being run: the server sheds load rather than queue without bound.
  // 0: every such request is shed (draining; inline requests are still answered).
  int queue_budget_ms = 2000;
  // Requests whose handler is cheap and never blocks (a liveness probe) run on the I/O thread.
  std::function<bool(const Request&)> run_inline;
  std::string name = "http";       // in log lines
  // Told of every request as its answer is about to be written (metrics); runs on an I/O thread.
  std::function<void(const Request&, const Response&, double seconds)> on_answered;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler, ErrorResponder on_error);
  ~Server();
  // Binds and listens; returns the bound port (useful with port 0). Throws on bind failure.
  uint16_t listen();
  // Runs the I/O threads until stop() (blocks).
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cardcore::http
