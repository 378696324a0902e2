// HOTP (RFC 4226) and TOTP (RFC 6238) one-time codes, and Base32 (RFC 4648) for otpauth:// URIs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore::totp {

enum class Algorithm { kSha1, kSha256, kSha512 };

// RFC 4226 dynamic truncation, `digits` in 6..8, zero-padded decimal.
std::string hotp(std::string_view key, uint64_t counter, int digits = 6,
                 Algorithm alg = Algorithm::kSha1);
// RFC 6238: counter = floor((unix_seconds - t0) / step_seconds).
std::string code_at(std::string_view key, int64_t unix_seconds, int digits = 6,
                    Algorithm alg = Algorithm::kSha1, int step_seconds = 30);
// Accepts the code of the current step or of `window` steps either side; constant-time compare.
bool verify(std::string_view key, std::string_view code, int64_t unix_seconds, int window = 1);

std::string base32_encode(std::string_view raw);  // upper case, no padding
Result<std::string> base32_decode(std::string_view text);  // case-insensitive, padding optional

// otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view key);

}  // namespace cardcore::totp
