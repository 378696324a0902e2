// The storage conformance suite: every Store implementation must pass it unchanged. Engines are
// listed in `engines()`: SQLite always; PostgreSQL when CARDCORE_TEST_PG_DSN names a server
// (scripts/test starts one), each test in a fresh schema of its own that is dropped afterwards.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <future>
#include <thread>

#include "domain/clock.h"
#include "domain/deadline.h"
#include "domain/ledger.h"
#include "store/store.h"
#include "store/transfer.h"
#include "test_engine.h"

namespace cardcore {
namespace {

struct Engine {
  std::string name;
  // Opens the store kept under `dir` (the same dir reopens the same data).
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
  // Removes whatever the engine keeps outside `dir` (the PostgreSQL schema).
  std::function<void(const std::string& dir)> drop = [](const std::string&) {};
  // Runs one statement on the store's database behind the store's back; whether it succeeded.
  std::function<bool(const std::string& dir, const std::string& sql)> raw_sql;
};

void PrintTo(const Engine& e, std::ostream* os) { *os << e.name; }

// ---- PostgreSQL: one schema per test, selected through the connection's search_path ----

std::string pg_dsn() { return testsupport::admin_dsn(); }

std::string pg_schema_for(const std::string& dir) {
  std::string suffix = std::filesystem::path(dir).filename().string();
  suffix = suffix.substr(suffix.rfind('-') + 1);
  std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](unsigned char c) {
    return std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
  });
  return "test_" + suffix + "_" + std::to_string(getpid());
}

// Runs one administrative statement on its own connection (schema set-up and tear-down); a
// failure is a test failure unless `expect_ok` is false.
bool pg_admin(const std::string& sql, bool expect_ok = true) {
  const std::string error = testsupport::pg_exec(pg_dsn(), sql);
  if (!error.empty() && expect_ok) ADD_FAILURE() << sql << ": " << error;
  return error.empty();
}

std::vector<Engine> engines() {
  std::vector<Engine> out;
  out.push_back({"sqlite",
                 [](const std::string& dir) -> std::unique_ptr<Store> {
                   auto s = open_sqlite_store(dir + "/test.db");
                   EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
                   return s ? std::move(*s) : nullptr;
                 },
                 [](const std::string&) {},
                 [](const std::string& dir, const std::string& sql) {
                   sqlite3* db = nullptr;
                   bool ok = sqlite3_open((dir + "/test.db").c_str(), &db) == SQLITE_OK &&
                             sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
                   sqlite3_close(db);
                   return ok;
                 }});
  if (!pg_dsn().empty()) {
    out.push_back({"postgres",
                   [](const std::string& dir) -> std::unique_ptr<Store> {
                     std::string schema = pg_schema_for(dir);
                     if (!pg_admin("CREATE SCHEMA IF NOT EXISTS " + schema)) return nullptr;
                     auto s = open_postgres_store(testsupport::with_schema(pg_dsn(), schema));
                     EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
                     return s ? std::move(*s) : nullptr;
                   },
                   [](const std::string& dir) { pg_admin("DROP SCHEMA IF EXISTS " + pg_schema_for(dir) + " CASCADE"); },
                   [](const std::string& dir, const std::string& sql) {
                     return pg_admin("SET search_path = " + pg_schema_for(dir) + "; " + sql, /*expect_ok=*/false);
                   }});
  }
  return out;
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
    GetParam().drop(dir_);
    std::filesystem::remove_all(dir_);
  }

  // Another database of this engine beside the fixture's, called `name` (SQLite: a file in the
  // fixture's dir; PostgreSQL: a schema of its own), opened with `m`; and a statement run on it
  // behind the store's back (whether it succeeded), and its removal (PostgreSQL's schema).
  Result<std::unique_ptr<Store>> open_beside(const std::string& name, const MigrateOptions& m) {
    if (GetParam().name == "sqlite") return open_sqlite_store(dir_ + "/" + name + ".db", m);
    pg_admin("CREATE SCHEMA IF NOT EXISTS " + beside_schema(name));
    return open_postgres_store(testsupport::with_schema(pg_dsn(), beside_schema(name)), 1, m);
  }
  bool raw_sql_beside(const std::string& name, const std::string& sql) {
    if (GetParam().name == "postgres") return pg_admin("SET search_path = " + beside_schema(name) + "; " + sql, false);
    sqlite3* db = nullptr;
    bool ok = sqlite3_open((dir_ + "/" + name + ".db").c_str(), &db) == SQLITE_OK &&
              sqlite3_exec(db, ("PRAGMA foreign_keys=ON; " + sql).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
  }
  void drop_beside(const std::string& name) {
    if (GetParam().name == "postgres") pg_admin("DROP SCHEMA IF EXISTS " + beside_schema(name) + " CASCADE");
  }
  std::string beside_schema(const std::string& name) const { return pg_schema_for(dir_) + "_" + name; }

  void seed() { seed(*store_); }
  static void seed(Store& store) {
    ASSERT_TRUE(transact(store, [&](Tx& tx) -> Status {
      CC_RETURN_IF_ERROR(tx.insert_partner({"CRAAAAAAA", "P", "9000000001", "", "none", "CEKAAAAAAA", "h",
                                            Sealed{"k1", "blob"}, 1, Sealed{}}));
      CC_RETURN_IF_ERROR(tx.insert_company({"CEKAAAAAAA", "CRAAAAAAA", "Co", 1}));
      CC_RETURN_IF_ERROR(tx.insert_plan({"PMAAAAAAA", "CRAAAAAAA", "plan", "652150", 5, 100000, false, 1, "", ""}));
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
    c.status = CardStatus::kUnlocked;
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
  EXPECT_EQ((*card)->account_company_name, std::optional<std::string>("Co")) << "the account's company comes with the card";
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

TEST_P(StoreConformance, CountsPartnersFromZeroInANewStore) {
  char tmpl[] = "/tmp/cardcore-store-XXXXXX";
  const std::string empty_dir = mkdtemp(tmpl);
  std::unique_ptr<Store> empty = GetParam().open(empty_dir);
  Result<int64_t> none = empty ? transact(*empty, [](Tx& tx) { return tx.count_partners(); })
                               : Result<int64_t>(0);
  empty.reset();
  GetParam().drop(empty_dir);
  std::filesystem::remove_all(empty_dir);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(*none, 0);

  auto seeded = transact(*store_, [](Tx& tx) { return tx.count_partners(); });
  ASSERT_TRUE(seeded);
  EXPECT_EQ(*seeded, 1);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) {
    return tx.insert_partner({"CRBBBBBBB", "Q", "9000000002", "", "none", "CEKBBBBBBB", "h", Sealed{"k1", "b"}, 2, Sealed{}});
  }));
  auto two = transact(*store_, [](Tx& tx) { return tx.count_partners(); });
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, 2);
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
    CC_RETURN_IF_ERROR(tx.update_card_status("EKCAAAAAAA", CardStatus::kUnlocked, CardStatus::kBlocked, 5));
    return invalid_param("x", "refused");
  });
  ASSERT_FALSE(st);
  auto card = transact(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  EXPECT_EQ((*card)->status, CardStatus::kUnlocked);
}

TEST_P(StoreConformance, ConditionalStatusUpdateAppliesOnlyFromExpectedState) {
  auto first = transact(*store_, [](Tx& tx) { return tx.update_card_status("EKCAAAAAAA", CardStatus::kUnlocked, CardStatus::kLocked, 2); });
  auto second = transact(*store_, [](Tx& tx) { return tx.update_card_status("EKCAAAAAAA", CardStatus::kUnlocked, CardStatus::kLocked, 3); });
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
}

TEST_P(StoreConformance, AnUnknownStatusInARowIsAnErrorNamingTheRow) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_physical_order({"PCO1", "EKCAAAAAAA", "CRAAAAAAA", "a", "", "c", "s", "IN",
                                                 "560001", OrderStatus::kOrdered, 1, 1}));
    return tx.insert_status_change({"EKCAAAAAAA", std::nullopt, CardStatus::kUnlocked, "issued",
                                    ChangeChannel::kApi, "CRAAAAAAA", 1});
  }));
  // What another program (or a bad manual fix) could leave behind: never read as a default.
  ASSERT_TRUE(GetParam().raw_sql(dir_, "UPDATE physical_orders SET status = 'LOST' WHERE order_id = 'PCO1'"));
  ASSERT_TRUE(GetParam().raw_sql(dir_, "UPDATE card_status_changes SET channel = 'FAX' WHERE card_id = 'EKCAAAAAAA'"));
  auto order = transact(*store_, [](Tx& tx) { return tx.find_physical_order("PCO1"); });
  ASSERT_FALSE(order);
  EXPECT_NE(order.error().message.find("physical_orders row PCO1"), std::string::npos) << order.error().message;
  EXPECT_NE(order.error().message.find("'LOST'"), std::string::npos) << order.error().message;
  auto changes = transact(*store_, [](Tx& tx) { return tx.list_status_changes("EKCAAAAAAA"); });
  ASSERT_FALSE(changes);
  EXPECT_NE(changes.error().message.find("card_status_changes row"), std::string::npos) << changes.error().message;
  // The schema itself refuses an unknown card status.
  EXPECT_FALSE(GetParam().raw_sql(dir_, "UPDATE cards SET status = 'XX' WHERE card_id = 'EKCAAAAAAA'"));
}

// ---- Read-only units ----

TEST_P(StoreConformance, AReadSeesCommittedDataAndRefusesToWrite) {
  auto seen = transact_read(*store_, [](Tx& tx) { return tx.find_company("CEKAAAAAAA"); });
  ASSERT_TRUE(seen) << seen.error().message;
  ASSERT_TRUE(seen->has_value());
  EXPECT_EQ((*seen)->name, "Co");
  Status write = store_->read([](Tx& tx) { return tx.insert_company({"CEKRRRRRRR", "CRAAAAAAA", "Nope", 1}); });
  ASSERT_FALSE(write) << "a write inside a read-only unit must fail";
  EXPECT_EQ(write.error().code, code::kFailure);
  auto after = transact(*store_, [](Tx& tx) { return tx.find_company("CEKRRRRRRR"); });
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->has_value()) << "the refused write changed nothing";
  // A read unit that fails on purpose passes its error through.
  Status refused = store_->read([](Tx&) -> Status { return fail(code::kInvalidId, "nothing here", "x"); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, code::kInvalidId);
}

// A write unit is held open (inside its transaction, its insert not yet committed) while
// another thread reads: the read answers at once with the last committed state, without the
// open insert. If reads waited for the writer, the read would never finish while the writer
// waits for it; the bounded wait below turns that deadlock into a failure instead of a hang.
TEST_P(StoreConformance, AReadDoesNotWaitForAnOpenWrite) {
  std::promise<void> inserted, read_done;
  std::thread writer([&] {
    Status st = store_->run([&](Tx& tx) -> Status {
      CC_RETURN_IF_ERROR(tx.insert_company({"CEKWWWWWWW", "CRAAAAAAA", "Open", 1}));
      inserted.set_value();
      read_done.get_future().wait();
      return {};
    });
    EXPECT_TRUE(st) << st.error().message;
  });
  inserted.get_future().wait();
  auto reader = std::async(std::launch::async, [&] {
    return transact_read(*store_, [](Tx& tx) -> Result<std::pair<bool, bool>> {
      CC_ASSIGN_OR_RETURN(auto open, tx.find_company("CEKWWWWWWW"));
      CC_ASSIGN_OR_RETURN(auto old, tx.find_company("CEKAAAAAAA"));
      return std::pair{open.has_value(), old.has_value()};
    });
  });
  const bool finished = reader.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  read_done.set_value();  // let the writer commit either way
  writer.join();
  ASSERT_TRUE(finished) << "the read waited for the open write unit";
  auto r = reader.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->first) << "a read saw a write that was not committed";
  EXPECT_TRUE(r->second);
  auto now = transact_read(*store_, [](Tx& tx) { return tx.find_company("CEKWWWWWWW"); });
  ASSERT_TRUE(now);
  EXPECT_TRUE(now->has_value()) << "a read after the commit sees it";
}

// Many readers at once alongside a writer: every read sees either the whole of a unit or none
// of it (a card's wallet and the pool always sum to what was funded).
TEST_P(StoreConformance, ConcurrentReadsSeeWholeUnits) {
  const std::string pool = ledger::pool_account("CAAAAAAAA"), wallet = ledger::wallet_account("EKCAAAAAAA");
  ASSERT_TRUE(transact(*store_, [](Tx& tx) {
    return tx.post_entry(ledger::fund("CEKAAAAAAA", "CAAAAAAAA", 100'000, "F1"), "CRAAAAAAA", 1);
  }));
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto sum = transact_read(*store_, [&](Tx& tx) -> Result<int64_t> {
          CC_ASSIGN_OR_RETURN(LedgerBalance p, tx.ledger_balance(pool));
          CC_ASSIGN_OR_RETURN(LedgerBalance w, tx.ledger_balance(wallet));
          return p.balance_paise + w.balance_paise;
        });
        if (!sum || *sum != 100'000) ++torn;
        ++reads;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(transact(*store_, [&](Tx& tx) {
      return tx.post_entry(ledger::load("CAAAAAAAA", "EKCAAAAAAA", 100, 1'000'000'000, "L" + std::to_string(i)),
                           "CRAAAAAAA", 2);
    }));
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_GT(reads.load(), 0);
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

TEST_P(StoreConformance, UsageControlsKeepTheirMerchantListsAndReplaceThemWhole) {
  UsageControlsRow u;
  u.card_id = "EKCAAAAAAA";
  u.merchant = {{"5411", "5812"}, {"7995"}, {"SHOP 1", "SHOP-2"}, {"840"}};
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) { return tx.upsert_usage_controls(u); }));
  auto got = transact_read(*store_, [](Tx& tx) { return tx.find_usage_controls("EKCAAAAAAA"); });
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->merchant.allowed_mccs, (std::vector<std::string>{"5411", "5812"}));
  EXPECT_EQ((*got)->merchant.blocked_mccs, (std::vector<std::string>{"7995"}));
  EXPECT_EQ((*got)->merchant.blocked_merchant_ids, (std::vector<std::string>{"SHOP 1", "SHOP-2"}));
  EXPECT_EQ((*got)->merchant.blocked_countries, (std::vector<std::string>{"840"}));
  u.merchant = {};
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) { return tx.upsert_usage_controls(u); }));
  got = transact_read(*store_, [](Tx& tx) { return tx.find_usage_controls("EKCAAAAAAA"); });
  ASSERT_TRUE(got && *got);
  EXPECT_TRUE((*got)->merchant.allowed_mccs.empty());
  EXPECT_TRUE((*got)->merchant.blocked_mccs.empty());
  EXPECT_TRUE((*got)->merchant.blocked_merchant_ids.empty());
  EXPECT_TRUE((*got)->merchant.blocked_countries.empty());
}

