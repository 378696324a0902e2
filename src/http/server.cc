#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <optional>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/blocking.h"
#include "http/log.h"

namespace cardcore::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::string_view Request::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A client-supplied request id is echoed only when short and plain, so it can't inject log text.
bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string new_request_id() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t boot = static_cast<uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  char buf[40];
  std::snprintf(buf, sizeof buf, "req-%08llx-%llu", static_cast<unsigned long long>(boot & 0xffffffff),
                static_cast<unsigned long long>(++counter));
  return buf;
}

bhttp::response<bhttp::string_body> to_beast(const Response& r, unsigned version, bool keep_alive,
                                             const std::string& request_id) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  res.set(bhttp::field::server, "cardcore");
  res.set(bhttp::field::content_type, r.content_type);
  res.set("X-Request-Id", request_id);
  for (const auto& [k, v] : r.headers) res.insert(k, v);  // insert: a header may repeat (Set-Cookie)
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

}  // namespace

struct Server::Impl {
  ServerOptions opt;
  Handler handler;
  ErrorResponder on_error;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<int> open_sessions{0};
  asio::steady_timer grace{ioc};
  // After ioc: destroyed (stopped and joined) first, while the I/O context its answers are
  // posted to still exists.
  std::optional<asio::thread_pool> workers;

  asio::awaitable<void> session(tcp::socket socket) {
    ++open_sessions;
    struct Leave {
      Impl* self;
      ~Leave() {
        if (--self->open_sessions == 0 && self->stopping.load()) self->ioc.stop();
      }
    } leave{this};
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = stream.socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(opt.header_limit_bytes));
      parser.body_limit(opt.body_limit_bytes);
      stream.expires_after(std::chrono::seconds(opt.idle_timeout_seconds));
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      auto started = std::chrono::steady_clock::now();
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == beast::error::timeout || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted) {
        break;
      }
      if (ec) {
        // Too large or malformed: answer once with the envelope and close (the rest of an
        // oversize body is never read).
        bool too_large = ec == bhttp::error::body_limit || ec == bhttp::error::header_limit ||
                         ec == bhttp::error::buffer_overflow;
        int status = ec == bhttp::error::body_limit ? 413 : (too_large ? 431 : 400);
        std::string msg = ec == bhttp::error::body_limit
                              ? "body: larger than " + std::to_string(opt.body_limit_bytes) + " bytes"
                              : (too_large ? "headers: too large" : "malformed HTTP request");
        std::string rid = new_request_id();
        auto res = to_beast(on_error(status, msg), 11, false, rid);
        stream.expires_after(std::chrono::seconds(5));
        co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        logx::warn("request", {{"request_id", rid}, {"status", status}, {"error", msg}, {"remote", remote}});
        break;
      }
      auto& msg = parser.get();
      Request req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      req.path = req.target.substr(0, req.target.find('?'));
      for (const auto& f : msg) req.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
      req.body = std::move(msg.body());
      req.remote_ip = remote;
      std::string_view given = req.header("x-request-id");
      req.request_id = sane_request_id(given) ? std::string(given) : new_request_id();

      Response out;
      try {
        if (workers && !(opt.run_inline && opt.run_inline(req))) {
          out = co_await run_blocking(*workers, [&]() -> Response {
            const auto waited = std::chrono::steady_clock::now() - started;
            if (opt.queue_budget_ms == 0 || waited > std::chrono::milliseconds(opt.queue_budget_ms)) {
              Response busy = on_error(503, "server busy: retry after a second");
              busy.headers.emplace_back("Retry-After", "1");
              return busy;
            }
            return handler(req);
          });
        } else {
          out = handler(req);
        }
      } catch (const std::exception& e) {
        logx::error("handler exception", {{"request_id", req.request_id}, {"what", e.what()}});
        out = on_error(500, "internal error");
      }
      // Counted before the answer is written: a client that has the answer finds it counted.
      if (opt.on_answered) {
        opt.on_answered(req, out, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
      bool keep_alive = msg.keep_alive();
      auto res = to_beast(out, msg.version(), keep_alive, req.request_id);
      auto [wec, wn] = co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      auto latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started).count();
      logx::request({opt.name, req.request_id, req.method, req.path, remote, out.status, latency_us});
      if (wec || !keep_alive || stopping.load()) break;
    }
    boost::system::error_code ignore;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignore);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
    }
  }
};

Server::Server(ServerOptions options, Handler handler, ErrorResponder on_error)
    : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  impl_->handler = std::move(handler);
  impl_->on_error = std::move(on_error);
  if (impl_->opt.workers > 0) impl_->workers.emplace(static_cast<size_t>(impl_->opt.workers));
}

Server::~Server() {
  if (impl_) impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

uint16_t Server::listen() {
  auto& a = impl_->acceptor;
  tcp::endpoint ep(asio::ip::make_address(impl_->opt.address), impl_->opt.port);
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  return a.local_endpoint().port();
}

void Server::run() {
  int n = std::max(1, impl_->opt.threads);
  for (int i = 1; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

// Graceful: stop accepting, let requests in flight finish and be answered, then end the I/O
// loop (at once when no connection is left, else after a short grace period for idle ones).
void Server::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  asio::post(impl_->ioc, [this] {
    boost::system::error_code ignore;
    impl_->acceptor.close(ignore);
    if (impl_->open_sessions.load() == 0) {
      impl_->ioc.stop();
      return;
    }
    impl_->grace.expires_after(std::chrono::seconds(2));
    impl_->grace.async_wait([this](boost::system::error_code) { impl_->ioc.stop(); });
  });
}

}  // namespace cardcore::http
