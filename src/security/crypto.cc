// Thin wrappers over OpenSSL 3 and libsodium. Failures of the library itself (RNG, digest
// allocation) are not recoverable and abort; malformed input is an Error value.
#include "security/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace cardcore::crypto {
namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "cardcore: fatal: %s\n", what);
  std::abort();
}

// n characters drawn uniformly from `alphabet`, taking bytes from `next_byte`. A byte is used
// only when it falls below the largest multiple of the alphabet size, so no character is
// favoured (rejection sampling).
template <class NextByte>
std::string draw(std::string_view alphabet, size_t n, NextByte next_byte) {
  const unsigned limit = 256 - 256 % alphabet.size();
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    const unsigned char b = next_byte();
    if (b < limit) out.push_back(alphabet[b % alphabet.size()]);
  }
  return out;
}

// For secrets: every call asks RAND_bytes afresh, so no future secret waits in memory.
std::string random_from(std::string_view alphabet, size_t n) {
  std::string batch;
  size_t used = 0;
  return draw(alphabet, n, [&]() -> unsigned char {
    if (used == batch.size()) {
      batch = random_bytes(n + 8);
      used = 0;
    }
    return static_cast<unsigned char>(batch[used++]);
  });
}

constexpr std::string_view kUpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kDigits = "0123456789";

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &mac_len) == nullptr) {
    die("HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

std::unexpected<Error> bad_encoding(const char* what) {
  return fail(code::kInvalidParameter, std::string("invalid ") + what);
}

}  // namespace

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    die("RAND_bytes failed");
  }
  return out;
}

std::string random_upper_alnum(size_t n) { return random_from(kUpperAlnum, n); }

namespace {
// RAND_bytes costs about 17,000 instructions a call (measured with callgrind on an
// authorization, which makes four ids and codes): ids draw from a per-thread block of its output.
std::string random_id_from(std::string_view alphabet, size_t n) {
  thread_local std::array<unsigned char, 512> block;
  thread_local size_t used = block.size();
  return draw(alphabet, n, [&]() -> unsigned char {
    if (used == block.size()) {
      if (RAND_bytes(block.data(), static_cast<int>(block.size())) != 1) die("RAND_bytes failed");
      used = 0;
    }
    return block[used++];
  });
}
}  // namespace

std::string random_id_chars(size_t n) { return random_id_from(kUpperAlnum, n); }
std::string random_id_digits(size_t n) { return random_id_from(kDigits, n); }

std::string random_digits(size_t n) { return random_from(kDigits, n); }

std::string random_hex(size_t nbytes) { return to_hex(random_bytes(nbytes)); }

// SHA-256 and HMAC-SHA256 come from libsodium: OpenSSL 3 looks the algorithm up (a fetch under
// a lock, a context allocated and freed) on every one-shot call, about 6,000 instructions more
// than the hash of a token itself (callgrind, one bearer token per request). Same digests
// (tests/unit/security_crypto_test.cc checks the published vectors).
std::string sha256(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state st;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_memzero(&st, sizeof st);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}
std::string hmac_sha1(std::string_view key, std::string_view data) {
  return hmac(EVP_sha1(), key, data);
}
std::string hmac_sha512(std::string_view key, std::string_view data) {
  return hmac(EVP_sha512(), key, data);
}

std::string to_hex(std::string_view raw) {
  std::string out(raw.size() * 2 + 1, '\0');  // sodium_bin2hex writes a terminating NUL
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  out.pop_back();
  return out;
}

Result<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return bad_encoding("hex");
  std::string out(hex.size() / 2, '\0');
  size_t out_len = 0;
  const char* end = nullptr;
  // With `end` given, libsodium stops at the first non-hex character instead of failing;
  // insisting that it consumed everything refuses such input.
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &out_len, &end) != 0 ||
      end != hex.data() + hex.size() || out_len != out.size()) {
    return bad_encoding("hex");
  }
  return out;
}

std::string base64_encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');  // +1: EVP_EncodeBlock adds a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> base64_decode(std::string_view b64) {
  // EVP_DecodeBlock skips surrounding whitespace, does not look at '=' placement, and counts
  // padding as zero bytes, so the shape is checked here: whole quanta, alphabet characters,
  // and at most two '=' only at the very end.
  if (b64.size() % 4 != 0) return bad_encoding("Base64");
  if (b64.size() > static_cast<size_t>(INT32_MAX)) return bad_encoding("Base64");
  size_t padding = 0;
  while (padding < 2 && padding < b64.size() && b64[b64.size() - 1 - padding] == '=') ++padding;
  for (size_t i = 0; i < b64.size() - padding; ++i) {
    if (!is_base64_char(b64[i])) return bad_encoding("Base64");
  }
  if (b64.empty()) return std::string();
  std::string out(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return bad_encoding("Base64");
  out.resize(out.size() - padding);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Lengths are public (codes and digests have fixed sizes); only the contents are protected.
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string token_digest(std::string_view token) { return to_hex(sha256(token)); }

}  // namespace cardcore::crypto