TEST_P(StoreConformance, PinFailuresClearOnlyFromTheCountRead) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    for (int i = 0; i < 3; ++i) CC_RETURN_IF_ERROR(tx.record_pin_failure("EKCAAAAAAA"));
    return {};
  }));
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.clear_pin_failures("EKCAAAAAAA", 2, 50); }));
  EXPECT_TRUE(*transact(*store_, [](Tx& tx) { return tx.clear_pin_failures("EKCAAAAAAA", 3, 50); }));
  auto card = transact_read(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  ASSERT_TRUE(card && *card);
  EXPECT_EQ((*card)->pin_failures, 0);
  EXPECT_EQ((*card)->modified_at, 50);
}

TEST_P(StoreConformance, PhysicalOrderStatusIsConditional) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) {
    return tx.insert_physical_order({"PCO1", "EKCAAAAAAA", "CRAAAAAAA", "a", "", "c", "s", "IN", "560001",
                                     OrderStatus::kOrdered, 1, 1});
  }));
  auto ok = transact(*store_, [](Tx& tx) { return tx.update_physical_order_status("PCO1", OrderStatus::kOrdered, OrderStatus::kDispatched, 2); });
  auto stale = transact(*store_, [](Tx& tx) { return tx.update_physical_order_status("PCO1", OrderStatus::kOrdered, OrderStatus::kReturned, 3); });
  EXPECT_TRUE(*ok);
  EXPECT_FALSE(*stale);
  auto latest = transact(*store_, [](Tx& tx) { return tx.find_physical_order_by_card("EKCAAAAAAA"); });
  EXPECT_EQ((*latest)->status, OrderStatus::kDispatched);
}

TEST_P(StoreConformance, DataSurvivesReopen) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.update_card_status("EKCAAAAAAA", CardStatus::kUnlocked, CardStatus::kBlocked, 2); }));
  store_.reset();
  store_ = GetParam().open(dir_);
  ASSERT_NE(store_, nullptr);
  auto card = transact(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  EXPECT_EQ((*card)->status, CardStatus::kBlocked);
}

// ---- Ledger ----

class LedgerConformance : public StoreConformance {
 protected:
  static constexpr const char* kCompany = "CEKAAAAAAA";
  static constexpr const char* kAccount = "CAAAAAAAA";
  static constexpr const char* kCardA = "EKCAAAAAAA";
  static constexpr const char* kCardB = "EKCBBBBBBB";
  static constexpr int64_t kNoCeiling = 1'000'000'000;

  Result<int64_t> post(const ledger::Entry& e, int64_t now = 10) {
    return transact(*store_, [&](Tx& tx) { return tx.post_entry(e, "CRAAAAAAA", now); });
  }
  int64_t balance(const std::string& account) {
    auto b = transact(*store_, [&](Tx& tx) { return tx.ledger_balance(account); });
    EXPECT_TRUE(b);
    return b ? b->balance_paise : -1;
  }
  int64_t held(const std::string& account) {
    auto b = transact(*store_, [&](Tx& tx) { return tx.ledger_balance(account); });
    return b ? b->held_paise : -1;
  }
  std::vector<std::string> verify() {
    auto v = transact(*store_, [](Tx& tx) { return tx.verify_ledger(); });
    EXPECT_TRUE(v) << (v ? "" : v.error().message);
    return v ? *v : std::vector<std::string>{"verify failed"};
  }
};

