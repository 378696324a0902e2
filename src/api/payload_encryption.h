// EnKash payload encryption at the HTTP edge (docs/api.md, "Payload encryption"): for a partner
// configured with "aes128ecb", a body {"request": "<base64>"} is AES-128-ECB ciphertext of the
// JSON, and the answer goes back wrapped the same way. Plain JSON stays accepted. A body that
// does not decrypt is code 422 "Invalid encrypted request". The crypto itself is
// security/payload_crypto.h; this file only decides when it applies.
#pragma once

#include <optional>
#include <string>

#include "http/server.h"
#include "service/context.h"

namespace cardcore::api {

struct DecodedBody {
  std::string json_text;
  std::optional<std::string> response_key;  // set when the answer must be encrypted
};

Result<DecodedBody> decode_body(const Context& ctx, const PartnerRow& partner, const std::string& body);

// Wraps the answer's body as {"request": "<base64 ciphertext>"} under `key`.
http::Response encrypt_response(http::Response r, const std::string& key);

}  // namespace cardcore::api
