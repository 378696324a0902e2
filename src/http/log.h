// Structured JSON log lines to stderr (spdlog). Callers pass fields that are never secrets:
// no card number, CVV, PIN, OTP, password or token ever goes into a log line.
#pragma once

#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace cardcore::logx {

void init();  // JSON-line pattern on stderr
void info(std::string_view msg, const nlohmann::json& fields);
void warn(std::string_view msg, const nlohmann::json& fields);
void error(std::string_view msg, const nlohmann::json& fields);

}  // namespace cardcore::logx