TEST_P(LedgerConformance, BalancedEntriesMoveMoneyAndCardsSeeTheirWallet) {
  auto funded = post(ledger::fund(kCompany, kAccount, 10'000, "F1"));
  ASSERT_TRUE(funded) << funded.error().message;
  auto loaded = post(ledger::load(kAccount, kCardA, 3'000, kNoCeiling, "L1"));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_GT(*loaded, *funded);
  EXPECT_EQ(balance(ledger::source_account(kCompany)), -10'000);
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), 7'000);
  EXPECT_EQ(balance(ledger::wallet_account(kCardA)), 3'000);
  EXPECT_EQ(balance(ledger::wallet_account("EKCUNKNOWN")), 0) << "an account never posted to reads as zero";
  auto card = transact(*store_, [](Tx& tx) { return tx.find_card(kCardA); });
  ASSERT_TRUE(card && *card);
  EXPECT_EQ((*card)->balance_paise, 3'000);
  EXPECT_TRUE(verify().empty());
}

TEST_P(LedgerConformance, ReusedReferenceIs409AndPostsNothing) {
  ASSERT_TRUE(post(ledger::fund(kCompany, kAccount, 10'000, "F1")));
  auto again = post(ledger::fund(kCompany, kAccount, 5'000, "F1"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, code::kDuplicate);
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), 10'000);
  // Same reference under another kind or scope is a different entry.
  ASSERT_TRUE(post(ledger::load(kAccount, kCardA, 1'000, kNoCeiling, "F1")));
  auto other_scope = transact(*store_, [](Tx& tx) {
    return tx.post_entry(ledger::fund(kCompany, kAccount, 1, "F1"), "CRBBBBBBB", 10);
  });
  EXPECT_TRUE(other_scope);
  EXPECT_TRUE(verify().empty());
}

TEST_P(LedgerConformance, InsufficientFundsRefusesTheWholeEntry) {
  ASSERT_TRUE(post(ledger::fund(kCompany, kAccount, 1'000, "F1")));
  auto r = post(ledger::load(kAccount, kCardA, 1'001, kNoCeiling, "L1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, code::kInsufficientFunds);
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), 1'000);
  EXPECT_EQ(balance(ledger::wallet_account(kCardA)), 0);
  // The refused entry left no trace: its reference is still free.
  ASSERT_TRUE(post(ledger::load(kAccount, kCardA, 1'000, kNoCeiling, "L1")));
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), 0);
  EXPECT_TRUE(verify().empty());
}

TEST_P(LedgerConformance, CeilingRefusesALoadAboveTheMaximumBalance) {
  ASSERT_TRUE(post(ledger::fund(kCompany, kAccount, 10'000, "F1")));
  ASSERT_TRUE(post(ledger::load(kAccount, kCardA, 4'000, 5'000, "L1")));
  auto over = post(ledger::load(kAccount, kCardA, 1'001, 5'000, "L2"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, code::kMaxBalanceExceeded);
  auto exact = post(ledger::load(kAccount, kCardA, 1'000, 5'000, "L3"));
  EXPECT_TRUE(exact);
  EXPECT_EQ(balance(ledger::wallet_account(kCardA)), 5'000);
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), 5'000);
}

TEST_P(LedgerConformance, UnbalancedOrMalformedEntriesAreRefused) {
  ledger::Entry unbalanced{"FUND", "U1", {{ledger::source_account(kCompany), -5, std::nullopt},
                                          {ledger::pool_account(kAccount), 4, std::nullopt}}};
  EXPECT_FALSE(post(unbalanced));
  ledger::Entry bad_account{"FUND", "U2", {{"nobody", -5, std::nullopt}, {ledger::pool_account(kAccount), 5, std::nullopt}}};
  EXPECT_FALSE(post(bad_account));
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), 0);
  EXPECT_TRUE(verify().empty());
}

TEST_P(LedgerConformance, VerifyIsCleanAfterManyPostings) {
  ASSERT_TRUE(post(ledger::fund(kCompany, kAccount, 1'000'000, "F0")));
  for (int i = 0; i < 60; ++i) {
    std::string ref = "R" + std::to_string(i);
    const char* card = i % 2 ? kCardA : kCardB;
    ASSERT_TRUE(post(ledger::load(kAccount, card, 1'000 + i, kNoCeiling, "L" + ref)));
    const char* other = i % 2 ? kCardB : kCardA;
    if (i % 3 == 0) {
      ASSERT_TRUE(post(ledger::clearing(card, 500, 0, "C" + ref)));
    }
    if (i % 5 == 0) {
      ASSERT_TRUE(post(ledger::refund(card, 100, "F" + ref)));
    }
    if (i % 7 == 0) {
      ASSERT_TRUE(post(ledger::move_between_cards(card, other, 10, "M" + ref)));
    }
    EXPECT_FALSE(post(ledger::load(kAccount, card, 10'000'000, kNoCeiling, "X" + ref)));
  }
  EXPECT_TRUE(verify().empty()) << ::testing::PrintToString(verify());
  int64_t total = balance(ledger::source_account(kCompany)) + balance(ledger::pool_account(kAccount)) +
                  balance(ledger::wallet_account(kCardA)) + balance(ledger::wallet_account(kCardB)) +
                  balance(ledger::network_settlement_account());
  EXPECT_EQ(total, 0);
}

TEST_P(LedgerConformance, HoldsReduceWhatIsAvailable) {
  ASSERT_TRUE(post(ledger::fund(kCompany, kAccount, 10'000, "F1")));
  ASSERT_TRUE(post(ledger::load(kAccount, kCardA, 5'000, kNoCeiling, "L1")));
  std::string wallet = ledger::wallet_account(kCardA);
  auto h1 = transact(*store_, [&](Tx& tx) { return tx.place_hold(wallet, 3'000); });
  auto h2 = transact(*store_, [&](Tx& tx) { return tx.place_hold(wallet, 2'001); });
  auto h3 = transact(*store_, [&](Tx& tx) { return tx.place_hold(wallet, 2'000); });
  ASSERT_TRUE(h1 && h2 && h3);
  EXPECT_EQ(*h1, std::optional<int64_t>(2'000)) << "a hold answers what is available after it";
  EXPECT_EQ(*h2, std::nullopt) << "only 2000 was available";
  EXPECT_EQ(*h3, std::optional<int64_t>(0));
  EXPECT_EQ(held(wallet), 5'000);
  auto unknown = transact(*store_, [](Tx& tx) { return tx.place_hold(ledger::wallet_account(kCardB), 1); });
  ASSERT_TRUE(unknown);
  EXPECT_EQ(*unknown, std::nullopt);
  // Spending from the wallet may not eat into the held amount.
  auto spend = post(ledger::clearing(kCardA, 1, 0, "C1"));
  ASSERT_FALSE(spend);
  EXPECT_EQ(spend.error().code, code::kInsufficientFunds);
  auto card = transact(*store_, [](Tx& tx) { return tx.find_card(kCardA); });
  EXPECT_EQ((*card)->held_paise, 5'000);
  EXPECT_FALSE(transact(*store_, [&](Tx& tx) { return tx.release_hold(wallet, 5'001); }));
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) { return tx.release_hold(wallet, 3'000); }));
  EXPECT_EQ(held(wallet), 2'000);
  ASSERT_TRUE(post(ledger::clearing(kCardA, 3'000, 0, "C2")));
  EXPECT_EQ(balance(wallet), 2'000);
  // Holds placed without an open authorization behind them are reported by verify.
  EXPECT_EQ(verify().size(), 1u);
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) { return tx.release_hold(wallet, 2'000); }));
  EXPECT_TRUE(verify().empty());
}

// 16 threads load cards from one funding pool at once: the pool never goes below zero and
// exactly floor(pool / amount) loads succeed, each refused one with kInsufficientFunds.
TEST_P(LedgerConformance, AUnitRefusedInsideABatchLeavesItsNeighboursCommitted) {
  ASSERT_TRUE(post(ledger::fund(kCompany, kAccount, 10'000, "fund-1")));
  auto load = [&](const char* card, int64_t paise, const char* ref) {
    return std::function<Status(Tx&)>([=](Tx& tx) -> Status {
      CC_RETURN_IF_ERROR(tx.post_entry(ledger::load(kAccount, card, paise, kNoCeiling, ref), "CRAAAAAAA", 11));
      return {};
    });
  };
  std::vector<std::function<Status(Tx&)>> units = {
      load(kCardA, 3'000, "batch-1"),
      load(kCardB, 9'000, "batch-2"),  // more than the pool still has after batch-1
      load(kCardB, 1'000, "batch-1"),  // the reference batch-1 is taken
      [](Tx& tx) -> Status {             // a failed statement the unit looks away from
        (void)tx.insert_company({"CEKAAAAAAA", "CRAAAAAAA", "again", 1});
        return {};
      },
      load(kCardB, 2'000, "batch-3"),
  };
  std::vector<Status> out = store_->run_batch(units);
  ASSERT_EQ(out.size(), units.size());
  EXPECT_TRUE(out[0]);
  ASSERT_FALSE(out[1]);
  EXPECT_EQ(out[1].error().code, code::kInsufficientFunds);
  ASSERT_FALSE(out[2]);
  EXPECT_EQ(out[2].error().code, code::kDuplicate);
  ASSERT_FALSE(out[3]);
  EXPECT_EQ(out[3].error().code, code::kFailure);
  EXPECT_TRUE(out[4]) << "a unit after refused ones still commits";
  EXPECT_EQ(balance(ledger::wallet_account(kCardA)), 3'000);
  EXPECT_EQ(balance(ledger::wallet_account(kCardB)), 2'000);
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), 5'000);
  EXPECT_TRUE(verify().empty());
}

// Inserts are sent ahead on PostgreSQL (sql::Statement::send, libpq's pipeline): their failure
// comes back from the unit's next statement that waits, or from its commit, not from the insert.
// On both engines the unit then fails whole, with the insert's error, and nothing of it stays.
TEST_P(LedgerConformance, AnInsertSentAheadThatFailsFailsItsWholeUnit) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.insert_message("ISO8583", "0100", "1", "R", "T", "first", 5); }));
  auto fund = [&](Tx& tx, int64_t paise, const char* ref) -> Status {
    CC_ASSIGN_OR_RETURN(int64_t entry, tx.post_entry(ledger::fund(kCompany, kAccount, paise, ref), "CRAAAAAAA", 11));
    (void)entry;
    return {};
  };
  auto fund_then_repeat = [&](const char* ref, bool read_after) {
    return transact(*store_, [&](Tx& tx) -> Status {
      CC_RETURN_IF_ERROR(fund(tx, 1'000, ref));
      CC_RETURN_IF_ERROR(tx.insert_message("ISO8583", "0100", "1", "R", "T", "again", 6));
      if (!read_after) return {};
      CC_ASSIGN_OR_RETURN(std::optional<std::string> other, tx.find_message("ISO8583", "0100", "2", "R", "T"));
      if (other) return internal_error("no message 2 was stored");
      return {};
    });
  };
  for (bool read_after : {true, false}) {  // found by the next read; found by the commit
    Status st = fund_then_repeat(read_after ? "fund-read" : "fund-commit", read_after);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, code::kDuplicate) << st.error().message;
  }
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), 0) << "the funding in those units did not stay";
  auto kept = transact(*store_, [](Tx& tx) { return tx.find_message("ISO8583", "0100", "1", "R", "T"); });
  ASSERT_TRUE(kept) << kept.error().message;
  ASSERT_TRUE(*kept);
  EXPECT_EQ(**kept, "first");
  // In a batch the failure is its own unit's: found when that unit ends, its neighbours commit.
  std::vector<std::function<Status(Tx&)>> units = {
      [&](Tx& tx) { return fund(tx, 100, "b-1"); },
      [&](Tx& tx) -> Status {
        CC_RETURN_IF_ERROR(fund(tx, 200, "b-2"));
        return tx.insert_message("ISO8583", "0100", "1", "R", "T", "in a batch", 7);
      },
      [&](Tx& tx) { return fund(tx, 400, "b-3"); },
  };
  std::vector<Status> out = store_->run_batch(units);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0]);
  ASSERT_FALSE(out[1]);
  EXPECT_EQ(out[1].error().code, code::kDuplicate) << out[1].error().message;
  EXPECT_TRUE(out[2]);
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), 500);
  EXPECT_TRUE(verify().empty());
}

// A unit may send many statements ahead (PostgreSQL's pipeline queues them all and reads their
// results only at the commit): no cap is needed, because libpq reads the server's results
// whenever its own writes would block, so neither side waits for the other forever. The last
// of them failing still fails the whole unit.
TEST_P(LedgerConformance, AUnitSendingTwentyThousandStatementsAheadCommitsOrFailsWhole) {
  constexpr int kSends = 20'000;
  auto send_all = [&](const char* stan, bool repeat_the_first_at_the_end) {
    return transact(*store_, [&](Tx& tx) -> Status {
      for (int i = 0; i < kSends; ++i) {
        CC_RETURN_IF_ERROR(tx.insert_message("ISO8583", "0100", stan, "R" + std::to_string(i), "T", "a", 8));
      }
      if (repeat_the_first_at_the_end) return tx.insert_message("ISO8583", "0100", stan, "R0", "T", "again", 8);
      return {};
    });
  };
  ASSERT_TRUE(send_all("1", false));
  Status refused = send_all("2", true);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, code::kDuplicate) << refused.error().message;
  auto found = [&](const char* stan, int i) {
    auto m = transact_read(*store_, [&](Tx& tx) { return tx.find_message("ISO8583", "0100", stan, "R" + std::to_string(i), "T"); });
    EXPECT_TRUE(m) << m.error().message;
    return m && m->has_value();
  };
  EXPECT_TRUE(found("1", 0));
  EXPECT_TRUE(found("1", kSends - 1));
  EXPECT_FALSE(found("2", 0)) << "nothing of the refused unit stayed";
  EXPECT_FALSE(found("2", kSends - 1));
}

TEST_P(LedgerConformance, ConcurrentLoadsNeverOverdrawThePool) {
  constexpr int64_t kPool = 100'000, kAmount = 700;
  constexpr int kThreads = 16, kEach = 20;
  ASSERT_TRUE(post(ledger::fund(kCompany, kAccount, kPool, "F1")));
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string ref = "T" + std::to_string(t) + "N" + std::to_string(i);
        auto r = post(ledger::load(kAccount, (t + i) % 2 ? kCardA : kCardB, kAmount, kNoCeiling, ref));
        if (r) ++ok;
        else if (r.error().code == code::kInsufficientFunds) ++refused;
        else { ++other; ADD_FAILURE() << r.error().message; }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kPool / kAmount);
  EXPECT_EQ(refused.load(), kThreads * kEach - kPool / kAmount);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(balance(ledger::pool_account(kAccount)), kPool % kAmount);
  EXPECT_EQ(balance(ledger::wallet_account(kCardA)) + balance(ledger::wallet_account(kCardB)),
            (kPool / kAmount) * kAmount);
  EXPECT_TRUE(verify().empty());
}

// ---- Card transactions ----

TransactionRow txn(int n, const std::string& status, const std::string& direction, int64_t amount, int64_t at,
                   const std::string& card = "EKCAAAAAAA") {
  TransactionRow t;
  t.txn_id = "ECTR" + std::to_string(100000000 + n);
  t.partner_id = "CRAAAAAAA";
  t.company_id = "CEKAAAAAAA";
  t.card_account_id = "CAAAAAAAA";
  t.card_id = card;
  t.user_id = "EKAAAAAA";
  t.card_last4 = "1234";
  t.holder_name = "H";
  t.company_name = "Co";
  t.direction = direction;
  t.amount_paise = amount;
  t.balance_after_paise = 0;
  t.pg_reference = "REF" + std::to_string(n);
  t.type = "LOAD_MONEY";
  t.status = status;
  t.description = t.remarks = t.created_by = "";
  t.details_json = "{}";
  t.created_at = t.modified_at = at;
  return t;
}

TEST_P(StoreConformance, TransactionsListNewestFirstWithFiltersAndPaging) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    for (int i = 0; i < 10; ++i) {
      CC_RETURN_IF_ERROR(tx.insert_transaction(txn(i, i % 3 ? "SUCCESS" : "DECLINED", i % 2 ? "DR" : "CR",
                                                   100 * (i + 1), 1000 + i, i < 7 ? "EKCAAAAAAA" : "EKCBBBBBBB")));
    }
    return {};
  }));
  auto list = [&](TransactionFilter f) {
    f.partner_id = "CRAAAAAAA";
    f.card_account_id = "CAAAAAAAA";
    auto page = transact(*store_, [&](Tx& tx) { return tx.list_transactions(f); });
    EXPECT_TRUE(page) << (page ? "" : page.error().message);
    return page ? *page : TransactionPage{};
  };
  auto ids = [](const TransactionPage& p) {
    std::vector<int> out;
    for (const auto& r : p.rows) out.push_back(std::stoi(r.txn_id.substr(4)) - 100000000);
    return out;
  };
  TransactionFilter all;
  all.limit = 4;
  TransactionPage first = list(all);
  EXPECT_EQ(first.total, 10);
  EXPECT_EQ(ids(first), (std::vector<int>{9, 8, 7, 6}));
  all.offset = 8;
  EXPECT_EQ(ids(list(all)), (std::vector<int>{1, 0}));

  TransactionFilter f;
  f.status = "DECLINED";
  EXPECT_EQ(ids(list(f)), (std::vector<int>{9, 6, 3, 0}));
  f = {};
  f.direction = "DR";
  f.card_id = "EKCAAAAAAA";
  EXPECT_EQ(ids(list(f)), (std::vector<int>{5, 3, 1}));
  f = {};
  f.amount_from_paise = 300;
  f.amount_to_paise = 500;
  f.from_time = 1003;
  f.to_time = 1004;
  EXPECT_EQ(ids(list(f)), (std::vector<int>{4, 3}));
  f = {};
  f.txn_ids = {"ECTR100000001", "ECTR100000005", "ECTR999999999"};
  EXPECT_EQ(ids(list(f)), (std::vector<int>{5, 1}));
  f = {};
  f.pg_references = {"REF2", "REF8"};
  f.status = "SUCCESS";
  TransactionPage refs = list(f);
  EXPECT_EQ(ids(refs), (std::vector<int>{8, 2}));
  EXPECT_EQ(refs.total, 2);
  f = {};
  f.status = "x' OR '1'='1";
  EXPECT_EQ(list(f).total, 0) << "values are bound, never spliced into SQL";

  auto one = transact(*store_, [](Tx& tx) { return tx.find_transaction("CRAAAAAAA", "ECTR100000004"); });
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->amount_paise, 500);
  EXPECT_EQ((*one)->entry_id, 0);
  auto by_ref = transact(*store_, [](Tx& tx) { return tx.find_transaction_by_reference("CRAAAAAAA", "", "REF8"); });
  ASSERT_TRUE(by_ref && *by_ref);
  EXPECT_EQ((*by_ref)->card_id, "EKCBBBBBBB");
  auto wrong_card = transact(*store_, [](Tx& tx) {
    return tx.find_transaction_by_reference("CRAAAAAAA", "EKCAAAAAAA", "REF8");
  });
  EXPECT_FALSE(wrong_card->has_value());
  auto dup = transact(*store_, [](Tx& tx) { return tx.insert_transaction(txn(4, "SUCCESS", "CR", 1, 1)); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, code::kDuplicate);
}

// ---- Idempotency-Key ----

TEST_P(StoreConformance, IdempotencyClaimKinds) {
  using Kind = IdempotencyClaim::Kind;
  auto claim = [&](const std::string& key, const std::string& digest, int64_t now) {
    auto c = transact(*store_, [&](Tx& tx) { return tx.claim_idempotency_key("CRAAAAAAA", key, digest, now, 1000, 60); });
    EXPECT_TRUE(c) << (c ? "" : c.error().message);
    return c ? *c : IdempotencyClaim{};
  };
  EXPECT_EQ(claim("k1", "d1", 100).kind, Kind::kNew);
  EXPECT_EQ(claim("k1", "d1", 110).kind, Kind::kRunning);
  EXPECT_EQ(claim("k1", "d2", 110).kind, Kind::kMismatch);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.finish_idempotency_key("CRAAAAAAA", "k1", 201, "{\"ok\":1}"); }));
  IdempotencyClaim replay = claim("k1", "d1", 120);
  EXPECT_EQ(replay.kind, Kind::kReplay);
  EXPECT_EQ(replay.http_status, 201);
  EXPECT_EQ(replay.response_body, "{\"ok\":1}");
  EXPECT_EQ(claim("k1", "d2", 120).kind, Kind::kMismatch);
  // A finished claim is not released; a running one is.
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.release_idempotency_key("CRAAAAAAA", "k1"); }));
  EXPECT_EQ(claim("k1", "d1", 130).kind, Kind::kReplay);
  EXPECT_EQ(claim("k2", "d1", 130).kind, Kind::kNew);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.release_idempotency_key("CRAAAAAAA", "k2"); }));
  EXPECT_EQ(claim("k2", "d9", 131).kind, Kind::kNew);
  // A running claim older than the lease is taken over; any claim older than the TTL is forgotten.
  EXPECT_EQ(claim("k2", "d9", 131 + 59).kind, Kind::kRunning);
  EXPECT_EQ(claim("k2", "d8", 131 + 60).kind, Kind::kNew);
  EXPECT_EQ(claim("k1", "d7", 100 + 1000).kind, Kind::kNew);
  // Keys are per partner.
  auto other = transact(*store_, [](Tx& tx) { return tx.claim_idempotency_key("CRBBBBBBB", "k1", "d7", 1100, 1000, 60); });
  EXPECT_EQ(other->kind, Kind::kNew);
}

TEST_P(StoreConformance, ConcurrentClaimsOfOneKeyHaveOneWinner) {
  std::atomic<int> fresh{0}, running{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto c = transact(*store_, [](Tx& tx) { return tx.claim_idempotency_key("CRAAAAAAA", "race", "d", 5, 1000, 60); });
      if (!c) ++failed;
      else if (c->kind == IdempotencyClaim::Kind::kNew) ++fresh;
      else if (c->kind == IdempotencyClaim::Kind::kRunning) ++running;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(running.load(), 7);
  EXPECT_EQ(failed.load(), 0);
}

// ---- Webhook outbox ----

TEST_P(StoreConformance, WebhookClaimsLeaseDueEventsOldestFirst) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    for (int i = 0; i < 4; ++i) {
      CC_RETURN_IF_ERROR(tx.insert_webhook_event({"EV" + std::to_string(i), "CRAAAAAAA", "card.status",
                                                  "{}", 10 + i, 100 + (i == 3 ? 1000 : i), 0, "PENDING", "", ""}));
    }
    return {};
  }));
  auto claim = [&](int64_t now, size_t limit) {
    auto c = transact(*store_, [&](Tx& tx) { return tx.claim_due_webhooks(now, limit, 30); });
    EXPECT_TRUE(c) << (c ? "" : c.error().message);
    std::vector<std::string> ids;
    if (c) for (const auto& e : *c) ids.push_back(e.event_id);
    return ids;
  };
  EXPECT_EQ(claim(99, 10), std::vector<std::string>{});
  EXPECT_EQ(claim(200, 2), (std::vector<std::string>{"EV0", "EV1"}));
  EXPECT_EQ(claim(200, 10), (std::vector<std::string>{"EV2"})) << "leased events are not claimed again";
  EXPECT_EQ(claim(229, 10), std::vector<std::string>{});
  ASSERT_TRUE(transact(*store_, [](Tx& tx) {
    return tx.record_webhook_attempt("EV0", 1, 201, 200, "", "DELIVERED", 0);
  }));
  ASSERT_TRUE(transact(*store_, [](Tx& tx) {
    return tx.record_webhook_attempt("EV0", 1, 201, 200, "", "DELIVERED", 0);  // a repeat is harmless
  }));
  EXPECT_EQ(claim(230, 10), (std::vector<std::string>{"EV1", "EV2"})) << "an expired lease is due again";
  auto listed = transact(*store_, [](Tx& tx) { return tx.list_webhook_events("CRAAAAAAA", 3); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].event_id, "EV3") << "newest first";
  EXPECT_EQ((*listed)[2].event_id, "EV1");
  EXPECT_EQ((*listed)[2].next_attempt_at, 260);
  EXPECT_EQ((*listed)[2].state, "PENDING");
  ASSERT_TRUE(transact(*store_, [](Tx& tx) {
    return tx.record_webhook_attempt("EV1", 1, 231, 0, "connection refused", "PENDING", 300);
  }));
  ASSERT_TRUE(transact(*store_, [](Tx& tx) {
    return tx.record_webhook_attempt("EV1", 2, 301, 503, "HTTP 503", "PENDING", 400);
  }));
  auto attempts = transact(*store_, [](Tx& tx) { return tx.list_webhook_attempts("EV1"); });
  ASSERT_TRUE(attempts) << attempts.error().message;
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ((*attempts)[0].attempt, 1);
  EXPECT_EQ((*attempts)[0].http_status, 0);
  EXPECT_EQ((*attempts)[0].error, "connection refused");
  EXPECT_EQ((*attempts)[1].at, 301);
  EXPECT_EQ((*attempts)[1].http_status, 503);
  auto one = transact(*store_, [](Tx& tx) { return tx.list_webhook_attempts("EV0"); });
  ASSERT_EQ(one->size(), 1u) << "the repeated attempt was recorded once";
  EXPECT_TRUE(transact(*store_, [](Tx& tx) { return tx.list_webhook_attempts("EV9"); })->empty());
}

TEST_P(StoreConformance, ParallelWebhookWorkersNeverShareAnEvent) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    for (int i = 0; i < 40; ++i) {
      CC_RETURN_IF_ERROR(tx.insert_webhook_event({"EV" + std::to_string(i), "CRAAAAAAA", "t", "{}", i, 0, 0, "PENDING", "", ""}));
    }
    return {};
  }));
  std::mutex mu;
  std::vector<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 10; ++round) {
        auto c = transact(*store_, [](Tx& tx) { return tx.claim_due_webhooks(100, 3, 60); });
        ASSERT_TRUE(c);
        std::lock_guard lock(mu);
        for (const auto& e : *c) seen.push_back(e.event_id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "an event was claimed twice";
  EXPECT_EQ(seen.size(), 40u);
}

// ---- Authorizations and card messages ----

AuthorizationRow auth(const std::string& id, int64_t amount, int64_t at, authz::Channel channel = authz::Channel::kPos) {
  AuthorizationRow a;
  a.authorization_id = id;
  a.partner_id = "CRAAAAAAA";
  a.card_id = "EKCAAAAAAA";
  a.channel = channel;
  a.international = true;
  a.mcc = "5411";
  a.merchant_name = "M";
  a.merchant_id = "MID";
  a.source = "ISO8583";
  a.stan = "000001";
  a.rrn = "RRN" + id;
  a.terminal_id = "T1";
  a.authorized_paise = a.held_paise = amount;
  a.status = authz::AuthStatus::kOpen;
  a.auth_code = "123456";
  a.created_at = a.updated_at = at;
  return a;
}

TEST_P(StoreConformance, AuthorizationUpdateIsConditionalOnTheHeldAmount) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.insert_authorization(auth("AUTH1", 5'000, 100)); }));
  auto found = transact(*store_, [](Tx& tx) { return tx.find_authorization("AUTH1"); });
  ASSERT_TRUE(found && *found);
  EXPECT_TRUE((*found)->international);
  EXPECT_EQ((*found)->held_paise, 5'000);
  AuthorizationRow captured = **found;
  captured.held_paise = 0;
  captured.captured_paise = 4'000;
  captured.status = authz::AuthStatus::kClosed;
  captured.updated_at = 200;
  auto first = transact(*store_, [&](Tx& tx) { return tx.update_authorization(captured, 5'000); });
  auto stale = transact(*store_, [&](Tx& tx) { return tx.update_authorization(captured, 5'000); });
  ASSERT_TRUE(first && stale);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*stale);
  auto after = transact(*store_, [](Tx& tx) { return tx.find_authorization("AUTH1"); });
  EXPECT_EQ((*after)->status, authz::AuthStatus::kClosed);
  EXPECT_EQ((*after)->channel, authz::Channel::kPos);
  EXPECT_EQ((*after)->captured_paise, 4'000);
  auto by_msg = transact(*store_, [](Tx& tx) {
    return tx.find_authorization_by_message("EKCAAAAAAA", "ISO8583", "000001", "RRNAUTH1", "T1");
  });
  ASSERT_TRUE(by_msg && *by_msg);
  EXPECT_EQ((*by_msg)->authorization_id, "AUTH1");
  auto dup = transact(*store_, [](Tx& tx) { return tx.insert_authorization(auth("AUTH1", 1, 1)); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, code::kDuplicate);
}

TEST_P(StoreConformance, AnUnknownAuthorizationChannelIsAnErrorNamingTheRow) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.insert_authorization(auth("AUTHX", 100, 1)); }));
  // The schema refuses an unknown status; the channel is checked where the row is read.
  EXPECT_FALSE(GetParam().raw_sql(dir_, "UPDATE authorizations SET status = 'HELD' WHERE authorization_id = 'AUTHX'"));
  ASSERT_TRUE(GetParam().raw_sql(dir_, "UPDATE authorizations SET channel = 'MOTO' WHERE authorization_id = 'AUTHX'"));
  auto a = transact(*store_, [](Tx& tx) { return tx.find_authorization("AUTHX"); });
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("authorizations row AUTHX has an unknown channel 'MOTO'"), std::string::npos)
      << a.error().message;
}

TEST_P(StoreConformance, OpenAuthorizationsBeforeOldestFirst) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("AUTH3", 1, 300)));
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("AUTH1", 1, 100)));
    AuthorizationRow closed = auth("AUTH2", 1, 200);
    closed.status = authz::AuthStatus::kClosed;
    return tx.insert_authorization(closed);
  }));
  auto open = transact(*store_, [](Tx& tx) { return tx.open_authorizations_before(301, 10); });
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].authorization_id, "AUTH1");
  EXPECT_EQ((*open)[1].authorization_id, "AUTH3");
  auto limited = transact(*store_, [](Tx& tx) { return tx.open_authorizations_before(300, 10); });
  EXPECT_EQ(limited->size(), 1u);
}

// Windows start at IST midnights (the store keeps use per IST day): the year 2027, March, and
// 15 March. An authorization counts in the day of its created_at, in IST.
TEST_P(StoreConformance, CardUsageSumsApprovedAuthorizationsPerWindow) {
  const int64_t year = clock::ist_midnight({2027, 1, 1}), month = clock::ist_midnight({2027, 3, 1}),
                day = clock::ist_midnight({2027, 3, 15});
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("A1", 100, year - 1)));              // 2026: ignored
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("A2", 200, year)));                  // year
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("A3", 300, month + 3600)));          // month
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("A4", 400, day, authz::Channel::kEcom)));  // day
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("A5", 500, day + 86'399)));          // day, POS, 23:59:59 IST
    return tx.insert_authorization(auth("A6", 0, day + 100));                            // nothing authorized: ignored
  }));
  UsageWindows w{day, month, year, authz::Channel::kPos};
  auto usage = [&] {
    auto u = transact(*store_, [&](Tx& tx) { return tx.card_usage("EKCAAAAAAA", w); });
    EXPECT_TRUE(u) << u.error().message;
    return u.value_or(UsageTotals{});
  };
  UsageTotals u = usage();
  EXPECT_EQ(u.day_paise, 900);
  EXPECT_EQ(u.month_paise, 1'200);
  EXPECT_EQ(u.year_paise, 1'400);
  EXPECT_EQ(u.day_count, 2);
  EXPECT_EQ(u.month_count, 3);
  EXPECT_EQ(u.year_count, 4);
  EXPECT_EQ(u.channel_day_paise, 500);
  EXPECT_EQ(u.channel_day_count, 1);
  auto none = transact(*store_, [&](Tx& tx) { return tx.card_usage("EKCBBBBBBB", w); });
  EXPECT_EQ(none->year_paise, 0);
  EXPECT_EQ(none->year_count, 0);

  // Updates move the counters: an increment adds, a reversal to nothing stops counting.
  auto update = [&](const char* id, int64_t authorized, int64_t held_before) {
    auto found = transact(*store_, [&](Tx& tx) { return tx.find_authorization(id); });
    ASSERT_TRUE(found && *found);
    AuthorizationRow r = **found;
    r.authorized_paise = r.held_paise = authorized;
    if (authorized == 0) r.status = authz::AuthStatus::kReversed;
    auto written = transact(*store_, [&](Tx& tx) { return tx.update_authorization(r, held_before); });
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_TRUE(*written);
  };
  update("A4", 650, 400);  // +250 on ECOM
  update("A5", 0, 500);    // POS reversed whole
  u = usage();
  EXPECT_EQ(u.day_paise, 650);
  EXPECT_EQ(u.day_count, 1);
  EXPECT_EQ(u.channel_day_paise, 0);
  EXPECT_EQ(u.channel_day_count, 0);
  EXPECT_EQ(u.year_paise, 1'400 + 250 - 500);
  EXPECT_EQ(u.year_count, 3);
  // A stale update changes neither the row nor the counters.
  auto stale = transact(*store_, [&](Tx& tx) -> Result<bool> {
    CC_ASSIGN_OR_RETURN(auto a, tx.find_authorization("A4"));
    AuthorizationRow r = *a;
    r.authorized_paise = 1;
    return tx.update_authorization(r, 400);
  });
  ASSERT_TRUE(stale);
  EXPECT_FALSE(*stale);
  EXPECT_EQ(usage().day_paise, 650);
}

TEST_P(StoreConformance, MessagesAnswerDuplicatesOnce) {
  auto missing = transact(*store_, [](Tx& tx) { return tx.find_message("ISO8583", "0100", "1", "R", "T"); });
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.insert_message("ISO8583", "0100", "1", "R", "T", "{\"a\":1}", 5); }));
  auto found = transact(*store_, [](Tx& tx) { return tx.find_message("ISO8583", "0100", "1", "R", "T"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, "{\"a\":1}");
  auto other_kind = transact(*store_, [](Tx& tx) { return tx.find_message("ISO8583", "0400", "1", "R", "T"); });
  EXPECT_FALSE(other_kind->has_value());
  auto dup = transact(*store_, [](Tx& tx) { return tx.insert_message("ISO8583", "0100", "1", "R", "T", "{}", 6); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, code::kDuplicate);
}

// A connection the server dropped (a restart, a failover, an administrator) is found broken in
// the round trip that carries the unit's BEGIN, before anything of the unit ran: the store runs
// the unit again on a new connection instead of failing it. Reads likewise.
TEST_P(StoreConformance, UnitsRunAgainOnNewConnectionsWhenTheServerDroppedThem) {
  if (GetParam().name != "postgres") GTEST_SKIP() << "SQLite has no server connection to lose";
  const std::string app = "cardcore_dropped_" + std::to_string(getpid());
  auto opened = open_postgres_store(testsupport::with_schema(pg_dsn(), pg_schema_for(dir_)) + " application_name=" + app, 2);
  ASSERT_TRUE(opened) << opened.error().message;
  std::unique_ptr<Store> store = std::move(*opened);
  auto write = [&](const std::string& stan) {
    return transact(*store, [&](Tx& tx) -> Status {
      CC_ASSIGN_OR_RETURN(std::optional<std::string> earlier, tx.find_message("ISO8583", "0100", stan, "R", "T"));
      if (earlier) return fail(code::kDuplicate, "message " + stan + " is stored already");
      return tx.insert_message("ISO8583", "0100", stan, "R", "T", "answer " + stan, 5);
    });
  };
  auto drop_connections = [&] {
    // pg_terminate_backend with a timeout waits until each backend has gone.
    ASSERT_TRUE(pg_admin("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = '" +
                         app + "'"));
  };
  ASSERT_TRUE(write("1"));
  drop_connections();
  Status again = write("2");
  ASSERT_TRUE(again) << again.error().message;
  drop_connections();
  auto read = transact_read(*store, [](Tx& tx) { return tx.find_message("ISO8583", "0100", "2", "R", "T"); });
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_TRUE(*read);
  EXPECT_EQ(**read, "answer 2");
  EXPECT_FALSE(write("2")) << "the unit ran once, not twice";
}

TEST_P(StoreConformance, PinAndMfaFailureCounters) {
  auto a = transact(*store_, [](Tx& tx) { return tx.record_pin_failure("EKCAAAAAAA"); });
  auto b = transact(*store_, [](Tx& tx) { return tx.record_pin_failure("EKCAAAAAAA"); });
  EXPECT_EQ(*a, 1);
  EXPECT_EQ(*b, 2);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.reset_pin_failures("EKCAAAAAAA"); }));
  auto card = transact(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  EXPECT_EQ((*card)->pin_failures, 0);
  auto m = transact(*store_, [](Tx& tx) { return tx.record_mfa_failure("EKCAAAAAAA"); });
  EXPECT_EQ(*m, 1);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.set_card_mfa_secret("EKCAAAAAAA", Sealed{"k2", std::string("\0\xff", 2)}, 3); }));
  card = transact(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  ASSERT_TRUE((*card)->mfa_secret.has_value());
  EXPECT_EQ((*card)->mfa_secret->blob, std::string("\0\xff", 2)) << "blobs are bytes, NUL included";
  EXPECT_EQ((*card)->mfa_failures, 0);
}

TEST_P(StoreConformance, AuditPagesBackwardsAndFilters) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    for (int i = 0; i < 5; ++i) {
      CC_RETURN_IF_ERROR(tx.insert_audit({0, i, i % 2 ? "CRAAAAAAA" : "CRBBBBBBB", "me", "card.view",
                                          i < 3 ? "EKCAAAAAAA" : "EKCBBBBBBB", "{}"}));
    }
    return {};
  }));
  auto all = transact(*store_, [](Tx& tx) { return tx.list_audit("", "", 0, 10); });
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 5u);
  EXPECT_GT((*all)[0].id, (*all)[1].id);
  auto page = transact(*store_, [&](Tx& tx) { return tx.list_audit("", "", (*all)[1].id, 2); });
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, (*all)[2].id);
  auto partner = transact(*store_, [](Tx& tx) { return tx.list_audit("CRAAAAAAA", "EKCAAAAAAA", 0, 10); });
  ASSERT_EQ(partner->size(), 1u);
  EXPECT_EQ((*partner)[0].at, 1);
}

// ---- Operations with no other conformance test: each round-trips on both engines ----

TEST_P(StoreConformance, PartnersAreFoundByIdAndCountedAndKeepTheirWebhookSettings) {
  auto n = transact(*store_, [](Tx& tx) { return tx.count_partners(); });
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.set_partner_webhook_url("CRAAAAAAA", "https://hooks.example/in"));
    return tx.set_partner_webhook_secret("CRAAAAAAA", Sealed{"k2", std::string("se\0cret", 7)});
  }));
  auto p = transact(*store_, [](Tx& tx) { return tx.find_partner("CRAAAAAAA"); });
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->webhook_url, "https://hooks.example/in");
  EXPECT_EQ((*p)->webhook_secret.key_id, "k2");
  EXPECT_EQ((*p)->webhook_secret.blob, std::string("se\0cret", 7)) << "blobs keep every byte, NUL included";
  EXPECT_EQ((*p)->client_id, "CEKAAAAAAA");
  auto none = transact(*store_, [](Tx& tx) { return tx.find_partner("CRNOPE000"); });
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  // The URL alone, as every recorded event reads it.
  auto url = transact_read(*store_, [](Tx& tx) { return tx.partner_webhook_url("CRAAAAAAA"); });
  ASSERT_TRUE(url && *url);
  EXPECT_EQ(**url, "https://hooks.example/in");
  auto no_partner = transact_read(*store_, [](Tx& tx) { return tx.partner_webhook_url("CRNOPE000"); });
  ASSERT_TRUE(no_partner);
  EXPECT_FALSE(no_partner->has_value());
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.set_partner_webhook_url("CRAAAAAAA", ""); }));
  auto cleared = transact_read(*store_, [](Tx& tx) { return tx.partner_webhook_url("CRAAAAAAA"); });
  ASSERT_TRUE(cleared && *cleared);
  EXPECT_EQ(**cleared, "") << "no URL: the partner gets no events";
}

