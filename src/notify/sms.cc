// SMS channels: the sandbox outbox file and the production HTTP(S) gateway (see sms.h).
// Neither ever puts the message text (which holds the OTP) into an Error or a log line.
#include "notify/beast_config.h"  // first: must precede every Boost header

#include "notify/sms.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include "domain/clock.h"

namespace cardcore {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// Invalid UTF-8 is replaced rather than thrown on: a message must never fail on its encoding.
template <class Json>
std::string dump_line(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ---- OutboxFileSms ----

std::unexpected<Error> io_failure(const std::string& path, const char* what, int err) {
  return internal_error("sms outbox " + std::string(what) + " failed for " + path + ": " +
                        std::error_code(err, std::generic_category()).message());
}

class OutboxFileSms final : public SmsChannel {
 public:
  explicit OutboxFileSms(std::string path) : path_(std::move(path)) {}

  Status send(const std::string& to, const std::string& text, const std::string& reference) override {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const nlohmann::ordered_json line = {
        {"to", to},
        {"text", text},
        {"otpRequestId", reference},
        {"at", clock::format_ist(std::chrono::duration_cast<std::chrono::seconds>(now).count())}};
    const std::string bytes = dump_line(line) + '\n';

    // Open per message so an operator may rotate or delete the file at any time. The mutex keeps
    // lines whole within this process; O_APPEND keeps each write at the end across processes.
    std::lock_guard lock(mu_);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return io_failure(path_, "open", errno);
    Status status;
    for (size_t done = 0; status && done < bytes.size();) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) status = io_failure(path_, "write", errno);
      else done += static_cast<size_t>(n);
    }
    // The OTP is only "sent" once it is on disk.
    if (status && ::fdatasync(fd) != 0) status = io_failure(path_, "fdatasync", errno);
    if (::close(fd) != 0 && status) status = io_failure(path_, "close", errno);
    return status;
  }

 private:
  const std::string path_;
  std::mutex mu_;
};

// ---- GatewaySms ----

constexpr size_t kMaxResponseBodyBytes = 64 * 1024;  // the answer is only inspected for its status
constexpr int kMaxTimeoutMs = 60'000;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct GatewayUrl {
  bool tls = false;
  std::string host;         // without IPv6 brackets: what is resolved and verified
  std::string port;         // digits
  std::string host_header;  // as the Host header carries it
  std::string target;       // path and query, starting with '/'
};

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// http[s]://host[:port][/path][?query]; userinfo and fragments are refused (the token travels
// in a header), and so is anything that could split the request line or a header.
std::optional<GatewayUrl> parse_gateway_url(std::string_view url) {
  for (const char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#') return std::nullopt;
  GatewayUrl out;
  if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const size_t authority_end = std::min(url.find('/'), url.find('?'));
  std::string_view authority = url.substr(0, authority_end);
  const std::string_view rest = authority_end == std::string_view::npos ? "" : url.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host, port;
  if (authority.starts_with('[')) {  // [IPv6]
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
    if (!authority.empty() && !authority.starts_with(':')) return std::nullopt;
    if (!authority.empty()) port = authority.substr(1);
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  if (authority.find(':') != std::string_view::npos && port.empty()) return std::nullopt;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    const int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return std::nullopt;
  }
  out.host = std::string(host);
  if (url.starts_with('[') != (out.host.find(':') != std::string::npos)) return std::nullopt;
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  out.host_header = std::string(url.substr(0, authority_end));
  out.target = rest.starts_with('?') ? "/" + std::string(rest) : rest.empty() ? "/" : std::string(rest);
  return out;
}

// Writes the request and reads the answer's status on an already connected stream.
template <class Stream>
asio::awaitable<beast::error_code> round_trip(Stream& stream, const http::request<http::string_body>& req,
                                              unsigned& status) {
  auto [write_ec, written] = co_await http::async_write(stream, req, kNoThrow);
  if (write_ec) co_return write_ec;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBodyBytes);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (read_ec) co_return read_ec;
  status = parser.get().result_int();
  co_return beast::error_code{};
}

class GatewaySms final : public SmsChannel {
 public:
  GatewaySms(GatewayUrl url, std::string auth_token, int timeout_ms)
      : url_(std::move(url)), auth_token_(std::move(auth_token)), timeout_(timeout_ms) {
    if (!url_.tls) return;
    tls_.emplace(ssl::context::tls_client);
    boost::system::error_code ignored;  // without system CAs every handshake fails, visibly
    tls_->set_default_verify_paths(ignored);
    tls_->set_verify_mode(ssl::verify_peer, ignored);
  }

