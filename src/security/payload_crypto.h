// EnKash payload encryption compatibility: AES-128-ECB with PKCS#5/7 padding, key = first 16
// bytes of SHA-256(client secret as UTF-8), Base64 text. ECB is weak; it exists only because
// EnKash clients send it, and only for partners configured for it.
#pragma once

#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore::payload_crypto {

std::string derive_key(std::string_view client_secret);  // 16 raw bytes
std::string encrypt_to_base64(std::string_view key16, std::string_view plaintext);
// Error code 422 "Invalid encrypted request" on bad Base64, bad length or bad padding.
Result<std::string> decrypt_from_base64(std::string_view key16, std::string_view b64);

}  // namespace cardcore::payload_crypto