TEST_P(StoreConformance, PlansAndAccountsRoundTrip) {
  auto plan = transact(*store_, [](Tx& tx) { return tx.find_plan("PMAAAAAAA"); });
  ASSERT_TRUE(plan && *plan);
  EXPECT_EQ((*plan)->bin, "652150");
  EXPECT_EQ((*plan)->validity_years, 5);
  EXPECT_EQ((*plan)->max_balance_paise, 100000);
  EXPECT_FALSE((*plan)->gift);
  auto acc = transact(*store_, [](Tx& tx) { return tx.find_card_account("CAAAAAAAA"); });
  ASSERT_TRUE(acc && *acc);
  EXPECT_EQ((*acc)->account_type, "MEAL");
  EXPECT_EQ((*acc)->email, "a@b.co");
  auto missing = transact(*store_, [](Tx& tx) { return tx.find_card_account("CANOPE000"); });
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StoreConformance, LoginUpdateSetsCountersAndLock) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.update_login("9000000001", 2, true, 7); }));
  auto l = transact(*store_, [](Tx& tx) { return tx.find_login("9000000001"); });
  ASSERT_TRUE(l && *l);
  EXPECT_EQ((*l)->failed_attempts, 2);
  EXPECT_TRUE((*l)->locked);
  EXPECT_EQ((*l)->updated_at, 7);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.update_login("9000000001", 0, false, 8); }));
  l = transact(*store_, [](Tx& tx) { return tx.find_login("9000000001"); });
  EXPECT_FALSE((*l)->locked);
}

