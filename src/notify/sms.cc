// SMS channels: the sandbox outbox file and the production HTTP(S) gateway (see sms.h).
// Neither ever puts the message text (which holds the OTP) into an Error or a log line.
#include "notify/sms.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <mutex>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "domain/clock.h"
#include "notify/http_client.h"

namespace cardcore {
namespace {

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

class GatewaySms final : public SmsChannel {
 public:
  GatewaySms(HttpTarget url, std::string auth_token, int timeout_ms)
      : url_(std::move(url)), auth_token_(std::move(auth_token)), timeout_ms_(timeout_ms) {}

  // Synchronous for the caller; http_post runs each request on its own io_context, so sends may
  // run concurrently.
  Status send(const std::string& to, const std::string& text, const std::string& reference) override {
    HttpHeaders headers{{"User-Agent", "cardcore"}, {"Content-Type", "application/json"}};
    if (!auth_token_.empty()) headers.emplace_back("Authorization", "Bearer " + auth_token_);
    const std::string body =
        dump_line(nlohmann::ordered_json{{"to", to}, {"text", text}, {"reference", reference}});
    const Result<int> status = http_post(url_, headers, body, timeout_ms_);
    // http_post never puts the body (the OTP) into its messages.
    if (!status) return fail(code::kUpstreamFailure, "sms gateway " + status.error().message);
    if (*status < 200 || *status > 299)
      return fail(code::kUpstreamFailure, "sms gateway answered " + std::to_string(*status));
    return {};
  }

 private:
  const HttpTarget url_;
  const std::string auth_token_;
  const int timeout_ms_;
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
  auto parsed = parse_http_url(url);
  if (!parsed) return std::make_unique<MisconfiguredSms>("url must be http(s)://host[:port]/path");
  for (const char c : auth_token)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return std::make_unique<MisconfiguredSms>("auth token contains control characters");
  if (timeout_ms < 1 || timeout_ms > kMaxHttpTimeoutMs)
    return std::make_unique<MisconfiguredSms>("timeout must be 1.." + std::to_string(kMaxHttpTimeoutMs) + " ms");
  return std::make_unique<GatewaySms>(std::move(*parsed), auth_token, timeout_ms);
}

}  // namespace cardcore
