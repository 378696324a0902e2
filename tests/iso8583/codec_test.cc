// The ISO 8583 codec: every field of the table round-trips (at its limits), the bitmap layout is
// the contract's (binary primary, secondary when bit 1), and each class of malformed input is
// refused rather than read past or guessed at.
#include <gtest/gtest.h>

#include <string>

#include "iso8583/codec.h"

namespace cardcore::iso8583 {
namespace {

using std::string;

// A value of the right class and `n` characters.
string sample(const FieldSpec& s, size_t n) {
  string v;
  for (size_t i = 0; i < n; ++i) {
    switch (s.charset) {
      case Charset::kNumeric: v += static_cast<char>('0' + (i * 7 + 3) % 10); break;
      case Charset::kAlnum: v += "A1b2 Z9"[i % 7]; break;
      case Charset::kAlnumSpecial: v += "Ab 9-/.,#&*~"[i % 12]; break;
      case Charset::kBinary: v += static_cast<char>((i * 37 + 250) & 0xff); break;
    }
  }
  return v;
}

const int kBits[] = {2, 3, 4, 7, 11, 12, 13, 14, 18, 19, 22, 25, 32, 37, 38, 39, 41, 42, 43, 48, 49, 52, 54, 70, 90, 95};

Message round_trip(const Message& m) {
  auto bytes = encode(m);
  EXPECT_TRUE(bytes.has_value()) << (bytes ? "" : bytes.error().message);
  if (!bytes) return {};
  auto back = decode(*bytes);
  EXPECT_TRUE(back.has_value()) << (back ? "" : back.error().message);
  return back ? *back : Message{};
}

TEST(Iso8583Codec, EveryFieldRoundTripsAtItsLimits) {
  for (int bit : kBits) {
    const FieldSpec* s = field_spec(bit);
    ASSERT_NE(s, nullptr) << bit;
    std::vector<size_t> lengths = {s->max_length};
    if (s->length != Length::kFixed) lengths = {0, 1, s->max_length / 2, s->max_length};
    for (size_t n : lengths) {
      Message m{"0100", {{bit, sample(*s, n)}}};
      EXPECT_EQ(round_trip(m), m) << "field " << bit << " length " << n;
    }
  }
}

TEST(Iso8583Codec, AllFieldsTogetherRoundTrip) {
  Message m{"0200", {}};
  for (int bit : kBits) m.set(bit, sample(*field_spec(bit), field_spec(bit)->length == Length::kFixed ? field_spec(bit)->max_length : 5));
  EXPECT_EQ(round_trip(m), m);
}

TEST(Iso8583Codec, KnownBytesOfASmallMessage) {
  Message m{"0800", {{7, "0131235959"}, {11, "000001"}, {70, "301"}}};
  auto bytes = encode(m);
  ASSERT_TRUE(bytes);
  // MTI, primary bitmap with bit 1 (secondary), 7 and 11; secondary with bit 70.
  string expected = "0800";
  expected += string("\x82\x20\x00\x00\x00\x00\x00\x00", 8);
  expected += string("\x04\x00\x00\x00\x00\x00\x00\x00", 8);
  expected += "0131235959000001301";
  EXPECT_EQ(*bytes, expected);
}

TEST(Iso8583Codec, PrimaryOnlyHasNoSecondaryBitmap) {
  Message m{"0100", {{2, "4111111111111111"}, {4, "000000001000"}}};
  auto bytes = encode(m);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->substr(4, 8), string("\x50\x00\x00\x00\x00\x00\x00\x00", 8));
  EXPECT_EQ(bytes->substr(12), "164111111111111111000000001000");
}

TEST(Iso8583Codec, LllvarPrefixIsThreeDigits) {
  Message m{"0110", {{54, "0002356C000000010000"}}};
  auto bytes = encode(m);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->substr(12), "0200002356C000000010000");
}

TEST(Iso8583Codec, PinDataIsRawBinary) {
  string pin("\x00\xff\x10\x80\x7f\x01\xfe\x00", 8);
  Message m{"0100", {{52, pin}}};
  EXPECT_EQ(round_trip(m).get(52), pin);
}

