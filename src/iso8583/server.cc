#include "iso8583/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "domain/deadline.h"
#include "http/blocking.h"
#include "http/log.h"
#include "iso8583/response_codes.h"
#include "iso8583/processor.h"

namespace cardcore::iso8583 {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// One connection: the reader and the coroutines deciding its messages all run on the
// connection's strand, so this state needs no lock.
// Answers queued for a peer that does not read them; past this the connection is not read.
constexpr size_t kMaxUnsentAnswers = 4096;
// A connection's read buffer: one read takes as many pipelined frames as have arrived. Always
// room for a whole frame after the partial one kept at its front.
constexpr size_t kReadBufferBytes = 64 * 1024;
static_assert(kReadBufferBytes >= 2 * (kFrameHeaderBytes + kMaxMessageBytes));

struct Connection {
  Connection(tcp::socket socket) : stream(std::move(socket)), wake(stream.get_executor()) {}
  beast::tcp_stream stream;
  std::string remote;
  std::deque<std::string> outq;  // framed answers not yet written, in the order requests came
  size_t writing_count = 0;      // answers in the write under way
  std::vector<char> inbuf = std::vector<char>(kReadBufferBytes);
  size_t in_begin = 0, in_end = 0;  // inbuf[in_begin, in_end): bytes read, not yet taken as frames
  std::map<uint64_t, std::string> decided;  // answers ahead of their turn ("" = no answer)
  uint64_t next_in = 0;          // sequence number of the next request read
  uint64_t next_out = 0;         // sequence number of the next answer to write
  bool writing = false;          // a writer coroutine is draining outq
  bool write_failed = false;
  bool close_requested = false;  // the handler asked to close
  int in_flight = 0;             // messages being decided
  asio::steady_timer wake;       // cancelled whenever in_flight, writing or a flag changes
};

struct Server::Impl {
  ServerOptions opt;
  Handler handler;
  InlinePredicate run_inline;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<int> open_connections{0};
  asio::steady_timer grace{ioc};
  // After ioc: stopped and joined first, while the context its answers go back to still exists.
  std::optional<asio::thread_pool> workers;
  // Shedding (ServerOptions::shed_after_wait_ms): messages handed to the workers and not yet
  // taken up, and how long the last one taken up had waited.
  std::atomic<int64_t> waiting_for_worker{0};
  std::atomic<int64_t> last_wait_us{0};

  int64_t shed_after_us() const {
    const int64_t ms = opt.shed_after_wait_ms >= 0 ? opt.shed_after_wait_ms : opt.decision_budget_ms / 2;
    return ms * 1000;
  }
  // True when a message read now would queue behind workers that are taking up messages later
  // than the shedding threshold.
  bool shedding() const {
    return waiting_for_worker.load(std::memory_order_relaxed) > 0 &&
           last_wait_us.load(std::memory_order_relaxed) > shed_after_us();
  }

  // The handler's answer; 96 when it threw (it should not).
  std::optional<Message> decide(const Message& msg) {
    try {
      return handler(msg);
    } catch (const std::exception&) {
      return Message{response_mti(msg.mti), {{f::kResponseCode, rc::kSystemError}}};
    }
  }

  // Frames the answer to request `seq` and logs it (never the PAN, PIN block or CVV: the MTI and
  // the response code are enough to follow); answers leave in the order the requests came, so
  // one decided early waits for those before it. nullopt: no answer (the handler closes).
  void send(const std::shared_ptr<Connection>& c, uint64_t seq, const std::optional<Message>& out,
            std::chrono::steady_clock::time_point started) {
    std::string bytes;
    if (out) {
      std::string rc_out = out->get(f::kResponseCode);
      auto encoded = encode(*out);
      if (!encoded) {
        // Only a handler bug gets here; answer without the fields that failed.
        encoded = encode(Message{out->mti, {{f::kResponseCode, rc::kSystemError}}});
        rc_out = rc::kSystemError;
      }
      if (encoded) bytes = frame(*encoded);
      auto latency_us =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
      if (opt.on_answered) {
        std::string request_mti = out->mti;
        if (request_mti.size() == 4 && (request_mti[2] == '1' || request_mti[2] == '3')) --request_mti[2];
        opt.on_answered(request_mti, rc_out, static_cast<double>(latency_us) / 1e6);
      }
      logx::message({"iso8583", out->mti, rc_out, c->remote, latency_us});
    }
    c->decided.emplace(seq, std::move(bytes));
    for (auto it = c->decided.begin(); it != c->decided.end() && it->first == c->next_out;
         it = c->decided.erase(it), ++c->next_out) {
      if (!it->second.empty()) c->outq.push_back(std::move(it->second));
    }
    if (!c->outq.empty() && !c->writing) {
      c->writing = true;
      asio::co_spawn(c->stream.get_executor(), write_loop(c), asio::detached);
    }
  }

