// AES-128-ECB with PKCS#7 padding, as EnKash clients produce it. Every decryption failure gives
// the same error, so that a caller cannot tell bad Base64 from bad padding (no padding oracle
// beyond what ECB already gives away).
#include "security/payload_crypto.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "security/crypto.h"

namespace cardcore::payload_crypto {
namespace {

constexpr size_t kKeyBytes = 16;
constexpr size_t kBlockBytes = 16;
constexpr size_t kMaxCiphertextBytes = 16 * 1024 * 1024;  // above any request body we accept

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "cardcore: fatal: payload_crypto: %s\n", what);
  std::abort();
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) die("EVP_CIPHER_CTX_new failed");
  return ctx;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::unexpected<Error> invalid_request() {
  return fail(code::kInvalidParameter, "Invalid encrypted request");
}

}  // namespace

std::string derive_key(std::string_view client_secret) {
  return crypto::sha256(client_secret).substr(0, kKeyBytes);
}

std::string encrypt_to_base64(std::string_view key16, std::string_view plaintext) {
  if (key16.size() != kKeyBytes) die("encrypt: key must be 16 bytes");
  if (plaintext.size() > kMaxCiphertextBytes) die("encrypt: plaintext over limit");
  // PKCS#7 always adds 1..16 bytes.
  std::string ciphertext(plaintext.size() / kBlockBytes * kBlockBytes + kBlockBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(ciphertext.data());
  CipherCtx ctx = new_ctx();
  int len = 0;
  int final_len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, bytes(key16), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &final_len) != 1 ||
      static_cast<size_t>(len + final_len) != ciphertext.size()) {
    die("AES-128-ECB encryption failed");
  }
  return crypto::base64_encode(ciphertext);
}

Result<std::string> decrypt_from_base64(std::string_view key16, std::string_view b64) {
  if (key16.size() != kKeyBytes) die("decrypt: key must be 16 bytes");
  if (b64.size() > kMaxCiphertextBytes / 3 * 4 + 4) return invalid_request();
  Result<std::string> ciphertext = crypto::base64_decode(b64);
  if (!ciphertext || ciphertext->empty() || ciphertext->size() % kBlockBytes != 0) {
    return invalid_request();
  }
  std::string plaintext(ciphertext->size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  CipherCtx ctx = new_ctx();
  int len = 0;
  int final_len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, bytes(key16), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, bytes(*ciphertext),
                        static_cast<int>(ciphertext->size())) != 1) {
    die("AES-128-ECB decryption setup failed");
  }
  // Final checks the PKCS#7 padding.
  if (EVP_DecryptFinal_ex(ctx.get(), out + len, &final_len) != 1) return invalid_request();
  plaintext.resize(static_cast<size_t>(len + final_len));
  return plaintext;
}

}  // namespace cardcore::payload_crypto