TEST_P(StoreConformance, ATokenIsReadWithItsPartner) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.set_partner_webhook_secret("CRAAAAAAA", Sealed{"k2", std::string("se\0cret", 7)}));
    return tx.insert_token({"d7", "access", "CRAAAAAAA", "9000000001", 700});
  }));
  auto found = transact_read(*store_, [](Tx& tx) { return tx.find_token_with_partner("d7"); });
  auto partner = transact_read(*store_, [](Tx& tx) { return tx.find_partner("CRAAAAAAA"); });
  ASSERT_TRUE(found && *found && partner && *partner);
  const TokenRow& t = (*found)->token;
  EXPECT_EQ(t.digest, "d7");
  EXPECT_EQ(t.kind, "access");
  EXPECT_EQ(t.partner_id, "CRAAAAAAA");
  EXPECT_EQ(t.username, "9000000001");
  EXPECT_EQ(t.expires_at, 700);
  ASSERT_TRUE((*found)->partner);
  const PartnerRow& p = *(*found)->partner;
  EXPECT_EQ(p.partner_id, "CRAAAAAAA");
  EXPECT_EQ(p.name, (*partner)->name);
  EXPECT_EQ(p.client_id, (*partner)->client_id);
  EXPECT_EQ(p.client_secret_hash, (*partner)->client_secret_hash);
  EXPECT_EQ(p.payload_key.blob, (*partner)->payload_key.blob);
  EXPECT_EQ(p.webhook_secret.key_id, "k2");
  EXPECT_EQ(p.webhook_secret.blob, std::string("se\0cret", 7));
  EXPECT_EQ(p.created_at, (*partner)->created_at);
  auto none = transact_read(*store_, [](Tx& tx) { return tx.find_token_with_partner("d9"); });
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_P(StoreConformance, TokensAreDeletedOnceByDigestByLoginAndByExpiry) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_token({"d1", "access", "CRAAAAAAA", "9000000001", 100}));
    CC_RETURN_IF_ERROR(tx.insert_token({"d2", "refresh", "CRAAAAAAA", "9000000001", 200}));
    CC_RETURN_IF_ERROR(tx.insert_token({"d3", "access", "CRAAAAAAA", "9000000002", 50}));
    return tx.insert_token({"d4", "access", "CRAAAAAAA", "9000000002", 500});
  }));
  auto t = transact(*store_, [](Tx& tx) { return tx.find_token("d2"); });
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->kind, "refresh");
  EXPECT_EQ((*t)->expires_at, 200);
  auto dup = transact(*store_, [](Tx& tx) { return tx.insert_token({"d1", "access", "CRAAAAAAA", "x", 1}); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, code::kDuplicate);
  auto first = transact(*store_, [](Tx& tx) { return tx.delete_token("d1"); });
  auto again = transact(*store_, [](Tx& tx) { return tx.delete_token("d1"); });
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*again) << "a token is used or revoked once";
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.delete_expired_tokens(100); }));
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.find_token("d3"); })) << "expired at 50";
  EXPECT_TRUE(*transact(*store_, [](Tx& tx) { return tx.find_token("d2"); }));
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.delete_tokens_of("9000000001"); }));
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.find_token("d2"); }));
  EXPECT_TRUE(*transact(*store_, [](Tx& tx) { return tx.find_token("d4"); })) << "another login keeps its tokens";
}

TEST_P(StoreConformance, CardsAreFoundByFingerprintAndCounted) {
  auto by_fp = transact(*store_, [](Tx& tx) { return tx.find_card_by_fingerprint("fp2"); });
  ASSERT_TRUE(by_fp && *by_fp);
  EXPECT_EQ((*by_fp)->card_id, "EKCBBBBBBB");
  EXPECT_TRUE(*transact(*store_, [](Tx& tx) { return tx.pan_fingerprint_exists("fp1"); }));
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.pan_fingerprint_exists("fp9"); }));
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.find_card_by_fingerprint("fp9"); }));
  EXPECT_EQ(*transact(*store_, [](Tx& tx) { return tx.count_cards("CAAAAAAAA"); }), 2);
  EXPECT_EQ(*transact(*store_, [](Tx& tx) { return tx.count_cards("CANOPE000"); }), 0);
  auto clash = transact(*store_, [](Tx& tx) { return tx.insert_card(card("EKCCCCCCCC", "fp1")); });
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, code::kDuplicate) << "a card number's fingerprint is unique";
}

TEST_P(StoreConformance, ADecisionCardIsTheCardWithItsUsageControlsAndItsPartnersWebhookAddress) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.post_entry(ledger::fund("CEKAAAAAAA", "CAAAAAAAA", 100'000, "F1"), "CRAAAAAAA", 1));
    CC_RETURN_IF_ERROR(tx.post_entry(ledger::load("CAAAAAAAA", "EKCAAAAAAA", 5000, 1'000'000'000, "L1"), "CRAAAAAAA", 2));
    return {};
  }));
  auto plain = transact_read(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  auto bare = transact_read(*store_, [](Tx& tx) { return tx.find_decision_card("EKCAAAAAAA"); });
  ASSERT_TRUE(plain && *plain && bare && *bare);
  const CardRow& c = (*bare)->card;
  EXPECT_EQ(c.card_id, "EKCAAAAAAA");
  EXPECT_EQ(c.balance_paise, 5000) << "the card's columns read as find_card reads them";
  EXPECT_EQ(c.balance_paise, (*plain)->balance_paise);
  EXPECT_EQ(c.pan_fingerprint, (*plain)->pan_fingerprint);
  EXPECT_EQ(c.cvv.blob, (*plain)->cvv.blob);
  EXPECT_EQ(c.program_rules, (*plain)->program_rules);
  EXPECT_EQ(c.account_company_name, (*plain)->account_company_name);
  EXPECT_EQ(c.kyc_level, (*plain)->kyc_level);
  EXPECT_FALSE((*bare)->controls) << "no usage controls were ever set";
  EXPECT_EQ((*bare)->webhook_url, "");

  UsageControlsRow u;
  u.card_id = "EKCAAAAAAA";
  u.atm_allowed = false;
  u.dtd_paise = 1250;
  u.contactless_daily_count = 3;
  u.created_by = "me";
  u.merchant = {{"5411"}, {"7995", "7801"}, {"SHOP 1"}, {"840"}};
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.upsert_usage_controls(u));
    return tx.set_partner_webhook_url("CRAAAAAAA", "https://hooks.example/in");
  }));
  auto set = transact(*store_, [](Tx& tx) { return tx.find_decision_card("EKCAAAAAAA"); });
  auto controls = transact_read(*store_, [](Tx& tx) { return tx.find_usage_controls("EKCAAAAAAA"); });
  ASSERT_TRUE(set && *set && controls && *controls);
  ASSERT_TRUE((*set)->controls);
  const UsageControlsRow& got = *(*set)->controls;
  EXPECT_EQ(got.card_id, "EKCAAAAAAA");
  EXPECT_FALSE(got.atm_allowed);
  EXPECT_EQ(got.atm_allowed, (*controls)->atm_allowed);
  EXPECT_TRUE(got.pos_allowed);
  EXPECT_EQ(got.dtd_paise, 1250);
  EXPECT_FALSE(got.mtd_paise.has_value()) << "an unset limit stays unset";
  EXPECT_EQ(got.contactless_daily_count, 3);
  EXPECT_EQ(got.created_by, "me");
  EXPECT_EQ(got.merchant.blocked_mccs, (std::vector<std::string>{"7995", "7801"}));
  EXPECT_EQ(got.merchant.blocked_merchant_ids, (*controls)->merchant.blocked_merchant_ids);
  EXPECT_EQ(got.merchant.blocked_countries, (std::vector<std::string>{"840"}));
  EXPECT_EQ((*set)->webhook_url, "https://hooks.example/in");
  EXPECT_EQ((*set)->card.balance_paise, 5000);

  auto other = transact_read(*store_, [](Tx& tx) { return tx.find_decision_card_by_fingerprint("fp2"); });
  ASSERT_TRUE(other && *other);
  EXPECT_EQ((*other)->card.card_id, "EKCBBBBBBB");
  EXPECT_FALSE((*other)->controls) << "another card's controls are not this card's";
  EXPECT_EQ((*other)->webhook_url, "https://hooks.example/in");
  auto unknown = transact_read(*store_, [](Tx& tx) { return tx.find_decision_card("EKCNOPE000"); });
  auto unknown_fp = transact_read(*store_, [](Tx& tx) { return tx.find_decision_card_by_fingerprint("fp9"); });
  ASSERT_TRUE(unknown && unknown_fp);
  EXPECT_FALSE(unknown->has_value());
  EXPECT_FALSE(unknown_fp->has_value());
}

TEST_P(StoreConformance, CardSettersChangeOnlyTheirFields) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.record_pin_failure("EKCAAAAAAA"));
    CC_RETURN_IF_ERROR(tx.set_card_pin("EKCAAAAAAA", "pinhash", 3));
    CC_RETURN_IF_ERROR(tx.set_card_primary("EKCAAAAAAA", true, 4));
    CC_RETURN_IF_ERROR(tx.set_card_type("EKCAAAAAAA", "PHYSICAL", 5));
    return tx.set_card_replaced_by("EKCAAAAAAA", "EKCBBBBBBB", 6);
  }));
  auto a = transact(*store_, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); });
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->pin_hash, "pinhash");
  EXPECT_EQ((*a)->pin_failures, 0) << "a new PIN clears the wrong-PIN count";
  EXPECT_TRUE((*a)->primary_card);
  EXPECT_EQ((*a)->card_type, "PHYSICAL");
  EXPECT_EQ((*a)->replaced_by, "EKCBBBBBBB");
  EXPECT_EQ((*a)->modified_at, 6);
  auto b = transact(*store_, [](Tx& tx) { return tx.find_card("EKCBBBBBBB"); });
  EXPECT_FALSE((*b)->primary_card);
  EXPECT_EQ((*b)->card_type, "VIRTUAL");
  EXPECT_TRUE((*b)->replaced_by.empty());
}

TEST_P(StoreConformance, PhysicalOrdersAreFoundByIdAndTheLatestByCard) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_physical_order({"PCO1", "EKCAAAAAAA", "CRAAAAAAA", "a", "b", "c", "s", "IN",
                                                 "560001", OrderStatus::kReturned, 1, 1}));
    return tx.insert_physical_order({"PCO2", "EKCAAAAAAA", "CRAAAAAAA", "x", "", "c", "s", "IN", "560002",
                                     OrderStatus::kOrdered, 1, 1});
  }));
  auto one = transact(*store_, [](Tx& tx) { return tx.find_physical_order("PCO1"); });
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->address2, "b");
  EXPECT_EQ((*one)->pincode, "560001");
  auto latest = transact(*store_, [](Tx& tx) { return tx.find_physical_order_by_card("EKCAAAAAAA"); });
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->order_id, "PCO2") << "the latest order by insertion, even at the same second";
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.find_physical_order("PCO9"); }));
}

TEST_P(StoreConformance, StatusChangesListOldestFirst) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_status_change({"EKCAAAAAAA", CardStatus::kUnlocked, CardStatus::kLocked, "lost", ChangeChannel::kApi, "CRAAAAAAA", 5}));
    CC_RETURN_IF_ERROR(tx.insert_status_change({"EKCAAAAAAA", CardStatus::kLocked, CardStatus::kUnlocked, "found", ChangeChannel::kAdmin, "admin", 5}));
    return tx.insert_status_change({"EKCBBBBBBB", CardStatus::kUnlocked, CardStatus::kBlocked, "fraud", ChangeChannel::kSystem, "system", 6});
  }));
  auto h = transact(*store_, [](Tx& tx) { return tx.list_status_changes("EKCAAAAAAA"); });
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].new_status, CardStatus::kLocked);
  EXPECT_EQ((*h)[0].reason, "lost");
  EXPECT_EQ((*h)[1].channel, ChangeChannel::kAdmin);
  EXPECT_EQ((*h)[1].old_status, CardStatus::kLocked);
  EXPECT_EQ((*h)[1].actor, "admin");
  EXPECT_TRUE(transact(*store_, [](Tx& tx) { return tx.list_status_changes("EKCNOPE000"); })->empty());
}

TEST_P(StoreConformance, TransactionsOfAnotherPartnersAccountAreNeverListed) {
  TransactionRow t;
  t.txn_id = "ECTR1"; t.partner_id = "CRAAAAAAA"; t.company_id = "CEKAAAAAAA"; t.card_account_id = "CAAAAAAAA";
  t.card_id = "EKCAAAAAAA"; t.direction = "CR"; t.amount_paise = 100; t.pg_reference = "r1";
  t.type = "LOAD_MONEY"; t.status = "SUCCESS"; t.details_json = "{}"; t.created_at = t.modified_at = 1;
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) { return tx.insert_transaction(t); }));
  for (const char* partner : {"CRAAAAAAA", "CROTHER00"}) {
    for (int shape = 0; shape < 3; ++shape) {  // account only, with a card, with a reference list
      TransactionFilter f;
      f.partner_id = partner;
      f.card_account_id = "CAAAAAAAA";
      if (shape == 1) f.card_id = "EKCAAAAAAA";
      if (shape == 2) f.pg_references = {"r1"};
      auto page = transact(*store_, [&](Tx& tx) { return tx.list_transactions(f); });
      ASSERT_TRUE(page);
      size_t want = std::string(partner) == "CRAAAAAAA" ? 1 : 0;
      EXPECT_EQ(page->rows.size(), want) << partner << " shape " << shape;
      EXPECT_EQ(page->total, static_cast<int64_t>(want)) << partner << " shape " << shape;
    }
  }
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.find_transaction("CROTHER00", "ECTR1"); }));
}

TEST_P(StoreConformance, AFailedStatementTheUnitIgnoresIsNeverCommitted) {
  auto st = transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_company({"CEKCCCCCCC", "CRAAAAAAA", "Third", 2}));
    (void)tx.insert_card(card("EKCAAAAAAA", "fp7"));  // clashes; the unit looks away
    return {};
  });
  ASSERT_FALSE(st) << "both engines refuse to commit a unit with a failed statement";
  EXPECT_EQ(st.error().code, code::kFailure);
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.find_company("CEKCCCCCCC"); }));
}

// ---- Schema, migrations, commits observed ----

TEST_P(StoreConformance, AnOpenedStoreIsAtThisBuildsSchema) {
  auto s = schema_status(*store_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->latest, latest_migration_version(store_->engine()));
  EXPECT_EQ(s->version, s->latest);
  EXPECT_TRUE(s->current());
}

