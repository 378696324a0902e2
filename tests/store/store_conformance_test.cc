// The storage conformance suite: every Store implementation must pass it unchanged. Engines are
// listed in `engines()`; PostgreSQL joins when its backend exists.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "store/store.h"

namespace cardcore {
namespace {

struct Engine {
  std::string name;
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
};

void PrintTo(const Engine& e, std::ostream* os) { *os << e.name; }

std::vector<Engine> engines() {
  return {{"sqlite", [](const std::string& dir) {
             auto s = open_sqlite_store(dir + "/test.db");
             EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
             return s ? std::move(*s) : nullptr;
           }}};
}

class StoreConformance : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cardcore-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
    seed();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void seed() {
    ASSERT_TRUE(transact(*store_, [&](Tx& tx) -> Status {
      CC_RETURN_IF_ERROR(tx.insert_partner({"CRAAAAAAA", "P", "9000000001", "", "none", "CEKAAAAAAA", "h",
                                            Sealed{"k1", "blob"}, 1}));
      CC_RETURN_IF_ERROR(tx.insert_company({"CEKAAAAAAA", "CRAAAAAAA", "Co", 1}));
      CC_RETURN_IF_ERROR(tx.insert_plan({"PMAAAAAAA", "CRAAAAAAA", "plan", "652150", 5, 100000, false, 1}));
      CC_RETURN_IF_ERROR(tx.insert_login({"9000000001", "CRAAAAAAA", "hash", 0, false, 1}));
      CC_RETURN_IF_ERROR(tx.insert_card_account({"CAAAAAAAA", "CRAAAAAAA", "CEKAAAAAAA", "Co", "PMAAAAAAA",
                                                 "EKAAAAAA", "a@b.co", "9000000001", "t", "MEAL", 1}));
      CC_RETURN_IF_ERROR(tx.insert_card(card("EKCAAAAAAA", "fp1")));
      return tx.insert_card(card("EKCBBBBBBB", "fp2"));
    }));
  }

  static CardRow card(const std::string& id, const std::string& fp) {
    CardRow c;
    c.card_id = id;
    c.card_account_id = "CAAAAAAAA";
    c.partner_id = "CRAAAAAAA";
    c.company_id = "CEKAAAAAAA";
    c.user_id = "EKAAAAAA";
    c.token = fp + "tok";
    c.pan = {"k1", "panblob"};
    c.pan_last4 = "1234";
    c.pan_fingerprint = fp;
    c.cvv = {"k1", "cvvblob"};
    c.expiry_month = 11;
    c.expiry_year = 2031;
    c.status = "UL";
    c.card_type = "VIRTUAL";
    c.profile_json = "{}";
    c.created_at = c.modified_at = 1;
    return c;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformance, RoundTripsRows) {
  auto card = transact(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  ASSERT_TRUE(card && *card);
  EXPECT_EQ((*card)->pan.blob, "panblob");
  EXPECT_EQ((*card)->pan.key_id, "k1");
  EXPECT_FALSE((*card)->mfa_secret.has_value());
  auto partner = transact(*store_, [](Tx& tx) { return tx.find_partner_by_client_id("CEKAAAAAAA"); });
  ASSERT_TRUE(partner && *partner);
  EXPECT_EQ((*partner)->payload_key.blob, "blob");
  auto missing = transact(*store_, [](Tx& tx) { return tx.find_card("EKCNOPE000"); });
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  auto cards = transact(*store_, [](Tx& tx) { return tx.list_cards("CAAAAAAAA", 10); });
  ASSERT_TRUE(cards);
  EXPECT_EQ(cards->size(), 2u);
}

TEST_P(StoreConformance, DuplicateKeyIsCode409AndRollsBackTheUnit) {
  auto st = transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_company({"CEKBBBBBBB", "CRAAAAAAA", "Second", 2}));
    return tx.insert_card(card("EKCAAAAAAA", "fp3"));  // same card id
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, code::kDuplicate);
  auto company = transact(*store_, [](Tx& tx) { return tx.find_company("CEKBBBBBBB"); });
  ASSERT_TRUE(company);
  EXPECT_FALSE(company->has_value()) << "the first insert of a refused unit must not survive";
}

TEST_P(StoreConformance, UnitReturningErrorCommitsNothing) {
  auto st = transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.update_card_status("EKCAAAAAAA", "UL", "BL", 5));
    return invalid_param("x", "refused");
  });
  ASSERT_FALSE(st);
  auto card = transact(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  EXPECT_EQ((*card)->status, "UL");
}

TEST_P(StoreConformance, ConditionalStatusUpdateAppliesOnlyFromExpectedState) {
  auto first = transact(*store_, [](Tx& tx) { return tx.update_card_status("EKCAAAAAAA", "UL", "L", 2); });
  auto second = transact(*store_, [](Tx& tx) { return tx.update_card_status("EKCAAAAAAA", "UL", "L", 3); });
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
}

