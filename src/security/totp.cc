// HOTP/TOTP over the HMACs in crypto.h. Base32 and the otpauth percent-encoding are written here
// because neither OpenSSL nor libsodium offers them and each is a dozen lines.
#include "security/totp.h"

#include <cstdio>
#include <cstdlib>

#include "security/crypto.h"

namespace cardcore::totp {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int kVerifyDigits = 6;  // what otpauth_uri advertises to authenticator apps
constexpr int kVerifyStepSeconds = 30;
constexpr int kMaxWindow = 10;  // ±5 minutes; wider would make guessing cheap

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "cardcore: fatal: totp: %s\n", what);
  std::abort();
}

// Value of a Base32 character, case-insensitive; -1 when outside the alphabet.
int base32_value(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// RFC 3986 unreserved characters stay, everything else becomes %XX (so ':' in an issuer cannot
// split the label, and '&' cannot start a new query parameter).
std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// floor((t - 0) / step) for any sign of t; times before 1970 map to counter 0.
uint64_t counter_at(int64_t unix_seconds, int step_seconds) {
  if (step_seconds <= 0) die("step_seconds must be positive");
  if (unix_seconds < 0) return 0;
  return static_cast<uint64_t>(unix_seconds / step_seconds);
}

}  // namespace

std::string hotp(std::string_view key, uint64_t counter, int digits, Algorithm alg) {
  if (digits < 6 || digits > 8) die("digits must be 6..8");
  std::string message(8, '\0');
  for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<char>(counter & 0xFF);
  std::string mac;
  switch (alg) {
    case Algorithm::kSha1:
      mac = crypto::hmac_sha1(key, message);
      break;
    case Algorithm::kSha256:
      mac = crypto::hmac_sha256(key, message);
      break;
    case Algorithm::kSha512:
      mac = crypto::hmac_sha512(key, message);
      break;
  }
  // RFC 4226 §5.3 dynamic truncation: 31 bits starting at the offset in the last nibble.
  const size_t offset = static_cast<unsigned char>(mac.back()) & 0x0F;
  const auto byte_at = [&mac](size_t i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(mac[i]));
  };
  const uint32_t binary = (byte_at(offset) & 0x7F) << 24 | byte_at(offset + 1) << 16 |
                          byte_at(offset + 2) << 8 | byte_at(offset + 3);
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

std::string code_at(std::string_view key, int64_t unix_seconds, int digits, Algorithm alg,
                    int step_seconds) {
  return hotp(key, counter_at(unix_seconds, step_seconds), digits, alg);
}

bool verify(std::string_view key, std::string_view code, int64_t unix_seconds, int window) {
  if (code.size() != static_cast<size_t>(kVerifyDigits)) return false;
  if (window < 0 || window > kMaxWindow) die("window out of range");
  const uint64_t now = counter_at(unix_seconds, kVerifyStepSeconds);
  // Try every step of the window without stopping early, so timing does not reveal which matched.
  bool matched = false;
  for (int delta = -window; delta <= window; ++delta) {
    if (delta < 0 && now < static_cast<uint64_t>(-delta)) continue;
    const uint64_t counter = now + static_cast<uint64_t>(static_cast<int64_t>(delta));
    matched |= crypto::constant_time_equal(hotp(key, counter, kVerifyDigits), code);
  }
  return matched;
}

std::string base32_encode(std::string_view raw) {
  std::string out;
  out.reserve((raw.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 0x1F]);
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1F]);
  return out;
}

Result<std::string> base32_decode(std::string_view text) {
  const auto bad = [] { return fail(code::kInvalidParameter, "invalid Base32"); };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  // A final quantum of 1, 3 or 6 characters cannot come from whole bytes.
  const size_t tail = text.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6) return bad();
  std::string out;
  out.reserve(text.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base32_value(c);
    if (value < 0) return bad();
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view key) {
  const std::string encoded_issuer = percent_encode(issuer);
  return "otpauth://totp/" + encoded_issuer + ":" + percent_encode(account) +
         "?secret=" + base32_encode(key) + "&issuer=" + encoded_issuer +
         "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace cardcore::totp
