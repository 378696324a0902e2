
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <nlohmann/json.hpp>

#include "notify/sms.h"

namespace cardcore {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;

constexpr char kOtpText[] = "Your cardcore OTP is 493817";

// `shape` with each 'd' standing for one decimal digit.
bool matches_shape(const std::string& text, const std::string& shape) {
  if (text.size() != shape.size()) return false;
  for (size_t i = 0; i < text.size(); ++i)
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(text[i])) : text[i] != shape[i]) return false;
  return true;
}

// A fresh directory per test, removed afterwards.
class SmsOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cardcore_sms_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> lines(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(SmsOutboxTest, WritesOneJsonLinePerMessageWithExactlyFourKeys) {
  const auto file = dir_ / "outbox.jsonl";
  auto sms = make_outbox_file_sms(file.string());
  ASSERT_TRUE(sms->send("9876543210", kOtpText, "OTP0001"));
  ASSERT_TRUE(sms->send("9876500000", "quote \" backslash \\ newline \n tab \t", "OTP0002"));

  const auto got = lines(file);
  ASSERT_EQ(got.size(), 2u);
  const Json first = Json::parse(got[0]);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first.at("to"), "9876543210");
  EXPECT_EQ(first.at("text"), kOtpText);
  EXPECT_EQ(first.at("otpRequestId"), "OTP0001");
  EXPECT_TRUE(matches_shape(first.at("at").get<std::string>(), "dddd-dd-ddTdd:dd:dd+05:30"))
      << first.at("at");
  EXPECT_EQ(got[0].find("\"to\""), 1u);  // keys keep the documented order
  EXPECT_EQ(Json::parse(got[1]).at("text"), "quote \" backslash \\ newline \n tab \t");

  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SmsOutboxTest, ConcurrentSendsKeepEveryLineWhole) {
  const auto file = dir_ / "outbox.jsonl";
  auto sms = make_outbox_file_sms(file.string());
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        EXPECT_TRUE(sms->send("98765" + std::to_string(t), std::string(200, 'x'),
                              "OTP" + std::to_string(t) + "-" + std::to_string(i)));
    });
  for (auto& th : threads) th.join();

  const auto got = lines(file);
  ASSERT_EQ(got.size(), size_t{kThreads * kPerThread});
  std::set<std::string> references;
  for (const auto& line : got) {
    const Json j = Json::parse(line);  // throws (fails the test) on a torn line
    ASSERT_EQ(j.size(), 4u);
    EXPECT_EQ(j.at("text"), std::string(200, 'x'));
    references.insert(j.at("otpRequestId").get<std::string>());
  }
  EXPECT_EQ(references.size(), size_t{kThreads * kPerThread});
}

TEST_F(SmsOutboxTest, UnwritablePathIsAnErrorWithoutTheText) {
  auto sms = make_outbox_file_sms((dir_ / "missing" / "outbox.jsonl").string());
  const auto status = sms->send("9876543210", kOtpText, "OTP0001");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, code::kFailure);
  EXPECT_EQ(status.error().message.find("493817"), std::string::npos);
}

