// parse_http_url and http_post against a loopback server.

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "notify/http_client.h"

namespace cardcore {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

TEST(HttpClientUrl, ParsesHostPortAndTarget) {
  struct Case {
    const char* url;
    bool tls;
    const char* host;
    const char* port;
    const char* host_header;
    const char* target;
  };
  const Case cases[] = {
      {"http://example.com", false, "example.com", "80", "example.com", "/"},
      {"https://example.com", true, "example.com", "443", "example.com", "/"},
      {"http://example.com:8080/hooks/in?x=1&y=2", false, "example.com", "8080", "example.com:8080", "/hooks/in?x=1&y=2"},
      {"https://h.example.com?route=otp", true, "h.example.com", "443", "h.example.com", "/?route=otp"},
      {"http://127.0.0.1:65535/", false, "127.0.0.1", "65535", "127.0.0.1:65535", "/"},
      {"http://[::1]:9000/x", false, "::1", "9000", "[::1]:9000", "/x"},
      {"https://[2001:db8::1]/", true, "2001:db8::1", "443", "[2001:db8::1]", "/"},
  };
  for (const Case& c : cases) {
    const auto got = parse_http_url(c.url);
    ASSERT_TRUE(got) << c.url;
    EXPECT_EQ(got->tls, c.tls) << c.url;
    EXPECT_EQ(got->host, c.host) << c.url;
    EXPECT_EQ(got->port, c.port) << c.url;
    EXPECT_EQ(got->host_header, c.host_header) << c.url;
    EXPECT_EQ(got->target, c.target) << c.url;
  }
}

TEST(HttpClientUrl, RefusesWhatCouldMisrouteOrSplitTheRequest) {
  for (const char* url : {"", "ftp://x", "x", "HTTP://x", "http://", "http://:80/", "http://h:0/", "http://h:65536/",
                          "http://h:99999999/", "http://h:8a/", "http://h:/", "http://u:p@h/", "http://h/a b",
                          "http://h/#frag", "http://[::1/", "http://::1/", "http://[::1]x/", "http://[]/",
                          "http://h/\r\nX-Injected: 1", "http://h/\x7f"}) {
    const auto got = parse_http_url(url);
    ASSERT_FALSE(got) << url;
    EXPECT_EQ(got.error().code, code::kInvalidParameter) << url;
    EXPECT_EQ(got.error().field, "url") << url;
  }
}

// A loopback server answering every connection with `status` (0: read the request, never answer).
class Server {
 public:
  explicit Server(unsigned status) : acceptor_(ioc_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    asio::co_spawn(ioc_, accept_loop(status), asio::detached);
    thread_ = std::thread([this] { ioc_.run_for(std::chrono::seconds(10)); });
  }
  ~Server() {
    ioc_.stop();
    thread_.join();
  }
  HttpTarget target(const std::string& path) const {
    return *parse_http_url("http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path);
  }
  std::vector<http::request<http::string_body>> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  asio::awaitable<void> accept_loop(unsigned status) {
    constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
    for (int i = 0; i < 100; ++i) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) co_return;
      asio::co_spawn(ioc_, answer(std::move(socket), status), asio::detached);
    }
  }
  asio::awaitable<void> answer(tcp::socket socket, unsigned status) {
    constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [read_ec, n] = co_await http::async_read(socket, buffer, req, kNoThrow);
    if (read_ec) co_return;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    if (status == 0) {  // silent until the client gives up
      char byte;
      co_await socket.async_read_some(asio::buffer(&byte, 1), kNoThrow);
      co_return;
    }
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.body() = std::string(1000, 'r');
    res.prepare_payload();
    co_await http::async_write(socket, res, kNoThrow);
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::mutex mu_;
  std::vector<http::request<http::string_body>> requests_;
  std::thread thread_;
};

TEST(HttpClientPost, SendsHeadersAndBodyAndReturnsAnyStatus) {
  Server server(404);
  const auto status = http_post(server.target("/in?a=1"), {{"Content-Type", "application/json"}, {"X-Custom", "v 1"}},
                                R"({"k":"v"})", 2000);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(*status, 404);  // a status is a value, not a transport error
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method(), http::verb::post);
  EXPECT_EQ(reqs[0].target(), "/in?a=1");
  EXPECT_EQ(reqs[0].body(), R"({"k":"v"})");
  EXPECT_EQ(reqs[0][http::field::content_type], "application/json");
  EXPECT_EQ(reqs[0]["X-Custom"], "v 1");
  EXPECT_EQ(reqs[0][http::field::content_length], "9");
  EXPECT_FALSE(reqs[0].keep_alive());
  EXPECT_EQ(reqs[0][http::field::host].substr(0, 10), "127.0.0.1:");
}

TEST(HttpClientPost, RefusesBadHeadersBeforeConnecting) {
  Server server(200);
  const HttpTarget to = server.target("/");
  EXPECT_FALSE(http_post(to, {{"X-Bad", "a\r\nX-Injected: 1"}}, "{}", 2000));
  EXPECT_FALSE(http_post(to, {{"X Bad", "v"}}, "{}", 2000));
  EXPECT_FALSE(http_post(to, {{"", "v"}}, "{}", 2000));
  EXPECT_FALSE(http_post(to, HttpHeaders(kMaxHttpHeaders + 1, {"X-A", "b"}), "{}", 2000));
  EXPECT_FALSE(http_post(to, {}, "{}", 0));
  EXPECT_FALSE(http_post(to, {}, "{}", kMaxHttpTimeoutMs + 1));
  EXPECT_TRUE(server.requests().empty());
  EXPECT_TRUE(http_post(to, HttpHeaders(kMaxHttpHeaders, {"X-A", "b"}), "{}", 2000));
}

TEST(HttpClientPost, SilentServerTimesOutWithoutTheBodyInTheMessage) {
  Server server(0);
  const auto status = http_post(server.target("/"), {}, "secret-body-493817", 300);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, code::kUpstreamFailure);
  EXPECT_EQ(status.error().message, "timed out after 300 ms");
}

TEST(HttpClientPost, NothingListeningIsAConnectFailure) {
  unsigned short port;
  {
    asio::io_context ioc;
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    port = probe.local_endpoint().port();
  }
  const auto status = http_post(*parse_http_url("http://127.0.0.1:" + std::to_string(port) + "/"), {},
                                "secret-body-493817", 2000);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, code::kUpstreamFailure);
  EXPECT_TRUE(status.error().message.starts_with("connect failed")) << status.error().message;
  EXPECT_EQ(status.error().message.find("493817"), std::string::npos);
}

}  // namespace
}  // namespace cardcore
