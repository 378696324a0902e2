// ISO 9564 format 0 PIN blocks under a zone PIN key. The known-answer vectors were derived
// independently of this code: the clear blocks by hand (PIN field XOR PAN field), the encrypted
// ones with the OpenSSL command line, e.g.
//   echo 041225EEEEEEEEEE | xxd -r -p | openssl enc -des-ede -K 0123456789ABCDEFFEDCBA9876543210 -nopad | xxd -p
#include <gtest/gtest.h>

#include "security/crypto.h"
#include "security/pin_block.h"

namespace cardcore::pin_block {
namespace {

const char* kDoubleKey = "0123456789ABCDEFFEDCBA9876543210";
const char* kTripleKey = "0123456789ABCDEFFEDCBA987654321089ABCDEF01234567";

std::string hex(const std::string& raw) { return crypto::to_hex(raw); }
std::string raw(const std::string& h) { return *crypto::from_hex(h); }

TEST(PinBlock, Format0ClearBlockKnownAnswers) {
  auto b = format0_encode("1234", "4111111111111111");
  ASSERT_TRUE(b);
  EXPECT_EQ(hex(*b), "041225eeeeeeeeee");
  auto b12 = format0_encode("987654321098", "6521501234567890128");
  ASSERT_TRUE(b12);
  EXPECT_EQ(hex(*b12), "0c986460646808ed");
  EXPECT_EQ(format0_decode(*b, "4111111111111111").value_or(""), "1234");
  EXPECT_EQ(format0_decode(*b12, "6521501234567890128").value_or(""), "987654321098");
}

TEST(PinBlock, EncryptedKnownAnswers) {
  auto k2 = ZonePinKey::from_hex(kDoubleKey);
  ASSERT_TRUE(k2);
  EXPECT_EQ(hex(*k2->encrypt_pin("1234", "4111111111111111")), "2a3d408a1977dde9");
  EXPECT_EQ(k2->decrypt_pin(raw("2a3d408a1977dde9"), "4111111111111111").value_or(""), "1234");
  EXPECT_EQ(k2->check_value(), "08D7B4");
  auto k3 = ZonePinKey::from_hex(kTripleKey);
  ASSERT_TRUE(k3);
  EXPECT_EQ(hex(*k3->encrypt_pin("1234", "4111111111111111")), "6a953d63752e5e1b");
  EXPECT_EQ(k3->decrypt_pin(raw("6a953d63752e5e1b"), "4111111111111111").value_or(""), "1234");
}

TEST(PinBlock, RoundTripsEveryLength) {
  auto k = ZonePinKey::from_hex(kDoubleKey);
  ASSERT_TRUE(k);
  std::string pin;
  for (size_t n = 4; n <= 12; ++n) {
    pin = std::string("918273645501").substr(0, n);
    auto block = k->encrypt_pin(pin, "6521500000000001");
    ASSERT_TRUE(block) << n;
    EXPECT_EQ(block->size(), 8u);
    EXPECT_EQ(k->decrypt_pin(*block, "6521500000000001").value_or(""), pin);
  }
}

TEST(PinBlock, RefusesBadInput) {
  EXPECT_FALSE(format0_encode("123", "4111111111111111"));
  EXPECT_FALSE(format0_encode("1234567890123", "4111111111111111"));
  EXPECT_FALSE(format0_encode("12a4", "4111111111111111"));
  EXPECT_FALSE(format0_encode("1234", "411111111111"));   // PAN too short
  EXPECT_FALSE(format0_encode("1234", "41111111111111x1"));
  EXPECT_FALSE(format0_decode("1234567", "4111111111111111"));
  const std::string pan = "4111111111111111";
  // Format nibble 1 (format 1), length 3, length 13, a non-decimal digit, bad padding.
  for (const char* clear : {"141234FFFFFFFFFF", "03123FFFFFFFFFFF", "0D1234567890123F", "04123AFFFFFFFFFF",
                            "041234FFFFFFFFF0"}) {
    std::string block = raw(clear);
    std::string p = raw("0000111111111111");
    for (size_t i = 0; i < 8; ++i) block[i] = static_cast<char>(block[i] ^ p[i]);
    EXPECT_FALSE(format0_decode(block, pan)) << clear;
  }
  // The same PIN block with another PAN does not decode to the PIN (binding to the card).
  auto k = ZonePinKey::from_hex(kDoubleKey);
  auto other = k->decrypt_pin(raw("2a3d408a1977dde9"), "4000001234567899");
  EXPECT_TRUE(!other || *other != "1234");
  // A wrong key gives garbage, almost always refused as a format-0 block.
  auto wrong = ZonePinKey::from_hex("11111111111111112222222222222222");
  auto w = wrong->decrypt_pin(raw("2a3d408a1977dde9"), pan);
  EXPECT_TRUE(!w || *w != "1234");
}

TEST(PinBlock, KeyParsing) {
  EXPECT_TRUE(ZonePinKey::from_hex(std::string(kDoubleKey) + "\n"));
  EXPECT_FALSE(ZonePinKey::from_hex("0123"));
  EXPECT_FALSE(ZonePinKey::from_hex(std::string(32, 'g')));
  EXPECT_FALSE(ZonePinKey::from_hex(std::string(40, 'a')));
  auto k = ZonePinKey::from_hex(kDoubleKey);
  EXPECT_FALSE(k->encrypt_block("short"));
}

}  // namespace
}  // namespace cardcore::pin_block
