// The card transaction matrix through the sandbox simulation (/api/v0/sandbox/...): authorization,
// clearing (one, several, over within the tolerance), reversal (full, partial), incremental
// authorization, force post, refund, expiry, duplicates. After every scenario: the card's
// otbBalance, one /transaction/all row per decision with its type and status, the money rows add
// up to the balance, and `cardcore ledger verify` exits 0.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "harness.h"

namespace apitest {
namespace {

// A partner's card holding `load_rupees`, and the sandbox calls on it.
struct SandboxCard {
  const Server* s = nullptr;
  PartnerCreds p;
  std::string account, card;
  int64_t loaded_paise = 0;

  static SandboxCard make(const Server& s, int64_t load_rupees, int64_t pool_rupees = 100'000) {
    SandboxCard c;
    c.s = &s;
    c.p = s.admin_create_partner("Sandbox Co");
    c.account = s.create_account(c.p);
    c.card = s.create_card(c.p, c.account).value("enKashCardId", "");
    EXPECT_FALSE(c.card.empty());
    if (pool_rupees > 0) {
      HttpResponse f = s.admin_post("/admin/v1/cardAccounts/fund", {{"companyId", c.p.company_id},
                                                                   {"cardAccountId", c.account},
                                                                   {"amount", pool_rupees},
                                                                   {"reference", "POOL-" + c.account}});
      EXPECT_TRUE(IsOkA(f)) << f.describe();
    }
    if (load_rupees > 0) {
      HttpResponse l = s.partner_post(c.p, "/balance", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                        {"enKashCardId", c.card}, {"amount", load_rupees},
                                                        {"transactionType", "CR"},
                                                        {"uniqueReferenceNumber", "LOAD-" + c.card}});
      EXPECT_TRUE(IsOkA(l)) << l.describe();
      c.loaded_paise = load_rupees * 100;
    }
    return c;
  }

  Headers headers() const { return {{"authorization", "Bearer " + p.access_token}, {"partnerId", p.partner_id}}; }
  json ref() const { return {{"companyId", p.company_id}, {"cardAccountId", account}, {"enKashCardId", card}}; }

  HttpResponse sandbox(const std::string& path, const json& body) const {
    return s->post_json("/api/v0/sandbox" + path, body, headers());
  }
  // POST /authorizations (POS unless `extra` says otherwise); the decision payload.
  HttpResponse authorize_raw(const json& amount, const json& extra = json::object()) const {
    json b = ref();
    b["amount"] = amount;
    b["channel"] = "POS";
    b["merchantName"] = "Matrix Store";
    b["mcc"] = "5411";
    for (auto it = extra.begin(); it != extra.end(); ++it) b[it.key()] = it.value();
    return sandbox("/authorizations", b);
  }
  json authorize(const json& amount, const json& extra = json::object()) const {
    return payload(authorize_raw(amount, extra));
  }
  json follow(const std::string& auth_id, const std::string& action, const json& body = json::object()) const {
    return payload(sandbox("/authorizations/" + auth_id + "/" + action, body));
  }
  json card_message(const std::string& path, const json& amount, const json& extra = json::object()) const {
    json b = ref();
    b["amount"] = amount;
    for (auto it = extra.begin(); it != extra.end(); ++it) b[it.key()] = it.value();
    return payload(sandbox(path, b));
  }
  static json payload(const HttpResponse& r) {
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"] : json::object();
  }

