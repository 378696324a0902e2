// Money under concurrency over HTTP (every request on its own connection, from its own thread),
// and the Idempotency-Key header. Every scenario ends with `cardcore ledger verify`.
#include <atomic>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace apitest {
namespace {

class ApiMoneyConcurrency : public ApiTest {};
class ApiIdempotency : public ApiTest {};

struct Acct {
  PartnerCreds p;
  std::string account;
  std::vector<std::string> cards;
};

// Partner, account (on `plan` when given), `n_cards` cards, pool funded with `pool` rupees.
Acct make_acct(const Server& s, int64_t pool_rupees, int n_cards = 1, const json& plan_max = nullptr,
               const std::string& name = "Concurrent Co") {
  Acct a;
  a.p = s.admin_create_partner(name);
  if (!plan_max.is_null()) {
    HttpResponse plan = s.admin_post("/admin/v1/plans", {{"partnerId", a.p.partner_id}, {"name", "Capped"},
                                                         {"bin", "652150"}, {"maxCardBalance", plan_max}});
    EXPECT_TRUE(IsOkA(plan)) << plan.describe();
    a.p.plan_master_id = plan.j["payload"].value("planMasterId", "");
  }
  a.account = s.create_account(a.p);
  for (int i = 0; i < n_cards; ++i) a.cards.push_back(s.create_card(a.p, a.account).value("enKashCardId", ""));
  if (pool_rupees > 0) {
    HttpResponse f = s.admin_post("/admin/v1/cardAccounts/fund", {{"companyId", a.p.company_id}, {"cardAccountId", a.account},
                                                                  {"amount", pool_rupees}, {"reference", "POOL-" + a.account}});
    EXPECT_TRUE(IsOkA(f)) << f.describe();
  }
  return a;
}

json load_body(const Acct& a, const std::string& card, const json& amount, const std::string& ref) {
  json b = {{"companyId", a.p.company_id}, {"cardAccountId", a.account}, {"enKashCardId", card},
            {"amount", amount}, {"transactionType", "CR"}};
  if (!ref.empty()) b["uniqueReferenceNumber"] = ref;
  return b;
}

int64_t card_paise(const Server& s, const Acct& a, const std::string& card) {
  json c = s.search_card(a.p, a.account, card);
  return c.is_object() ? paise(c["otbBalance"]) : -1;
}

json account_get(const Server& s, const Acct& a) {
  HttpResponse r = s.partner_post(a.p, "/cardAccount/get", {{"companyId", a.p.company_id}, {"cardAccountId", a.account}});
  EXPECT_TRUE(IsOkB(r)) << r.describe();
  return r.j.value("payload", json::object());
}

int64_t txn_count(const Server& s, const Acct& a, const std::string& card = "") {
  json b = {{"companyId", a.p.company_id}, {"cardAccountId", a.account}};
  if (!card.empty()) b["enKashCardId"] = card;
  HttpResponse r = s.partner_post(a.p, "/transaction/all", b);
  EXPECT_TRUE(IsOkA(r)) << r.describe();
  return r.j["payload"].value("totalCount", int64_t{-1});
}

void expect_ledger_clean(const Server& s) {
  std::string out;
  EXPECT_EQ(ledger_verify(s.dir(), &out), 0) << "ledger verify: " << out;
}

// ---------------------------------------------------------------------------------------------

TEST_F(ApiMoneyConcurrency, SameReference32TimesPostsOnce) {
  Acct a = make_acct(srv(), 1000);
  const std::string card = a.cards.at(0);
  constexpr int kN = 32;
  auto answers = in_parallel(kN, [&](int) {
    return srv().partner_post(a.p, "/balance", load_body(a, card, 10, "PAR-SAME-REF"));
  });
  int ok = 0, dup = 0;
  for (int i = 0; i < kN; ++i) {
    if (IsOkA(answers[i])) {
      ++ok;
      EXPECT_EQ(answers[i].j["payload"].value("pgReferenceNumber", ""), "PAR-SAME-REF");
    } else if (IsErr(answers[i], 409, 409, "uniqueReferenceNumber")) {
      ++dup;
    } else {
      ADD_FAILURE() << "request " << i << ": " << answers[i].describe();
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(dup, kN - 1);
  EXPECT_EQ(card_paise(srv(), a, card), 1000);
  EXPECT_EQ(paise(account_get(srv(), a)["availableBalance"]), 99000);
  EXPECT_EQ(txn_count(srv(), a, card), 1);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoneyConcurrency, ParallelLoadsNeverPassThePlanMaximum) {
  // Maximum 100 rupees; 32 loads of 7 rupees: exactly 14 fit (98), 18 are refused.
  Acct a = make_acct(srv(), 1000, 1, 100);
  const std::string card = a.cards.at(0);
  constexpr int kN = 32;
  auto answers = in_parallel(kN, [&](int i) {
    return srv().partner_post(a.p, "/balance", load_body(a, card, 7, "PAR-MAX-" + std::to_string(i)));
  });
  int ok = 0, refused = 0;
  for (int i = 0; i < kN; ++i) {
    if (IsOkA(answers[i])) {
      ++ok;
      EXPECT_LE(paise(answers[i].j["payload"]["otbBalance"]), 10000) << answers[i].describe();
    } else if (IsErr(answers[i], 422, 1041, "amount")) {
      ++refused;
    } else {
      ADD_FAILURE() << "request " << i << ": " << answers[i].describe();
    }
  }
  EXPECT_EQ(ok, 14);
  EXPECT_EQ(refused, 18);
  EXPECT_EQ(card_paise(srv(), a, card), 9800);
  EXPECT_EQ(paise(account_get(srv(), a)["availableBalance"]), 100000 - 9800);
  EXPECT_EQ(txn_count(srv(), a, card), 14);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoneyConcurrency, ParallelLoadsNeverOverdrawThePool) {
  // Pool 50 rupees over 4 cards; 32 loads of 3 rupees: exactly 16 fit (48), 16 are refused, 2 stay.
  Acct a = make_acct(srv(), 50, 4);
  constexpr int kN = 32;
  auto answers = in_parallel(kN, [&](int i) {
    return srv().partner_post(a.p, "/balance",
                              load_body(a, a.cards[static_cast<size_t>(i % 4)], 3, "PAR-POOL-" + std::to_string(i)));
  });
  int ok = 0, refused = 0;
  int64_t expected_per_card[4] = {0, 0, 0, 0};
  for (int i = 0; i < kN; ++i) {
    if (IsOkA(answers[i])) {
      ++ok;
      expected_per_card[i % 4] += 300;
    } else if (IsErr(answers[i], 422, 1040, "amount")) {
      ++refused;
    } else {
      ADD_FAILURE() << "request " << i << ": " << answers[i].describe();
    }
  }
  EXPECT_EQ(ok, 16);
  EXPECT_EQ(refused, 16);
  json acc = account_get(srv(), a);
  EXPECT_EQ(paise(acc["availableBalance"]), 200);
  EXPECT_EQ(paise(acc["availableCardBalance"]), 4800);
  for (size_t c = 0; c < 4; ++c) EXPECT_EQ(card_paise(srv(), a, a.cards[c]), expected_per_card[c]) << "card " << c;
  EXPECT_EQ(txn_count(srv(), a), 16);
  expect_ledger_clean(srv());
}

// ---------------------------------------------------------------------------------------------
// Idempotency-Key

HttpResponse keyed_load(const Server& s, const Acct& a, const json& body, const std::string& key) {
  return s.partner_post_raw(a.p, "/balance", body.dump(), {{"Idempotency-Key", key}});
}

TEST_F(ApiIdempotency, SameKeySameBodyReplaysByteForByte) {
  Acct a = make_acct(srv(), 1000);
  const std::string card = a.cards.at(0);
  json body = load_body(a, card, "12.50", "");  // no uniqueReferenceNumber: only the key protects it
  HttpResponse first = keyed_load(srv(), a, body, "idem-key-1");
  ASSERT_TRUE(IsOkA(first)) << first.describe();
  EXPECT_EQ(first.header("idempotent-replayed"), "");
  for (int i = 0; i < 3; ++i) {
    HttpResponse again = keyed_load(srv(), a, body, "idem-key-1");
    EXPECT_EQ(again.status, first.status);
    EXPECT_EQ(again.body, first.body) << "replay " << i << " differs";
    EXPECT_EQ(again.header("idempotent-replayed"), "true") << again.describe();
    EXPECT_EQ(again.header("content-type"), first.header("content-type"));
  }
  EXPECT_EQ(card_paise(srv(), a, card), 1250);
  EXPECT_EQ(txn_count(srv(), a, card), 1);
  // Without the key, the same body is a new load.
  HttpResponse plain = srv().partner_post(a.p, "/balance", body);
  ASSERT_TRUE(IsOkA(plain)) << plain.describe();
  EXPECT_EQ(card_paise(srv(), a, card), 2500);
  // Another key: another load.
  HttpResponse other = keyed_load(srv(), a, body, "idem-key-2");
  ASSERT_TRUE(IsOkA(other)) << other.describe();
  EXPECT_EQ(other.header("idempotent-replayed"), "");
  EXPECT_EQ(card_paise(srv(), a, card), 3750);
  EXPECT_EQ(txn_count(srv(), a, card), 3);
  expect_ledger_clean(srv());
}

TEST_F(ApiIdempotency, RefusalsAreReplayedToo) {
  // A non-5xx answer is the answer for the key: a pool-short refusal stays a refusal after funding.
  Acct a = make_acct(srv(), 0);
  const std::string card = a.cards.at(0);
  json body = load_body(a, card, 5, "");
  HttpResponse first = keyed_load(srv(), a, body, "idem-refused");
  ASSERT_TRUE(IsErr(first, 422, 1040)) << first.describe();
  ASSERT_TRUE(IsOkA(srv().admin_post("/admin/v1/cardAccounts/fund", {{"companyId", a.p.company_id}, {"cardAccountId", a.account},
                                                                     {"amount", 100}, {"reference", "LATE-FUND"}})));
  HttpResponse again = keyed_load(srv(), a, body, "idem-refused");
  EXPECT_EQ(again.status, first.status);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(card_paise(srv(), a, card), 0);
  expect_ledger_clean(srv());
}

TEST_F(ApiIdempotency, SameKeyDifferentBodyIs1050) {
  Acct a = make_acct(srv(), 1000);
  const std::string card = a.cards.at(0);
  json body = load_body(a, card, 10, "");
  ASSERT_TRUE(IsOkA(keyed_load(srv(), a, body, "idem-mismatch")));
  json other = load_body(a, card, 11, "");
  HttpResponse r = keyed_load(srv(), a, other, "idem-mismatch");
  EXPECT_TRUE(IsErr(r, 422, 1050, "Idempotency-Key")) << r.describe();
  EXPECT_EQ(r.header("idempotent-replayed"), "");
  // Same key on another path.
  HttpResponse p = srv().partner_post_raw(a.p, "/cardAccount/get",
                                          json{{"companyId", a.p.company_id}, {"cardAccountId", a.account}}.dump(),
                                          {{"Idempotency-Key", "idem-mismatch"}});
  EXPECT_TRUE(IsErr(p, 422, 1050, "Idempotency-Key", true)) << p.describe();
  EXPECT_EQ(card_paise(srv(), a, card), 1000);
  EXPECT_EQ(txn_count(srv(), a, card), 1);
  // The original body still replays.
  HttpResponse again = keyed_load(srv(), a, body, "idem-mismatch");
  EXPECT_TRUE(IsOkA(again)) << again.describe();
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(card_paise(srv(), a, card), 1000);
  expect_ledger_clean(srv());
}

TEST_F(ApiIdempotency, SixteenConcurrentRequestsExecuteOnce) {
  Acct a = make_acct(srv(), 1000);
  const std::string card = a.cards.at(0);
  json body = load_body(a, card, 7, "");
  constexpr int kN = 16;
  auto answers = in_parallel(kN, [&](int) { return keyed_load(srv(), a, body, "idem-concurrent"); });
  int executed = 0, replayed = 0, running = 0;
  std::string executed_body;
  for (int i = 0; i < kN; ++i) {
    const HttpResponse& r = answers[i];
    if (IsOkA(r) && r.header("idempotent-replayed").empty()) {
      ++executed;
      executed_body = r.body;
    } else if (IsOkA(r) && r.header("idempotent-replayed") == "true") {
      ++replayed;
    } else if (IsErr(r, 409, 1051, "Idempotency-Key")) {
      ++running;
    } else {
      ADD_FAILURE() << "request " << i << ": " << r.describe();
    }
  }
  EXPECT_EQ(executed, 1);
  EXPECT_EQ(executed + replayed + running, kN);
  for (const HttpResponse& r : answers) {
    if (r.header("idempotent-replayed") == "true") {
      EXPECT_EQ(r.body, executed_body);
    }
  }
  EXPECT_EQ(card_paise(srv(), a, card), 700);
  EXPECT_EQ(txn_count(srv(), a, card), 1);
  // Once it finished, the key replays.
  HttpResponse after = keyed_load(srv(), a, body, "idem-concurrent");
  EXPECT_EQ(after.header("idempotent-replayed"), "true") << after.describe();
  EXPECT_EQ(after.body, executed_body);
  EXPECT_EQ(card_paise(srv(), a, card), 700);
  expect_ledger_clean(srv());
}

TEST_F(ApiIdempotency, KeysArePerPartner) {
  Acct a = make_acct(srv(), 1000, 1, nullptr, "Key Partner A");
  Acct b = make_acct(srv(), 1000, 1, nullptr, "Key Partner B");
  HttpResponse ra = keyed_load(srv(), a, load_body(a, a.cards[0], 10, ""), "shared-key");
  ASSERT_TRUE(IsOkA(ra)) << ra.describe();
  HttpResponse rb = keyed_load(srv(), b, load_body(b, b.cards[0], 20, ""), "shared-key");
  ASSERT_TRUE(IsOkA(rb)) << rb.describe();
  EXPECT_EQ(rb.header("idempotent-replayed"), "");
  EXPECT_EQ(rb.j["payload"].value("enKashCardId", ""), b.cards[0]);
  EXPECT_EQ(paise(rb.j["payload"]["otbBalance"]), 2000);
  // Each partner's replay is its own answer.
  HttpResponse ra2 = keyed_load(srv(), a, load_body(a, a.cards[0], 10, ""), "shared-key");
  EXPECT_EQ(ra2.body, ra.body);
  EXPECT_EQ(ra2.header("idempotent-replayed"), "true");
  HttpResponse rb2 = keyed_load(srv(), b, load_body(b, b.cards[0], 20, ""), "shared-key");
  EXPECT_EQ(rb2.body, rb.body);
  EXPECT_EQ(rb2.header("idempotent-replayed"), "true");
  EXPECT_EQ(card_paise(srv(), a, a.cards[0]), 1000);
  EXPECT_EQ(card_paise(srv(), b, b.cards[0]), 2000);
  EXPECT_EQ(txn_count(srv(), a), 1);
  EXPECT_EQ(txn_count(srv(), b), 1);
  expect_ledger_clean(srv());
}

TEST_F(ApiIdempotency, BadKeysAre422) {
  Acct a = make_acct(srv(), 100);
  json body = load_body(a, a.cards.at(0), 1, "");
  HttpResponse r = keyed_load(srv(), a, body, std::string(256, 'k'));
  EXPECT_TRUE(IsErr(r, 422, 422, "Idempotency-Key")) << r.describe();
  EXPECT_EQ(card_paise(srv(), a, a.cards.at(0)), 0);
  HttpResponse ok = keyed_load(srv(), a, body, std::string(255, 'k'));
  EXPECT_TRUE(IsOkA(ok)) << ok.describe();
  expect_ledger_clean(srv());
}

}  // namespace
}  // namespace apitest
