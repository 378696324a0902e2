// payload_crypto.h and secret_hash.h.
#include <gtest/gtest.h>
#include <sodium.h>

#include "security/crypto.h"
#include "security/payload_crypto.h"
#include "security/secret_hash.h"

namespace cardcore {
namespace {

constexpr std::string_view kSecret = "partner-secret-123";
constexpr std::string_view kPlain = R"({"amount":"100.00","cardId":"CEK1234567"})";
// Computed independently with:
//   KEY=$(printf '%s' partner-secret-123 | openssl dgst -sha256 -binary | head -c16 | xxd -p)
//   printf '%s' '<kPlain>' | openssl enc -aes-128-ecb -K $KEY -base64 -A
constexpr std::string_view kKeyHex = "e7951582bfb8394a571f9e15ac07d3a1";
constexpr std::string_view kCipherB64 =
    "ta3eLiqjhnjrzja7Ih3JMQj0frz2THs6hGCIAAB49ReL29eoktHjrL1l1+O+xrCe";
constexpr std::string_view kEmptyCipherB64 = "W6SRCwmYWz+4eJXPtsqvzg==";
// One block encrypted with -nopad whose plaintext ends in 0x00 / 0x11: invalid PKCS#7 padding.
constexpr std::string_view kBadPadZero = "NrxaILjoiYeypggt6caZaQ==";
constexpr std::string_view kBadPadTooBig = "1Ipm8/XgP8iKAhxyDTb4wA==";

TEST(PayloadCrypto, KnownAnswerFromOpensslCli) {
  const std::string key = payload_crypto::derive_key(kSecret);
  EXPECT_EQ(crypto::to_hex(key), kKeyHex);
  EXPECT_EQ(payload_crypto::encrypt_to_base64(key, kPlain), kCipherB64);
  EXPECT_EQ(payload_crypto::decrypt_from_base64(key, kCipherB64).value(), kPlain);
  EXPECT_EQ(payload_crypto::encrypt_to_base64(key, ""), kEmptyCipherB64);
  EXPECT_EQ(payload_crypto::decrypt_from_base64(key, kEmptyCipherB64).value(), "");
}

TEST(PayloadCrypto, RoundTripAllLengths) {
  const std::string key = payload_crypto::derive_key("another secret");
  for (size_t n = 0; n < 50; ++n) {
    const std::string plain(n, static_cast<char>('a' + n % 26));
    EXPECT_EQ(
        payload_crypto::decrypt_from_base64(key, payload_crypto::encrypt_to_base64(key, plain))
            .value(),
        plain);
  }
}

TEST(PayloadCrypto, BadInputIs422) {
  const std::string key = payload_crypto::derive_key(kSecret);
  for (std::string_view bad : {std::string_view("not base64!"), std::string_view(""),
                               std::string_view("QUJD"),  // 3 bytes: not a whole block
                               kBadPadZero, kBadPadTooBig}) {
    const Result<std::string> r = payload_crypto::decrypt_from_base64(key, bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, code::kInvalidParameter);
    EXPECT_EQ(r.error().message, "Invalid encrypted request");
  }
}

class SecretHashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    secret_hash::set_cost(
        {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN});
  }
};

TEST_F(SecretHashTest, VerifyTrueAndFalse) {
  const std::string stored = secret_hash::hash("1234");
  EXPECT_EQ(stored.rfind("$argon2id$", 0), 0u) << stored;
  EXPECT_TRUE(secret_hash::verify(stored, "1234"));
  EXPECT_FALSE(secret_hash::verify(stored, "1235"));
  EXPECT_FALSE(secret_hash::verify(stored, ""));
  EXPECT_NE(secret_hash::hash("1234"), stored);  // random salt
}

TEST_F(SecretHashTest, MalformedStoredHashIsFalse) {
  EXPECT_FALSE(secret_hash::verify("", "1234"));
  EXPECT_FALSE(secret_hash::verify("$argon2id$garbage", "1234"));
  EXPECT_FALSE(secret_hash::verify(std::string(1000, 'x'), "1234"));
}

}  // namespace
}  // namespace cardcore