TEST_P(StoreConformance, MigrationsStopAtAVersionAndOpenAsFoundWhenNotApplied) {
  // A second database of this engine, beside the fixture's.
  const std::string dir = dir_ + "/second";
  std::filesystem::create_directories(dir);
  auto open = [&](const MigrateOptions& m) -> Result<std::unique_ptr<Store>> {
    if (GetParam().name == "sqlite") return open_sqlite_store(dir + "/second.db", m);
    const std::string schema = pg_schema_for(dir_) + "_second";
    pg_admin("CREATE SCHEMA IF NOT EXISTS " + schema);
    return open_postgres_store(testsupport::with_schema(pg_dsn(), schema), 1, m);
  };
  std::vector<std::string> applied;
  MigrateOptions first;
  first.to_version = 1;
  first.on_applied = [&](const Migration& m) { applied.push_back(m.name); };
  {
    auto store = open(first);
    ASSERT_TRUE(store) << store.error().message;
    auto s = schema_status(**store);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->version, 1);
    EXPECT_FALSE(s->current());
  }
  EXPECT_EQ(applied, std::vector<std::string>{"001_init"});
  MigrateOptions as_found;
  as_found.apply = false;
  as_found.on_applied = [&](const Migration& m) { applied.push_back(m.name); };
  {
    auto store = open(as_found);
    ASSERT_TRUE(store);
    EXPECT_EQ(schema_status(**store)->version, 1) << "apply = false changes nothing";
  }
  EXPECT_EQ(applied.size(), 1u);
  MigrateOptions rest;
  rest.on_applied = [&](const Migration& m) { applied.push_back(m.name); };
  {
    auto store = open(rest);
    ASSERT_TRUE(store);
    EXPECT_TRUE(schema_status(**store)->current());
  }
  EXPECT_EQ(static_cast<int>(applied.size()), latest_migration_version(GetParam().name));
  if (GetParam().name == "postgres") pg_admin("DROP SCHEMA IF EXISTS " + pg_schema_for(dir_) + "_second CASCADE");
}

// Migration 009 rebuilds the authorizations table on SQLite (its status check without an IN
// list): the rows written before it come through whole, in every status, their indexes serve
// again, and the check still takes exactly the four statuses.
TEST_P(StoreConformance, AuthorizationsWrittenBeforeMigration9ComeThroughItWhole) {
  auto open = [&](const MigrateOptions& m) { return open_beside("before9", m); };
  const std::vector<authz::AuthStatus> statuses{authz::AuthStatus::kOpen, authz::AuthStatus::kClosed,
                                                authz::AuthStatus::kReversed, authz::AuthStatus::kExpired};
  std::vector<AuthorizationRow> written;
  {
    MigrateOptions to8;
    to8.to_version = 8;
    auto store = open(to8);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_EQ(schema_status(**store)->version, 8);
    seed(**store);
    for (size_t i = 0; i < statuses.size(); ++i) {
      AuthorizationRow a = auth("AUTH9" + std::to_string(i), 1'000 + static_cast<int64_t>(i), 50 + static_cast<int64_t>(i));
      a.stan = "00000" + std::to_string(i);
      a.rrn = "RRN9" + std::to_string(i);
      a.status = statuses[i];
      if (a.status != authz::AuthStatus::kOpen) a.held_paise = 0;
      written.push_back(a);
      ASSERT_TRUE(transact(**store, [&](Tx& tx) { return tx.insert_authorization(a); }));
    }
  }
  auto store = open(MigrateOptions{});
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE(schema_status(**store)->current());
  for (const AuthorizationRow& a : written) {
    // find_authorization locks the row (FOR UPDATE on PostgreSQL): a write unit.
    auto found = transact(**store, [&](Tx& tx) { return tx.find_authorization(a.authorization_id); });
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(*found) << a.authorization_id;
    const AuthorizationRow& f = **found;
    EXPECT_EQ(f.status, a.status);
    EXPECT_EQ(f.card_id, a.card_id);
    EXPECT_EQ(f.partner_id, a.partner_id);
    EXPECT_EQ(f.channel, a.channel);
    EXPECT_EQ(f.international, a.international);
    EXPECT_EQ(f.mcc, a.mcc);
    EXPECT_EQ(f.merchant_name, a.merchant_name);
    EXPECT_EQ(f.authorized_paise, a.authorized_paise);
    EXPECT_EQ(f.held_paise, a.held_paise);
    EXPECT_EQ(f.captured_paise, a.captured_paise);
    EXPECT_EQ(f.auth_code, a.auth_code);
    EXPECT_EQ(f.created_at, a.created_at);
    EXPECT_EQ(f.updated_at, a.updated_at);
    auto by_msg = transact_read(**store, [&](Tx& tx) {
      return tx.find_authorization_by_message(a.card_id, a.source, a.stan, a.rrn, a.terminal_id);
    });
    ASSERT_TRUE(by_msg && *by_msg);
    EXPECT_EQ((*by_msg)->authorization_id, a.authorization_id);
  }
  auto open_before = transact_read(**store, [](Tx& tx) { return tx.open_authorizations_before(1'000'000, 10); });
  ASSERT_TRUE(open_before);
  ASSERT_EQ(open_before->size(), 1u);
  EXPECT_EQ(open_before->front().authorization_id, "AUTH90");
  // Every status of the domain is still taken, and nothing else is.
  AuthorizationRow next = written.front();
  next.authorization_id = "AUTH9N";
  next.rrn = "RRN9N";
  ASSERT_TRUE(transact(**store, [&](Tx& tx) { return tx.insert_authorization(next); }));
  for (authz::AuthStatus st : statuses) {
    AuthorizationRow changed = next;
    changed.status = st;
    auto w = transact(**store, [&](Tx& tx) { return tx.update_authorization(changed, next.held_paise); });
    ASSERT_TRUE(w) << w.error().message;
    auto back = transact(**store, [&](Tx& tx) { return tx.update_authorization(next, next.held_paise); });
    ASSERT_TRUE(back) << back.error().message;
  }
  store->reset();
  EXPECT_FALSE(raw_sql_beside("before9", "UPDATE authorizations SET status = 'HELD'"));
  drop_beside("before9");
}

// Migration 010 rebuilds webhook_events and webhook_attempts on SQLite (the state check without
// an IN list): events and attempts written before it come through whole, delivery claims and
// the attempts' reference to their event hold again, and the check takes exactly the three
// states.
TEST_P(StoreConformance, WebhookEventsWrittenBeforeMigration10ComeThroughItWhole) {
  std::vector<WebhookEventRow> written;
  {
    MigrateOptions to9;
    to9.to_version = 9;
    auto store = open_beside("before10", to9);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_EQ(schema_status(**store)->version, 9);
    seed(**store);
    int n = 0;
    for (const char* state : {"PENDING", "DELIVERED", "FAILED"}) {
      ++n;
      written.push_back({"EVT10" + std::to_string(n), "CRAAAAAAA", "transaction.created",
                         "{\"n\":" + std::to_string(n) + "}", 100 + n, 200 + n, n - 1, state,
                         n == 3 ? "refused" : "", "EKCAAAAAAA"});
      ASSERT_TRUE(transact(**store, [&](Tx& tx) { return tx.insert_webhook_event(written.back()); }));
    }
    ASSERT_TRUE(transact(**store, [&](Tx& tx) {
      return tx.record_webhook_attempt("EVT102", 1, 150, 200, "", "DELIVERED", 202);
    }));
    written[1].attempts = 1;
  }
  auto store = open_beside("before10", MigrateOptions{});
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE(schema_status(**store)->current());
  auto events = transact_read(**store, [](Tx& tx) { return tx.list_webhook_events("CRAAAAAAA", 10); });
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), written.size());
  for (const WebhookEventRow& w : written) {
    auto it = std::find_if(events->begin(), events->end(), [&](const WebhookEventRow& e) { return e.event_id == w.event_id; });
    ASSERT_NE(it, events->end()) << w.event_id;
    EXPECT_EQ(it->type, w.type);
    EXPECT_EQ(it->payload_json, w.payload_json);
    EXPECT_EQ(it->created_at, w.created_at);
    EXPECT_EQ(it->next_attempt_at, w.next_attempt_at);
    EXPECT_EQ(it->attempts, w.attempts);
    EXPECT_EQ(it->state, w.state);
    EXPECT_EQ(it->last_error, w.last_error);
    EXPECT_EQ(it->card_id, w.card_id);
  }
  auto attempts = transact_read(**store, [](Tx& tx) { return tx.list_webhook_attempts("EVT102"); });
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ(attempts->front().http_status, 200);
  auto due = transact(**store, [](Tx& tx) { return tx.claim_due_webhooks(1'000, 10, 30); });
  ASSERT_TRUE(due) << due.error().message;
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().event_id, "EVT101") << "only the PENDING event is due";
  auto by_card = transact_read(**store, [](Tx& tx) { return tx.list_card_webhook_events("EKCAAAAAAA", 10); });
  ASSERT_TRUE(by_card);
  EXPECT_EQ(by_card->size(), written.size());
  // Every state is still taken, and nothing else is; an attempt still needs its event.
  for (const char* state : {"FAILED", "DELIVERED", "PENDING"}) {
    ASSERT_TRUE(transact(**store, [&](Tx& tx) {
      return tx.record_webhook_attempt("EVT101", 1, 300, 500, "", state, 400);
    }));
  }
  auto orphan = transact(**store, [](Tx& tx) {
    return tx.record_webhook_attempt("EVTNOPE", 1, 300, 500, "", "FAILED", 400);
  });
  EXPECT_FALSE(orphan) << "an attempt of an event that does not exist";
  store->reset();
  EXPECT_FALSE(raw_sql_beside("before10", "UPDATE webhook_events SET state = 'LOST'"));
  EXPECT_TRUE(raw_sql_beside("before10", "UPDATE webhook_events SET state = 'FAILED'"));
  drop_beside("before10");
}

TEST_P(StoreConformance, TheCommitObserverSeesEveryWriteTransactionAndItsUnits) {
  std::atomic<uint64_t> commits{0}, units{0};
  store_->set_commit_observer([&](uint64_t, size_t n) {
    commits.fetch_add(1);
    units.fetch_add(n);
  });
  const StoreStats before = store_->stats();
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.insert_company({"CEKOBSERVE1", "CRAAAAAAA", "Co", 2}); }));
  std::vector<std::function<Status(Tx&)>> batch = {
      [](Tx& tx) { return tx.insert_company({"CEKOBSERVE2", "CRAAAAAAA", "Co", 2}); },
      [](Tx& tx) { return tx.insert_company({"CEKOBSERVE3", "CRAAAAAAA", "Co", 2}); }};
  for (const Status& st : store_->run_batch(batch)) EXPECT_TRUE(st);
  ASSERT_TRUE(transact_read(*store_, [](Tx& tx) { return tx.count_partners(); })) << "a read is no commit";
  const StoreStats after = store_->stats();
  EXPECT_EQ(commits.load(), after.commits - before.commits);
  EXPECT_EQ(units.load(), after.units - before.units);
  EXPECT_EQ(units.load(), 3u);
}

TEST_P(StoreConformance, PendingWebhooksAreCounted) {
  EXPECT_EQ(*transact_read(*store_, [](Tx& tx) { return tx.count_pending_webhooks(); }), 0);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    for (int i = 0; i < 3; ++i) {
      CC_RETURN_IF_ERROR(tx.insert_webhook_event(
          {"EVCOUNT" + std::to_string(i), "CRAAAAAAA", "t", "{}", i, 0, 0, i == 2 ? "FAILED" : "PENDING", "", ""}));
    }
    return {};
  }));
  EXPECT_EQ(*transact_read(*store_, [](Tx& tx) { return tx.count_pending_webhooks(); }), 2);
}

// ---- The operator console (006_console.sql)

TEST_P(StoreConformance, ConsoleSessionsAreFoundEndedOnceAndExpire) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_console_session({"live", "csrf1", 10, 100, std::nullopt}));
    return tx.insert_console_session({"old", "csrf2", 1, 5, std::nullopt});
  }));
  auto live = transact_read(*store_, [](Tx& tx) { return tx.find_console_session("live"); });
  ASSERT_TRUE(live && *live);
  EXPECT_EQ((*live)->csrf_hash, "csrf1");
  EXPECT_EQ((*live)->expires_at, 100);
  EXPECT_FALSE((*live)->ended_at.has_value());
  EXPECT_TRUE(*transact(*store_, [](Tx& tx) { return tx.end_console_session("live", 50); }));
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.end_console_session("live", 60); })) << "ends once";
  EXPECT_FALSE(*transact(*store_, [](Tx& tx) { return tx.end_console_session("nope", 60); }));
  EXPECT_EQ(*(*transact_read(*store_, [](Tx& tx) { return tx.find_console_session("live"); }))->ended_at, 50);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.delete_expired_console_sessions(6); }));
  EXPECT_FALSE(transact_read(*store_, [](Tx& tx) { return tx.find_console_session("old"); })->has_value());
  EXPECT_TRUE(transact_read(*store_, [](Tx& tx) { return tx.find_console_session("live"); })->has_value());
}

