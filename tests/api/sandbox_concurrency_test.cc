// Sandbox authorizations under concurrency: every request on its own connection from its own
// thread, released together. The hold is a conditional update, so a card holding ₹100 approves
// exactly ten ₹10 authorizations however they interleave.
#include <atomic>
#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace apitest {
namespace {

class ApiSandboxConcurrency : public ApiTest {};

struct Card {
  PartnerCreds p;
  std::string account, card;
  Headers headers() const { return {{"authorization", "Bearer " + p.access_token}, {"partnerId", p.partner_id}}; }
  json ref() const { return {{"companyId", p.company_id}, {"cardAccountId", account}, {"enKashCardId", card}}; }
};

// A card holding exactly `load_rupees` (pool funded through the admin API, loaded via /balance).
Card card_holding(const Server& s, int64_t load_rupees) {
  Card c;
  c.p = s.admin_create_partner("Concurrent Sandbox Co");
  c.account = s.create_account(c.p);
  c.card = s.create_card(c.p, c.account).value("enKashCardId", "");
  HttpResponse f = s.admin_post("/admin/v1/cardAccounts/fund", {{"companyId", c.p.company_id},
                                                               {"cardAccountId", c.account},
                                                               {"amount", load_rupees},
                                                               {"reference", "POOL-" + c.account}});
  EXPECT_TRUE(IsOkA(f)) << f.describe();
  json load = c.ref();
  load["amount"] = load_rupees;
  load["transactionType"] = "CR";
  load["uniqueReferenceNumber"] = "LOAD-" + c.card;
  HttpResponse l = s.partner_post(c.p, "/balance", load);
  EXPECT_TRUE(IsOkA(l)) << l.describe();
  return c;
}

int64_t otb(const Server& s, const Card& c) {
  json j = s.search_card(c.p, c.account, c.card);
  return j.is_object() ? paise(j["otbBalance"]) : -1;
}

void expect_ledger_clean(const Server& s) {
  std::string out;
  EXPECT_EQ(ledger_verify(s.dir(), &out), 0) << "ledger verify: " << out;
}

char digit(int i, int pos) { return static_cast<char>('0' + (i / pos) % 10); }
std::string stan_of(int i) { return std::string{'9', '0', '0', digit(i, 100), digit(i, 10), digit(i, 1)}; }

TEST_F(ApiSandboxConcurrency, FiftyTenRupeeAuthorizationsOnAHundredRupees) {
  Card c = card_holding(srv(), 100);
  ASSERT_EQ(otb(srv(), c), 100'00);
  constexpr int kN = 50;
  auto answers = in_parallel(kN, [&](int i) {
    json b = c.ref();
    b["amount"] = 10;
    b["channel"] = "POS";
    b["stan"] = stan_of(i);
    b["rrn"] = "PAR" + std::string(6, '0') + stan_of(i).substr(3);
    b["terminalId"] = "PARTERM1";
    return srv().post_json("/api/v0/sandbox/authorizations", b, c.headers());
  });
  int approved = 0, declined51 = 0, other = 0;
  std::set<std::string> auth_ids;
  for (const HttpResponse& r : answers) {
    if (!IsOkA(r)) {
      ++other;
      ADD_FAILURE() << r.describe();
      continue;
    }
    const json& d = r.j["payload"];
    std::string code = d.value("responseCode", "");
    if (code == "00") {
      ++approved;
      auth_ids.insert(d.value("authorizationId", ""));
      EXPECT_GE(paise(d["otbBalance"]), 0);
    } else if (code == "51") {
      ++declined51;
      EXPECT_FALSE(d["approved"].get<bool>());
    } else {
      ++other;
      ADD_FAILURE() << "unexpected decision " << d.dump();
    }
    EXPECT_FALSE(d["duplicate"].get<bool>());
  }
  EXPECT_EQ(approved, 10);
  EXPECT_EQ(declined51, 40);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(auth_ids.size(), 10u);
  EXPECT_EQ(otb(srv(), c), 0);

  // Every decision is a row.
  json q = c.ref();
  q["pageSize"] = 500;
  HttpResponse t = srv().partner_post(c.p, "/transaction/all", q);
  ASSERT_TRUE(IsOkA(t)) << t.describe();
  int rows_ok = 0, rows_declined = 0;
  for (const json& r : t.j["payload"]["transactions"]) {
    if (r.value("type", "") != "AUTHORIZATION") continue;
    (r.value("status", "") == "APPROVED" ? rows_ok : rows_declined)++;
  }
  EXPECT_EQ(rows_ok, 10);
  EXPECT_EQ(rows_declined, 40);
  expect_ledger_clean(srv());

  // The approved holds clear in parallel too: the card ends at zero, nothing left held.
  std::vector<std::string> ids(auth_ids.begin(), auth_ids.end());
  auto cleared = in_parallel(static_cast<int>(ids.size()), [&](int i) {
    return srv().post_json("/api/v0/sandbox/authorizations/" + ids[i] + "/capture", json::object(), c.headers());
  });
  for (const HttpResponse& r : cleared) {
    ASSERT_TRUE(IsOkA(r)) << r.describe();
    EXPECT_EQ(r.j["payload"].value("responseCode", ""), "00") << r.describe();
  }
  EXPECT_EQ(otb(srv(), c), 0);
  expect_ledger_clean(srv());
}

TEST_F(ApiSandboxConcurrency, ParallelPartialClearingsOfOneAuthorization) {
  Card c = card_holding(srv(), 100);
  json b = c.ref();
  b["amount"] = 100;
  b["channel"] = "ECOM";
  HttpResponse a = srv().post_json("/api/v0/sandbox/authorizations", b, c.headers());
  ASSERT_TRUE(IsOkA(a)) << a.describe();
  std::string id = a.j["payload"].value("authorizationId", "");
  ASSERT_FALSE(id.empty()) << a.describe();
  constexpr int kN = 20;
  auto answers = in_parallel(kN, [&](int) {
    return srv().post_json("/api/v0/sandbox/authorizations/" + id + "/capture", {{"amount", 10}, {"final", false}},
                           c.headers());
  });
  int approved = 0, declined = 0;
  for (const HttpResponse& r : answers) {
    if (!IsOkA(r)) {
      // A lost race may be refused as a conflict to retry, never as a 5xx.
      EXPECT_EQ(r.status, 409) << r.describe();
      continue;
    }
    (r.j["payload"].value("responseCode", "") == "00" ? approved : declined)++;
  }
  EXPECT_EQ(approved, 10);  // 10 x ₹10 = the ₹100 held; the hold is closed after that
  EXPECT_EQ(otb(srv(), c), 0);
  expect_ledger_clean(srv());
}

TEST_F(ApiSandboxConcurrency, SameMessageInParallelHoldsOnce) {
  Card c = card_holding(srv(), 100);
  constexpr int kN = 16;
  auto answers = in_parallel(kN, [&](int) {
    json b = c.ref();
    b["amount"] = 30;
    b["channel"] = "POS";
    b["stan"] = "555555";
    b["rrn"] = "SAMEMSG00001";
    b["terminalId"] = "T5";
    return srv().post_json("/api/v0/sandbox/authorizations", b, c.headers());
  });
  std::set<std::string> ids;
  int originals = 0;
  for (const HttpResponse& r : answers) {
    ASSERT_TRUE(IsOkA(r)) << r.describe();
    EXPECT_EQ(r.j["payload"].value("responseCode", ""), "00") << r.describe();
    ids.insert(r.j["payload"].value("authorizationId", ""));
    originals += !r.j["payload"]["duplicate"].get<bool>();
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(otb(srv(), c), 70'00);
  expect_ledger_clean(srv());
}

}  // namespace
}  // namespace apitest
