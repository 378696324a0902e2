#include "iso8583/codec.h"

#include <array>

namespace cardcore::iso8583 {
namespace {

using C = Charset;
using L = Length;

// ISO 8583:1987 definitions of the data elements cardcore uses (see docs/iso8583.md).
constexpr FieldSpec kSpecs[] = {
    {2, C::kNumeric, L::kLLVar, 19, "primary account number"},
    {3, C::kNumeric, L::kFixed, 6, "processing code"},
    {4, C::kNumeric, L::kFixed, 12, "amount, transaction (paise)"},
    {7, C::kNumeric, L::kFixed, 10, "transmission date and time MMDDhhmmss"},
    {11, C::kNumeric, L::kFixed, 6, "systems trace audit number"},
    {12, C::kNumeric, L::kFixed, 6, "local transaction time hhmmss"},
    {13, C::kNumeric, L::kFixed, 4, "local transaction date MMDD"},
    {14, C::kNumeric, L::kFixed, 4, "expiration date YYMM"},
    {18, C::kNumeric, L::kFixed, 4, "merchant category code"},
    {19, C::kNumeric, L::kFixed, 3, "acquiring institution country code"},
    {22, C::kNumeric, L::kFixed, 3, "POS entry mode"},
    {25, C::kNumeric, L::kFixed, 2, "POS condition code"},
    {32, C::kNumeric, L::kLLVar, 11, "acquiring institution id"},
    {37, C::kAlnum, L::kFixed, 12, "retrieval reference number"},
    {38, C::kAlnum, L::kFixed, 6, "authorization id response"},
    {39, C::kAlnum, L::kFixed, 2, "response code"},
    {41, C::kAlnumSpecial, L::kFixed, 8, "card acceptor terminal id"},
    {42, C::kAlnumSpecial, L::kFixed, 15, "card acceptor id"},
    {43, C::kAlnumSpecial, L::kFixed, 40, "card acceptor name/location"},
    {48, C::kAlnumSpecial, L::kLLLVar, 999, "additional data (CV2nnn)"},
    {49, C::kNumeric, L::kFixed, 3, "currency code, transaction"},
    {52, C::kBinary, L::kFixed, 8, "PIN data"},
    {54, C::kAlnum, L::kLLLVar, 120, "additional amounts"},
    {70, C::kNumeric, L::kFixed, 3, "network management information code"},
    {90, C::kNumeric, L::kFixed, 42, "original data elements"},
    {95, C::kAlnum, L::kFixed, 42, "replacement amounts"},
};

constexpr std::array<const FieldSpec*, 129> make_index() {
  std::array<const FieldSpec*, 129> index{};
  for (const FieldSpec& s : kSpecs) index[static_cast<size_t>(s.bit)] = &s;
  return index;
}
constexpr auto kIndex = make_index();

std::unexpected<Error> format_error(std::string message) {
  return fail(code::kInvalidParameter, "iso8583: " + std::move(message));
}

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool char_ok(C charset, unsigned char c) {
  switch (charset) {
    case C::kNumeric: return is_digit(c);
    case C::kAlnum: return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == ' ';
    case C::kAlnumSpecial: return c >= 0x20 && c <= 0x7e;
    case C::kBinary: return true;
  }
  return false;
}

size_t prefix_digits(L length) { return length == L::kLLVar ? 2 : length == L::kLLLVar ? 3 : 0; }

// Checks a value against its spec (length and characters); used by both directions.
Status check_value(const FieldSpec& s, std::string_view v) {
  std::string where = "field " + std::to_string(s.bit) + " (" + s.name + "): ";
  if (s.length == L::kFixed) {
    if (v.size() != s.max_length) {
      return format_error(where + "length " + std::to_string(v.size()) + ", expected " +
                          std::to_string(s.max_length));
    }
  } else if (v.size() > s.max_length) {
    return format_error(where + "length " + std::to_string(v.size()) + " over " + std::to_string(s.max_length));
  }
  for (unsigned char c : v) {
    if (!char_ok(s.charset, c)) return format_error(where + "character outside its class");
  }
  return {};
}

bool valid_mti(std::string_view m) {
  return m.size() == 4 && m[0] == '0' && is_digit(static_cast<unsigned char>(m[1])) &&
         is_digit(static_cast<unsigned char>(m[2])) && is_digit(static_cast<unsigned char>(m[3]));
}

}  // namespace

const FieldSpec* field_spec(int bit) {
  if (bit < 0 || bit > 128) return nullptr;
  return kIndex[static_cast<size_t>(bit)];
}

const std::string& Message::get(int bit) const {
  static const std::string kEmpty;
  auto it = fields.find(bit);
  return it == fields.end() ? kEmpty : it->second;
}

Result<Message> decode(std::string_view bytes) {
  if (bytes.size() > kMaxMessageBytes) return format_error("message over " + std::to_string(kMaxMessageBytes) + " bytes");
  if (bytes.size() < 4 + 8) return format_error("message shorter than MTI + bitmap");
  Message m;
  m.mti = std::string(bytes.substr(0, 4));
  if (!valid_mti(m.mti)) return format_error("bad MTI");
  size_t pos = 4;
  std::array<unsigned char, 16> bitmap{};
  for (size_t i = 0; i < 8; ++i) bitmap[i] = static_cast<unsigned char>(bytes[pos + i]);
  pos += 8;
  bool secondary = (bitmap[0] & 0x80) != 0;
  if (secondary) {
    if (bytes.size() < pos + 8) return format_error("secondary bitmap truncated");
    for (size_t i = 0; i < 8; ++i) bitmap[8 + i] = static_cast<unsigned char>(bytes[pos + i]);
    pos += 8;
    if (bitmap[8] & 0x80) return format_error("bit 65 (tertiary bitmap) is not supported");
  }
  const int last_bit = secondary ? 128 : 64;
  for (int bit = 2; bit <= last_bit; ++bit) {
    size_t i = static_cast<size_t>(bit - 1);
    if (!(bitmap[i / 8] & (0x80 >> (i % 8)))) continue;
    const FieldSpec* s = field_spec(bit);
    if (!s) return format_error("bit " + std::to_string(bit) + " is set but not supported");
    size_t len = s->max_length;
    if (size_t digits = prefix_digits(s->length)) {
      if (bytes.size() - pos < digits) return format_error("field " + std::to_string(bit) + ": length prefix truncated");
      len = 0;
      for (size_t k = 0; k < digits; ++k) {
        unsigned char c = static_cast<unsigned char>(bytes[pos + k]);
        if (!is_digit(c)) return format_error("field " + std::to_string(bit) + ": bad length prefix");
        len = len * 10 + (c - '0');
      }
      pos += digits;
      if (len > s->max_length) {
        return format_error("field " + std::to_string(bit) + ": length " + std::to_string(len) + " over " +
                            std::to_string(s->max_length));
      }
    }
    if (bytes.size() - pos < len) return format_error("field " + std::to_string(bit) + ": runs past the end");
    std::string_view v = bytes.substr(pos, len);
    CC_RETURN_IF_ERROR(check_value(*s, v));
    m.fields.emplace(bit, std::string(v));
    pos += len;
  }
  if (pos != bytes.size()) return format_error(std::to_string(bytes.size() - pos) + " trailing bytes");
  return m;
}

Result<std::string> encode(const Message& m) {
  if (!valid_mti(m.mti)) return format_error("bad MTI");
  std::array<unsigned char, 16> bitmap{};
  bool secondary = false;
  for (const auto& [bit, value] : m.fields) {
    const FieldSpec* s = field_spec(bit);
    if (!s) return format_error("field " + std::to_string(bit) + " is not supported");
    CC_RETURN_IF_ERROR(check_value(*s, value));
    size_t i = static_cast<size_t>(bit - 1);
    bitmap[i / 8] |= static_cast<unsigned char>(0x80 >> (i % 8));
    if (bit > 64) secondary = true;
  }
  if (secondary) bitmap[0] |= 0x80;
  std::string out = m.mti;
  out.append(reinterpret_cast<const char*>(bitmap.data()), secondary ? 16 : 8);
  for (const auto& [bit, value] : m.fields) {  // std::map: ascending bit order
    const FieldSpec* s = field_spec(bit);
    if (size_t digits = prefix_digits(s->length)) {
      std::string len = std::to_string(value.size());
      out.append(digits - len.size(), '0');
      out += len;
    }
    out += value;
  }
  if (out.size() > kMaxMessageBytes) return format_error("message over " + std::to_string(kMaxMessageBytes) + " bytes");
  return out;
}

std::optional<std::string> readable_request_mti(std::string_view bytes) {
  if (bytes.size() < 4) return std::nullopt;
  std::string mti(bytes.substr(0, 4));
  if (!valid_mti(mti) || (mti[2] != '0' && mti[2] != '2')) return std::nullopt;
  return mti;
}

std::string response_mti(std::string_view request_mti) {
  std::string r(request_mti);
  if (r.size() == 4 && (r[2] == '0' || r[2] == '2')) r[2] = static_cast<char>(r[2] + 1);
  return r;
}

std::string frame(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 2);
  out += static_cast<char>((message.size() >> 8) & 0xff);
  out += static_cast<char>(message.size() & 0xff);
  out += message;
  return out;
}

size_t frame_length(std::string_view header) {
  return (static_cast<size_t>(static_cast<unsigned char>(header[0])) << 8) |
         static_cast<unsigned char>(header[1]);
}

}  // namespace cardcore::iso8583