  // Synchronous for the caller: one private io_context per message, so sends may run concurrently.
  Status send(const std::string& to, const std::string& text, const std::string& reference) override {
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    req.set(http::field::host, url_.host_header);
    req.set(http::field::user_agent, "cardcore");
    req.set(http::field::content_type, "application/json");
    if (!auth_token_.empty()) req.set(http::field::authorization, "Bearer " + auth_token_);
    req.keep_alive(false);
    req.body() = dump_line(nlohmann::ordered_json{{"to", to}, {"text", text}, {"reference", reference}});
    req.prepare_payload();

    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    asio::io_context ioc;
    std::optional<Status> result;
    asio::co_spawn(ioc, exchange(req, deadline), [&](std::exception_ptr e, Status s) {
      result = e ? internal_error("sms gateway client failed") : std::move(s);
    });
    // The stream's own timer bounds connect, TLS and HTTP; this bounds name resolution as well.
    ioc.run_until(deadline + std::chrono::milliseconds(50));
    if (!result) return timed_out();
    return std::move(*result);
  }

 private:
  std::unexpected<Error> timed_out() const {
    return fail(code::kFailure, 502, "sms gateway timed out after " + std::to_string(timeout_.count()) + " ms");
  }
  std::unexpected<Error> transport_failure(const char* stage, const beast::error_code& ec) const {
    if (ec == beast::error::timeout) return timed_out();
    return fail(code::kFailure, 502, std::string("sms gateway ") + stage + " failed: " + ec.message());
  }

  asio::awaitable<Status> exchange(const http::request<http::string_body>& req,
                                   std::chrono::steady_clock::time_point deadline) {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] = co_await resolver.async_resolve(url_.host, url_.port, kNoThrow);
    if (resolve_ec) co_return transport_failure("name resolution", resolve_ec);

    unsigned status = 0;
    beast::error_code ec;
    if (!tls_) {
      beast::tcp_stream stream(executor);
      stream.expires_at(deadline);
      auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
      if (connect_ec) co_return transport_failure("connect", connect_ec);
      ec = co_await round_trip(stream, req, status);
    } else {
      beast::ssl_stream<beast::tcp_stream> stream(executor, *tls_);
      // SNI carries names only (RFC 6066); certificate checking covers names and IP addresses.
      if (!is_ip_literal(url_.host) && !SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str()))
        co_return fail(code::kFailure, 502, "sms gateway TLS setup failed");
      stream.set_verify_callback(ssl::host_name_verification(url_.host));
      beast::get_lowest_layer(stream).expires_at(deadline);
      auto [connect_ec, endpoint] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, kNoThrow);
      if (connect_ec) co_return transport_failure("connect", connect_ec);
      auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, kNoThrow);
      if (handshake_ec) co_return transport_failure("TLS handshake", handshake_ec);
      ec = co_await round_trip(stream, req, status);
      // No TLS close_notify: the request has been answered and the connection is not reused.
    }
    if (ec) co_return transport_failure("exchange", ec);
    if (status < 200 || status > 299)
      co_return fail(code::kFailure, 502, "sms gateway answered " + std::to_string(status));
    co_return Status{};
  }

  const GatewayUrl url_;
  const std::string auth_token_;
  const std::chrono::milliseconds timeout_;
  std::optional<ssl::context> tls_;  // set for https:// only
};

// A misconfigured gateway cannot throw out of the factory (errors are values) nor be silently
// ignored: every send reports the configuration problem.
class MisconfiguredSms final : public SmsChannel {
 public:
  explicit MisconfiguredSms(std::string why) : why_(std::move(why)) {}
  Status send(const std::string&, const std::string&, const std::string&) override {
    return internal_error("sms gateway misconfigured: " + why_);
  }

 private:
  const std::string why_;
};

}  // namespace

std::unique_ptr<SmsChannel> make_outbox_file_sms(const std::string& path) {
  return std::make_unique<OutboxFileSms>(path);
}

std::unique_ptr<SmsChannel> make_gateway_sms(const std::string& url, const std::string& auth_token,
                                             int timeout_ms) {
  auto parsed = parse_gateway_url(url);
  if (!parsed) return std::make_unique<MisconfiguredSms>("url must be http(s)://host[:port]/path");
  for (const char c : auth_token)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return std::make_unique<MisconfiguredSms>("auth token contains control characters");
  if (timeout_ms < 1 || timeout_ms > kMaxTimeoutMs)
    return std::make_unique<MisconfiguredSms>("timeout must be 1.." + std::to_string(kMaxTimeoutMs) + " ms");
  return std::make_unique<GatewaySms>(std::move(*parsed), auth_token, timeout_ms);
}

}  // namespace cardcore
