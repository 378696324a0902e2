// ISO 8583 (1987) codec for the card network interface (docs/api.md, ISO 8583 interface): the subset of data
// elements cardcore uses, encoded as the contract fixes it — ASCII MTI, binary primary bitmap,
// binary secondary bitmap when bit 1 is set, numeric/alphanumeric fields in ASCII, LLVAR/LLLVAR
// with ASCII decimal length prefixes, field 52 as 8 raw bytes — and the 2-byte big-endian length
// framing used on TCP.
//
// Invariant: decode() accepts exactly what encode() can produce for the fields in the table
// (plus a secondary bitmap that happens to be all zero), so every accepted message re-encodes.
// Nothing outside the table is accepted: an unknown bit is a format error, never skipped, because
// its length is unknown.
//
// Hand-written because no packaged C++ ISO 8583 library exists in Debian; the table is the
// whole specification and small enough to read at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore::iso8583 {

// Limits (TigerBeetle style: everything bounded).
inline constexpr size_t kMaxMessageBytes = 8 * 1024;  // one message, without the 2-byte prefix
inline constexpr size_t kFrameHeaderBytes = 2;

// Content classes of ISO 8583:1987.
enum class Charset {
  kNumeric,       // n: '0'..'9'
  kAlnum,         // an: letters, digits (and space, for the right-padding networks use)
  kAlnumSpecial,  // ans: printable ASCII 0x20..0x7e
  kBinary,        // b: raw bytes
};
enum class Length { kFixed, kLLVar, kLLLVar };

struct FieldSpec {
  int bit = 0;
  Charset charset = Charset::kNumeric;
  Length length = Length::kFixed;
  size_t max_length = 0;  // exact length when fixed; the maximum for LLVAR/LLLVAR
  const char* name = "";
};

// The spec of a data element, or nullptr when cardcore does not use it.
const FieldSpec* field_spec(int bit);

// Data elements used by cardcore (field numbers, for readability at call sites).
namespace f {
inline constexpr int kPan = 2, kProcessingCode = 3, kAmount = 4, kTransmissionTime = 7, kStan = 11,
                     kLocalTime = 12, kLocalDate = 13, kExpiry = 14, kMcc = 18, kAcquirerCountry = 19,
                     kPosEntryMode = 22, kPosCondition = 25, kAcquirerId = 32, kRrn = 37, kAuthCode = 38,
                     kResponseCode = 39, kTerminalId = 41, kMerchantId = 42, kMerchantNameLocation = 43,
                     kAdditionalData = 48, kCurrency = 49, kPinData = 52, kAdditionalAmounts = 54,
                     kNetworkMgmtCode = 70, kOriginalData = 90, kReplacementAmounts = 95;
}

struct Message {
  std::string mti;                   // 4 ASCII digits, e.g. "0100"
  std::map<int, std::string> fields;  // bit -> value (digits/text; raw bytes for field 52)

  bool has(int bit) const { return fields.count(bit) != 0; }
  // The value, or "" when absent.
  const std::string& get(int bit) const;
  void set(int bit, std::string value) { fields[bit] = std::move(value); }
  bool operator==(const Message&) const = default;
};

// Parses one message (the bytes after the length prefix). Refuses: a size over kMaxMessageBytes,
// a bad MTI (not 4 digits, version not 0), a bit outside the table, a bad length prefix, a
// character outside the field's class, a field that runs past the end, trailing bytes.
Result<Message> decode(std::string_view bytes);

// Builds the bytes of a message (without the length prefix), validating every field against the
// table as decode() would; the bitmap follows from the fields present (bit 1 set when any field
// 65..128 is). Refuses a message that would be over kMaxMessageBytes.
Result<std::string> encode(const Message& m);

// The MTI of bytes that may not decode, when its first 4 bytes are a well-formed MTI of a request
// or an advice (function digit 0 or 2): the server answers such a message with a format error
// (response MTI = MTI + 10, field 39 "30"); otherwise it closes the connection.
std::optional<std::string> readable_request_mti(std::string_view bytes);

// The response MTI for a request/advice MTI ("0100" -> "0110", "0420" -> "0430").
std::string response_mti(std::string_view request_mti);

// Framing: 2-byte big-endian length (not counting itself) + message.
std::string frame(std::string_view message);
// The length announced by a 2-byte header. Precondition: header.size() >= 2.
size_t frame_length(std::string_view header);

}  // namespace cardcore::iso8583
