// What an ISO 8583 request means: maps a decoded 0100/0200/0120/0400/0420/0800 onto one call
// of the authorization service (service/authorization.h) and builds the answer. No sockets here (see
// server.h) and no business rules either: every decision is the service's, so the sandbox HTTP
// simulation and the network side can never disagree. See src/iso8583/README.md for the field
// usage, the channel mapping and the response codes.
#pragma once

#include <optional>
#include <string_view>

#include "iso8583/codec.h"
#include "iso8583/response_codes.h"
#include "security/pin_block.h"
#include "service/context.h"

namespace cardcore::iso8583 {


class Processor {
 public:
  // `ctx` must outlive the processor. `zpk` decrypts field 52.
  Processor(const Context& ctx, pin_block::ZonePinKey zpk) : ctx_(ctx), zpk_(std::move(zpk)) {}

  // The answer to one request or advice. nullopt when the message must not be answered (a
  // response MTI sent to us): the server then closes the connection. Never throws.
  std::optional<Message> handle(const Message& request) const;

 private:
  Message authorization(const Message& req, bool financial) const;  // 0100, 0200
  Message advice(const Message& req) const;                         // 0120
  Message reversal(const Message& req) const;                       // 0400, 0420
  Message network(const Message& req) const;                        // 0800

  const Context& ctx_;
  pin_block::ZonePinKey zpk_;
};

// The answer to a message that could not be decoded but whose request MTI is readable.
Message format_error_answer(std::string_view request_mti);

// The answer to a request that could not be decided in time (the server is overloaded): the
// echoed fields and 91, issuer unavailable. Nothing was stored; the network may send it again.
Message unavailable_answer(const Message& req);

}  // namespace cardcore::iso8583
