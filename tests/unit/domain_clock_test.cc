#include <gtest/gtest.h>

#include <string>

#include "domain/clock.h"

namespace cardcore::clock {
namespace {

// Date has no operator== (the header is not ours to change); compare as "y-m-d" text.
std::string ymd(const Date& d) {
  return std::to_string(d.year) + "-" + std::to_string(d.month) + "-" + std::to_string(d.day);
}

TEST(FormatIst, KnownInstants) {
  EXPECT_EQ(format_ist(0), "1970-01-01T05:30:00+05:30");
  EXPECT_EQ(format_ist(1764067449), "2025-11-25T16:14:09+05:30");
  EXPECT_EQ(format_ist(-1), "1970-01-01T05:29:59+05:30");
  EXPECT_EQ(format_ist(951848999), "2000-02-29T23:59:59+05:30");
  EXPECT_EQ(format_ist(4102444800), "2100-01-01T05:30:00+05:30");
  EXPECT_EQ(format_ist(-2208988800), "1900-01-01T05:30:00+05:30");
}

TEST(IstDate, AroundMidnight) {
  // 2025-11-25 18:29:59 UTC is 23:59:59 IST on the 25th; one second later it is the 26th.
  EXPECT_EQ(ymd(ist_date(1764095399)), "2025-11-25");
  EXPECT_EQ(ymd(ist_date(1764095400)), "2025-11-26");
  EXPECT_EQ(format_ist(1764095400), "2025-11-26T00:00:00+05:30");
  // New year: 2024-12-31 18:30:00 UTC.
  EXPECT_EQ(ymd(ist_date(1735669799)), "2024-12-31");
  EXPECT_EQ(ymd(ist_date(1735669800)), "2025-1-1");
  // Before the epoch: 1969-12-31 18:30:00 UTC is IST midnight of 1970-01-01.
  EXPECT_EQ(ymd(ist_date(-19801)), "1969-12-31");
  EXPECT_EQ(ymd(ist_date(-19800)), "1970-1-1");
}

TEST(IstMidnight, KnownValuesAndRoundTrip) {
  EXPECT_EQ(ist_midnight({1970, 1, 1}), -19800);
  EXPECT_EQ(ist_midnight({2024, 2, 29}), 1709145000);
  EXPECT_EQ(ist_midnight({1900, 1, 1}), -2209008600);
  EXPECT_EQ(ist_midnight({2100, 12, 31}), 4133874600);
  // Every day from 1899 to 2101: midnight maps back to the same date, the previous second to
  // the day before, and consecutive midnights are 86400 s apart (no DST in IST).
  Date prev = ist_date(ist_midnight({1899, 1, 1}) - 1);
  int64_t prev_midnight = ist_midnight({1899, 1, 1}) - 86400;
  for (int64_t t = ist_midnight({1899, 1, 1}); t < ist_midnight({2101, 1, 1}); t += 86400) {
    const Date d = ist_date(t);
    ASSERT_EQ(ist_midnight(d), t);
    ASSERT_EQ(ymd(ist_date(t - 1)), ymd(prev));
    ASSERT_EQ(t - prev_midnight, 86400);
    prev = d;
    prev_midnight = t;
  }
}

TEST(IstMidnight, LeapYears) {
  auto days_in_feb = [](int y) { return (ist_midnight({y, 3, 1}) - ist_midnight({y, 2, 1})) / 86400; };
  EXPECT_EQ(days_in_feb(2024), 29);
  EXPECT_EQ(days_in_feb(2023), 28);
  EXPECT_EQ(days_in_feb(2000), 29);  // divisible by 400
  EXPECT_EQ(days_in_feb(1900), 28);  // divisible by 100, not 400
  EXPECT_EQ(days_in_feb(2100), 28);
  EXPECT_EQ((ist_midnight({2025, 1, 1}) - ist_midnight({2024, 1, 1})) / 86400, 366);
  EXPECT_EQ((ist_midnight({2026, 1, 1}) - ist_midnight({2025, 1, 1})) / 86400, 365);
}

TEST(ValidDdMmYyyy, Table) {
  for (std::string_view ok : {"29-02-2024", "01-01-1900", "31-12-2100", "29-02-2000", "31-01-2025",
                              "30-04-2025", "25-11-2025"}) {
    EXPECT_TRUE(valid_ddmmyyyy(ok)) << ok;
  }
  for (std::string_view bad : {"29-02-2023", "29-02-1900", "31-04-2025", "1-2-2020", "00-01-2025",
                               "01-00-2025", "32-01-2025", "01-13-2025", "31-12-1899", "01-01-2101",
                               "2025-11-25", "01/02/2020", "01-02-20200", "", "aa-bb-cccc",
                               "+1-02-2020", "01-02-2O20", " 1-02-2020"}) {
    EXPECT_FALSE(valid_ddmmyyyy(bad)) << bad;
  }
}

}  // namespace
}  // namespace cardcore::clock

namespace cardcore::clock {
namespace {

TEST(ClockParse, Iso8601Forms) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601("1970-01-01T05:30:00+05:30"), 0);
  EXPECT_EQ(parse_iso8601("1970-01-01T05:30:00"), 0);  // no offset: IST
  EXPECT_EQ(parse_iso8601("1970-01-01"), -kIstOffsetSeconds);
  EXPECT_EQ(parse_iso8601("2025-01-24T08:47:01.505Z"), 1737708421);
  EXPECT_EQ(parse_iso8601("1737708421"), 1737708421);
  EXPECT_EQ(parse_iso8601("2025-01-24T08:47Z"), 1737708420);
  EXPECT_FALSE(parse_iso8601("2025-02-30"));
  EXPECT_FALSE(parse_iso8601("2025-01-24T25:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2025-01-24T08:47:01+0530"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601(""));
}

}  // namespace
}  // namespace cardcore::clock
