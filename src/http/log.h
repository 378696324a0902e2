// Structured JSON log lines to stderr (spdlog). Callers pass fields that are never secrets:
// no card number, CVV, PIN, OTP, password or token ever goes into a log line.
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace cardcore::logx {

void init();  // JSON-line pattern on stderr
void info(std::string_view msg, const nlohmann::json& fields);
void warn(std::string_view msg, const nlohmann::json& fields);
void error(std::string_view msg, const nlohmann::json& fields);

// The access line of one answered request: the same line info("request", {...}) writes, written
// as text (domain/json_text.h), since every request writes one on the I/O thread.
struct RequestLine {
  std::string_view server, request_id, method, path, remote;
  int status = 0;
  int64_t latency_us = 0;
};
void request(const RequestLine& line);

// The line of one answered ISO 8583 message: the same line info("iso8583 message", {...})
// writes, written as text, since every message writes one on the I/O thread (under overload,
// tens of thousands a second).
struct MessageLine {
  std::string_view server, mti, response_code, remote;
  int64_t latency_us = 0;
};
void message(const MessageLine& line);

}  // namespace cardcore::logx