TEST_P(StoreConformance, CardSearchFindsEachKeyInPagesOfAscendingIds) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_company({"CEKBBBBBBB", "CRAAAAAAA", "Blue 100% Foods", 2}));
    CC_RETURN_IF_ERROR(tx.insert_card_account({"CABBBBBBB", "CRAAAAAAA", "CEKBBBBBBB", "Blue 100% Foods", "PMAAAAAAA",
                                               "EKBBBBBB", "b@b.co", "9000000002", "t", "MEAL", 2}));
    CardRow c = card("EKCCCCCCCC", "fp3");
    c.card_account_id = "CABBBBBBB";
    c.company_id = "CEKBBBBBBB";
    c.pan_last4 = "9876";
    c.mobile = "9811122233";
    CC_RETURN_IF_ERROR(tx.insert_card(c));
    TransactionRow t = txn(1, "SUCCESS", "CR", 100, 5, "EKCCCCCCCC");
    t.card_account_id = "CABBBBBBB";
    t.pg_reference = "NEFT-XYZ";
    return tx.insert_transaction(t);
  }));
  auto search = [&](const std::string& q, auto flag, const std::string& after = "", size_t limit = 10) {
    CardSearch s;
    s.query = q;
    flag(s);
    s.after = after;
    s.limit = limit;
    auto r = transact_read(*store_, [&](Tx& tx) { return tx.search_cards(s); });
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    std::vector<std::string> ids;
    if (r) for (const CardRow& c : *r) ids.push_back(c.card_id);
    return ids;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(search("1234", [](CardSearch& s) { s.by_last4 = true; }), (V{"EKCAAAAAAA", "EKCBBBBBBB"}));
  EXPECT_EQ(search("1234", [](CardSearch& s) { s.by_last4 = true; }, "EKCAAAAAAA"), (V{"EKCBBBBBBB"}));
  EXPECT_EQ(search("1234", [](CardSearch& s) { s.by_last4 = true; }, "", 1), (V{"EKCAAAAAAA"}));
  EXPECT_EQ(search("9811122233", [](CardSearch& s) { s.by_mobile = true; }), (V{"EKCCCCCCCC"}));
  EXPECT_EQ(search("EKCBBBBBBB", [](CardSearch& s) { s.by_card = true; }), (V{"EKCBBBBBBB"}));
  EXPECT_EQ(search("CABBBBBBB", [](CardSearch& s) { s.by_account = true; }), (V{"EKCCCCCCCC"}));
  EXPECT_EQ(search("CEKAAAAAAA", [](CardSearch& s) { s.by_company = true; }), (V{"EKCAAAAAAA", "EKCBBBBBBB"}));
  EXPECT_EQ(search("blue 100", [](CardSearch& s) { s.by_company = true; }), (V{"EKCCCCCCCC"})) << "a part, any case";
  EXPECT_EQ(search("100%", [](CardSearch& s) { s.by_company = true; }), (V{"EKCCCCCCCC"}));
  EXPECT_EQ(search("%", [](CardSearch& s) { s.by_company = true; }), (V{"EKCCCCCCCC"})) << "% is a character";
  EXPECT_EQ(search("_", [](CardSearch& s) { s.by_company = true; }), V{}) << "_ is a character";
  EXPECT_EQ(search("NEFT-XYZ", [](CardSearch& s) { s.by_reference = true; }), (V{"EKCCCCCCCC"}));
  // Every key at once, each card once.
  auto any = [](CardSearch& s) { s.by_last4 = s.by_mobile = s.by_card = s.by_account = s.by_company = s.by_reference = true; };
  EXPECT_EQ(search("EKCAAAAAAA", any), (V{"EKCAAAAAAA"}));
  EXPECT_EQ(search("CEKAAAAAAA", any), (V{"EKCAAAAAAA", "EKCBBBBBBB"}));
  EXPECT_EQ(search("nothing-matches", any), V{});
  EXPECT_EQ(search("1234", [](CardSearch&) {}), V{}) << "no key: nothing";
  // A card found reads like any other: sealed data, balance from the wallet.
  CardSearch s;
  s.query = "9876";
  s.by_last4 = true;
  auto found = transact_read(*store_, [&](Tx& tx) { return tx.search_cards(s); });
  ASSERT_TRUE(found && found->size() == 1u);
  EXPECT_EQ((*found)[0].pan.blob, "panblob");
  EXPECT_EQ((*found)[0].balance_paise, 0);
}

TEST_P(StoreConformance, CompaniesAndTheirAccountsListInPages) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_company({"CEKBBBBBBB", "CRAAAAAAA", "B", 2}));
    CC_RETURN_IF_ERROR(tx.insert_company({"CEKCCCCCCC", "CRAAAAAAA", "C", 3}));
    return tx.insert_card_account({"CAZZZZZZZ", "CRAAAAAAA", "CEKAAAAAAA", "Co", "PMAAAAAAA", "EKZZZZZZ", "", "", "t",
                                   "MEAL", 4});
  }));
  auto companies = [&](const std::string& after, size_t limit) {
    std::vector<std::string> ids;
    auto rows = transact_read(*store_, [&](Tx& tx) { return tx.list_companies(after, limit); });
    EXPECT_TRUE(rows);
    if (rows) for (const CompanyRow& c : *rows) ids.push_back(c.company_id);
    return ids;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(companies("", 2), (V{"CEKAAAAAAA", "CEKBBBBBBB"}));
  EXPECT_EQ(companies("CEKBBBBBBB", 2), (V{"CEKCCCCCCC"}));
  auto accounts = transact_read(*store_, [](Tx& tx) { return tx.list_company_accounts("CEKAAAAAAA", "", 10); });
  ASSERT_TRUE(accounts);
  ASSERT_EQ(accounts->size(), 2u);
  EXPECT_EQ((*accounts)[0].card_account_id, "CAAAAAAAA");
  EXPECT_EQ((*accounts)[0].email, "a@b.co");
  EXPECT_EQ((*accounts)[1].card_account_id, "CAZZZZZZZ");
  EXPECT_EQ(transact_read(*store_, [](Tx& tx) { return tx.list_company_accounts("CEKAAAAAAA", "CAAAAAAAA", 10); })->size(), 1u);
  EXPECT_TRUE(transact_read(*store_, [](Tx& tx) { return tx.list_company_accounts("CEKBBBBBBB", "", 10); })->empty());
}

TEST_P(StoreConformance, OpenAuthorizationsOfACardOldestFirst) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("AUTH3", 300, 30)));
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("AUTH1", 100, 10)));
    AuthorizationRow closed = auth("AUTH2", 200, 20);
    closed.status = authz::AuthStatus::kClosed;
    CC_RETURN_IF_ERROR(tx.insert_authorization(closed));
    AuthorizationRow other = auth("AUTH4", 400, 5);
    other.card_id = "EKCBBBBBBB";
    other.rrn = "RRN-OTHER";
    return tx.insert_authorization(other);
  }));
  auto open = transact_read(*store_, [](Tx& tx) { return tx.list_open_authorizations("EKCAAAAAAA", 10); });
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].authorization_id, "AUTH1");
  EXPECT_EQ((*open)[1].authorization_id, "AUTH3");
  EXPECT_EQ((*open)[1].held_paise, 300);
  EXPECT_EQ(transact_read(*store_, [](Tx& tx) { return tx.list_open_authorizations("EKCAAAAAAA", 1); })->size(), 1u);
}

TEST_P(StoreConformance, DecisionsAreCountedPerResponseCodeInTimeBuckets) {
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    const std::pair<int64_t, const char*> rows[] = {{1000, "00"}, {1059, "00"}, {1060, "62"}, {1119, "00"},
                                                    {1120, "51"}, {999, "62"},  {1010, ""},   {1180, "05"}};
    int n = 0;
    for (const auto& [at, code] : rows) {
      TransactionRow t = txn(n++, *code == '0' ? "APPROVED" : "DECLINED", "DR", 100, at);
      t.response_code = code;
      CC_RETURN_IF_ERROR(tx.insert_transaction(t));
    }
    return {};
  }));
  auto counts = transact_read(*store_, [](Tx& tx) { return tx.count_decisions(1000, 60, 3); });
  ASSERT_TRUE(counts) << counts.error().message;
  std::vector<std::tuple<int64_t, std::string, int64_t>> got;
  for (const DecisionCount& c : *counts) got.emplace_back(c.bucket, c.response_code, c.count);
  EXPECT_EQ(got, (std::vector<std::tuple<int64_t, std::string, int64_t>>{
                     {0, "00", 2}, {1, "00", 1}, {1, "62", 1}, {2, "51", 1}}))
      << "from the start to the end of the last bucket, without rows that are no decision";
  // The code is read back with the row.
  auto row = transact_read(*store_, [](Tx& tx) { return tx.find_transaction("CRAAAAAAA", "ECTR100000002"); });
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->response_code, "62");
}

TEST_P(StoreConformance, WebhookEventsOfACardAndTheBacklog) {
  EXPECT_EQ(transact_read(*store_, [](Tx& tx) { return tx.webhook_backlog(); })->pending, 0);
  ASSERT_TRUE(transact(*store_, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_webhook_event({"EV1", "CRAAAAAAA", "card.status_changed", "{}", 10, 10, 0, "PENDING", "", "EKCAAAAAAA"}));
    CC_RETURN_IF_ERROR(tx.insert_webhook_event({"EV2", "CRAAAAAAA", "transaction.created", "{}", 20, 30, 2, "PENDING", "HTTP 500", "EKCAAAAAAA"}));
    CC_RETURN_IF_ERROR(tx.insert_webhook_event({"EV3", "CRAAAAAAA", "transaction.created", "{}", 30, 30, 8, "FAILED", "refused", "EKCBBBBBBB"}));
    return tx.insert_webhook_event({"EV4", "CRAAAAAAA", "card.status_changed", "{}", 40, 40, 1, "DELIVERED", "", "EKCAAAAAAA"});
  }));
  auto of_card = transact_read(*store_, [](Tx& tx) { return tx.list_card_webhook_events("EKCAAAAAAA", 10); });
  ASSERT_TRUE(of_card);
  ASSERT_EQ(of_card->size(), 3u);
  EXPECT_EQ((*of_card)[0].event_id, "EV4") << "newest first";
  EXPECT_EQ((*of_card)[2].event_id, "EV1");
  EXPECT_EQ((*of_card)[1].card_id, "EKCAAAAAAA");
  EXPECT_EQ((*of_card)[1].last_error, "HTTP 500");
  WebhookBacklog b = *transact_read(*store_, [](Tx& tx) { return tx.webhook_backlog(); });
  EXPECT_EQ(b.pending, 2);
  EXPECT_EQ(b.retrying, 1);
  EXPECT_EQ(b.failed, 1);
  auto problems = transact_read(*store_, [](Tx& tx) { return tx.list_webhook_problems(10); });
  ASSERT_TRUE(problems);
  ASSERT_EQ(problems->size(), 2u);
  EXPECT_EQ((*problems)[0].event_id, "EV3");
  EXPECT_EQ((*problems)[1].event_id, "EV2");
}

TEST_P(LedgerConformance, VerifyTellsOfEachCheck) {
  std::vector<std::pair<int, int>> seen;
  auto v = transact_read(*store_, [&](Tx& tx) {
    return tx.verify_ledger([&](int i, int n) { seen.emplace_back(i, n); });
  });
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->empty());
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen.front(), (std::pair{0, 5}));
  EXPECT_EQ(seen.back(), (std::pair{5, 5}));
}

// ---- Backup (SQLite) and the move to PostgreSQL ----

TEST_P(StoreConformance, BackupCopiesTheSqliteDatabaseFromOneSnapshot) {
  if (GetParam().name != "sqlite") GTEST_SKIP() << "SQLite's online backup; PostgreSQL is backed up with pg_dump";
  const std::string copy = dir_ + "/copy.db";
  uint64_t last_done = 0, last_total = 0;
  ASSERT_TRUE(backup_sqlite_store(dir_ + "/test.db", copy, [&](uint64_t done, uint64_t total) {
    last_done = done;
    last_total = total;
  }));
  EXPECT_GT(last_total, 0u);
  EXPECT_EQ(last_done, last_total);
  // Written after the copy: not in it.
  ASSERT_TRUE(transact(*store_, [](Tx& tx) { return tx.insert_company({"CEKAFTERCPY", "CRAAAAAAA", "Co", 2}); }));
  auto copied = open_sqlite_store(copy);
  ASSERT_TRUE(copied) << copied.error().message;
  EXPECT_TRUE(*transact(**copied, [](Tx& tx) { return tx.find_card("EKCAAAAAAA"); }));
  EXPECT_FALSE(*transact(**copied, [](Tx& tx) { return tx.find_company("CEKAFTERCPY"); }));
  // Never over an existing file; never from a database that is not there.
  Status again = backup_sqlite_store(dir_ + "/test.db", copy);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, code::kDuplicate);
  Status missing = backup_sqlite_store(dir_ + "/nothing.db", dir_ + "/other.db");
  ASSERT_FALSE(missing);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/other.db"));
}

