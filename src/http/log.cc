#include "http/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace cardcore::logx {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = spdlog::stderr_logger_mt("cardcore");
    lg->set_pattern("%v");  // the message is already a JSON object
    lg->flush_on(spdlog::level::info);
    return lg;
  }();
  return l;
}

void emit(spdlog::level::level_enum level, std::string_view lvl, std::string_view msg,
          const nlohmann::json& fields) {
  nlohmann::json line = nlohmann::json::object();
  auto now = std::chrono::system_clock::now();
  line["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  line["level"] = lvl;
  line["msg"] = msg;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  logger()->log(level, "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

void init() { (void)logger(); }
void info(std::string_view msg, const nlohmann::json& f) { emit(spdlog::level::info, "info", msg, f); }
void warn(std::string_view msg, const nlohmann::json& f) { emit(spdlog::level::warn, "warn", msg, f); }
void error(std::string_view msg, const nlohmann::json& f) { emit(spdlog::level::err, "error", msg, f); }

}  // namespace cardcore::logx