TEST_P(StoreConformance, StatusCheckConstraintRefusesUnknownStatus) {
  auto st = transact(*store_, [](Tx& tx) { return tx.update_card_status("EKCAAAAAAA", "UL", "XX", 2); });
  EXPECT_FALSE(st);
}

TEST_P(StoreConformance, OtpConsumedOnceAndFailuresKill) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) {
    return tx.insert_otp({"OTP1", "EKCAAAAAAA", "CRAAAAAAA", "BLOCK_CARD", "digest", 100, 0, false, 1});
  }));
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.record_otp_failure("OTP1", false); }));
  auto row = transact(*store_, [](Tx& tx) { return tx.find_otp("OTP1"); });
  EXPECT_EQ((*row)->wrong_tries, 1);
  EXPECT_FALSE((*row)->used);
  auto c1 = transact(*store_, [](Tx& tx) { return tx.consume_otp("OTP1"); });
  auto c2 = transact(*store_, [](Tx& tx) { return tx.consume_otp("OTP1"); });
  EXPECT_TRUE(*c1);
  EXPECT_FALSE(*c2);
  auto n = transact(*store_, [](Tx& tx) { return tx.count_otps_since("EKCAAAAAAA", 0); });
  EXPECT_EQ(*n, 1);
}

TEST_P(StoreConformance, ConcurrentLoginFailuresAreAllCounted) {
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto r = transact(*store_, [](Tx& tx) { return tx.record_login_failure("9000000001", 1000000, 9); });
        EXPECT_TRUE(r);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto login = transact(*store_, [](Tx& tx) { return tx.find_login("9000000001"); });
  EXPECT_EQ((*login)->failed_attempts, kThreads * kEach);
  EXPECT_FALSE((*login)->locked);
}

TEST_P(StoreConformance, LoginLocksAtThreshold) {
  for (int i = 1; i <= 3; ++i) {
    auto r = transact(*store_, [](Tx& tx) { return tx.record_login_failure("9000000001", 3, 9); });
    ASSERT_TRUE(r);
    EXPECT_EQ(r->locked, i == 3);
  }
}

TEST_P(StoreConformance, MfaStepIsUsedOnce) {
  auto a = transact(*store_, [](Tx& tx) { return tx.use_mfa_step("EKCAAAAAAA", 100); });
  auto b = transact(*store_, [](Tx& tx) { return tx.use_mfa_step("EKCAAAAAAA", 100); });
  auto c = transact(*store_, [](Tx& tx) { return tx.use_mfa_step("EKCAAAAAAA", 99); });
  EXPECT_TRUE(*a);
  EXPECT_FALSE(*b);
  EXPECT_FALSE(*c);
}

TEST_P(StoreConformance, UsageControlsUpsertKeepsNulls) {
  UsageControlsRow u;
  u.card_id = "EKCAAAAAAA";
  u.dtd_paise = 1250;
  u.created_by = "me";
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) { return tx.upsert_usage_controls(u); }));
  u.dtd_paise.reset();
  u.mtd_count = 7;
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) { return tx.upsert_usage_controls(u); }));
  auto got = transact(*store_, [](Tx& tx) { return tx.find_usage_controls("EKCAAAAAAA"); });
  ASSERT_TRUE(got && *got);
  EXPECT_FALSE((*got)->dtd_paise.has_value());
  EXPECT_EQ((*got)->mtd_count, 7);
}

TEST_P(StoreConformance, PhysicalOrderStatusIsConditional) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) {
    return tx.insert_physical_order({"PCO1", "EKCAAAAAAA", "CRAAAAAAA", "a", "", "c", "s", "IN", "560001",
                                     "ORDERED", 1, 1});
  }));
  auto ok = transact(*store_, [](Tx& tx) { return tx.update_physical_order_status("PCO1", "ORDERED", "DISPATCHED", 2); });
  auto stale = transact(*store_, [](Tx& tx) { return tx.update_physical_order_status("PCO1", "ORDERED", "RETURNED", 3); });
  EXPECT_TRUE(*ok);
  EXPECT_FALSE(*stale);
  auto latest = transact(*store_, [](Tx& tx) { return tx.find_physical_order_by_card("EKCAAAAAAA"); });
  EXPECT_EQ((*latest)->status, "DISPATCHED");
}

TEST_P(StoreConformance, DataSurvivesReopen) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.update_card_status("EKCAAAAAAA", "UL", "BL", 2); }));
  store_.reset();
  store_ = GetParam().open(dir_);
  ASSERT_NE(store_, nullptr);
  auto card = transact(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  EXPECT_EQ((*card)->status, "BL");
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreConformance, ::testing::ValuesIn(engines()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cardcore