TEST_P(StoreConformance, TransferMovesEverySqliteRowIntoAnEmptyPostgresInBatchesAndResumes) {
  if (pg_dsn().empty()) GTEST_SKIP() << "needs a PostgreSQL server (CARDCORE_TEST_PG_DSN)";
  // The source: the fixture's store on SQLite, else a SQLite store seeded the same way.
  std::unique_ptr<Store> own_source;
  std::string source_path = dir_ + "/test.db";
  if (GetParam().name != "sqlite") {
    source_path = dir_ + "/source.db";
    auto opened = open_sqlite_store(source_path);
    ASSERT_TRUE(opened);
    own_source = std::move(*opened);
    seed(*own_source);
  }
  Store& source = own_source ? *own_source : *store_;
  ASSERT_TRUE(transact(source, [](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.post_entry(ledger::fund("CEKAAAAAAA", "CAAAAAAAA", 100'000, "F1"), "CRAAAAAAA", 1));
    CC_RETURN_IF_ERROR(tx.post_entry(ledger::load("CAAAAAAAA", "EKCAAAAAAA", 40'000, 1'000'000'000, "L1"), "CRAAAAAAA", 2));
    CC_RETURN_IF_ERROR(tx.insert_status_change({"EKCAAAAAAA", std::nullopt, CardStatus::kUnlocked, "r",
                                                ChangeChannel::kApi, "a", 3}));
    return tx.insert_webhook_event({"EVMOVE1", "CRAAAAAAA", "t", "{}", 3, 0, 0, "PENDING", "", ""});
  }));
  const std::string target = testsupport::create_test_schema();
  ASSERT_FALSE(target.empty());

  TransferOptions o;
  o.batch_rows = 2;
  o.max_batches = 3;
  uint64_t progress_done = 0, progress_total = 0;
  o.progress = [&](uint64_t done, uint64_t total) {
    progress_done = done;
    progress_total = total;
  };
  auto first = copy_sqlite_to_postgres(source_path, target, o);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->stopped);
  EXPECT_FALSE(first->resumed);
  EXPECT_GT(progress_done, 0u);
  EXPECT_LT(progress_done, progress_total);

  o.max_batches = -1;
  auto second = copy_sqlite_to_postgres(source_path, target, o);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->stopped);
  EXPECT_TRUE(second->resumed);
  EXPECT_EQ(progress_done, progress_total);
  for (const TableTransfer& t : second->tables) EXPECT_EQ(t.source_rows, t.target_rows) << t.table;
  EXPECT_TRUE(second->balance_differences.empty());
  EXPECT_GE(second->accounts_compared, 3);

  // The target serves the moved data, verifies, and gives new rows ids past the moved ones.
  {
    auto moved = open_postgres_store(target, 1);
    ASSERT_TRUE(moved);
    auto b = transact(**moved, [](Tx& tx) { return tx.ledger_balance(ledger::wallet_account("EKCAAAAAAA")); });
    ASSERT_TRUE(b);
    EXPECT_EQ(b->balance_paise, 40'000);
    EXPECT_EQ(b->held_paise, 0);  // holds with their authorizations: tests/api/ops_test.cc moves those
    auto problems = transact_read(**moved, [](Tx& tx) { return tx.verify_ledger(); });
    ASSERT_TRUE(problems);
    EXPECT_TRUE(problems->empty());
    EXPECT_TRUE(transact(**moved, [](Tx& tx) -> Result<int64_t> {
      return tx.post_entry(ledger::load("CAAAAAAAA", "EKCBBBBBBB", 100, 1'000'000'000, "L2"), "CRAAAAAAA", 4);
    }));
    EXPECT_TRUE(transact(**moved, [](Tx& tx) {
      return tx.insert_status_change({"EKCBBBBBBB", std::nullopt, CardStatus::kUnlocked, "r", ChangeChannel::kApi, "a", 4});
    }));
  }
  // Moved already: the target holds data now.
  auto third = copy_sqlite_to_postgres(source_path, target, o);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, code::kDuplicate);
  testsupport::drop_test_schema(target);
}

TEST_P(StoreConformance, TransferRefusesASourceBehindThisBuildsSchema) {
  if (pg_dsn().empty()) GTEST_SKIP() << "needs a PostgreSQL server (CARDCORE_TEST_PG_DSN)";
  MigrateOptions m;
  m.to_version = 1;
  ASSERT_TRUE(open_sqlite_store(dir_ + "/old.db", m));
  const std::string target = testsupport::create_test_schema();
  auto r = copy_sqlite_to_postgres(dir_ + "/old.db", target, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cardcore migrate"), std::string::npos) << r.error().message;
  auto missing = copy_sqlite_to_postgres(dir_ + "/none.db", target, {});
  EXPECT_FALSE(missing);
  testsupport::drop_test_schema(target);
}

// ---- RBI PPI counters, KYC level, fee totals (migration 008) ----

TEST_P(StoreConformance, LoadCountersGrowOnlyWithinTheirLimitsAndCarryToANewCard) {
  const int64_t year = clock::ist_midnight({2026, 4, 1}), march = clock::ist_midnight({2027, 3, 1}),
                feb = clock::ist_midnight({2027, 2, 1});
  const std::optional<int64_t> month_limit = 1'000, year_limit = 2'500;
  auto totals = [&](const char* card, int64_t month) {
    auto t = transact(*store_, [&](Tx& tx) { return tx.card_loads(card, month, year); });
    EXPECT_TRUE(t) << t.error().message;
    return t ? std::pair{t->month, t->year} : std::pair{int64_t{-1}, int64_t{-1}};
  };
  // A refused add is followed by the unit's refusal (load_in_unit): nothing of it stays.
  auto add = [&](const char* card, int64_t month, int64_t paise, std::optional<int64_t> m, std::optional<int64_t> y) {
    bool counted = false;
    Status st = store_->run([&](Tx& tx) -> Status {
      CC_ASSIGN_OR_RETURN(counted, tx.add_card_load(card, month, year, paise, m, y));
      if (!counted) return fail(code::kStatusTransition, "refused");
      return {};
    });
    EXPECT_EQ(bool(st), counted);
    return counted;
  };
  EXPECT_EQ(totals("EKCAAAAAAA", feb), (std::pair<int64_t, int64_t>{0, 0})) << "no loads read as zero";
  EXPECT_TRUE(add("EKCAAAAAAA", feb, 600, month_limit, year_limit));
  EXPECT_TRUE(add("EKCAAAAAAA", feb, 400, month_limit, year_limit)) << "exactly at the month's limit";
  EXPECT_FALSE(add("EKCAAAAAAA", feb, 1, month_limit, year_limit)) << "a paisa over the month's limit";
  EXPECT_FALSE(add("EKCAAAAAAA", march, 1'001, month_limit, year_limit)) << "one load above the limit";
  EXPECT_EQ(totals("EKCAAAAAAA", feb), (std::pair<int64_t, int64_t>{1'000, 1'000}));
  EXPECT_EQ(totals("EKCAAAAAAA", march), (std::pair<int64_t, int64_t>{0, 1'000})) << "a new month starts empty";
  EXPECT_TRUE(add("EKCAAAAAAA", march, 1'000, month_limit, year_limit));
  // The month has room but the year does not: the month's row must not keep the add.
  EXPECT_FALSE(add("EKCAAAAAAA", march, 501, 10'000, year_limit));
  EXPECT_EQ(totals("EKCAAAAAAA", march), (std::pair<int64_t, int64_t>{1'000, 2'000}));
  EXPECT_TRUE(add("EKCAAAAAAA", march, 500, std::nullopt, year_limit)) << "exactly at the year's limit";
  EXPECT_TRUE(add("EKCBBBBBBB", march, 5'000'000, std::nullopt, std::nullopt)) << "no limits: counted";

  // Replacement: the new card gets this month's and this year's counters, added to its own.
  ASSERT_TRUE(store_->run([&](Tx& tx) { return tx.copy_card_loads("EKCAAAAAAA", "EKCBBBBBBB", march, year); }));
  EXPECT_EQ(totals("EKCBBBBBBB", march), (std::pair<int64_t, int64_t>{5'001'500, 5'002'500}));
  EXPECT_EQ(totals("EKCBBBBBBB", feb), (std::pair<int64_t, int64_t>{0, 5'002'500})) << "an earlier month is not carried";
  EXPECT_EQ(totals("EKCAAAAAAA", march), (std::pair<int64_t, int64_t>{1'500, 2'500})) << "the old card keeps its own";
}

TEST_P(StoreConformance, TheKycLevelMovesOnlyFromTheExpectedLevelAndNeverOnAReplacedCard) {
  auto set = [&](const char* card, ppi::KycLevel from, ppi::KycLevel to, const char* reference) {
    auto r = transact(*store_, [&](Tx& tx) { return tx.set_card_kyc_level(card, from, to, reference, 7); });
    EXPECT_TRUE(r) << r.error().message;
    return r.value_or(false);
  };
  auto find = [&](const char* card) {
    auto c = transact(*store_, [&](Tx& tx) { return tx.find_card(card); });
    EXPECT_TRUE(c && *c);
    return c && *c ? **c : CardRow{};
  };
  EXPECT_EQ(find("EKCAAAAAAA").kyc_level, ppi::KycLevel::kMin) << "a new card is MIN";
  EXPECT_TRUE(set("EKCAAAAAAA", ppi::KycLevel::kMin, ppi::KycLevel::kFull, "KYC-1"));
  CardRow a = find("EKCAAAAAAA");
  EXPECT_EQ(a.kyc_level, ppi::KycLevel::kFull);
  EXPECT_EQ(a.kyc_reference, "KYC-1");
  EXPECT_EQ(a.modified_at, 7);
  EXPECT_FALSE(set("EKCAAAAAAA", ppi::KycLevel::kMin, ppi::KycLevel::kFull, "KYC-2")) << "not from MIN any more";
  EXPECT_EQ(find("EKCAAAAAAA").kyc_reference, "KYC-1");
  ASSERT_TRUE(store_->run([](Tx& tx) { return tx.set_card_replaced_by("EKCBBBBBBB", "EKCAAAAAAA", 8); }));
  EXPECT_FALSE(set("EKCBBBBBBB", ppi::KycLevel::kMin, ppi::KycLevel::kFull, "KYC-3")) << "a replaced card";
  EXPECT_EQ(find("EKCBBBBBBB").kyc_level, ppi::KycLevel::kMin);
  EXPECT_FALSE(set("EKCNOPE000", ppi::KycLevel::kMin, ppi::KycLevel::kFull, "KYC-4")) << "no such card";
}

TEST_P(StoreConformance, ReplacementCarriesTodaysUseAndThisYearsMonths) {
  const int64_t year = clock::ist_midnight({2027, 1, 1}), month = clock::ist_midnight({2027, 3, 1}),
                day = clock::ist_midnight({2027, 3, 15});
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("A1", 100, year - 1)));                         // 2026
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("A2", 200, year + 3600)));                      // January
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("A3", 300, month + 3600)));                     // March
    CC_RETURN_IF_ERROR(tx.insert_authorization(auth("A4", 400, day, authz::Channel::kAtm)));        // today, ATM
    return tx.insert_authorization(auth("A5", 500, day - 1));                                       // yesterday
  }));
  const UsageWindows w{day, month, year, authz::Channel::kAtm};
  auto usage = [&](const char* card) {
    auto u = transact(*store_, [&](Tx& tx) { return tx.card_usage(card, w); });
    EXPECT_TRUE(u) << u.error().message;
    return u.value_or(UsageTotals{});
  };
  const UsageTotals before = usage("EKCAAAAAAA");
  ASSERT_TRUE(store_->run([&](Tx& tx) { return tx.copy_card_usage("EKCAAAAAAA", "EKCBBBBBBB", w); }));
  const UsageTotals moved = usage("EKCBBBBBBB");
  EXPECT_EQ(moved.day_paise, 400);
  EXPECT_EQ(moved.channel_day_paise, 400);
  EXPECT_EQ(moved.channel_month_paise, 400);
  EXPECT_EQ(moved.channel_month_count, 1);
  EXPECT_EQ(moved.month_paise, before.month_paise);
  EXPECT_EQ(moved.month_count, before.month_count);
  EXPECT_EQ(moved.year_paise, 1'400);
  EXPECT_EQ(moved.year_paise, before.year_paise);
  EXPECT_EQ(moved.year_count, 4);
  EXPECT_EQ(usage("EKCAAAAAAA").year_paise, 1'400) << "the old card keeps its own";
}

TEST_P(StoreConformance, FeesOfAnAccountAreTotalledSinceAGivenTime) {
  auto fee = [](int n, const std::string& reference, int64_t amount, int64_t at, const std::string& type = "FEE") {
    TransactionRow t = txn(n, "SUCCESS", "DR", amount, at);
    t.type = type;
    t.pg_reference = reference;
    return t;
  };
  ASSERT_TRUE(transact(*store_, [&](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.insert_transaction(fee(1, "FEE-L1", 1'000, 99)));        // before: not counted
    CC_RETURN_IF_ERROR(tx.insert_transaction(fee(2, "GST-L1", 180, 99)));
    CC_RETURN_IF_ERROR(tx.insert_transaction(fee(3, "FEE-L2", 2'000, 100)));       // from `since` on
    CC_RETURN_IF_ERROR(tx.insert_transaction(fee(4, "GST-L2", 360, 100)));
    CC_RETURN_IF_ERROR(tx.insert_transaction(fee(5, "FEE-ATM", 2'000, 150)));
    CC_RETURN_IF_ERROR(tx.insert_transaction(fee(6, "GST-ATM", 360, 150)));
    return tx.insert_transaction(fee(7, "GST-NOTAFEE", 9'999, 150, "PURCHASE"));  // another type
  }));
  auto totals = transact(*store_, [](Tx& tx) { return tx.account_fees_since("CAAAAAAAA", 100); });
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->fees, 4'000);
  EXPECT_EQ(totals->gst, 720);
  auto other = transact(*store_, [](Tx& tx) { return tx.account_fees_since("CAOTHER00", 0); });
  ASSERT_TRUE(other);
  EXPECT_EQ(other->fees + other->gst, 0) << "another account's fees are not counted";
}

TEST_P(LedgerConformance, LockingAnAccountReadsItsBalanceAndHoldsItUntilTheUnitEnds) {
  ASSERT_TRUE(post(ledger::fund(kCompany, kAccount, 10'000, "F1")));
  const std::string pool = ledger::pool_account(kAccount);
  auto locked = transact(*store_, [&](Tx& tx) { return tx.lock_ledger_account(pool); });
  ASSERT_TRUE(locked) << locked.error().message;
  EXPECT_EQ(locked->balance_paise, 10'000);
  EXPECT_EQ(locked->held_paise, 0);
  auto never = transact(*store_, [](Tx& tx) { return tx.lock_ledger_account(ledger::wallet_account("EKCNOPE000")); });
  ASSERT_TRUE(never);
  EXPECT_EQ(never->balance_paise, 0) << "an account never posted to reads as zero";
  // A second unit locking the account goes on only after the first has ended.
  std::promise<void> holding, release;
  std::atomic<bool> second_done{false};
  bool second_done_while_held = true;
  std::thread first([&] {
    Status st = store_->run([&](Tx& tx) -> Status {
      CC_ASSIGN_OR_RETURN(LedgerBalance b, tx.lock_ledger_account(pool));
      (void)b;
      holding.set_value();
      release.get_future().wait();
      second_done_while_held = second_done.load();
      return {};
    });
    EXPECT_TRUE(st) << st.error().message;
  });
  holding.get_future().wait();
  std::thread second([&] {
    auto b = transact(*store_, [&](Tx& tx) { return tx.lock_ledger_account(pool); });
    EXPECT_TRUE(b);
    second_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // time for the second to get ahead, if it could
  release.set_value();
  first.join();
  second.join();
  EXPECT_FALSE(second_done_while_held) << "a second unit locked the account while the first held it";
}

// A unit whose caller's deadline (domain/deadline.h) passes while it waits for the store is
// refused with code::kUnavailable and never runs; the units it waited behind commit. The store
// is held busy by eight open units: on PostgreSQL every connection of the pool (its default
// size) is taken, so the late unit waits for one; on SQLite one holds the writer and the rest
// queue, and the late unit queues behind them. The holders are let go only once the deadline
// has passed, so it has passed whenever the late unit could have started.
TEST_P(StoreConformance, AUnitThatCannotStartByItsDeadlineIsRefusedUnavailableAndNeverRuns) {
  constexpr int kHolders = 8;
  const int must_be_inside = GetParam().name == "postgres" ? kHolders : 1;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> inside{0};
  std::vector<std::thread> holders;
  for (int i = 0; i < kHolders; ++i) {
    holders.emplace_back([&, i] {
      Status st = store_->run([&](Tx& tx) -> Status {
        CC_RETURN_IF_ERROR(tx.insert_company({"CEKHOLD00" + std::to_string(i), "CRAAAAAAA", "Holder", 1}));
        ++inside;
        released.wait();
        return {};
      });
      EXPECT_TRUE(st) << st.error().message;
    });
  }
  while (inside.load() < must_be_inside) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  const auto by = deadline::Clock::now() + std::chrono::milliseconds(100);
  std::atomic<bool> ran{false};
  std::promise<Status> late_done;
  std::thread late([&] {
    deadline::Scope scope(by);
    late_done.set_value(store_->run([&](Tx& tx) -> Status {
      ran = true;
      return tx.insert_company({"CEKLATE000", "CRAAAAAAA", "Late", 1});
    }));
  });
  std::this_thread::sleep_until(by + std::chrono::milliseconds(50));
  release.set_value();
  for (auto& t : holders) t.join();
  late.join();
  Status st = late_done.get_future().get();
  ASSERT_FALSE(st) << "the unit ran after its deadline";
  EXPECT_EQ(st.error().code, code::kUnavailable) << st.error().message;
  EXPECT_FALSE(ran.load());
  auto found = transact_read(*store_, [](Tx& tx) -> Result<std::pair<bool, int>> {
    CC_ASSIGN_OR_RETURN(auto late_company, tx.find_company("CEKLATE000"));
    int holders_found = 0;
    for (int i = 0; i < kHolders; ++i) {
      CC_ASSIGN_OR_RETURN(auto h, tx.find_company("CEKHOLD00" + std::to_string(i)));
      holders_found += h.has_value();
    }
    return std::pair{late_company.has_value(), holders_found};
  });
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(found->first);
  EXPECT_EQ(found->second, kHolders) << "the units the late one waited behind were not all committed";

  // Without a deadline, and once the store is free, the same unit runs.
  ASSERT_TRUE(store_->run([&](Tx& tx) { return tx.insert_company({"CEKLATE000", "CRAAAAAAA", "Late", 1}); }));
}

INSTANTIATE_TEST_SUITE_P(Engines, LedgerConformance, ::testing::ValuesIn(engines()),
                         [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(Engines, StoreConformance, ::testing::ValuesIn(engines()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cardcore
