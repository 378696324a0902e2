// Fee arithmetic (domain/fees.h): percentages and GST in integer paise, rounded half up at each
// step, and the stored form of a plan's schedule.
#include "domain/fees.h"

#include <gtest/gtest.h>

namespace cardcore::fees {
namespace {

TEST(DomainFees, OnePercentOfAThousandRupeesIsTenPlusOneEightyGst) {
  Schedule s;
  s.load_bp = 100;
  Charge c = load_fee(s, 1'000'00);
  EXPECT_EQ(c.fee, 10'00);
  EXPECT_EQ(c.gst, 1'80);
  EXPECT_EQ(c.total(), 11'80);
}

TEST(DomainFees, RoundsHalfUpAtEachStep) {
  EXPECT_EQ(percent_of(50, 100), 1);    // 0.5 paise -> 1
  EXPECT_EQ(percent_of(49, 100), 0);    // 0.49 paise -> 0
  EXPECT_EQ(percent_of(250, 1800), 45);  // exactly 45
  EXPECT_EQ(percent_of(3, 1800), 1);    // 0.54 -> 1
  EXPECT_EQ(percent_of(2, 2500), 1);    // exactly 0.5 -> 1
  Schedule s;
  s.load_bp = 150;        // 1.5%
  s.load_fixed = 2'00;    // + ₹2
  // 1.5% of ₹333.33 = 499.995 paise -> 500; + 200 = 700; GST 18% = 126.
  Charge c = load_fee(s, 333'33);
  EXPECT_EQ(c.fee, 700);
  EXPECT_EQ(c.gst, 126);
  // GST is on the rounded fee, never on the unrounded one: 1 paisa of fee has no GST.
  s.load_fixed = 0;
  s.load_bp = 100;
  EXPECT_EQ(load_fee(s, 50).fee, 1);
  EXPECT_EQ(load_fee(s, 50).gst, 0);
}

TEST(DomainFees, NoFeeNoGst) {
  Schedule s;
  EXPECT_TRUE(load_fee(s, 1'000'00).none());
  EXPECT_TRUE(with_gst(s, 0).none());
  EXPECT_EQ(with_gst(s, 20'00).gst, 3'60);
  s.gst_bp = 0;
  EXPECT_EQ(with_gst(s, 20'00).gst, 0);
}

TEST(DomainFees, SchedulesRoundTripThroughTheirStoredForm) {
  EXPECT_EQ(encode(Schedule{}), "");
  Schedule s{50'00, 100'00, 200'00, 1'00, 20'00, 125, 500};
  auto back = decode(encode(s));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_EQ(*decode(""), Schedule{});
  for (const char* bad : {"F1;1,2,3", "F1;1,2,3,4,5,6,7,8", "F2;1,2,3,4,5,6,7", "F1;1,2,x,4,5,6,7", "F1;1,2,-3,4,5,6,7",
                          "F1;1,2,,4,5,6,7"}) {
    EXPECT_FALSE(decode(bad)) << bad;
  }
}

}  // namespace
}  // namespace cardcore::fees