  int64_t otb() const {
    json c = s->search_card(p, account, card);
    return c.is_object() ? paise(c["otbBalance"]) : -1;
  }
  json rows() const {
    HttpResponse r = s->partner_post(p, "/transaction/all", {{"companyId", p.company_id}, {"cardAccountId", account},
                                                             {"enKashCardId", card}, {"pageSize", 500}});
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"]["transactions"] : json::array();
  }
};

const std::vector<std::string> kCardTxnTypes = {"AUTHORIZATION", "INCREMENTAL_AUTHORIZATION", "CLEARING", "REVERSAL",
                                                "REFUND", "FORCE_POST", "HOLD_EXPIRY"};
bool card_txn(const json& row) {
  return std::find(kCardTxnTypes.begin(), kCardTxnTypes.end(), row.value("type", "")) != kCardTxnTypes.end();
}

// "TYPE/STATUS" of every card transaction row, sorted.
std::vector<std::string> decisions(const json& rows) {
  std::vector<std::string> out;
  for (const json& r : rows) {
    if (card_txn(r)) out.push_back(r.value("type", "") + "/" + r.value("status", ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class ApiSandboxMatrix : public ApiTest {
 protected:
  // The end of every scenario: otbBalance, the decision rows, the money rows and the ledger.
  void check(const SandboxCard& c, int64_t expect_otb, int64_t expect_open_holds,
             const std::vector<std::string>& expect_rows) {
    EXPECT_EQ(c.otb(), expect_otb);
    json rows = c.rows();
    EXPECT_EQ(decisions(rows), sorted(expect_rows)) << rows.dump(1);
    // The ledger balance from the rows: loads and refunds in, clearings and force posts out.
    int64_t balance = 0;
    for (const json& r : rows) {
      std::string type = r.value("type", ""), status = r.value("status", ""), dir = r.value("cardTransactionType", "");
      int64_t amount = paise(r["principalAmount"]);
      if (!card_txn(r)) {
        if (dir == "CR") balance += amount;  // a load
        if (dir == "DR") balance -= amount;
        continue;
      }
      EXPECT_TRUE(status == "APPROVED" || status == "DECLINED") << r.dump();
      EXPECT_EQ(r["txnDetails"].value("responseCode", "") == "00", status == "APPROVED") << r.dump();
      if (status != "APPROVED") continue;
      if (type == "REFUND") {
        EXPECT_EQ(dir, "CR");
        balance += amount;
      } else if (type == "CLEARING" || type == "FORCE_POST") {
        EXPECT_EQ(dir, "DR");
        balance -= amount;
      }
    }
    EXPECT_EQ(balance - expect_open_holds, expect_otb) << "rows do not add up to the otbBalance: " << rows.dump(1);
    std::string out;
    EXPECT_EQ(ledger_verify(srv().dir(), &out), 0) << out;
  }
};

// ---- authorization + clearing ----

TEST_F(ApiSandboxMatrix, AuthorizationThenClearing) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  json a = c.authorize(100);
  ASSERT_EQ(a.value("responseCode", ""), "00") << a.dump();
  EXPECT_TRUE(a["approved"].get<bool>());
  EXPECT_FALSE(a["duplicate"].get<bool>());
  EXPECT_EQ(paise(a["amount"]), 100'00);
  EXPECT_EQ(paise(a["otbBalance"]), 900'00);
  EXPECT_EQ(a.value("authCode", "").size(), 6u);
  const std::string id = a.value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c.otb(), 900'00);

  json cl = c.follow(id, "capture");
  EXPECT_EQ(cl.value("responseCode", ""), "00") << cl.dump();
  EXPECT_EQ(paise(cl["amount"]), 100'00);
  EXPECT_EQ(paise(cl["otbBalance"]), 900'00);
  EXPECT_EQ(cl.value("authorizationId", ""), id);

  json again = c.follow(id, "capture");  // the authorization is closed
  EXPECT_EQ(again.value("responseCode", ""), "05") << again.dump();
  EXPECT_FALSE(again["approved"].get<bool>());
  check(c, 900'00, 0, {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED", "CLEARING/DECLINED"});
}

TEST_F(ApiSandboxMatrix, SeveralClearingsPerAuthorization) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  json a = c.authorize(300);
  const std::string id = a.value("authorizationId", "");
  ASSERT_FALSE(id.empty()) << a.dump();

  json c1 = c.follow(id, "capture", {{"amount", 100}, {"final", false}});
  EXPECT_EQ(c1.value("responseCode", ""), "00") << c1.dump();
  EXPECT_EQ(paise(c1["otbBalance"]), 700'00);  // 200 still held
  json c2 = c.follow(id, "capture", {{"amount", 50.5}, {"final", false}});
  EXPECT_EQ(c2.value("responseCode", ""), "00") << c2.dump();
  EXPECT_EQ(paise(c2["otbBalance"]), 700'00);
  EXPECT_EQ(c.otb(), 700'00);
  json c3 = c.follow(id, "capture", {{"amount", 100}, {"final", true}});  // releases the 49.50 left
  EXPECT_EQ(c3.value("responseCode", ""), "00") << c3.dump();
  EXPECT_EQ(paise(c3["otbBalance"]), 749'50);
  json c4 = c.follow(id, "capture", {{"amount", 1}});
  EXPECT_EQ(c4.value("responseCode", ""), "05") << c4.dump();
  check(c, 749'50, 0,
        {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED", "CLEARING/APPROVED", "CLEARING/APPROVED", "CLEARING/DECLINED"});
}

TEST_F(ApiSandboxMatrix, PartialClearingsThenReversalOfTheRest) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(300).value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c.follow(id, "capture", {{"amount", 100}, {"final", false}}).value("responseCode", ""), "00");
  json rev = c.follow(id, "reverse");  // the 200 still held
  EXPECT_EQ(rev.value("responseCode", ""), "00") << rev.dump();
  EXPECT_EQ(paise(rev["amount"]), 200'00);
  EXPECT_EQ(paise(rev["otbBalance"]), 900'00);
  EXPECT_EQ(c.follow(id, "capture", {{"amount", 1}}).value("responseCode", ""), "05");
  check(c, 900'00, 0, {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED", "REVERSAL/APPROVED", "CLEARING/DECLINED"});
}

TEST_F(ApiSandboxMatrix, OverClearingWithinToleranceApprovesBeyondDeclines13) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  // 15% of ₹100: a clearing of ₹115.00 approves, the extra ₹15 comes from the free balance.
  const std::string a1 = c.authorize(100).value("authorizationId", "");
  json ok = c.follow(a1, "capture", {{"amount", 115}});
  EXPECT_EQ(ok.value("responseCode", ""), "00") << ok.dump();
  EXPECT_EQ(paise(ok["amount"]), 115'00);
  EXPECT_EQ(paise(ok["otbBalance"]), 885'00);

  // ₹115.01 is one paisa beyond: 13, and the hold stays.
  const std::string a2 = c.authorize(100).value("authorizationId", "");
  json over = c.follow(a2, "capture", {{"amount", 115.01}});
  EXPECT_EQ(over.value("responseCode", ""), "13") << over.dump();
  EXPECT_FALSE(over["approved"].get<bool>());
  EXPECT_EQ(c.otb(), 785'00);
  // The hold is still open and clears normally.
  json normal = c.follow(a2, "capture");
  EXPECT_EQ(normal.value("responseCode", ""), "00") << normal.dump();
  EXPECT_EQ(paise(normal["amount"]), 100'00);
  check(c, 785'00, 0,
        {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED", "AUTHORIZATION/APPROVED", "CLEARING/DECLINED",
         "CLEARING/APPROVED"});
}

TEST_F(ApiSandboxMatrix, OverClearingAcrossPartialClearingsCountsTheTotal) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(100).value("authorizationId", "");
  EXPECT_EQ(c.follow(id, "capture", {{"amount", 60}, {"final", false}}).value("responseCode", ""), "00");
  // 60 + 55.01 = 115.01 > 115: declined; 60 + 55 = 115 approves.
  EXPECT_EQ(c.follow(id, "capture", {{"amount", 55.01}, {"final", false}}).value("responseCode", ""), "13");
  EXPECT_EQ(c.follow(id, "capture", {{"amount", 55}, {"final", true}}).value("responseCode", ""), "00");
  check(c, 885'00, 0, {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED", "CLEARING/DECLINED", "CLEARING/APPROVED"});
}

TEST_F(ApiSandboxMatrix, OverClearingWithoutFreeBalanceDeclines51) {
  SandboxCard c = SandboxCard::make(srv(), 100);
  const std::string id = c.authorize(100).value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  json over = c.follow(id, "capture", {{"amount", 110}});  // within tolerance, but nothing free
  EXPECT_EQ(over.value("responseCode", ""), "51") << over.dump();
  EXPECT_EQ(c.otb(), 0);
  EXPECT_EQ(c.follow(id, "capture").value("responseCode", ""), "00");
  check(c, 0, 0, {"AUTHORIZATION/APPROVED", "CLEARING/DECLINED", "CLEARING/APPROVED"});
}

// ---- reversals ----

TEST_F(ApiSandboxMatrix, FullReversal) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(200).value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c.otb(), 800'00);
  json rev = c.follow(id, "reverse");
  EXPECT_EQ(rev.value("responseCode", ""), "00") << rev.dump();
  EXPECT_EQ(paise(rev["amount"]), 200'00);
  EXPECT_EQ(paise(rev["otbBalance"]), 1000'00);
  EXPECT_EQ(c.follow(id, "reverse").value("responseCode", ""), "05");  // nothing left
  EXPECT_EQ(c.follow(id, "capture").value("responseCode", ""), "05");
  check(c, 1000'00, 0, {"AUTHORIZATION/APPROVED", "REVERSAL/APPROVED", "REVERSAL/DECLINED", "CLEARING/DECLINED"});
}

TEST_F(ApiSandboxMatrix, PartialReversalThenCaptureOfTheRest) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(200).value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  json rev = c.follow(id, "reverse", {{"amount", 50}});
  EXPECT_EQ(rev.value("responseCode", ""), "00") << rev.dump();
  EXPECT_EQ(paise(rev["otbBalance"]), 850'00);
  json too_much = c.follow(id, "reverse", {{"amount", 150.01}});  // more than is held
  EXPECT_EQ(too_much.value("responseCode", ""), "13") << too_much.dump();
  json cap = c.follow(id, "capture");
  EXPECT_EQ(cap.value("responseCode", ""), "00") << cap.dump();
  EXPECT_EQ(paise(cap["amount"]), 150'00);
  EXPECT_EQ(paise(cap["otbBalance"]), 850'00);
  check(c, 850'00, 0,
        {"AUTHORIZATION/APPROVED", "REVERSAL/APPROVED", "REVERSAL/DECLINED", "CLEARING/APPROVED"});
}

// ---- incremental authorization ----

TEST_F(ApiSandboxMatrix, IncrementalAuthorization) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(100, {{"channel", "ECOM"}}).value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  json inc = c.follow(id, "increment", {{"amount", 50}});
  EXPECT_EQ(inc.value("responseCode", ""), "00") << inc.dump();
  EXPECT_EQ(inc.value("authorizationId", ""), id);
  EXPECT_EQ(paise(inc["otbBalance"]), 850'00);
  json too_much = c.follow(id, "increment", {{"amount", 850.01}});
  EXPECT_EQ(too_much.value("responseCode", ""), "51") << too_much.dump();
  EXPECT_EQ(c.otb(), 850'00);
  json cap = c.follow(id, "capture");
  EXPECT_EQ(cap.value("responseCode", ""), "00") << cap.dump();
  EXPECT_EQ(paise(cap["amount"]), 150'00);
  json late = c.follow(id, "increment", {{"amount", 1}});  // closed
  EXPECT_EQ(late.value("responseCode", ""), "05") << late.dump();
  check(c, 850'00, 0,
        {"AUTHORIZATION/APPROVED", "INCREMENTAL_AUTHORIZATION/APPROVED", "INCREMENTAL_AUTHORIZATION/DECLINED",
         "CLEARING/APPROVED", "INCREMENTAL_AUTHORIZATION/DECLINED"});
}

TEST_F(ApiSandboxMatrix, IncrementRespectsTheDailyLimit) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  HttpResponse u = srv().partner_post(c.p, "/velocity/rule", {{"companyId", c.p.company_id},
                                                              {"cardAccountId", c.account},
                                                              {"enKashCardIds", json::array({c.card})},
                                                              {"dtd", 150}});
  ASSERT_TRUE(IsOkA(u)) << u.describe();
  const std::string id = c.authorize(100).value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c.follow(id, "increment", {{"amount", 50.01}}).value("responseCode", ""), "61");
  EXPECT_EQ(c.follow(id, "increment", {{"amount", 50}}).value("responseCode", ""), "00");
  EXPECT_EQ(c.follow(id, "reverse").value("responseCode", ""), "00");
  check(c, 1000'00, 0,
        {"AUTHORIZATION/APPROVED", "INCREMENTAL_AUTHORIZATION/DECLINED", "INCREMENTAL_AUTHORIZATION/APPROVED",
         "REVERSAL/APPROVED"});
}

// ---- clearing without an authorization (force post) ----

TEST_F(ApiSandboxMatrix, ForcePostApprovesWhenFundedAndDeclines51WhenNot) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  json fp = c.card_message("/clearings", 400);
  EXPECT_EQ(fp.value("responseCode", ""), "00") << fp.dump();
  EXPECT_EQ(paise(fp["otbBalance"]), 600'00);
  json short_fp = c.card_message("/clearings", 600.01);
  EXPECT_EQ(short_fp.value("responseCode", ""), "51") << short_fp.dump();
  EXPECT_FALSE(short_fp["approved"].get<bool>());
  json exact = c.card_message("/clearings", 600);
  EXPECT_EQ(exact.value("responseCode", ""), "00") << exact.dump();
  check(c, 0, 0, {"FORCE_POST/APPROVED", "FORCE_POST/DECLINED", "FORCE_POST/APPROVED"});
}

TEST_F(ApiSandboxMatrix, ForcePostDoesNotTakeHeldMoney) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(700).value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c.card_message("/clearings", 300.01).value("responseCode", ""), "51");
  EXPECT_EQ(c.card_message("/clearings", 300).value("responseCode", ""), "00");
  EXPECT_EQ(c.follow(id, "capture").value("responseCode", ""), "00");
  check(c, 0, 0, {"AUTHORIZATION/APPROVED", "FORCE_POST/DECLINED", "FORCE_POST/APPROVED", "CLEARING/APPROVED"});
}

// ---- refund ----

TEST_F(ApiSandboxMatrix, RefundAfterClearingCreditsTheCard) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(250).value("authorizationId", "");
  EXPECT_EQ(c.follow(id, "capture").value("responseCode", ""), "00");
  EXPECT_EQ(c.otb(), 750'00);
  json rf = c.card_message("/refunds", 100);
  EXPECT_EQ(rf.value("responseCode", ""), "00") << rf.dump();
  EXPECT_EQ(paise(rf["otbBalance"]), 850'00);
  json rows = c.rows();
  bool found = false;
  for (const json& r : rows) {
    if (r.value("type", "") != "REFUND") continue;
    found = true;
    EXPECT_EQ(r.value("cardTransactionType", ""), "CR");
    EXPECT_EQ(paise(r["principalAmount"]), 100'00);
    EXPECT_EQ(paise(r["balance"]), 850'00);
    EXPECT_EQ(r.value("enKashCardTransactionId", ""), rf.value("enKashCardTransactionId", ""));
  }
  EXPECT_TRUE(found) << rows.dump(1);
  check(c, 850'00, 0, {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED", "REFUND/APPROVED"});
}

TEST_F(ApiSandboxMatrix, RefundWithAChannelThatIsNoChannelIsRefusedAndChangesNothing) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  json b = c.ref();
  b["amount"] = 100;
  b["channel"] = "TELEPATHY";
  HttpResponse r = c.sandbox("/refunds", b);
  EXPECT_EQ(r.status, 422) << r.describe();
  EXPECT_NE(r.j.value("message", "").find("channel"), std::string::npos) << r.describe();
  EXPECT_EQ(c.otb(), 1000'00);
  check(c, 1000'00, 0, {});
}

// ---- expiry ----

TEST_F(ApiSandboxMatrix, ExpireReleasesTheHold) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(300).value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c.otb(), 700'00);
  json ex = c.follow(id, "expire");
  EXPECT_EQ(ex.value("responseCode", ""), "00") << ex.dump();
  EXPECT_EQ(paise(ex["amount"]), 300'00);
  EXPECT_EQ(paise(ex["otbBalance"]), 1000'00);
  EXPECT_EQ(c.otb(), 1000'00);
  EXPECT_EQ(c.follow(id, "capture").value("responseCode", ""), "05");
  check(c, 1000'00, 0, {"AUTHORIZATION/APPROVED", "HOLD_EXPIRY/APPROVED", "CLEARING/DECLINED"});
}

TEST_F(ApiSandboxMatrix, ExpireAfterPartialClearingReleasesTheRest) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(300).value("authorizationId", "");
  EXPECT_EQ(c.follow(id, "capture", {{"amount", 120}, {"final", false}}).value("responseCode", ""), "00");
  json ex = c.follow(id, "expire", {{"amount", 1}});  // an amount is ignored: the whole hold goes
  EXPECT_EQ(ex.value("responseCode", ""), "00") << ex.dump();
  EXPECT_EQ(paise(ex["amount"]), 180'00);
  EXPECT_EQ(c.follow(id, "expire").value("responseCode", ""), "05");
  check(c, 880'00, 0,
        {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED", "HOLD_EXPIRY/APPROVED", "HOLD_EXPIRY/DECLINED"});
}

// ---- duplicates ----

TEST_F(ApiSandboxMatrix, DuplicateAuthorizationGetsTheFirstAnswer) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  json key = {{"stan", "123456"}, {"rrn", "612345678901"}, {"terminalId", "TERM0001"}};
  json first = c.authorize(100, key);
  ASSERT_EQ(first.value("responseCode", ""), "00") << first.dump();
  EXPECT_FALSE(first["duplicate"].get<bool>());
  int64_t otb_after_first = c.otb();
  EXPECT_EQ(otb_after_first, 900'00);

  json second = c.authorize(100, key);
  EXPECT_TRUE(second["duplicate"].get<bool>()) << second.dump();
  json a = first, b = second;
  a.erase("duplicate");
  b.erase("duplicate");
  EXPECT_EQ(a, b) << "first " << first.dump() << "\nsecond " << second.dump();
  EXPECT_EQ(c.otb(), otb_after_first);  // only one hold

  // Another terminal with the same stan and rrn is another message.
  json other = c.authorize(100, {{"stan", "123456"}, {"rrn", "612345678901"}, {"terminalId", "TERM0002"}});
  EXPECT_EQ(other.value("responseCode", ""), "00") << other.dump();
  EXPECT_FALSE(other["duplicate"].get<bool>());
  EXPECT_NE(other.value("authorizationId", ""), first.value("authorizationId", ""));
  EXPECT_EQ(c.otb(), 800'00);
  check(c, 800'00, 200'00, {"AUTHORIZATION/APPROVED", "AUTHORIZATION/APPROVED"});
}

TEST_F(ApiSandboxMatrix, DuplicateDeclineStaysTheSameDecline) {
  SandboxCard c = SandboxCard::make(srv(), 100);
  json key = {{"stan", "000777"}, {"rrn", "RRN000000777"}, {"terminalId", "T7"}};
  json first = c.authorize(150, key);
  EXPECT_EQ(first.value("responseCode", ""), "51") << first.dump();
  json second = c.authorize(150, key);
  EXPECT_EQ(second.value("responseCode", ""), "51");
  EXPECT_TRUE(second["duplicate"].get<bool>());
  EXPECT_EQ(second.value("enKashCardTransactionId", ""), first.value("enKashCardTransactionId", ""));
  check(c, 100'00, 0, {"AUTHORIZATION/DECLINED"});
}

TEST_F(ApiSandboxMatrix, DuplicateClearingPostsOnce) {
  SandboxCard c = SandboxCard::make(srv(), 1000);
  const std::string id = c.authorize(300).value("authorizationId", "");
  json key = {{"amount", 100}, {"final", false}, {"stan", "222222"}, {"rrn", "CLR000000001"}, {"terminalId", "T1"}};
  json first = c.follow(id, "capture", key);
  EXPECT_EQ(first.value("responseCode", ""), "00") << first.dump();
  json second = c.follow(id, "capture", key);
  EXPECT_TRUE(second["duplicate"].get<bool>()) << second.dump();
  EXPECT_EQ(second.value("enKashCardTransactionId", ""), first.value("enKashCardTransactionId", ""));
  EXPECT_EQ(c.otb(), 700'00);
  json fkey = {{"stan", "333333"}, {"rrn", "FP0000000001"}, {"terminalId", "T1"}};
  EXPECT_EQ(c.card_message("/clearings", 50, fkey).value("responseCode", ""), "00");
  EXPECT_TRUE(c.card_message("/clearings", 50, fkey)["duplicate"].get<bool>());
  json rkey = {{"stan", "444444"}, {"rrn", "RF0000000001"}, {"terminalId", "T1"}};
  EXPECT_EQ(c.card_message("/refunds", 20, rkey).value("responseCode", ""), "00");
  EXPECT_TRUE(c.card_message("/refunds", 20, rkey)["duplicate"].get<bool>());
  // 1000 - 100 cleared - 200 held - 50 force post + 20 refund
  check(c, 670'00, 200'00, {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED", "FORCE_POST/APPROVED", "REFUND/APPROVED"});
}

// ---- declines are rows too ----

TEST_F(ApiSandboxMatrix, DeclinesAreRowsWithTheirCode) {
  SandboxCard c = SandboxCard::make(srv(), 100);
  EXPECT_EQ(c.authorize(100.01).value("responseCode", ""), "51");
  EXPECT_EQ(c.authorize(10, {{"channel", "ATM"}, {"pin", "1234"}}).value("responseCode", ""), "57");
  EXPECT_EQ(c.authorize(10, {{"international", true}}).value("responseCode", ""), "57");
  EXPECT_EQ(c.authorize(10, {{"expiryYYMM", "0101"}}).value("responseCode", ""), "54");
  EXPECT_EQ(c.authorize(10, {{"pin", "1234"}}).value("responseCode", ""), "55");  // no PIN set
  HttpResponse lock = srv().partner_post(c.p, "/block", srv().block_body(c.p, c.account, c.card, "L"));
  ASSERT_TRUE(IsOkA(lock)) << lock.describe();
  EXPECT_EQ(c.authorize(10).value("responseCode", ""), "62");
  HttpResponse bl = srv().partner_post(c.p, "/block", srv().block_body(c.p, c.account, c.card, "BL"));
  ASSERT_TRUE(IsOkA(bl)) << bl.describe();
  EXPECT_EQ(c.authorize(100.01).value("responseCode", ""), "46");  // 46 before 51
  json rows = c.rows();
  std::map<std::string, int> codes;
  for (const json& r : rows) {
    if (card_txn(r)) ++codes[r["txnDetails"].value("responseCode", "")];
  }
  EXPECT_EQ(codes, (std::map<std::string, int>{{"51", 1}, {"57", 2}, {"54", 1}, {"55", 1}, {"62", 1}, {"46", 1}}));
  check(c, 100'00, 0, std::vector<std::string>(7, "AUTHORIZATION/DECLINED"));
}

TEST_F(ApiSandboxMatrix, UnknownAuthorizationIs404) {
  SandboxCard c = SandboxCard::make(srv(), 0, 0);
  for (const char* action : {"capture", "reverse", "increment", "expire"}) {
    HttpResponse r = c.sandbox(std::string("/authorizations/AUTHNOSUCHID00/") + action, {{"amount", 1}});
    EXPECT_TRUE(IsErr(r, 404, 412, "authorizationId")) << action << " " << r.describe();
  }
  HttpResponse bad = c.sandbox("/authorizations/AUTHX/settle", json::object());
  EXPECT_EQ(bad.status, 404) << bad.describe();
}

// ---- all of it on one card: the whole history adds up ----

TEST_F(ApiSandboxMatrix, WholeMatrixOnOneCardAddsUp) {
  SandboxCard c = SandboxCard::make(srv(), 5000);
  std::vector<std::string> expect;
  auto rc = [](const json& j) { return j.value("responseCode", ""); };
  // auth + clearing
  std::string a1 = c.authorize(500).value("authorizationId", "");
  EXPECT_EQ(rc(c.follow(a1, "capture")), "00");
  expect.insert(expect.end(), {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED"});
  // several clearings
  std::string a2 = c.authorize(600).value("authorizationId", "");
  EXPECT_EQ(rc(c.follow(a2, "capture", {{"amount", 200}, {"final", false}})), "00");
  EXPECT_EQ(rc(c.follow(a2, "capture", {{"amount", 300}, {"final", true}})), "00");  // releases 100
  expect.insert(expect.end(), {"AUTHORIZATION/APPROVED", "CLEARING/APPROVED", "CLEARING/APPROVED"});
  // over-clearing within and beyond the tolerance
  std::string a3 = c.authorize(200).value("authorizationId", "");
  EXPECT_EQ(rc(c.follow(a3, "capture", {{"amount", 230.01}})), "13");
  EXPECT_EQ(rc(c.follow(a3, "capture", {{"amount", 230}})), "00");
  expect.insert(expect.end(), {"AUTHORIZATION/APPROVED", "CLEARING/DECLINED", "CLEARING/APPROVED"});
  // full reversal
  std::string a4 = c.authorize(400).value("authorizationId", "");
  EXPECT_EQ(rc(c.follow(a4, "reverse")), "00");
  expect.insert(expect.end(), {"AUTHORIZATION/APPROVED", "REVERSAL/APPROVED"});
  // partial reversal, then capture of the rest
  std::string a5 = c.authorize(400).value("authorizationId", "");
  EXPECT_EQ(rc(c.follow(a5, "reverse", {{"amount", 150}})), "00");
  EXPECT_EQ(rc(c.follow(a5, "capture")), "00");  // 250
  expect.insert(expect.end(), {"AUTHORIZATION/APPROVED", "REVERSAL/APPROVED", "CLEARING/APPROVED"});
  // incremental
  std::string a6 = c.authorize(100).value("authorizationId", "");
  EXPECT_EQ(rc(c.follow(a6, "increment", {{"amount", 75}})), "00");
  EXPECT_EQ(rc(c.follow(a6, "capture")), "00");  // 175
  expect.insert(expect.end(), {"AUTHORIZATION/APPROVED", "INCREMENTAL_AUTHORIZATION/APPROVED", "CLEARING/APPROVED"});
  // force post, refund
  EXPECT_EQ(rc(c.card_message("/clearings", 125)), "00");
  EXPECT_EQ(rc(c.card_message("/refunds", 80)), "00");
  expect.insert(expect.end(), {"FORCE_POST/APPROVED", "REFUND/APPROVED"});
  // expiry; and one hold left open
  std::string a7 = c.authorize(90).value("authorizationId", "");
  EXPECT_EQ(rc(c.follow(a7, "expire")), "00");
  std::string a8 = c.authorize(60).value("authorizationId", "");
  expect.insert(expect.end(), {"AUTHORIZATION/APPROVED", "HOLD_EXPIRY/APPROVED", "AUTHORIZATION/APPROVED"});
  // 5000 - 500 - 500 - 230 - 250 - 175 - 125 + 80 = 3300; 60 held.
  check(c, 3240'00, 60'00, expect);
  int64_t n = 0;
  for (const json& r : c.rows()) n += card_txn(r);
  EXPECT_EQ(n, static_cast<int64_t>(expect.size()));
  (void)a8;
}

}  // namespace
}  // namespace apitest
