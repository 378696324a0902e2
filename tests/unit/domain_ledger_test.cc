#include <gtest/gtest.h>

#include "domain/ledger.h"
#include "domain/money.h"

namespace cardcore::ledger {
namespace {

TEST(Ledger, BuildersBalance) {
  EXPECT_TRUE(validate(fund("CEKAAAAAAA", "CAAAAAAAA", 100, "r1")));
  EXPECT_TRUE(validate(load("CAAAAAAAA", "EKCAAAAAAA", 1, 100, "r2")));
  EXPECT_TRUE(validate(move_between_cards("EKCAAAAAAA", "EKCBBBBBBB", 999, "r3")));
  Entry f = fund("CEKAAAAAAA", "CAAAAAAAA", 250, "r");
  EXPECT_EQ(f.postings[0].account_id, "source:CEKAAAAAAA");
  EXPECT_EQ(f.postings[0].amount_paise, -250);
  EXPECT_EQ(f.postings[1].account_id, "pool:CAAAAAAAA");
}

TEST(Ledger, RefusesUnbalancedZeroDuplicateAndMalformed) {
  EXPECT_FALSE(validate(Entry{"X", "r", {{"pool:CA1", 5}, {"wallet:EKC1", -4}}}));
  EXPECT_FALSE(validate(Entry{"X", "r", {{"pool:CA1", 0}, {"wallet:EKC1", 0}}}));
  EXPECT_FALSE(validate(Entry{"X", "r", {{"pool:CA1", 5}, {"pool:CA1", -5}}}));
  EXPECT_FALSE(validate(Entry{"X", "r", {{"pool:CA1", 5}}}));
  EXPECT_FALSE(validate(Entry{"X", "r", {{"pool:ca1", 5}, {"wallet:EKC1", -5}}}));
  EXPECT_FALSE(validate(Entry{"X", "r", {{"bank:CA1", 5}, {"wallet:EKC1", -5}}}));
  EXPECT_FALSE(validate(Entry{"X", "r", {{"pool:CA1", money::kMaxAbsPaise + 1},
                                         {"wallet:EKC1", -money::kMaxAbsPaise - 1}}}));
}

TEST(Ledger, OnlyExternalAccountsMayGoNegative) {
  EXPECT_TRUE(may_go_negative(*kind_of("source:CEK1")));
  EXPECT_TRUE(may_go_negative(*kind_of("network:settlement")));
  EXPECT_FALSE(may_go_negative(*kind_of("pool:CA1")));
  EXPECT_FALSE(may_go_negative(*kind_of("wallet:EKC1")));
}

}  // namespace
}  // namespace cardcore::ledger
