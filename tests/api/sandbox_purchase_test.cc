// POST /api/v0/sandbox/purchases: a single-message purchase (the ISO 8583 0200 equivalent),
// decided and cleared in one unit of work. Approved: the card is debited at once, no hold stays,
// one PURCHASE row; declined: the response code of the decision, nothing debited, one DECLINED
// row; a repeated message gets the first answer; bad input is refused before anything changes.
#include <string>

#include "harness.h"

namespace apitest {
namespace {

class ApiSandboxPurchase : public ApiTest {
 protected:
  struct Card {
    PartnerCreds p;
    std::string account, card;
  };

  // A partner's card loaded with `rupees`.
  Card loaded(int rupees) {
    Card c;
    c.p = srv().admin_create_partner("Purchase Co");
    c.account = srv().create_account(c.p);
    c.card = srv().create_card(c.p, c.account).value("enKashCardId", "");
    EXPECT_FALSE(c.card.empty());
    EXPECT_TRUE(IsOkA(srv().admin_post("/admin/v1/cardAccounts/fund", {{"companyId", c.p.company_id},
                                                                      {"cardAccountId", c.account},
                                                                      {"amount", 100'000},
                                                                      {"reference", "POOL-" + c.account}})));
    HttpResponse l = srv().partner_post(c.p, "/balance", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                          {"enKashCardId", c.card}, {"amount", rupees},
                                                          {"transactionType", "CR"},
                                                          {"uniqueReferenceNumber", "LOAD-" + c.card}});
    EXPECT_TRUE(IsOkA(l)) << l.describe();
    return c;
  }

