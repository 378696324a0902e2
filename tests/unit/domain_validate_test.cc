#include <gtest/gtest.h>

#include <string>

#include "domain/validate.h"

namespace cardcore::validate {
namespace {

TEST(Email, Table) {
  for (std::string_view ok : {"a@b.co", "first.last@example.com", "x_y%z+tag-1@mail.example.in",
                              "A1@B-2.ORG", "a@b.c.de", "a@.b.com", "a@b..co", ".a.@b.co",
                              "user@sub-domain.example.travel"}) {
    EXPECT_TRUE(email(ok)) << ok;
  }
  for (std::string_view bad : {"", "a", "@b.co", "a@", "a@b", "a@b.c", "a@.co", "a@b.c0", "a@b.co.",
                               "a@@b.co", "a@b@c.co", "a b@c.co", "a@b c.co", "a@b_c.co", "a@b.co ",
                               " a@b.co", "a!@b.co", "a@b.c-o", "ä@b.co", "a@b.com\n"}) {
    EXPECT_FALSE(email(bad)) << bad;
  }
  const std::string at_limit = std::string(64, 'a') + "@" + std::string(185, 'b') + ".com";  // 254
  ASSERT_EQ(at_limit.size(), 254u);
  EXPECT_TRUE(email(at_limit));
  EXPECT_FALSE(email("a" + at_limit));
}

TEST(Digits, MobilePincodePinOtp) {
  EXPECT_TRUE(mobile("9876543210"));
  EXPECT_TRUE(mobile("0000000000"));
  for (std::string_view bad : {"", "987654321", "98765432100", "98765x3210", "+919876543210", " 9876543210"}) {
    EXPECT_FALSE(mobile(bad)) << bad;
  }
  EXPECT_TRUE(pincode("560001"));
  EXPECT_TRUE(pincode("110001"));
  for (std::string_view bad : {"", "060001", "56000", "5600011", "56000a", "560 01"}) {
    EXPECT_FALSE(pincode(bad)) << bad;
  }
  EXPECT_TRUE(pin4("0000"));
  EXPECT_TRUE(pin4("1234"));
  for (std::string_view bad : {"", "123", "12345", "12a4", "-123"}) EXPECT_FALSE(pin4(bad)) << bad;
  EXPECT_TRUE(otp6("000000"));
  EXPECT_TRUE(otp6("123456"));
  for (std::string_view bad : {"", "12345", "1234567", "12345x", "string"}) EXPECT_FALSE(otp6(bad)) << bad;
}

TEST(Printable, Table) {
  EXPECT_TRUE(printable("Ravi Kumar", 50));
  EXPECT_TRUE(printable("x", 1));
  EXPECT_TRUE(printable("~!@#$%^&*()", 20));
  EXPECT_TRUE(printable("रवि कुमार", 50));  // UTF-8 Devanagari
  EXPECT_TRUE(printable("é", 5));
  EXPECT_FALSE(printable("", 10));
  EXPECT_FALSE(printable("ab", 1));
  EXPECT_FALSE(printable("a\nb", 10));
  EXPECT_FALSE(printable("a\tb", 10));
  EXPECT_FALSE(printable(std::string_view("a\0b", 3), 10));
  EXPECT_FALSE(printable("a\x7f", 10));
  EXPECT_FALSE(printable("a\xc2\x85", 10));  // U+0085 NEL, a C1 control
  EXPECT_FALSE(printable("\x1b[31m", 10));
}

}  // namespace
}  // namespace cardcore::validate