TEST(Iso8583Codec, EncodeRefusesInvalidFields) {
  EXPECT_FALSE(encode({"0100", {{4, "12345"}}}));             // fixed length wrong
  EXPECT_FALSE(encode({"0100", {{4, "00000000100A"}}}));      // non-digit in n
  EXPECT_FALSE(encode({"0100", {{2, string(20, '4')}}}));     // LLVAR over max
  EXPECT_FALSE(encode({"0100", {{41, string("TERM\x01" "001", 8)}}}));  // control char in ans
  EXPECT_FALSE(encode({"0100", {{5, "000000000100"}}}));      // unknown field
  EXPECT_FALSE(encode({"0100", {{1, ""}}}));                  // bit 1 is the bitmap, not a field
  EXPECT_FALSE(encode({"010", {}}));                          // bad MTI
  EXPECT_FALSE(encode({"1100", {}}));                         // not version 1987
  EXPECT_FALSE(encode({"0100", {{52, "1234567"}}}));          // b8 with 7 bytes
}

string valid_0100() {
  Message m{"0100", {{2, "4111111111111111"}, {3, "000000"}, {4, "000000001000"}, {11, "123456"},
                     {41, "TERM0001"}, {70, "001"}}};
  return *encode(m);
}

TEST(Iso8583Codec, DecodeRefusesMalformedInput) {
  string good = valid_0100();
  ASSERT_TRUE(decode(good));
  EXPECT_FALSE(decode(""));
  EXPECT_FALSE(decode("0100"));
  EXPECT_FALSE(decode("01A0" + good.substr(4)));                      // bad MTI
  EXPECT_FALSE(decode(good.substr(0, good.size() - 1)));              // truncated last field
  EXPECT_FALSE(decode(good + "X"));                                   // trailing byte
  EXPECT_FALSE(decode(good.substr(0, 4 + 8 + 4)));                    // secondary bitmap truncated
  string unknown = good;
  unknown[4] = static_cast<char>(static_cast<unsigned char>(unknown[4]) | 0x08);  // bit 5
  EXPECT_FALSE(decode(unknown));
  string tertiary = good;
  tertiary[12] = static_cast<char>(static_cast<unsigned char>(tertiary[12]) | 0x80);  // bit 65
  EXPECT_FALSE(decode(tertiary));
  string bad_prefix = good;
  bad_prefix[4 + 16] = 'x';  // LL of field 2
  EXPECT_FALSE(decode(bad_prefix));
  string over_max = good;
  over_max.replace(4 + 16, 2, "20");  // PAN length 20 > 19
  EXPECT_FALSE(decode(over_max));
  string non_digit = good;
  non_digit[4 + 16 + 2 + 16 + 6 + 3] = 'Z';  // inside field 4
  EXPECT_FALSE(decode(non_digit));
  EXPECT_FALSE(decode(string(kMaxMessageBytes + 1, '0')));
}

TEST(Iso8583Codec, DecodeAcceptsAnEmptySecondaryBitmap) {
  string bytes = "0800";
  bytes += string("\x80\x20\x00\x00\x00\x00\x00\x00", 8);
  bytes += string(8, '\0');
  bytes += "000001";
  auto m = decode(bytes);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->get(11), "000001");
}

TEST(Iso8583Codec, MaximumSizeMessage) {
  Message m{"0100", {{48, string(999, 'x')}}};
  auto bytes = encode(m);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(round_trip(m), m);
}

TEST(Iso8583Codec, ReadableRequestMtiAndResponseMti) {
  EXPECT_EQ(readable_request_mti("0100garbage").value_or(""), "0100");
  EXPECT_EQ(readable_request_mti("0420").value_or(""), "0420");
  EXPECT_FALSE(readable_request_mti("0110xx"));  // a response is never answered
  EXPECT_FALSE(readable_request_mti("01"));
  EXPECT_FALSE(readable_request_mti("\x01\x02\x03\x04"));
  EXPECT_EQ(response_mti("0100"), "0110");
  EXPECT_EQ(response_mti("0200"), "0210");
  EXPECT_EQ(response_mti("0120"), "0130");
  EXPECT_EQ(response_mti("0400"), "0410");
  EXPECT_EQ(response_mti("0420"), "0430");
  EXPECT_EQ(response_mti("0800"), "0810");
}

TEST(Iso8583Codec, FramingIsTwoByteBigEndian) {
  string body(300, 'a');
  string f = frame(body);
  ASSERT_EQ(f.size(), 302u);
  EXPECT_EQ(static_cast<unsigned char>(f[0]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>(f[1]), 0x2c);
  EXPECT_EQ(frame_length(f), 300u);
  EXPECT_EQ(frame_length(string("\xff\xff", 2)), 65535u);
}

}  // namespace
}  // namespace cardcore::iso8583