// A loopback HTTP server for `connections` connections of one request each. It answers with
// `status`, or, when `status` is 0, reads the request and never answers (it waits for the client
// to give up). It runs on its own io_context, bounded to 10 s even if the client never comes.
class FakeGateway {
 public:
  explicit FakeGateway(unsigned status, int connections = 1)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    asio::co_spawn(ioc_, serve(status, connections), asio::detached);
    thread_ = std::thread([this] { ioc_.run_for(std::chrono::seconds(10)); });
  }
  ~FakeGateway() { join(); }

  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + target;
  }
  // The requests received; call after the client is done.
  const std::vector<http::request<http::string_body>>& requests() {
    join();
    return requests_;
  }

 private:
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  asio::awaitable<void> serve(unsigned status, int connections) {
    constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
    for (int i = 0; i < connections; ++i) {
      auto [accept_ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (accept_ec) co_return;
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      auto [read_ec, n] = co_await http::async_read(socket, buffer, req, kNoThrow);
      if (read_ec) continue;
      requests_.push_back(req);
      if (status == 0) {  // silent: returns when the client closes its end
        char byte;
        co_await socket.async_read_some(asio::buffer(&byte, 1), kNoThrow);
        continue;
      }
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.set(http::field::content_type, "application/json");
      res.body() = R"({"ok":true})";
      res.prepare_payload();
      co_await http::async_write(socket, res, kNoThrow);
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<http::request<http::string_body>> requests_;
  std::thread thread_;
};

TEST(SmsGateway, PostsJsonWithBearerTokenAndSucceedsOn2xx) {
  FakeGateway gateway(200);
  auto sms = make_gateway_sms(gateway.url("/v1/sms?route=otp"), "tok-123", 2000);
  ASSERT_TRUE(sms->send("9876543210", kOtpText, "OTP0001"));

  const auto& reqs = gateway.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& req = reqs[0];
  EXPECT_EQ(req.method(), http::verb::post);
  EXPECT_EQ(req.target(), "/v1/sms?route=otp");
  EXPECT_EQ(req[http::field::content_type], "application/json");
  EXPECT_EQ(req[http::field::authorization], "Bearer tok-123");
  EXPECT_EQ(req[http::field::host].substr(0, 10), "127.0.0.1:");
  const Json body = Json::parse(req.body());
  EXPECT_EQ(body, (Json{{"to", "9876543210"}, {"text", kOtpText}, {"reference", "OTP0001"}}));
}

TEST(SmsGateway, NoAuthorizationHeaderWithoutToken) {
  FakeGateway gateway(202);
  auto sms = make_gateway_sms(gateway.url(""), "", 2000);
  ASSERT_TRUE(sms->send("9876543210", kOtpText, "OTP0001"));
  const auto& reqs = gateway.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target(), "/");
  EXPECT_EQ(reqs[0].count(http::field::authorization), 0u);
}

TEST(SmsGateway, Non2xxIsAnErrorWithoutTheText) {
  FakeGateway gateway(500);
  auto sms = make_gateway_sms(gateway.url("/sms"), "tok", 2000);
  const auto status = sms->send("9876543210", kOtpText, "OTP0001");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, code::kUpstreamFailure);
  EXPECT_EQ(status.error().message, "sms gateway answered 500");
  EXPECT_EQ(status.error().message.find("493817"), std::string::npos);
}

TEST(SmsGateway, SilentServerFailsWithinTheTimeout) {
  FakeGateway gateway(0);
  auto sms = make_gateway_sms(gateway.url("/sms"), "tok", 300);
  const auto status = sms->send("9876543210", kOtpText, "OTP0001");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, code::kUpstreamFailure);
  EXPECT_NE(status.error().message.find("timed out"), std::string::npos) << status.error().message;
  EXPECT_EQ(gateway.requests().size(), 1u);  // it got the request, it just never answered
}

TEST(SmsGateway, NothingListeningIsAnError) {
  unsigned short port;
  {
    asio::io_context ioc;
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    port = probe.local_endpoint().port();
  }  // closed: connections to it are refused
  auto sms = make_gateway_sms("http://127.0.0.1:" + std::to_string(port) + "/sms", "tok", 2000);
  const auto status = sms->send("9876543210", kOtpText, "OTP0001");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, code::kUpstreamFailure);
  EXPECT_EQ(status.error().message.find("493817"), std::string::npos);
}

TEST(SmsGateway, HttpsToAPlainServerFailsTheHandshake) {
  FakeGateway gateway(200);
  std::string url = gateway.url("/sms");
  url.replace(0, 4, "https");
  const auto status = make_gateway_sms(url, "tok", 2000)->send("9876543210", kOtpText, "OTP0001");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, code::kUpstreamFailure);
  EXPECT_NE(status.error().message.find("TLS handshake"), std::string::npos) << status.error().message;
}

TEST(SmsGateway, BadUrlsFailOnSend) {
  for (const char* url : {"ftp://x", "x", "http://", "http://:80/", "http://h:0/", "http://h:65536/",
                          "http://h:/", "http://u:p@h/", "http://h/a b", "http://h/#frag", "http://[::1/"}) {
    const auto status = make_gateway_sms(url, "tok", 2000)->send("9876543210", kOtpText, "OTP0001");
    ASSERT_FALSE(status) << url;
    EXPECT_EQ(status.error().code, code::kFailure) << url;
    EXPECT_NE(status.error().message.find("url"), std::string::npos) << url;
  }
  EXPECT_FALSE(make_gateway_sms("http://127.0.0.1/", "tok", 0)->send("9876543210", kOtpText, "OTP0001"));
  EXPECT_FALSE(make_gateway_sms("http://127.0.0.1/", "bad\r\ntoken", 2000)->send("9876543210", kOtpText, "OTP0001"));
}

}  // namespace
}  // namespace cardcore
