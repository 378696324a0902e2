// totp.h against the published vectors of RFC 4226 Appendix D and RFC 6238 Appendix B.
#include <gtest/gtest.h>

#include "security/totp.h"

namespace cardcore::totp {
namespace {

constexpr std::string_view kSeed20 = "12345678901234567890";
constexpr std::string_view kSeed32 = "12345678901234567890123456789012";
constexpr std::string_view kSeed64 =
    "1234567890123456789012345678901234567890123456789012345678901234";

TEST(Hotp, Rfc4226AppendixD) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t count = 0; count < 10; ++count) {
    EXPECT_EQ(hotp(kSeed20, count), expected[count]) << "count " << count;
  }
}

TEST(Totp, Rfc6238AppendixB) {
  struct Vector {
    int64_t time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  };
  const Vector vectors[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (const Vector& v : vectors) {
    EXPECT_EQ(code_at(kSeed20, v.time, 8, Algorithm::kSha1), v.sha1) << v.time;
    EXPECT_EQ(code_at(kSeed32, v.time, 8, Algorithm::kSha256), v.sha256) << v.time;
    EXPECT_EQ(code_at(kSeed64, v.time, 8, Algorithm::kSha512), v.sha512) << v.time;
  }
}

TEST(Totp, VerifyWindow) {
  const int64_t now = 1'700'000'000;  // a multiple of 10, mid-step is irrelevant to the window
  const std::string key = "a secret of twenty b";
  EXPECT_TRUE(verify(key, code_at(key, now), now));
  EXPECT_TRUE(verify(key, code_at(key, now - 30), now));
  EXPECT_TRUE(verify(key, code_at(key, now + 30), now));
  const std::string two_back = code_at(key, now - 60);
  const std::string two_ahead = code_at(key, now + 60);
  // Guard against an accidental collision of 6-digit codes making the refusal test vacuous.
  for (int64_t d : {-30, 0, 30}) {
    ASSERT_NE(two_back, code_at(key, now + d));
    ASSERT_NE(two_ahead, code_at(key, now + d));
  }
  EXPECT_FALSE(verify(key, two_back, now));
  EXPECT_FALSE(verify(key, two_ahead, now));
  EXPECT_TRUE(verify(key, two_ahead, now, 2));
  EXPECT_FALSE(verify(key, code_at(key, now - 30), now, 0));
}

TEST(Totp, VerifyRefusesWrongLength) {
  const int64_t now = 1'700'000'000;
  const std::string key = "a secret of twenty b";
  const std::string eight = code_at(key, now, 8);
  EXPECT_FALSE(verify(key, eight, now));
  EXPECT_FALSE(verify(key, eight.substr(2), now + 3600));  // suffix of another step's code
  EXPECT_FALSE(verify(key, code_at(key, now).substr(0, 5), now));
  EXPECT_FALSE(verify(key, "", now));
}

TEST(Base32, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  for (const auto& [raw, padded] : vectors) {
    const std::string unpadded = padded.substr(0, padded.find('='));
    EXPECT_EQ(base32_encode(raw), unpadded);
    EXPECT_EQ(base32_decode(padded).value(), raw) << padded;
    EXPECT_EQ(base32_decode(unpadded).value(), raw) << unpadded;
  }
  EXPECT_EQ(base32_decode("mzxw6ytboi").value(), "foobar");  // case-insensitive
}

TEST(Base32, RoundTripAndRefusals) {
  std::string raw;
  for (int n = 0; n < 40; ++n) {
    EXPECT_EQ(base32_decode(base32_encode(raw)).value(), raw);
    raw.push_back(static_cast<char>(n * 37 + 11));
  }
  EXPECT_FALSE(base32_decode("MZXW1").has_value());  // '1' is not in the alphabet
  EXPECT_FALSE(base32_decode("M").has_value());      // impossible length
  EXPECT_FALSE(base32_decode("MZX").has_value());
  EXPECT_FALSE(base32_decode("MZ XW").has_value());
}

TEST(Otpauth, UriEncodesIssuerAndAccount) {
  EXPECT_EQ(otpauth_uri("Card Core", "ops@example.com", "foobar"),
            "otpauth://totp/Card%20Core:ops%40example.com?secret=MZXW6YTBOI&issuer=Card%20Core"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(otpauth_uri("A:B&C", "x", "f"),
            "otpauth://totp/A%3AB%26C:x?secret=MY&issuer=A%3AB%26C&algorithm=SHA1&digits=6"
            "&period=30");
}

}  // namespace
}  // namespace cardcore::totp