  // Writes every answer queued so far in one write (one system call for a pipelined burst),
  // then those queued meanwhile, until none is left.
  asio::awaitable<void> write_loop(std::shared_ptr<Connection> c) {
    std::string bytes;
    while (!c->outq.empty() && !c->write_failed) {
      bytes.clear();
      c->writing_count = c->outq.size();
      for (std::string& answer : c->outq) bytes += answer;
      c->outq.clear();
      c->stream.expires_after(std::chrono::seconds(opt.frame_timeout_seconds));
      auto [ec, n] = co_await asio::async_write(c->stream, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
      if (ec) c->write_failed = true;
      c->writing_count = 0;
      c->wake.cancel();  // the reader may go on
    }
    c->outq.clear();
    c->writing = false;
    c->wake.cancel();
  }

  // Decides one message on a worker thread and answers it.
  asio::awaitable<void> decide_and_answer(std::shared_ptr<Connection> c, uint64_t seq, Message msg,
                                          std::chrono::steady_clock::time_point started) {
    std::optional<Message> out;
    try {
      out = co_await http::run_blocking(*workers, [this, &msg, started]() -> std::optional<Message> {
        const auto waited = std::chrono::steady_clock::now() - started;
        --waiting_for_worker;
        last_wait_us.store(std::chrono::duration_cast<std::chrono::microseconds>(waited).count(),
                           std::memory_order_relaxed);
        if (opt.decision_budget_ms == 0 || waited > std::chrono::milliseconds(opt.decision_budget_ms)) {
          return unavailable_answer(msg);  // too late to decide: say so now, store nothing
        }
        // What is left of the budget bounds the waits that follow (a database connection, a
        // place in a commit): a unit that cannot start in time is refused and answered 91.
        deadline::Scope budget(started + std::chrono::milliseconds(opt.decision_budget_ms));
        return decide(msg);
      });
    } catch (const std::exception&) {
      out = Message{response_mti(msg.mti), {{f::kResponseCode, rc::kSystemError}}};
    }
    --c->in_flight;
    send(c, seq, out, started);
    if (!out) {
      // Not ours to answer: close once the answers before it are out. The reader may be waiting
      // for the next frame; ending the receiving side wakes it.
      c->close_requested = true;
      boost::system::error_code ignore;
      c->stream.socket().shutdown(tcp::socket::shutdown_receive, ignore);
    }
    c->wake.cancel();
  }

  // Waits on the connection's wake timer until `ready()` holds.
  template <class Ready>
  static asio::awaitable<void> wait_until(Connection& c, Ready ready) {
    while (!ready()) {
      c.wake.expires_at(asio::steady_timer::time_point::max());
      co_await c.wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
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
    auto c = std::make_shared<Connection>(std::move(socket));
    {
      boost::system::error_code ec;
      auto ep = c->stream.socket().remote_endpoint(ec);
      if (!ec) c->remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    const auto ex = co_await asio::this_coro::executor;
    std::string close_reason = "peer closed";
    while (!stopping.load()) {
      // Reading pauses only while the peer is not reading its answers: a message over the
      // in-flight limit is answered 91 below, never left waiting in the socket's buffers, where
      // no budget would see it age.
      co_await wait_until(*c, [&] {
        return c->outq.size() + c->writing_count < kMaxUnsentAnswers || c->write_failed || c->close_requested;
      });
      if (c->write_failed) {
        close_reason = "write failed";
        break;
      }
      if (c->close_requested) {
        close_reason = "closed by the handler";
        break;
      }
      // The next frame from the bytes read: as many as one read brought (a pipelined burst is
      // read in one system call, not two per message).
      const std::string_view buffered(c->inbuf.data() + c->in_begin, c->in_end - c->in_begin);
      size_t length = 0;
      if (buffered.size() >= kFrameHeaderBytes) {
        length = frame_length(buffered.substr(0, kFrameHeaderBytes));
        if (length == 0 || length > kMaxMessageBytes) {
          close_reason = "frame length " + std::to_string(length) + " outside 1.." + std::to_string(kMaxMessageBytes);
          break;
        }
      }
      if (buffered.size() < kFrameHeaderBytes || buffered.size() < kFrameHeaderBytes + length) {
        // More bytes: between frames the idle timeout applies, inside one the frame timeout.
        std::memmove(c->inbuf.data(), buffered.data(), buffered.size());  // the partial frame to the front
        c->in_begin = 0;
        c->in_end = buffered.size();
        const bool inside_frame = c->in_end > 0;
        c->stream.expires_after(std::chrono::seconds(inside_frame ? opt.frame_timeout_seconds : opt.idle_timeout_seconds));
        auto [ec, n] = co_await c->stream.async_read_some(
            asio::buffer(c->inbuf.data() + c->in_end, c->inbuf.size() - c->in_end), asio::as_tuple(asio::use_awaitable));
        c->in_end += n;
        if (ec) {
          if (c->close_requested) close_reason = "closed by the handler";
          else if (inside_frame) close_reason = "truncated frame";
          else if (ec == beast::error::timeout) close_reason = "idle timeout";
          break;
        }
        continue;
      }
      const std::string_view body = buffered.substr(kFrameHeaderBytes, length);
      c->in_begin += kFrameHeaderBytes + length;
      auto started = std::chrono::steady_clock::now();
      auto msg = decode(body);
      if (!msg) {
        auto mti = readable_request_mti(body);
        if (!mti) {
          close_reason = "undecodable frame";
          break;
        }
        send(c, c->next_in++, format_error_answer(*mti), started);
        continue;
      }
      const uint64_t seq = c->next_in++;
      if (!workers || (run_inline && run_inline(*msg))) {
        std::optional<Message> out = decide(*msg);
        send(c, seq, out, started);
        if (!out) {
          close_reason = "closed by the handler";
          break;
        }
        continue;
      }
      if (c->in_flight >= std::max(1, opt.max_in_flight) || shedding()) {
        send(c, seq, unavailable_answer(*msg), started);  // over the limit: say so now, store nothing
        continue;
      }
      ++c->in_flight;
      ++waiting_for_worker;  // here, not in the coroutine: the next message read must see it
      asio::co_spawn(ex, decide_and_answer(c, seq, std::move(*msg), started), asio::detached);
    }
    // Every message read is decided and its answer written (or the writing failed) first.
    co_await wait_until(*c, [&] { return c->in_flight == 0 && !c->writing; });
    if (close_reason != "peer closed") logx::info("iso8583 connection closed", {{"reason", close_reason}, {"remote", c->remote}});
    boost::system::error_code ignore;
    c->stream.socket().shutdown(tcp::socket::shutdown_both, ignore);
    c->stream.socket().close(ignore);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      // A strand per connection: its reader, deciders and writer never run at once.
      asio::any_io_executor strand = asio::make_strand(ioc);
      auto [ec, socket] = co_await acceptor.async_accept(strand, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // EMFILE and the like: keep serving the connections we have
      }
      boost::system::error_code ignore;
      socket.set_option(tcp::no_delay(true), ignore);
      asio::co_spawn(strand, session(std::move(socket)), asio::detached);
    }
  }
};

Server::Server(ServerOptions options, Handler handler, InlinePredicate run_inline) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  impl_->handler = std::move(handler);
  impl_->run_inline = std::move(run_inline);
  if (impl_->opt.workers > 0) impl_->workers.emplace(static_cast<size_t>(impl_->opt.workers));
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
