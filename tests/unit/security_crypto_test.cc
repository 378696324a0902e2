// crypto.h: encodings against RFC 4648 vectors, HMAC against RFC 4231, random helpers' shape.
#include <gtest/gtest.h>

#include <set>

#include "security/crypto.h"

namespace cardcore::crypto {
namespace {

TEST(CryptoHex, RoundTripAndCase) {
  const std::string raw("\x00\x01\xab\xff", 4);
  EXPECT_EQ(to_hex(raw), "0001abff");
  EXPECT_EQ(from_hex("0001abff").value(), raw);
  EXPECT_EQ(from_hex("0001ABFF").value(), raw);
  EXPECT_EQ(from_hex("").value(), "");
}

TEST(CryptoHex, RefusesBadInput) {
  EXPECT_FALSE(from_hex("abc").has_value());   // odd length
  EXPECT_FALSE(from_hex("zz").has_value());    // not hex
  EXPECT_FALSE(from_hex("ab c").has_value());  // embedded space
  EXPECT_EQ(from_hex("xy").error().code, code::kInvalidParameter);
}

TEST(CryptoBase64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [raw, b64] : vectors) {
    EXPECT_EQ(base64_encode(raw), b64);
    EXPECT_EQ(base64_decode(b64).value(), raw) << b64;
  }
}

TEST(CryptoBase64, RoundTripBinary) {
  for (size_t n = 0; n < 70; ++n) {
    const std::string raw = random_bytes(n);
    const std::string b64 = base64_encode(raw);
    EXPECT_EQ(b64.find('\n'), std::string::npos);
    EXPECT_EQ(base64_decode(b64).value(), raw);
  }
}

TEST(CryptoBase64, RefusesInvalid) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v!A==", "Zm 9v", "=Zm9", "Zg==Zg==", "Zm9v\n",
                          " Zm9v", "Zm-_", "Z=9v"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(CryptoHmac, Rfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoHmac, Rfc4231TestCases1And6) {
  EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // A key longer than the block is hashed first.
  EXPECT_EQ(to_hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(CryptoHash, Sha256AndTokenDigest) {
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(token_digest("abc"), to_hex(sha256("abc")));
  EXPECT_EQ(hmac_sha1("k", "d").size(), 20u);
  EXPECT_EQ(hmac_sha512("k", "d").size(), 64u);
}

TEST(CryptoCompare, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(CryptoRandom, UpperAlnumCharsetAndLength) {
  std::set<char> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = random_upper_alnum(7);
    ASSERT_EQ(id.size(), 7u);
    for (char c : id) {
      ASSERT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) << id;
      seen.insert(c);
    }
  }
  EXPECT_EQ(seen.size(), 36u);  // 1400 draws miss one of 36 characters with odds ~1e-15
  EXPECT_EQ(random_upper_alnum(0), "");
}

TEST(CryptoRandom, DigitsAndHex) {
  std::set<char> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string d = random_digits(6);
    ASSERT_EQ(d.size(), 6u);
    for (char c : d) {
      ASSERT_TRUE(c >= '0' && c <= '9') << d;
      seen.insert(c);
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  const std::string h = random_hex(16);
  EXPECT_EQ(h.size(), 32u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(random_bytes(32), random_bytes(32));
}

}  // namespace
}  // namespace cardcore::crypto
