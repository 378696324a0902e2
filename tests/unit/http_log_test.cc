// The access line written as text (logx::request) is the line logx::info writes for the same
// fields, byte for byte apart from the time stamp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "http/log.h"

namespace cardcore {
namespace {

std::string without_ts(const std::string& line) { return std::regex_replace(line, std::regex("\"ts\":[0-9]+"), "\"ts\":0"); }

TEST(AccessLog, RequestLineIsWhatInfoWrites) {
  logx::init();
  for (std::string path : {std::string("/v1/cards/search"), std::string("/odd \"path\"\\\t\x01"),
                           std::string("/\xC4\x80nanya"), std::string("/bad\xFF")}) {
    testing::internal::CaptureStderr();
    logx::request({"partner", "rid-1", "POST", path, "127.0.0.1", 503, 1234});
    logx::info("request", {{"server", "partner"}, {"request_id", "rid-1"}, {"method", "POST"}, {"path", path},
                           {"status", 503}, {"latency_us", 1234}, {"remote", "127.0.0.1"}});
    std::istringstream out(testing::internal::GetCapturedStderr());
    std::string text_line, tree_line;
    ASSERT_TRUE(std::getline(out, text_line));
    ASSERT_TRUE(std::getline(out, tree_line));
    EXPECT_EQ(without_ts(text_line), without_ts(tree_line)) << path;
    EXPECT_NE(text_line.find("\"ts\":"), std::string::npos);
    EXPECT_TRUE(nlohmann::json::accept(text_line)) << text_line;
  }
}

TEST(AccessLog, MessageLineIsWhatInfoWrites) {
  logx::init();
  for (std::string remote : {std::string("127.0.0.1:40000"), std::string("odd \"remote\"\\\t\x01"),
                             std::string("bad\xFF")}) {
    testing::internal::CaptureStderr();
    logx::message({"iso8583", "0110", "91", remote, 987});
    logx::info("iso8583 message", {{"server", "iso8583"}, {"mti", "0110"}, {"responseCode", "91"},
                                   {"latency_us", 987}, {"remote", remote}});
    std::istringstream out(testing::internal::GetCapturedStderr());
    std::string text_line, tree_line;
    ASSERT_TRUE(std::getline(out, text_line));
    ASSERT_TRUE(std::getline(out, tree_line));
    EXPECT_EQ(without_ts(text_line), without_ts(tree_line)) << remote;
    EXPECT_TRUE(nlohmann::json::accept(text_line)) << text_line;
  }
}

}  // namespace
}  // namespace cardcore
