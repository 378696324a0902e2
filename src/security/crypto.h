// Small cryptographic building blocks over OpenSSL 3 and libsodium: randomness, hashes, HMAC,
// Base64 and hex, constant-time comparison. Every function is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore::crypto {

// Cryptographically secure random bytes (OpenSSL RAND_bytes); aborts if the RNG fails.
std::string random_bytes(size_t n);
// n characters from [A-Z0-9], uniform (rejection sampling), for secrets (RAND_bytes afresh).
std::string random_upper_alnum(size_t n);
// The same for ids (CEK + 7, ECTR + 9, ...), which are unique but not secret: drawn from a
// per-thread block of RAND_bytes output, so an id costs no RNG call of its own.
std::string random_id_chars(size_t n);
// n decimal digits the same way: for codes that are not secrets (an authorization's approval
// code, a generated trace number).
std::string random_id_digits(size_t n);
// n decimal digits, uniform.
std::string random_digits(size_t n);
// 2*nbytes lower-case hex characters.
std::string random_hex(size_t nbytes);

std::string sha256(std::string_view data);                        // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string hmac_sha1(std::string_view key, std::string_view data);    // 20 raw bytes
std::string hmac_sha512(std::string_view key, std::string_view data);  // 64 raw bytes

std::string to_hex(std::string_view raw);          // lower case
Result<std::string> from_hex(std::string_view hex);
std::string base64_encode(std::string_view raw);   // standard alphabet, padded, no newlines
Result<std::string> base64_decode(std::string_view b64);  // refuses bad characters/padding

bool constant_time_equal(std::string_view a, std::string_view b);

// Hex SHA-256 of a high-entropy secret (bearer/refresh tokens): what the store keeps.
std::string token_digest(std::string_view token);

}  // namespace cardcore::crypto
