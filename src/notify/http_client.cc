// The outbound HTTP(S) POST client (see http_client.h): Beast over C++20 coroutines on a private
// io_context per request, bounded by one deadline.

#include "notify/http_client.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>

namespace cardcore {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr size_t kMaxResponseBodyBytes = 64 * 1024;  // the answer is only inspected for its status
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::unexpected<Error> bad_url() {
  return fail(code::kInvalidParameter, "url: must be http(s)://host[:port][/path][?query]", "url");
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// RFC 9110 token characters: what a header name may contain.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) return false;
  }
  return true;
}

// Visible characters, spaces and tabs: nothing that could end the header line.
bool is_field_value(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// One client TLS context for the process: loading the system CA store is not free, and an
// SSL_CTX may be shared by concurrent connections once configured. Thread-safe static init.
ssl::context& client_tls() {
  static ssl::context* const context = [] {
    auto* c = new ssl::context(ssl::context::tls_client);  // lives until exit, never destroyed
    boost::system::error_code ignored;  // without system CAs every handshake fails, visibly
    c->set_default_verify_paths(ignored);
    c->set_verify_mode(ssl::verify_peer, ignored);
    return c;
  }();
  return *context;
}

class Exchange {
 public:
  Exchange(const HttpTarget& to, int timeout_ms) : to_(to), timeout_ms_(timeout_ms) {}

  std::unexpected<Error> timed_out() const {
    return fail(code::kUpstreamFailure, "timed out after " + std::to_string(timeout_ms_) + " ms");
  }

  // Writes `req` and reads the answer's status; every stage ends by `deadline`.
  asio::awaitable<Result<int>> run(const http::request<http::string_body>& req,
                                   std::chrono::steady_clock::time_point deadline) {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] = co_await resolver.async_resolve(to_.host, to_.port, kNoThrow);
    if (resolve_ec) co_return transport_failure("name resolution", resolve_ec);

    unsigned status = 0;
    beast::error_code ec;
    if (!to_.tls) {
      beast::tcp_stream stream(executor);
      stream.expires_at(deadline);
      auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
      if (connect_ec) co_return transport_failure("connect", connect_ec);
      ec = co_await round_trip(stream, req, status);
    } else {
      beast::ssl_stream<beast::tcp_stream> stream(executor, client_tls());
      // SNI carries names only (RFC 6066); certificate checking covers names and IP addresses.
      if (!is_ip_literal(to_.host) && !SSL_set_tlsext_host_name(stream.native_handle(), to_.host.c_str()))
        co_return fail(code::kUpstreamFailure, "TLS setup failed");
      stream.set_verify_callback(ssl::host_name_verification(to_.host));
      beast::get_lowest_layer(stream).expires_at(deadline);
      auto [connect_ec, endpoint] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, kNoThrow);
      if (connect_ec) co_return transport_failure("connect", connect_ec);
      auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, kNoThrow);
      if (handshake_ec) co_return transport_failure("TLS handshake", handshake_ec);
      ec = co_await round_trip(stream, req, status);
      // No TLS close_notify: the request has been answered and the connection is not reused.
    }
    if (ec) co_return transport_failure("exchange", ec);
    co_return static_cast<int>(status);
  }

 private:
  std::unexpected<Error> transport_failure(const char* stage, const beast::error_code& ec) const {
    if (ec == beast::error::timeout) return timed_out();
    return fail(code::kUpstreamFailure, std::string(stage) + " failed: " + ec.message());
  }

  template <class Stream>
  static asio::awaitable<beast::error_code> round_trip(Stream& stream, const http::request<http::string_body>& req,
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

  const HttpTarget& to_;
  const int timeout_ms_;
};

}  // namespace

Result<HttpTarget> parse_http_url(std::string_view url) {
  for (const char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#') return bad_url();
  HttpTarget out;
  if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return bad_url();
  }
  const size_t authority_end = std::min(url.find('/'), url.find('?'));
  std::string_view authority = url.substr(0, authority_end);
  const std::string_view rest = authority_end == std::string_view::npos ? "" : url.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return bad_url();
  std::string_view host, port;
  if (authority.starts_with('[')) {  // [IPv6]
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad_url();
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
    if (!authority.empty() && !authority.starts_with(':')) return bad_url();
    if (!authority.empty()) port = authority.substr(1);
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad_url();
  if (authority.find(':') != std::string_view::npos && port.empty()) return bad_url();
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return bad_url();
    const int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return bad_url();
  }
  out.host = std::string(host);
  // Brackets exactly when the host is an IPv6 address (it holds colons).
  if (url.starts_with('[') != (out.host.find(':') != std::string::npos)) return bad_url();
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  out.host_header = std::string(url.substr(0, authority_end));
  out.target = rest.starts_with('?') ? "/" + std::string(rest) : rest.empty() ? "/" : std::string(rest);
  return out;
}

Result<int> http_post(const HttpTarget& to, const HttpHeaders& headers, const std::string& body,
                      int timeout_ms) {
  if (timeout_ms < 1 || timeout_ms > kMaxHttpTimeoutMs)
    return fail(code::kFailure, "timeout must be 1.." + std::to_string(kMaxHttpTimeoutMs) + " ms");
  if (headers.size() > kMaxHttpHeaders)
    return fail(code::kFailure, "more than " + std::to_string(kMaxHttpHeaders) + " headers");

  http::request<http::string_body> req{http::verb::post, to.target, 11};
  req.set(http::field::host, to.host_header);
  for (const auto& [name, value] : headers) {
    // The name is a token (checked), so it may be quoted; a value never is.
    if (!is_token(name)) return fail(code::kFailure, "invalid header name");
    if (!is_field_value(value)) return fail(code::kFailure, "invalid value for header " + name);
    req.set(name, value);
  }
  req.keep_alive(false);
  req.body() = body;
  req.prepare_payload();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  Exchange exchange(to, timeout_ms);
  asio::io_context ioc;
  std::optional<Result<int>> result;
  asio::co_spawn(ioc, exchange.run(req, deadline), [&](std::exception_ptr e, Result<int> r) {
    result = e ? Result<int>(fail(code::kUpstreamFailure, "client failed")) : std::move(r);
  });
  // The stream's own timer bounds connect, TLS and HTTP; this bounds name resolution as well.
  ioc.run_until(deadline + std::chrono::milliseconds(50));
  if (!result) return exchange.timed_out();
  return std::move(*result);
}

}  // namespace cardcore
