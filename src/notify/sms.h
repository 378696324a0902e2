// The SMS channel that carries OTPs to card holders. Two implementations:
// - OutboxFileSms (sandbox): appends one JSON line per message to a file, e.g.
//   {"to":"9876543210","text":"...","otpRequestId":"OTP...","at":"2026-11-25T18:44:09+05:30"}
//   so a developer (or a test) can read the code the holder would have received.
// - GatewaySms (production): POSTs {"to","text","reference"} as JSON to a configured http:// or
//   https:// URL, with a bounded timeout; a non-2xx answer is an error.
// The message text is the only place an OTP appears in clear; it is never logged.
#pragma once

#include <memory>
#include <string>

#include "domain/error.h"

namespace cardcore {

class SmsChannel {
 public:
  virtual ~SmsChannel() = default;
  // Delivers (or durably queues) one message. `reference` is the OTP request id.
  virtual Status send(const std::string& to, const std::string& text, const std::string& reference) = 0;
};

std::unique_ptr<SmsChannel> make_outbox_file_sms(const std::string& path);
// `timeout_ms` bounds connect+write+read. Optional bearer `auth_token` sent as Authorization.
std::unique_ptr<SmsChannel> make_gateway_sms(const std::string& url, const std::string& auth_token,
                                             int timeout_ms = 5000);

}  // namespace cardcore
