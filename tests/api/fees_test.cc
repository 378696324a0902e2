// Fees with GST (domain/fees.h) through the API, on both engines: a plan's schedule charged for
// issuance, loads, physical cards and replacement (from the funding pool) and ATM withdrawals
// (from the card, at clearing), posted exactly (paise, half up), shown as FEE rows FEE-<ref> and
// GST-<ref>, charged once on a retried reference, refused whole when the payer cannot cover
// operation + fee + GST, totalled in Get Card Account Details, and the ledger verifies.
#include <map>

#include "harness.h"

namespace apitest {
namespace {

class ApiFees : public ApiTest {
 protected:
  // Issuance ₹50, replacement ₹100, physical card ₹200, loads 1% + ₹0, ATM ₹20; GST 18%.
  static json schedule() {
    return {{"issuance", 50}, {"replacement", 100}, {"physicalCard", 200},
            {"load", {{"percent", 1}, {"fixed", 0}}}, {"atmWithdrawal", 20}};
  }
  // A partner whose account is on a plan with `fees`, its pool funded with `pool` rupees, and a
  // card issued on it (the issuance fee is charged then).
  Fixture card(const json& fees, const json& pool, const json& plan_extra = json::object()) {
    Fixture c = fresh();
    json body = {{"partnerId", c.p.partner_id}, {"name", "Fee plan"}, {"bin", "652150"}, {"fees", fees}};
    for (auto it = plan_extra.begin(); it != plan_extra.end(); ++it) body[it.key()] = it.value();
    HttpResponse made = srv().admin_post("/admin/v1/plans", body);
    EXPECT_TRUE(IsOkA(made)) << made.describe();
    c.p.plan_master_id = made.j["payload"].value("planMasterId", "");
    c.account = srv().create_account(c.p);
    EXPECT_TRUE(IsOkA(srv().fund_pool(c.p, c.account, pool, "POOL-" + c.account)));
    c.card = srv().create_card(c.p, c.account);
    c.card_id = c.card.value("enKashCardId", "");
    return c;
  }
  json account(const Fixture& c) {
    HttpResponse r = srv().partner_post(c.p, "/cardAccount/get", {{"companyId", c.p.company_id}, {"cardAccountId", c.account}});
    EXPECT_TRUE(IsOkB(r)) << r.describe();
    return IsOkB(r) ? r.j["payload"] : json::object();
  }
  HttpResponse load(const Fixture& c, const json& amount, const std::string& reference) {
    return srv().load_card(c.p, c.account, c.card_id, amount, reference);
  }
  // The card's FEE rows, by pgReferenceNumber.
  std::map<std::string, json> fee_rows(const Fixture& c) {
    HttpResponse r = srv().partner_post(c.p, "/transaction/all", c.ref());
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    std::map<std::string, json> out;
    for (const json& t : r.j["payload"]["transactions"]) {
      if (t.value("type", "") == "FEE") out[t.value("pgReferenceNumber", "")] = t;
    }
    return out;
  }
  void expect_ledger_clean() {
    std::string out;
    EXPECT_EQ(ledger_verify(srv().dir(), &out), 0) << "ledger verify: " << out;
  }
};

TEST_F(ApiFees, PlansAnswerTheirScheduleAndRefuseMalformedOnes) {
  Fixture f = fresh();
  auto plan = [&](const json& fees) {
    return srv().admin_post("/admin/v1/plans", {{"partnerId", f.p.partner_id}, {"name", "F"}, {"bin", "652150"}, {"fees", fees}});
  };
  HttpResponse ok = plan(schedule());
  ASSERT_TRUE(IsOkA(ok)) << ok.describe();
  const json& fees = ok.j["payload"]["fees"];
  EXPECT_EQ(fees["issuance"], 50);
  EXPECT_EQ(fees["load"]["percent"], 1);
  EXPECT_EQ(fees["gstPercent"], 18) << "GST defaults to 18%";
  HttpResponse none = srv().admin_post("/admin/v1/plans", {{"partnerId", f.p.partner_id}, {"name", "N"}, {"bin", "652150"}});
  ASSERT_TRUE(IsOkA(none));
  EXPECT_EQ(none.j["payload"]["fees"]["issuance"], 0);
  EXPECT_TRUE(IsErr(plan(5), 422, 422, "fees"));
  EXPECT_TRUE(IsErr(plan({{"monthly", 5}}), 422, 422, "fees.monthly"));
  EXPECT_TRUE(IsErr(plan({{"issuance", -1}}), 422, 422, "fees.issuance"));
  EXPECT_TRUE(IsErr(plan({{"issuance", "abc"}}), 422, 422, "fees.issuance"));
  EXPECT_TRUE(IsErr(plan({{"gstPercent", 100.01}}), 422, 422, "fees.gstPercent"));
  EXPECT_TRUE(IsErr(plan({{"load", {{"percent", 1.005}}}}), 422, 422, "fees.load.percent"));
  EXPECT_TRUE(IsErr(plan({{"load", {{"ratio", 1}}}}), 422, 422, "fees.load.ratio"));
  EXPECT_TRUE(IsErr(plan({{"load", 1}}), 422, 422, "fees.load"));
}

TEST_F(ApiFees, IssuanceAndLoadFeesArePostedExactlyFromThePoolAndChargedOnce) {
  Fixture c = card(schedule(), 10000);
  // Issuance: ₹50 + ₹9 GST from the pool.
  auto rows = fee_rows(c);
  ASSERT_EQ(rows.count("FEE-ISSUANCE-" + c.card_id), 1u);
  EXPECT_EQ(rows["FEE-ISSUANCE-" + c.card_id]["principalAmount"], 50);
  EXPECT_EQ(rows["GST-ISSUANCE-" + c.card_id]["principalAmount"], 9);
  EXPECT_EQ(rows["FEE-ISSUANCE-" + c.card_id]["cardTransactionType"], "DR");
  EXPECT_EQ(account(c)["availableBalance"], 9941);

  // A 1% fee on ₹1,000.00 is ₹10.00, plus 18% GST of ₹1.80.
  ASSERT_TRUE(IsOkA(load(c, 1000, "LOAD-1")));
  rows = fee_rows(c);
  EXPECT_EQ(rows["FEE-LOAD-1"]["principalAmount"], 10);
  EXPECT_EQ(rows["GST-LOAD-1"]["principalAmount"], 1.8);
  EXPECT_EQ(rows["FEE-LOAD-1"]["txnDetails"]["paidFrom"], "FUNDING_POOL");
  EXPECT_EQ(account(c)["availableBalance"], 8929.2);
  // Half up at each step: 1% of ₹0.50 is 0.5 paise -> 1 paisa; its GST 0.18 paise -> 0.
  ASSERT_TRUE(IsOkA(load(c, 0.5, "LOAD-2")));
  rows = fee_rows(c);
  EXPECT_EQ(rows["FEE-LOAD-2"]["principalAmount"], 0.01);
  EXPECT_EQ(rows.count("GST-LOAD-2"), 0u) << "no GST row for a GST of zero";

  // A retry with the same reference posts nothing and charges nothing.
  EXPECT_TRUE(IsErr(load(c, 1000, "LOAD-1"), 409, 409, "uniqueReferenceNumber"));
  EXPECT_EQ(fee_rows(c).size(), 5u);
  EXPECT_EQ(account(c)["availableBalance"], 8928.69);

  json month = account(c)["feesThisMonth"];
  EXPECT_EQ(month["fees"], 60.01);
  EXPECT_EQ(month["gst"], 10.8);
  EXPECT_EQ(month["total"], 70.81);
  expect_ledger_clean();
}

TEST_F(ApiFees, APoolThatCannotCoverTheFeeRefusesTheLoadWhole) {
  // ₹1,070.79 pool: issuance takes ₹59, leaving ₹1,011.79; a ₹1,000 load needs ₹1,011.80 with its fee.
  Fixture c = card(schedule(), 1070.79);
  HttpResponse r = load(c, 1000, "TIGHT-1");
  EXPECT_TRUE(IsErr(r, 422, 1040, "load fee")) << r.describe();
  EXPECT_EQ(srv().search_card(c.p, c.account, c.card_id).value("otbBalance", -1.0), 0);
  EXPECT_EQ(fee_rows(c).size(), 2u) << "only the issuance fee";
  EXPECT_EQ(account(c)["availableBalance"], 1011.79);
  ASSERT_TRUE(IsOkA(srv().fund_pool(c.p, c.account, 0.01, "TOPUP-" + c.account)));
  ASSERT_TRUE(IsOkA(load(c, 1000, "TIGHT-1")));
  EXPECT_EQ(account(c)["availableBalance"], 0);
  expect_ledger_clean();
}

TEST_F(ApiFees, AnIssueThatCannotPayItsFeeLeavesNoCard) {
  Fixture c = card({{"issuance", 100}}, 118);
  HttpResponse r = srv().partner_post(c.p, "", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                  {"firstName", "Second"}, {"lastName", "Card"}, {"email", "s@example.com"},
                                                  {"gender", "F"}, {"mobile", "9876543210"}});
  EXPECT_TRUE(IsErr(r, 422, 1040, "issuance fee")) << r.describe();
  HttpResponse list = srv().partner_post(c.p, "/search", {{"companyId", c.p.company_id}, {"cardAccountId", c.account}});
  EXPECT_EQ(list.j["payload"]["totalCards"], 1);
}

TEST_F(ApiFees, PhysicalCardAndReplacementFees) {
  Fixture c = card(schedule(), 10000);
  json order = {{"companyId", c.p.company_id}, {"cardAccountId", c.account}, {"enKashCardId", c.card_id},
                {"deliveryAddress", "2 Park Street"}, {"deliveryCity", "Kolkata"}, {"deliveryState", "WB"},
                {"deliveryCountry", "IN"}, {"deliveryPincode", 700016}};
  HttpResponse o = srv().partner_post(c.p, "/orderPhysicalCard", order);
  ASSERT_TRUE(IsOkA(o)) << o.describe();
  const std::string order_id = o.j["payload"].value("orderId", "");
  auto rows = fee_rows(c);
  EXPECT_EQ(rows["FEE-PHYSICAL-" + order_id]["principalAmount"], 200);
  EXPECT_EQ(rows["GST-PHYSICAL-" + order_id]["principalAmount"], 36);

  HttpResponse r = srv().partner_post(c.p, "/replaceCard", {{"enKashCardId", c.card_id}, {"cardAccountId", c.account},
                                                              {"otpMedium", "MOBILE"}, {"otpRequired", false}});
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  Fixture fresh_card = c;
  fresh_card.card_id = r.j["payload"].value("enKashCardId", "");
  rows = fee_rows(fresh_card);
  EXPECT_EQ(rows["FEE-REPLACE-" + c.card_id]["principalAmount"], 100);
  EXPECT_EQ(rows["GST-REPLACE-" + c.card_id]["principalAmount"], 18);
  EXPECT_EQ(account(c)["availableBalance"], 10000 - 59 - 236 - 118);
  expect_ledger_clean();
}

TEST_F(ApiFees, TheAtmFeeIsChargedToTheCardAtClearing) {
  Fixture c = card(schedule(), 10000);
  ASSERT_TRUE(IsOkA(srv().admin_post("/admin/v1/cards/kyc", {{"enKashCardId", c.card_id}, {"kycLevel", "FULL"}, {"reference", "K"}})));
  ASSERT_TRUE(IsOkA(load(c, 3000, "ATM-LOAD")));
  ASSERT_TRUE(IsOkA(srv().partner_post(c.p, "/setPin", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                          {"enKashCardId", c.card_id}, {"pinBlock", "1234"},
                                                          {"otpRequired", false}, {"otpMedium", "MOBILE"}})));
  ASSERT_TRUE(IsOkA(srv().partner_post(c.p, "/velocity/rule", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                                 {"enKashCardIds", {c.card_id}}, {"atmAllowed", true}})));
  auto send = [&](const std::string& path, const json& fields) {
    json b = c.ref();
    b["channel"] = "ATM";
    b["pin"] = "1234";
    b["merchantName"] = "ATM";
    for (auto it = fields.begin(); it != fields.end(); ++it) b[it.key()] = it.value();
    HttpResponse r = srv().post_json("/api/v0/sandbox" + path, b, c.partner());
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"] : json::object();
  };
  // A cash withdrawal cleared at once: ₹1,000 + ₹20 + ₹3.60 GST from the card.
  json p = send("/purchases", {{"amount", 1000}});
  ASSERT_EQ(p.value("responseCode", ""), "00") << p.dump();
  const std::string first = p.value("authorizationId", "");
  EXPECT_EQ(p["otbBalance"], 1976.4) << p.dump();
  auto rows = fee_rows(c);
  EXPECT_EQ(rows["FEE-ATM-" + first]["principalAmount"], 20);
  EXPECT_EQ(rows["GST-ATM-" + first]["principalAmount"], 3.6);
  EXPECT_EQ(rows["FEE-ATM-" + first]["txnDetails"]["paidFrom"], "CARD");
  // Authorized, then captured: the fee comes with the capture, once.
  json a = send("/authorizations", {{"amount", 500}});
  ASSERT_EQ(a.value("responseCode", ""), "00") << a.dump();
  const std::string second = a.value("authorizationId", "");
  EXPECT_EQ(fee_rows(c).count("FEE-ATM-" + second), 0u) << "not at the authorization";
  HttpResponse cap = srv().post_json("/api/v0/sandbox/authorizations/" + second + "/capture", {{"amount", 500}}, c.partner());
  ASSERT_TRUE(IsOkA(cap)) << cap.describe();
  EXPECT_EQ(cap.j["payload"]["otbBalance"], 1452.8);
  EXPECT_EQ(fee_rows(c).count("FEE-ATM-" + second), 1u);
  // A withdrawal that leaves no room for its fee is declined 51.
  json tight = send("/purchases", {{"amount", "1429.21"}});  // ₹1,452.80 left: ₹23.60 short of room
  EXPECT_EQ(tight.value("responseCode", ""), "51") << tight.dump();
  json exact = send("/purchases", {{"amount", "1429.20"}});
  EXPECT_EQ(exact.value("responseCode", ""), "00") << exact.dump();
  EXPECT_EQ(exact["otbBalance"], 0);
  expect_ledger_clean();
}

// A load reference that looks like another fee's never blocks that fee: each fee source posts
// under a ledger kind of its own.
TEST_F(ApiFees, AFeeNamedLikeAPartnersReferenceNeverClashes) {
  Fixture c = card(schedule(), 10000);
  ASSERT_TRUE(IsOkA(load(c, 100, "REPLACE-" + c.card_id)));
  HttpResponse r = srv().partner_post(c.p, "/replaceCard", {{"enKashCardId", c.card_id}, {"cardAccountId", c.account},
                                                              {"otpMedium", "MOBILE"}, {"otpRequired", false}});
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  expect_ledger_clean();
}

}  // namespace
}  // namespace apitest
