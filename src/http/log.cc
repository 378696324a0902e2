#include "http/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "domain/json_text.h"

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

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void emit(spdlog::level::level_enum level, std::string_view lvl, std::string_view msg,
          const nlohmann::json& fields) {
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = now_ms();
  line["level"] = lvl;
  line["msg"] = msg;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  logger()->log(level, "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

void init() { (void)logger(); }

void request(const RequestLine& l) {
  using json_text::quote;
  const std::string line = json_text::object({{"latency_us", std::to_string(l.latency_us)},
                                              {"level", "\"info\""},
                                              {"method", quote(l.method)},
                                              {"msg", "\"request\""},
                                              {"path", quote(l.path)},
                                              {"remote", quote(l.remote)},
                                              {"request_id", quote(l.request_id)},
                                              {"server", quote(l.server)},
                                              {"status", std::to_string(l.status)},
                                              {"ts", std::to_string(now_ms())}});
  logger()->log(spdlog::level::info, "{}", line);
}
void message(const MessageLine& l) {
  using json_text::quote;
  const std::string line = json_text::object({{"latency_us", std::to_string(l.latency_us)},
                                              {"level", "\"info\""},
                                              {"msg", "\"iso8583 message\""},
                                              {"mti", quote(l.mti)},
                                              {"remote", quote(l.remote)},
                                              {"responseCode", quote(l.response_code)},
                                              {"server", quote(l.server)},
                                              {"ts", std::to_string(now_ms())}});
  logger()->log(spdlog::level::info, "{}", line);
}
void info(std::string_view msg, const nlohmann::json& f) { emit(spdlog::level::info, "info", msg, f); }
void warn(std::string_view msg, const nlohmann::json& f) { emit(spdlog::level::warn, "warn", msg, f); }
void error(std::string_view msg, const nlohmann::json& f) { emit(spdlog::level::err, "error", msg, f); }

}  // namespace cardcore::logx
