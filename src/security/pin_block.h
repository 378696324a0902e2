// ISO 9564-1 format 0 PIN blocks, encrypted with triple DES under a zone PIN key (ZPK), as they
// arrive in ISO 8583 field 52.
//
//   PIN field  = 0 | n | n PIN digits | 'F' padding            (16 nibbles, n = 4..12)
//   PAN field  = 0000 | the 12 rightmost PAN digits without the check digit
//   clear block = PIN field XOR PAN field;  field 52 = 3DES-ECB(ZPK, clear block)
//
// The ZPK is double length (16 bytes: DES-EDE, K1 K2 K1) or triple length (24 bytes: DES-EDE3),
// given as 32 or 48 hex characters. Its key check value (KCV: the first 3 bytes of the zero
// block encrypted under it) identifies it in logs and in key exchange without revealing it.
#pragma once

#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore::pin_block {

inline constexpr size_t kBlockBytes = 8;
inline constexpr size_t kMinPinDigits = 4, kMaxPinDigits = 12;

// The 8-byte clear format-0 block. Refuses a PIN that is not 4..12 digits and a PAN that is not
// 13..19 digits (12 digits besides the check digit are needed).
Result<std::string> format0_encode(std::string_view pin, std::string_view pan);
// The PIN digits of a clear format-0 block. Refuses a block that is not 8 bytes, whose format
// nibble is not 0, whose length is not 4..12, whose PIN nibbles are not digits or whose padding
// nibbles are not F.
Result<std::string> format0_decode(std::string_view clear_block, std::string_view pan);

class ZonePinKey {
 public:
  // From 32 or 48 hex characters (whitespace around them ignored).
  static Result<ZonePinKey> from_hex(std::string_view hex);

  // 3DES-ECB of one 8-byte block, no padding.
  Result<std::string> encrypt_block(std::string_view block) const;
  Result<std::string> decrypt_block(std::string_view block) const;

  // Field 52 for a PIN and a PAN, and back.
  Result<std::string> encrypt_pin(std::string_view pin, std::string_view pan) const;
  Result<std::string> decrypt_pin(std::string_view encrypted_block, std::string_view pan) const;

  // Key check value: 6 upper-case hex characters.
  std::string check_value() const;

 private:
  std::string key_;  // 16 or 24 raw bytes
};

}  // namespace cardcore::pin_block