  static json body(const Card& c, const json& amount) {
    return {{"companyId", c.p.company_id}, {"cardAccountId", c.account}, {"enKashCardId", c.card},
            {"amount", amount},           {"channel", "POS"},            {"merchantName", "Corner Store"},
            {"mcc", "5411"}};
  }
  HttpResponse purchase(const Card& c, const json& b, Headers extra = {}) const {
    Headers h = {{"authorization", "Bearer " + c.p.access_token}, {"partnerId", c.p.partner_id}};
    for (auto& kv : extra) h.push_back(kv);
    return srv().post_json("/api/v0/sandbox/purchases", b, h);
  }
  int64_t otb(const Card& c) const {
    json card = srv().search_card(c.p, c.account, c.card);
    return card.is_object() ? paise(card["otbBalance"]) : -1;
  }
  // The card transaction rows (loads left out).
  json purchase_rows(const Card& c) const {
    HttpResponse r = srv().partner_post(c.p, "/transaction/all", {{"companyId", c.p.company_id},
                                                                   {"cardAccountId", c.account},
                                                                   {"enKashCardId", c.card}, {"pageSize", 500}});
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    json out = json::array();
    if (!IsOkA(r)) return out;
    for (const json& row : r.j["payload"]["transactions"]) {
      if (row.value("type", "") == "PURCHASE") out.push_back(row);
    }
    return out;
  }
  void expect_ledger_clean() const {
    std::string out;
    EXPECT_EQ(ledger_verify(srv().dir(), &out), 0) << out;
  }
};

TEST_F(ApiSandboxPurchase, ApprovedPurchaseIsDebitedAtOnceWithoutAHold) {
  Card c = loaded(100);
  HttpResponse r = purchase(c, body(c, "30.50"));
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  const json& d = r.j["payload"];
  EXPECT_EQ(d.value("approved", false), true) << d.dump();
  EXPECT_EQ(d.value("responseCode", ""), "00");
  EXPECT_EQ(d["authCode"].get<std::string>().size(), 6u);
  EXPECT_EQ(paise(d["amount"]), 3050);
  EXPECT_EQ(paise(d["otbBalance"]), 6950);
  EXPECT_EQ(d.value("duplicate", true), false);
  EXPECT_EQ(otb(c), 6950);
  json rows = purchase_rows(c);
  ASSERT_EQ(rows.size(), 1u) << rows.dump(1);
  EXPECT_EQ(rows[0].value("status", ""), "APPROVED");
  EXPECT_EQ(rows[0].value("cardTransactionType", ""), "DR");
  EXPECT_EQ(paise(rows[0]["principalAmount"]), 3050);
  EXPECT_EQ(rows[0]["txnDetails"].value("responseCode", ""), "00");
  EXPECT_EQ(rows[0].value("enKashCardTransactionId", ""), d.value("enKashCardTransactionId", ""));
  // Nothing is left open: the whole rest of the balance can be spent, and the purchase cannot be
  // reversed like an open authorization.
  Headers h = {{"authorization", "Bearer " + c.p.access_token}, {"partnerId", c.p.partner_id}};
  HttpResponse rev = srv().post_json("/api/v0/sandbox/authorizations/" + d.value("authorizationId", "") + "/reverse",
                                     json::object(), h);
  ASSERT_TRUE(IsOkA(rev)) << rev.describe();
  EXPECT_EQ(rev.j["payload"].value("approved", true), false);
  EXPECT_EQ(otb(c), 6950);
  HttpResponse rest = purchase(c, body(c, "69.50"));
  ASSERT_TRUE(IsOkA(rest)) << rest.describe();
  EXPECT_EQ(rest.j["payload"].value("responseCode", ""), "00");
  EXPECT_EQ(otb(c), 0);
  expect_ledger_clean();
}

TEST_F(ApiSandboxPurchase, DeclinesCarryTheDecisionsResponseCodeAndDebitNothing) {
  Card c = loaded(100);
  HttpResponse r = purchase(c, body(c, 500));
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  EXPECT_EQ(r.j["payload"].value("approved", true), false);
  EXPECT_EQ(r.j["payload"].value("responseCode", ""), "51");
  EXPECT_TRUE(r.j["payload"]["authorizationId"].is_null());
  EXPECT_EQ(otb(c), 10000);
  // A locked card: 62.
  ASSERT_TRUE(IsOkA(srv().partner_post(c.p, "/block", srv().block_body(c.p, c.account, c.card, "L"))));
  HttpResponse locked = purchase(c, body(c, 10));
  ASSERT_TRUE(IsOkA(locked)) << locked.describe();
  EXPECT_EQ(locked.j["payload"].value("responseCode", ""), "62");
  EXPECT_EQ(otb(c), 10000);
  json rows = purchase_rows(c);
  ASSERT_EQ(rows.size(), 2u) << rows.dump(1);
  for (const json& row : rows) EXPECT_EQ(row.value("status", ""), "DECLINED") << row.dump();
  expect_ledger_clean();
}

TEST_F(ApiSandboxPurchase, RepeatedMessageGetsTheFirstAnswerAndIsDebitedOnce) {
  Card c = loaded(100);
  json b = body(c, 25);
  b["stan"] = "123456";
  b["rrn"] = "PURCHASE0001";
  b["terminalId"] = "TERM0001";
  HttpResponse first = purchase(c, b);
  ASSERT_TRUE(IsOkA(first)) << first.describe();
  ASSERT_EQ(first.j["payload"].value("responseCode", ""), "00");
  HttpResponse again = purchase(c, b);
  ASSERT_TRUE(IsOkA(again)) << again.describe();
  EXPECT_EQ(again.j["payload"].value("duplicate", false), true);
  EXPECT_EQ(again.j["payload"]["authCode"], first.j["payload"]["authCode"]);
  EXPECT_EQ(again.j["payload"]["enKashCardTransactionId"], first.j["payload"]["enKashCardTransactionId"]);
  EXPECT_EQ(otb(c), 7500);
  EXPECT_EQ(purchase_rows(c).size(), 1u);
  // With an Idempotency-Key the whole answer is replayed byte for byte.
  json other = body(c, 5);
  HttpResponse keyed = purchase(c, other, {{"Idempotency-Key", "purchase-key-1"}});
  ASSERT_TRUE(IsOkA(keyed)) << keyed.describe();
  HttpResponse replay = purchase(c, other, {{"Idempotency-Key", "purchase-key-1"}});
  EXPECT_EQ(replay.body, keyed.body);
  EXPECT_EQ(replay.header("idempotent-replayed"), "true");
  EXPECT_EQ(otb(c), 7000);
  EXPECT_EQ(purchase_rows(c).size(), 2u);
  expect_ledger_clean();
}

TEST_F(ApiSandboxPurchase, BadInputIsRefusedNamingTheFieldAndChangesNothing) {
  Card c = loaded(100);
  json no_channel = body(c, 10);
  no_channel.erase("channel");
  EXPECT_TRUE(IsErr(purchase(c, no_channel), 422, 422, "channel"));
  json bad_channel = body(c, 10);
  bad_channel["channel"] = "TELEPORT";
  EXPECT_TRUE(IsErr(purchase(c, bad_channel), 422, 422, "channel"));
  json no_amount = body(c, 10);
  no_amount.erase("amount");
  EXPECT_TRUE(IsErr(purchase(c, no_amount), 422, 422, "amount"));
  EXPECT_TRUE(IsErr(purchase(c, body(c, "12.345")), 422, 422, "amount"));
  EXPECT_TRUE(IsErr(purchase(c, body(c, "ten")), 422, 422, "amount"));
  json no_card = body(c, 10);
  no_card.erase("enKashCardId");
  EXPECT_TRUE(IsErr(purchase(c, no_card), 422, 422, "enKashCardId"));
  json unknown = body(c, 10);
  unknown["enKashCardId"] = "EKC0000000";
  EXPECT_TRUE(IsErr(purchase(c, unknown), 404, 412, "enKashCardId"));
  // Another partner's card answers exactly like an unknown one.
  Card other = loaded(100);
  EXPECT_TRUE(IsErr(purchase(c, body(other, 10)), 404, 412));
  HttpResponse not_json = srv().post_raw("/api/v0/sandbox/purchases", "{\"amount\":",
                                         {{"authorization", "Bearer " + c.p.access_token}, {"partnerId", c.p.partner_id}});
  EXPECT_TRUE(IsErr(not_json, 400, 422, "JSON")) << not_json.describe();
  HttpResponse no_token = srv().post_json("/api/v0/sandbox/purchases", body(c, 10), {{"partnerId", c.p.partner_id}});
  EXPECT_EQ(no_token.status, 401) << no_token.describe();
  EXPECT_EQ(no_token.j.value("error", ""), "invalid_token");
  EXPECT_EQ(otb(c), 10000);
  EXPECT_EQ(otb(other), 10000);
  EXPECT_TRUE(purchase_rows(c).empty());
  EXPECT_TRUE(purchase_rows(other).empty());
  expect_ledger_clean();
}

}  // namespace
}  // namespace apitest
