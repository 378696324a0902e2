#include "iso8583/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "http/log.h"
#include "iso8583/response_codes.h"
#include "iso8583/processor.h"

namespace cardcore::iso8583 {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

struct Server::Impl {
  ServerOptions opt;
  Handler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<int> open_connections{0};
  asio::steady_timer grace{ioc};

  // The bytes of the answer to one frame; empty = close the connection.
  std::string answer(std::string_view frame_bytes, std::string& mti_out, std::string& rc_out) {
    auto msg = decode(frame_bytes);
    std::optional<Message> out;
    if (!msg) {
      auto mti = readable_request_mti(frame_bytes);
      if (!mti) return {};
      out = format_error_answer(*mti);
    } else {
      try {
        out = handler(*msg);
      } catch (const std::exception&) {
        out = Message{response_mti(msg->mti), {{f::kResponseCode, rc::kSystemError}}};
      }
      if (!out) return {};
    }
    mti_out = out->mti;
    rc_out = out->get(f::kResponseCode);
    auto bytes = encode(*out);
    if (!bytes) {
      // Only a handler bug gets here; answer without the fields that failed.
      bytes = encode(Message{out->mti, {{f::kResponseCode, rc::kSystemError}}});
      rc_out = rc::kSystemError;
      if (!bytes) return {};
    }
    return frame(*bytes);
  }

  asio::awaitable<void> session(tcp::socket socket) {
    struct Leave {
      Impl* self;
      ~Leave() { --self->open_connections; }
    } leave{this};
    if (++open_connections > opt.max_connections) {
      logx::warn("iso8583 connection refused", {{"reason", "max connections"}, {"max", opt.max_connections}});
      boost::system::error_code ignore;
      socket.close(ignore);
      co_return;
    }
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    beast::tcp_stream stream(std::move(socket));
    std::array<char, kFrameHeaderBytes> header{};
    std::string body;
    std::string close_reason = "peer closed";
    while (!stopping.load()) {
      stream.expires_after(std::chrono::seconds(opt.idle_timeout_seconds));
      auto [hec, hn] = co_await asio::async_read(stream, asio::buffer(header), asio::as_tuple(asio::use_awaitable));
      if (hec) {
        if (hec == beast::error::timeout) close_reason = "idle timeout";
        break;
      }
      size_t length = frame_length(std::string_view(header.data(), header.size()));
      if (length == 0 || length > kMaxMessageBytes) {
        close_reason = "frame length " + std::to_string(length) + " outside 1.." + std::to_string(kMaxMessageBytes);
        break;
      }
      body.resize(length);
      stream.expires_after(std::chrono::seconds(opt.frame_timeout_seconds));
      auto [bec, bn] = co_await asio::async_read(stream, asio::buffer(body), asio::as_tuple(asio::use_awaitable));
      if (bec) {
        close_reason = "truncated frame";
        break;
      }
      auto started = std::chrono::steady_clock::now();
      std::string mti, response_code;
      std::string out = answer(body, mti, response_code);
      if (out.empty()) {
        close_reason = "undecodable frame";
        break;
      }
      stream.expires_after(std::chrono::seconds(opt.frame_timeout_seconds));
      auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
      auto latency_us =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
      // Never the PAN, PIN block or CVV: the MTI and the response code are enough to follow.
      logx::info("iso8583 message", {{"server", "iso8583"}, {"mti", mti}, {"responseCode", response_code},
                                     {"latency_us", latency_us}, {"remote", remote}});
      if (wec) {
        close_reason = "write failed";
        break;
      }
    }
    if (close_reason != "peer closed") logx::info("iso8583 connection closed", {{"reason", close_reason}, {"remote", remote}});
    boost::system::error_code ignore;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignore);
    stream.socket().close(ignore);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // EMFILE and the like: keep serving the connections we have
      }
      boost::system::error_code ignore;
      socket.set_option(tcp::no_delay(true), ignore);
      asio::co_spawn(ioc, session(std::move(socket)), asio::detached);
    }
  }
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() { stop(); }

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

void Server::start() {
  int n = std::max(1, impl_->opt.threads);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void Server::stop() {
  if (!impl_) return;
  if (!impl_->stopping.exchange(true)) {
    asio::post(impl_->ioc, [this] {
      boost::system::error_code ignore;
      impl_->acceptor.close(ignore);
      impl_->grace.expires_after(std::chrono::milliseconds(500));
      impl_->grace.async_wait([this](boost::system::error_code) { impl_->ioc.stop(); });
    });
    if (impl_->threads.empty()) impl_->ioc.stop();
  }
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

}  // namespace cardcore::iso8583
