#include "security/pin_block.h"

#include <openssl/evp.h>

#include <cctype>
#include <memory>

#include "security/crypto.h"

namespace cardcore::pin_block {
namespace {

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::unexpected<Error> pin_error(std::string message) {
  return fail(code::kInvalidParameter, "pin block: " + std::move(message), "pinBlock");
}

// 0000 + the 12 rightmost PAN digits excluding the check digit, as 8 bytes.
Result<std::string> pan_field(std::string_view pan) {
  if (pan.size() < 13 || pan.size() > 19 || !all_digits(pan)) return pin_error("PAN must be 13..19 digits");
  std::string_view digits = pan.substr(pan.size() - 13, 12);
  std::string out(kBlockBytes, '\0');
  for (size_t i = 0; i < 12; ++i) {
    size_t nib = 4 + i;
    unsigned v = static_cast<unsigned>(digits[i] - '0');
    out[nib / 2] = static_cast<char>(static_cast<unsigned char>(out[nib / 2]) | (nib % 2 ? v : v << 4));
  }
  return out;
}

Result<std::string> tdes_ecb(const std::string& key, std::string_view block, bool encrypt) {
  if (block.size() != kBlockBytes) return pin_error("a block is 8 bytes");
  const EVP_CIPHER* cipher = key.size() == 16 ? EVP_des_ede_ecb() : EVP_des_ede3_ecb();
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  unsigned char out[kBlockBytes + 8];
  int n = 0;
  if (!ctx || EVP_CipherInit_ex(ctx.get(), cipher, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                                nullptr, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out, &n, reinterpret_cast<const unsigned char*>(block.data()),
                       static_cast<int>(block.size())) != 1 ||
      n != static_cast<int>(kBlockBytes)) {
    return internal_error("pin block: 3DES failed");
  }
  return std::string(reinterpret_cast<char*>(out), kBlockBytes);
}

}  // namespace

Result<std::string> format0_encode(std::string_view pin, std::string_view pan) {
  if (pin.size() < kMinPinDigits || pin.size() > kMaxPinDigits || !all_digits(pin)) {
    return pin_error("PIN must be 4..12 digits");
  }
  CC_ASSIGN_OR_RETURN(std::string p, pan_field(pan));
  unsigned char nibbles[16];
  nibbles[0] = 0;
  nibbles[1] = static_cast<unsigned char>(pin.size());
  for (size_t i = 0; i < 14; ++i) nibbles[2 + i] = i < pin.size() ? static_cast<unsigned char>(pin[i] - '0') : 0xF;
  std::string out(kBlockBytes, '\0');
  for (size_t i = 0; i < kBlockBytes; ++i) {
    out[i] = static_cast<char>(((nibbles[2 * i] << 4) | nibbles[2 * i + 1]) ^ static_cast<unsigned char>(p[i]));
  }
  return out;
}

Result<std::string> format0_decode(std::string_view clear_block, std::string_view pan) {
  if (clear_block.size() != kBlockBytes) return pin_error("a block is 8 bytes");
  CC_ASSIGN_OR_RETURN(std::string p, pan_field(pan));
  unsigned char nibbles[16];
  for (size_t i = 0; i < kBlockBytes; ++i) {
    unsigned char b = static_cast<unsigned char>(clear_block[i]) ^ static_cast<unsigned char>(p[i]);
    nibbles[2 * i] = b >> 4;
    nibbles[2 * i + 1] = b & 0xF;
  }
  if (nibbles[0] != 0) return pin_error("not format 0");
  size_t n = nibbles[1];
  if (n < kMinPinDigits || n > kMaxPinDigits) return pin_error("PIN length outside 4..12");
  std::string pin;
  for (size_t i = 0; i < 14; ++i) {
    unsigned char v = nibbles[2 + i];
    if (i < n) {
      if (v > 9) return pin_error("PIN digit not decimal");
      pin += static_cast<char>('0' + v);
    } else if (v != 0xF) {
      return pin_error("padding not F");
    }
  }
  return pin;
}

Result<ZonePinKey> ZonePinKey::from_hex(std::string_view hex) {
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  if (hex.size() != 32 && hex.size() != 48) {
    return fail(code::kInvalidParameter, "zone PIN key: must be 32 or 48 hex characters", "zpk");
  }
  auto raw = crypto::from_hex(hex);
  if (!raw) return fail(code::kInvalidParameter, "zone PIN key: not hex", "zpk");
  ZonePinKey k;
  k.key_ = std::move(*raw);
  return k;
}

Result<std::string> ZonePinKey::encrypt_block(std::string_view block) const { return tdes_ecb(key_, block, true); }
Result<std::string> ZonePinKey::decrypt_block(std::string_view block) const { return tdes_ecb(key_, block, false); }

Result<std::string> ZonePinKey::encrypt_pin(std::string_view pin, std::string_view pan) const {
  CC_ASSIGN_OR_RETURN(std::string clear, format0_encode(pin, pan));
  return encrypt_block(clear);
}

Result<std::string> ZonePinKey::decrypt_pin(std::string_view encrypted_block, std::string_view pan) const {
  CC_ASSIGN_OR_RETURN(std::string clear, decrypt_block(encrypted_block));
  return format0_decode(clear, pan);
}

std::string ZonePinKey::check_value() const {
  auto enc = encrypt_block(std::string(kBlockBytes, '\0'));
  if (!enc) return "";
  std::string hex = crypto::to_hex(enc->substr(0, 3));
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hex;
}

}  // namespace cardcore::pin_block
