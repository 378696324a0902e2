#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>

#include "domain/money.h"

namespace cardcore::money {
namespace {

struct TextCase { std::string_view text; std::optional<int64_t> paise; std::string_view error; };
// Keeps test names readable in CTest (the default prints the object's bytes).
void PrintTo(const TextCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }
constexpr TextCase kTextCases[] = {
    {"12", 1200, ""},
    {"12.5", 1250, ""},
    {"12.50", 1250, ""},
    {"0.01", 1, ""},
    {"0", 0, ""},
    {"-0.00", 0, ""},
    {"-3.25", -325, ""},
    {"+1", 100, ""},
    {"007.10", 710, ""},
    {"1000000000.00", 100'000'000'000, ""},
    {"-1000000000", -100'000'000'000, ""},
    {"1e3", std::nullopt, "amount: not a number"},
    {"12.345", std::nullopt, "amount: at most 2 decimal places"},
    {"0.001", std::nullopt, "amount: at most 2 decimal places"},
    {"", std::nullopt, "amount: not a number"},
    {" ", std::nullopt, "amount: not a number"},
    {" 12", std::nullopt, "amount: not a number"},
    {"12 ", std::nullopt, "amount: not a number"},
    {"abc", std::nullopt, "amount: not a number"},
    {"12.", std::nullopt, "amount: not a number"},
    {".5", std::nullopt, "amount: not a number"},
    {"-", std::nullopt, "amount: not a number"},
    {"+-1", std::nullopt, "amount: not a number"},
    {"1,000", std::nullopt, "amount: not a number"},
    {"12.3.4", std::nullopt, "amount: not a number"},
    {"0x10", std::nullopt, "amount: not a number"},
    {"NaN", std::nullopt, "amount: not a number"},
    {"1000000000.01", std::nullopt, "amount: too large"},
    {"-1000000000.01", std::nullopt, "amount: too large"},
    {"99999999999999999999", std::nullopt, "amount: too large"},
    {"99999999999999999999999999999999999999.99", std::nullopt, "amount: too large"},
    {"99999999999999999999x", std::nullopt, "amount: not a number"},
};

class ParseText : public testing::TestWithParam<TextCase> {};

TEST_P(ParseText, Table) {
  const TextCase c = GetParam();
  const Result<int64_t> r = parse_rupees_text(c.text, "amount");
  if (c.paise) {
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, *c.paise);
  } else {
    ASSERT_FALSE(r.has_value()) << *r;
    EXPECT_EQ(r.error().message, c.error);
    EXPECT_EQ(r.error().code, code::kInvalidParameter);
    EXPECT_EQ(r.error().field, "amount");
  }
}

INSTANTIATE_TEST_SUITE_P(Money, ParseText, testing::ValuesIn(kTextCases));

TEST(ParseDouble, Accepted) {
  EXPECT_EQ(rupees_double_to_paise(12.34, "amount"), 1234);
  EXPECT_EQ(rupees_double_to_paise(0.1 + 0.2, "amount"), 30);
  EXPECT_EQ(rupees_double_to_paise(-3.25, "amount"), -325);
  EXPECT_EQ(rupees_double_to_paise(0.0, "amount"), 0);
  EXPECT_EQ(rupees_double_to_paise(-0.0, "amount"), 0);
  EXPECT_EQ(rupees_double_to_paise(1e9, "amount"), 100'000'000'000);
  EXPECT_EQ(rupees_double_to_paise(-1e9, "amount"), -100'000'000'000);
}

// Near the bound, v * 100 is off by more than 1e-6 for some exact 2-decimal amounts
// (687194760.67 * 100 = 68719476066.99999237); those must still be accepted.
TEST(ParseDouble, LargeExactAmountsAccepted) {
  EXPECT_EQ(rupees_double_to_paise(687194760.67, "amount"), 68'719'476'067);
  EXPECT_EQ(rupees_double_to_paise(999999999.99, "amount"), 99'999'999'999);
  for (int64_t p = kMaxAbsPaise; p > 0; p -= 999'983) {
    const double v = static_cast<double>(p) / 100.0;  // what a JSON parser yields for the text
    ASSERT_EQ(rupees_double_to_paise(v, "amount"), p) << format_rupees(p);
    ASSERT_EQ(rupees_double_to_paise(-v, "amount"), -p) << format_rupees(p);
  }
}

TEST(ParseDouble, Refused) {
  struct Case { double v; std::string_view error; };
  const Case cases[] = {
      {12.345, "amount: at most 2 decimal places"},
      {0.001, "amount: at most 2 decimal places"},
      {1.005, "amount: at most 2 decimal places"},
      {-0.125, "amount: at most 2 decimal places"},
      {std::numeric_limits<double>::quiet_NaN(), "amount: not a number"},
      {std::numeric_limits<double>::infinity(), "amount: not a number"},
      {-std::numeric_limits<double>::infinity(), "amount: not a number"},
      {1000000000.01, "amount: too large"},
      {-1000000000.01, "amount: too large"},
      {1e20, "amount: too large"},
      {-1e300, "amount: too large"},
      {std::numeric_limits<double>::max(), "amount: too large"},
  };
  for (const Case& c : cases) {
    const Result<int64_t> r = rupees_double_to_paise(c.v, "amount");
    ASSERT_FALSE(r.has_value()) << c.v;
    EXPECT_EQ(r.error().message, c.error) << c.v;
    EXPECT_EQ(r.error().code, code::kInvalidParameter);
    EXPECT_EQ(r.error().field, "amount");
  }
}

TEST(FormatRupees, ExactDecimals) {
  EXPECT_EQ(format_rupees(1250), "12.50");
  EXPECT_EQ(format_rupees(-5), "-0.05");
  EXPECT_EQ(format_rupees(100), "1.00");
  EXPECT_EQ(format_rupees(0), "0.00");
  EXPECT_EQ(format_rupees(7), "0.07");
  EXPECT_EQ(format_rupees(-325), "-3.25");
  EXPECT_EQ(format_rupees(kMaxAbsPaise), "1000000000.00");
  EXPECT_EQ(format_rupees(std::numeric_limits<int64_t>::min()), "-92233720368547758.08");
}

TEST(FormatRupees, RoundTripsThroughParse) {
  for (int64_t p : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{99}, int64_t{123456}, kMaxAbsPaise,
                    -kMaxAbsPaise}) {
    EXPECT_EQ(parse_rupees_text(format_rupees(p), "amount"), p);
    EXPECT_EQ(rupees_double_to_paise(to_rupees_double(p), "amount"), p);
  }
  EXPECT_EQ(to_rupees_double(1250), 12.5);
  EXPECT_EQ(to_rupees_double(1234), 12.34);
}

}  // namespace
}  // namespace cardcore::money
