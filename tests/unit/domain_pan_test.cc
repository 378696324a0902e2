#include <gtest/gtest.h>

#include <random>

#include "domain/pan.h"

namespace cardcore::pan {
namespace {

TEST(Luhn, KnownValidNumbers) {
  for (std::string_view p : {"4111111111111111", "5555555555554444", "378282246310005",
                             "6011111111111117", "6250941006528599", "4222222222222"}) {
    EXPECT_TRUE(luhn_valid(p)) << p;
  }
  // 79927398713 is the textbook example but only 11 digits: valid by check digit, too short.
  EXPECT_EQ(luhn_check_digit("7992739871"), '3');
  EXPECT_FALSE(luhn_valid("79927398713"));
  EXPECT_TRUE(luhn_valid("000079927398713"));  // leading zeros do not change the Luhn sum
  EXPECT_FALSE(luhn_valid("000079927398714"));
}

TEST(Luhn, InvalidNumbers) {
  for (std::string_view p : {"4111111111111112", "4111111111111121", "1234567812345678", "",
                             "411111111111111a", "4111 1111 1111 1111", "41111111111",
                             "41111111111111111111" /* 20 digits */, "-4111111111111111"}) {
    EXPECT_FALSE(luhn_valid(p)) << p;
  }
}

TEST(Luhn, CheckDigit) {
  EXPECT_EQ(luhn_check_digit("411111111111111"), '1');
  EXPECT_EQ(luhn_check_digit("555555555555444"), '4');
  EXPECT_EQ(luhn_check_digit(""), '0');
}

TEST(Bin, Validity) {
  EXPECT_TRUE(valid_bin("411111"));
  EXPECT_TRUE(valid_bin("4111111"));
  EXPECT_TRUE(valid_bin("41111111"));
  EXPECT_FALSE(valid_bin("41111"));
  EXPECT_FALSE(valid_bin("411111111"));
  EXPECT_FALSE(valid_bin("41111a"));
  EXPECT_FALSE(valid_bin(""));
}

TEST(Compose, AlwaysLuhnValidSixteenDigits) {
  std::mt19937_64 rng(20251125);
  std::uniform_int_distribution<int> digit(0, 9);
  for (std::string_view bin : {"411111", "6083260", "52345678", "000000"}) {
    for (int n = 0; n < 2000; ++n) {
      std::string body;
      for (size_t i = 0; i < kPanLength - 1 - bin.size(); ++i) body += static_cast<char>('0' + digit(rng));
      const std::string pan = compose(bin, body);
      ASSERT_EQ(pan.size(), kPanLength);
      ASSERT_EQ(pan.substr(0, bin.size()), bin);
      ASSERT_EQ(pan.substr(bin.size(), body.size()), body);
      ASSERT_TRUE(luhn_valid(pan)) << pan;
    }
  }
  EXPECT_EQ(compose("411111", "111111111"), "4111111111111111");
}

TEST(Mask, ShowsOnlyLastFour) {
  EXPECT_EQ(mask("4111111111111234"), "XXXX XXXX XXXX 1234");
  EXPECT_EQ(mask("4111111111111234567"), "XXXX XXXX XXXX 4567");
  EXPECT_EQ(mask("12"), "XXXX XXXX XXXX 12");
}

}  // namespace
}  // namespace cardcore::pan
