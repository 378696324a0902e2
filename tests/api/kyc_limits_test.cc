// KYC levels and the RBI PPI limits (domain/ppi.h) through the API, on both engines: every load
// refusal with its code and nothing changed, the upgrade path (admin and sandbox), the debit and
// cash limits of authorizations (declined rows), gift value, plans with kycRules (overrides,
// "NONE", malformed), Get KYC Status, and replacement keeping the level and the counters.
#include <atomic>
#include <thread>
#include <vector>

#include "harness.h"

namespace apitest {
namespace {

class ApiKyc : public ApiTest {
 protected:

  // A fresh partner with a card; when `plan` is given, the card's account is on a new plan made
  // from it (kycRules, gift, ...). The account's pool is funded with ₹5,00,000.
  Fixture card(const json& plan = nullptr, const json& card_extra = json::object()) {
    Fixture c = fresh();
    if (!plan.is_null()) {
      json body = {{"partnerId", c.p.partner_id}, {"name", "PPI test plan"}, {"bin", "652150"}};
      for (auto it = plan.begin(); it != plan.end(); ++it) body[it.key()] = it.value();
      HttpResponse made = srv().admin_post("/admin/v1/plans", body);
      EXPECT_TRUE(IsOkA(made)) << made.describe();
      c.p.plan_master_id = made.j["payload"].value("planMasterId", "");
      if (plan.value("gift", false)) {
        HttpResponse acc = srv().partner_post(c.p, "/cardAccount/create",
                                              {{"companyId", c.p.company_id}, {"companyName", c.p.company_name},
                                               {"planMasterId", c.p.plan_master_id}, {"email", "gift@example.com"},
                                               {"mobile", "9876543210"}, {"accountTitle", "Gifts"},
                                               {"accountType", "GIFT"}});
        EXPECT_TRUE(IsOkA(acc)) << acc.describe();
        c.account = acc.j["payload"].value("cardAccountId", "");
      } else {
        c.account = srv().create_account(c.p);
      }
    }
    fund(c);
    if (!plan.is_null() && !plan.value("gift", false)) {
      c.card = srv().create_card(c.p, c.account, card_extra);
      c.card_id = c.card.value("enKashCardId", "");
    }
    return c;
  }
  void fund(const Fixture& c) { EXPECT_TRUE(IsOkA(srv().fund_pool(c.p, c.account, 500000, "POOL-" + c.account))); }
  HttpResponse load(const Fixture& c, const json& amount, const std::string& reference) {
    return srv().load_card(c.p, c.account, c.card_id, amount, reference);
  }
  json status(const Fixture& c) {
    HttpResponse r = srv().partner_post(c.p, "/kyc/status", c.ref());
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"] : json::object();
  }
  double balance(const Fixture& c) { return srv().search_card(c.p, c.account, c.card_id).value("otbBalance", -1.0); }
  json sandbox(const Fixture& c, const std::string& path, const json& fields) {
    json b = c.ref();
    b["merchantName"] = "Test Store";
    b["mcc"] = "5411";
    for (auto it = fields.begin(); it != fields.end(); ++it) b[it.key()] = it.value();
    HttpResponse r = srv().post_json("/api/v0/sandbox" + path, b, c.partner());
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"] : json::object();
  }
  std::string decision(const Fixture& c, const json& fields) {
    json d = sandbox(c, "/authorizations", fields);
    return d.value("responseCode", "") + " " + d.value("reason", "");
  }
  size_t transactions(const Fixture& c) {
    json b = c.ref();
    HttpResponse r = srv().partner_post(c.p, "/transaction/all", b);
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"]["transactions"].size() : 0;
  }
  void allow_atm(const Fixture& c) {
    HttpResponse r = srv().partner_post(c.p, "/velocity/rule", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                                  {"enKashCardIds", {c.card_id}}, {"atmAllowed", true}});
    ASSERT_TRUE(IsOkA(r)) << r.describe();
  }
  HttpResponse upgrade(const Fixture& c, const std::string& level = "FULL", const std::string& reference = "KYC-1") {
    return srv().admin_post("/admin/v1/cards/kyc", {{"enKashCardId", c.card_id}, {"kycLevel", level}, {"reference", reference}});
  }
};

TEST_F(ApiKyc, ANewCardIsMinAndSaysSoEverywhere) {
  Fixture c = card();
  EXPECT_EQ(c.card.value("kycLevel", ""), "MIN") << c.card.dump();
  EXPECT_EQ(srv().search_card(c.p, c.account, c.card_id).value("kycLevel", ""), "MIN");
  json s = status(c);
  EXPECT_EQ(s["kycLevel"], "MIN");
  EXPECT_EQ(s["rules"], "MIN");
  const json& l = s["limits"];
  EXPECT_EQ(l["maxBalance"], 10000);
  EXPECT_EQ(l["monthlyLoadLimit"], 10000);
  EXPECT_EQ(l["yearlyLoadLimit"], 120000);
  EXPECT_EQ(l["monthlyDebitLimit"], 10000);
  EXPECT_EQ(l["cashAllowed"], false);
  EXPECT_EQ(l["monthlyLoadUsed"], 0);
  EXPECT_EQ(l["monthlyDebitUsed"], 0);
  EXPECT_TRUE(l["cashPerTxnLimit"].is_null());
}

TEST_F(ApiKyc, MinRefusesA15000LoadAndTheUpgradeLetsItThrough) {
  Fixture c = card();
  EXPECT_TRUE(IsErr(load(c, 15000, "BIG-1"), 422, 1043, "KYC level MIN"));
  EXPECT_EQ(balance(c), 0);
  EXPECT_EQ(transactions(c), 0u) << "a refused load leaves no row";
  EXPECT_EQ(status(c)["limits"]["monthlyLoadUsed"], 0) << "nor a count";

  // The partner's receiver is a loopback port nobody listens on: the event stays queued.
  const std::string url = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/hooks";
  ASSERT_TRUE(IsOkA(srv().admin_post("/admin/v1/partners/webhookUrl", {{"partnerId", c.p.partner_id}, {"webhookUrl", url}})));
  HttpResponse up = upgrade(c, "FULL", "CKYC-77");
  ASSERT_TRUE(IsOkA(up)) << up.describe();
  EXPECT_EQ(up.j["payload"]["kycLevel"], "FULL");
  EXPECT_EQ(up.j["payload"]["kycUpdated"], true);
  EXPECT_EQ(up.j["payload"]["kycReference"], "CKYC-77");
  // Recording it again changes nothing.
  HttpResponse again = upgrade(c, "FULL", "CKYC-78");
  ASSERT_TRUE(IsOkA(again)) << again.describe();
  EXPECT_EQ(again.j["payload"]["kycUpdated"], false);
  EXPECT_EQ(again.j["payload"]["kycReference"], "CKYC-77");

  ASSERT_TRUE(IsOkA(load(c, 15000, "BIG-1")));
  EXPECT_EQ(balance(c), 15000);
  json s = status(c);
  EXPECT_EQ(s["kycLevel"], "FULL");
  EXPECT_EQ(s["limits"]["maxBalance"], 200000);
  EXPECT_EQ(s["limits"]["monthlyLoadUsed"], 15000);
  EXPECT_EQ(s["limits"]["yearlyLoadUsed"], 15000);
  EXPECT_EQ(s["limits"]["cashAllowed"], true);
  EXPECT_EQ(s["limits"]["cashPerTxnLimit"], 2000);
  EXPECT_TRUE(s["limits"]["monthlyLoadLimit"].is_null());

  // Audited once, with one card.kyc_updated webhook.
  HttpResponse audit = srv().admin_post("/admin/v1/audit", {{"objectId", c.card_id}});
  ASSERT_TRUE(IsOkA(audit)) << audit.describe();
  int upgrades = 0;
  for (const json& e : audit.j["payload"]["entries"]) {
    if (e["action"] == "card.kyc_update") {
      ++upgrades;
      EXPECT_EQ(e["detail"]["reference"], "CKYC-77");
      EXPECT_EQ(e["detail"]["channel"], "ADMIN");
    }
  }
  EXPECT_EQ(upgrades, 1);
  HttpResponse detail = srv().admin_post("/admin/v1/cards/detail", {{"enKashCardId", c.card_id}});
  ASSERT_TRUE(IsOkA(detail)) << detail.describe();
  int events = 0;
  for (const json& e : detail.j["payload"]["webhookDeliveries"]) events += e["type"] == "card.kyc_updated";
  EXPECT_EQ(events, 1) << detail.j["payload"]["webhookDeliveries"].dump();
}

TEST_F(ApiKyc, MonthlyAndYearlyLoadLimitsAtTheirBoundaries) {
  Fixture c = card();
  ASSERT_TRUE(IsOkA(load(c, 6000, "L-1")));
  ASSERT_TRUE(IsOkA(load(c, 4000, "L-2"))) << "exactly ₹10,000 this month";
  // Spend some, so that the balance has room and the month's loads are what refuses.
  EXPECT_EQ(sandbox(c, "/purchases", {{"amount", 5000}, {"channel", "POS"}}).value("responseCode", ""), "00");
  HttpResponse over = load(c, 0.01, "L-3");
  EXPECT_TRUE(IsErr(over, 422, 1044, "loads per calendar month")) << over.describe();
  EXPECT_NE(over.j.value("message", "").find("₹0.00 of room"), std::string::npos) << over.describe();
  EXPECT_EQ(balance(c), 5000);
  // A repeated reference is answered as one, whatever the limits say.
  EXPECT_TRUE(IsErr(load(c, 1, "L-2"), 409, 409, "uniqueReferenceNumber"));

  // The year: a plan whose year allows less than its month.
  Fixture y = card({{"kycRules", {{"MIN", {{"monthlyLoadLimit", 50000}, {"yearlyLoadLimit", 7000}, {"maxBalance", 50000}}}}}});
  ASSERT_TRUE(IsOkA(load(y, 7000, "Y-1")));
  EXPECT_TRUE(IsErr(load(y, 0.01, "Y-2"), 422, 1045, "loads per financial year"));
  json s = status(y);
  EXPECT_EQ(s["limits"]["yearlyLoadLimit"], 7000);
  EXPECT_EQ(s["limits"]["yearlyLoadUsed"], 7000);
  EXPECT_EQ(s["limits"]["maxBalance"], 50000);
}

TEST_F(ApiKyc, ThePlansMaxCardBalanceWinsWhenTighter) {
  Fixture c = card({{"maxCardBalance", 3000}});
  EXPECT_EQ(status(c)["limits"]["maxBalance"], 3000);
  HttpResponse r = load(c, 3000.01, "P-1");
  EXPECT_TRUE(IsErr(r, 422, 1041, "maximum")) << r.describe();
  ASSERT_TRUE(IsOkA(load(c, 3000, "P-2")));
}

TEST_F(ApiKyc, IssueWithALoadIsRefusedWholeOverTheLimit) {
  Fixture c = card();
  HttpResponse before = srv().partner_post(c.p, "/search", {{"companyId", c.p.company_id}, {"cardAccountId", c.account}});
  json body = {{"companyId", c.p.company_id}, {"cardAccountId", c.account}, {"firstName", "Asha"}, {"lastName", "Rao"},
               {"email", "asha@example.com"}, {"gender", "F"}, {"mobile", "9876543210"}, {"loadAmount", 10000.01}};
  HttpResponse r = srv().partner_post(c.p, "", body);
  EXPECT_TRUE(IsErr(r, 422, 1043, "loadAmount")) << r.describe();
  HttpResponse after = srv().partner_post(c.p, "/search", {{"companyId", c.p.company_id}, {"cardAccountId", c.account}});
  EXPECT_EQ(after.j["payload"]["totalCards"], before.j["payload"]["totalCards"]) << "no card is left behind";
  body["loadAmount"] = 10000;
  EXPECT_TRUE(IsOkA(srv().partner_post(c.p, "", body)));
}

TEST_F(ApiKyc, GiftValueIsAtMost10000AndTheLevelNeverChanges) {
  Fixture g = card({{"gift", true}});
  json body = {{"companyId", g.p.company_id}, {"cardAccountId", g.account}, {"firstName", "Gift"}, {"lastName", "Card"},
               {"email", "gift@example.com"}, {"gender", "F"}, {"mobile", "9876543210"}, {"loadAmount", 10000.01}};
  HttpResponse r = srv().partner_post(g.p, "", body);
  EXPECT_TRUE(IsErr(r, 422, 1043, "KYC level GIFT")) << r.describe();
  body["loadAmount"] = 10000;
  HttpResponse ok = srv().partner_post(g.p, "", body);
  ASSERT_TRUE(IsOkA(ok)) << ok.describe();
  g.card_id = ok.j["payload"].value("enKashCardId", "");
  EXPECT_EQ(status(g)["rules"], "GIFT");
  EXPECT_TRUE(IsErr(upgrade(g), 409, 1046, "gift"));
  // No ATM cash on a gift card (57 names the level), even where ATM use is allowed.
  allow_atm(g);
  EXPECT_EQ(decision(g, {{"amount", 100}, {"channel", "ATM"}, {"pin", "1234"}}),
            "57 cash withdrawal is not allowed at KYC level GIFT");
}

TEST_F(ApiKyc, MonthlyDebitsDecline61AndCashIsRefusedAtMin) {
  Fixture c = card();
  ASSERT_TRUE(IsOkA(load(c, 10000, "D-1")));
  EXPECT_EQ(decision(c, {{"amount", 6000}, {"channel", "POS"}}).substr(0, 2), "00");
  std::string over = decision(c, {{"amount", 4000.01}, {"channel", "POS"}});
  EXPECT_EQ(over.substr(0, 3), "61 ") << over;
  EXPECT_NE(over.find("KYC level MIN"), std::string::npos) << over;
  EXPECT_EQ(decision(c, {{"amount", 4000}, {"channel", "ECOM"}}).substr(0, 2), "00") << "exactly ₹10,000 this month";
  json s = status(c);
  EXPECT_EQ(s["limits"]["monthlyDebitUsed"], 10000);
  // The declined decision is a row like every decline.
  HttpResponse all = srv().partner_post(c.p, "/transaction/all", c.ref());
  int declined = 0;
  for (const json& t : all.j["payload"]["transactions"]) declined += t.value("status", "") == "DECLINED";
  EXPECT_EQ(declined, 1) << all.j.dump();

  allow_atm(c);
  EXPECT_EQ(decision(c, {{"amount", 1}, {"channel", "ATM"}, {"pin", "1234"}}),
            "57 cash withdrawal is not allowed at KYC level MIN");
}

TEST_F(ApiKyc, FullCashLimitsAfterTheSandboxUpgrade) {
  Fixture c = card();
  HttpResponse up = srv().post_json("/api/v0/sandbox/kyc/complete", c.ref(), c.partner());
  ASSERT_TRUE(IsOkA(up)) << up.describe();
  EXPECT_EQ(up.j["payload"]["kycLevel"], "FULL");
  EXPECT_EQ(up.j["payload"]["kycReference"], "SANDBOX");
  ASSERT_TRUE(IsOkA(load(c, 20000, "C-1")));
  ASSERT_TRUE(IsOkA(srv().partner_post(c.p, "/setPin", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                          {"enKashCardId", c.card_id}, {"pinBlock", "1234"},
                                                          {"otpRequired", false}, {"otpMedium", "MOBILE"}})));
  allow_atm(c);
  auto atm = [&](const json& amount) {
    json d = sandbox(c, "/purchases", {{"amount", amount}, {"channel", "ATM"}, {"pin", "1234"}});
    return d.value("responseCode", "") + " " + d.value("reason", "");
  };
  EXPECT_EQ(atm(2000.01).substr(0, 3), "61 ") << "₹2,000 a withdrawal";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(atm(2000).substr(0, 2), "00") << "withdrawal " << i + 1 << " of ₹10,000 a month";
  std::string month = atm(0.01);
  EXPECT_EQ(month.substr(0, 3), "61 ") << month;
  EXPECT_NE(month.find("cash per month"), std::string::npos) << month;
  json s = status(c);
  EXPECT_EQ(s["limits"]["monthlyCashUsed"], 10000);
  EXPECT_EQ(s["limits"]["monthlyCashCountUsed"], 5);
  // Without the PIN, cash is refused before any amount.
  json d = sandbox(c, "/authorizations", {{"amount", 1}, {"channel", "ATM"}});
  EXPECT_EQ(d.value("responseCode", ""), "55");
}

TEST_F(ApiKyc, ProgramsOutsideThePpiDirectionsHaveNoKycLimits) {
  Fixture c = card({{"kycRules", "NONE"}});
  ASSERT_TRUE(IsOkA(load(c, 15000, "N-1")));
  ASSERT_TRUE(IsOkA(load(c, 15000, "N-2")));
  json s = status(c);
  EXPECT_EQ(s["kycLevel"], "MIN");
  EXPECT_EQ(s["rules"], "NONE");
  EXPECT_TRUE(s["limits"]["monthlyLoadLimit"].is_null());
  EXPECT_EQ(s["limits"]["monthlyLoadUsed"], 30000);
  EXPECT_EQ(s["limits"]["maxBalance"], 200000) << "the plan's maxCardBalance";
  EXPECT_EQ(decision(c, {{"amount", 12000}, {"channel", "POS"}}).substr(0, 2), "00");
}

TEST_F(ApiKyc, PlansAnswerTheirRulesAndRefuseMalformedOnes) {
  Fixture f = fresh();
  auto plan = [&](const json& rules) {
    return srv().admin_post("/admin/v1/plans", {{"partnerId", f.p.partner_id}, {"name", "R"}, {"bin", "652150"}, {"kycRules", rules}});
  };
  HttpResponse ok = plan({{"MIN", {{"maxBalance", 5000}, {"monthlyCashCountLimit", 2}, {"cashAllowed", true}}},
                          {"FULL", {{"cashPerTxnLimit", nullptr}}}});
  ASSERT_TRUE(IsOkA(ok)) << ok.describe();
  const json& r = ok.j["payload"]["kycRules"];
  EXPECT_EQ(r["MIN"]["maxBalance"], 5000);
  EXPECT_EQ(r["MIN"]["monthlyLoadLimit"], 10000) << "what is not overridden keeps its default";
  EXPECT_EQ(r["MIN"]["cashAllowed"], true);
  EXPECT_EQ(r["MIN"]["monthlyCashCountLimit"], 2);
  EXPECT_TRUE(r["FULL"]["cashPerTxnLimit"].is_null());
  EXPECT_EQ(r["GIFT"]["maxBalance"], 10000);
  HttpResponse none = plan("NONE");
  ASSERT_TRUE(IsOkA(none));
  EXPECT_EQ(none.j["payload"]["kycRules"], "NONE");

  EXPECT_TRUE(IsErr(plan("SOME"), 422, 422, "kycRules"));
  EXPECT_TRUE(IsErr(plan(5), 422, 422, "kycRules"));
  EXPECT_TRUE(IsErr(plan({{"MAX", json::object()}}), 422, 422, "kycRules.MAX"));
  EXPECT_TRUE(IsErr(plan({{"MIN", 5}}), 422, 422, "kycRules.MIN"));
  EXPECT_TRUE(IsErr(plan({{"MIN", {{"maxBalance", "lots"}}}}), 422, 422, "kycRules.MIN.maxBalance"));
  EXPECT_TRUE(IsErr(plan({{"MIN", {{"maxBalance", -1}}}}), 422, 422, "kycRules.MIN.maxBalance"));
  EXPECT_TRUE(IsErr(plan({{"MIN", {{"maxBalance", 1.001}}}}), 422, 422, "kycRules.MIN.maxBalance"));
  EXPECT_TRUE(IsErr(plan({{"FULL", {{"cashAllowed", "maybe"}}}}), 422, 422, "kycRules.FULL.cashAllowed"));
  EXPECT_TRUE(IsErr(plan({{"FULL", {{"monthlyCashCountLimit", -2}}}}), 422, 422, "kycRules.FULL.monthlyCashCountLimit"));
  EXPECT_TRUE(IsErr(plan({{"GIFT", {{"dailyLimit", 5}}}}), 422, 422, "kycRules.GIFT.dailyLimit"));
}

TEST_F(ApiKyc, UpgradeRefusals) {
  Fixture c = card();
  EXPECT_TRUE(IsErr(upgrade(c, "MIN"), 409, 1046, "never lowered"));
  EXPECT_TRUE(IsErr(upgrade(c, "GOLD"), 422, 422, "kycLevel"));
  EXPECT_TRUE(IsErr(upgrade(c, ""), 422, 422, "kycLevel"));
  EXPECT_TRUE(IsErr(upgrade(c, "FULL", ""), 422, 422, "reference"));
  EXPECT_TRUE(IsErr(srv().admin_post("/admin/v1/cards/kyc", {{"enKashCardId", "EKC0000000"}, {"kycLevel", "FULL"},
                                                             {"reference", "R"}}), 404, 412, "enKashCardId"));
  EXPECT_EQ(status(c)["kycLevel"], "MIN") << "nothing changed";
  ASSERT_TRUE(IsOkA(upgrade(c)));
  EXPECT_TRUE(IsErr(upgrade(c, "MIN"), 409, 1046, "never lowered"));
  EXPECT_EQ(status(c)["kycLevel"], "FULL");
}

TEST_F(ApiKyc, AnotherPartnersCardIsUnknown) {
  Fixture mine = card();
  Fixture theirs = card();
  json ref = theirs.ref();
  ref["companyId"] = mine.p.company_id;
  ref["cardAccountId"] = mine.account;
  EXPECT_TRUE(IsErr(srv().partner_post(mine.p, "/kyc/status", ref), 404, 412, "enKashCardId"));
  EXPECT_TRUE(IsErr(srv().partner_post(mine.p, "/kyc/status", theirs.ref()), 404, 412));
  EXPECT_TRUE(IsErr(srv().post_json("/api/v0/sandbox/kyc/complete", theirs.ref(), mine.partner()), 404, 412));
  EXPECT_EQ(status(theirs)["kycLevel"], "MIN");
  EXPECT_TRUE(IsErr(srv().partner_post(mine.p, "/kyc/status", {{"companyId", mine.p.company_id}}), 422, 422, "cardAccountId"));
}

TEST_F(ApiKyc, ReplacementKeepsTheLevelAndTheMonthsLoads) {
  Fixture c = card();
  ASSERT_TRUE(IsOkA(load(c, 8000, "R-1")));
  HttpResponse r = srv().partner_post(c.p, "/replaceCard", {{"enKashCardId", c.card_id}, {"cardAccountId", c.account},
                                                              {"otpMedium", "MOBILE"}, {"otpRequired", false}, {"reason", "lost"}});
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  EXPECT_EQ(r.j["payload"]["kycLevel"], "MIN");
  Fixture fresh_card = c;
  fresh_card.card_id = r.j["payload"].value("enKashCardId", "");
  json s = status(fresh_card);
  EXPECT_EQ(s["limits"]["monthlyLoadUsed"], 8000) << "a new card is no way around the month's limit";
  EXPECT_TRUE(IsErr(load(fresh_card, 2000.01, "R-2"), 422, 1043));

  Fixture full = card();
  ASSERT_TRUE(IsOkA(upgrade(full)));
  HttpResponse r2 = srv().partner_post(full.p, "/replaceCard", {{"enKashCardId", full.card_id},
                                                                  {"cardAccountId", full.account},
                                                                  {"otpMedium", "MOBILE"}, {"otpRequired", false}});
  ASSERT_TRUE(IsOkA(r2)) << r2.describe();
  EXPECT_EQ(r2.j["payload"]["kycLevel"], "FULL");
}

// Racing authorizations read the month's debits one after another: 16 parallel ₹1,000
// authorizations on a card with ₹10,000 but a ₹5,000 monthly debit limit approve exactly 5.
TEST_F(ApiKyc, ParallelAuthorizationsNeverPassTheMonthlyDebitLimit) {
  Fixture c = card({{"kycRules", {{"MIN", {{"monthlyDebitLimit", 5000}}}}}});
  ASSERT_TRUE(IsOkA(load(c, 10000, "PAR-1")));
  std::atomic<int> approved{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      json b = c.ref();
      b["amount"] = 1000;
      b["channel"] = "POS";
      b["merchantName"] = "Race Store";
      b["rrn"] = "RACE" + std::to_string(100000 + i);
      b["stan"] = std::to_string(200000 + i);
      HttpResponse r = srv().post_json("/api/v0/sandbox/authorizations", b, c.partner());
      std::string code = IsOkA(r) ? r.j["payload"].value("responseCode", "") : "error";
      (code == "00" ? approved : code == "61" ? limited : other)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(approved.load(), 5);
  EXPECT_EQ(limited.load(), 11);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(status(c)["limits"]["monthlyDebitUsed"], 5000);
}

// Racing loads of one card: 16 parallel ₹1,000 loads against ₹10,000 of loads a month.
TEST_F(ApiKyc, ParallelLoadsNeverPassTheMonthlyLoadLimit) {
  Fixture c = card({{"kycRules", {{"MIN", {{"maxBalance", 50000}}}}}});
  std::atomic<int> loaded{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      HttpResponse r = load(c, 1000, "PLOAD-" + std::to_string(i));
      int code = IsOkA(r) ? 0 : r.j.value("code", -1);
      (code == 0 ? loaded : code == 1044 || code == 1011 ? limited : other)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(loaded.load(), 10);
  EXPECT_EQ(limited.load(), 6);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(balance(c), 10000);
  EXPECT_EQ(status(c)["limits"]["monthlyLoadUsed"], 10000);
}

TEST_F(ApiKyc, ReplacementCarriesTheMonthsDebitsAndTheOldCardTakesNoUpgrade) {
  Fixture c = card();
  ASSERT_TRUE(IsOkA(load(c, 10000, "RD-1")));
  EXPECT_EQ(sandbox(c, "/purchases", {{"amount", 6000}, {"channel", "POS"}}).value("responseCode", ""), "00");
  HttpResponse r = srv().partner_post(c.p, "/replaceCard", {{"enKashCardId", c.card_id}, {"cardAccountId", c.account},
                                                              {"otpMedium", "MOBILE"}, {"otpRequired", false}});
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  Fixture next = c;
  next.card_id = r.j["payload"].value("enKashCardId", "");
  EXPECT_EQ(status(next)["limits"]["monthlyDebitUsed"], 6000);
  EXPECT_EQ(decision(next, {{"amount", 4000.01}, {"channel", "POS"}}).substr(0, 3), "61 ");
  EXPECT_EQ(decision(next, {{"amount", 4000}, {"channel", "POS"}}).substr(0, 2), "00");
  EXPECT_TRUE(IsErr(upgrade(c), 409, 1010, "replaced by " + next.card_id));
  ASSERT_TRUE(IsOkA(upgrade(next)));
}

TEST_F(ApiKyc, AnIncrementIsHeldToTheCashPerWithdrawalLimitAsAWhole) {
  Fixture c = card();
  ASSERT_TRUE(IsOkA(upgrade(c)));
  ASSERT_TRUE(IsOkA(load(c, 5000, "INC-1")));
  ASSERT_TRUE(IsOkA(srv().partner_post(c.p, "/setPin", {{"companyId", c.p.company_id}, {"cardAccountId", c.account},
                                                          {"enKashCardId", c.card_id}, {"pinBlock", "1234"},
                                                          {"otpRequired", false}, {"otpMedium", "MOBILE"}})));
  allow_atm(c);
  json a = sandbox(c, "/authorizations", {{"amount", 1500}, {"channel", "ATM"}, {"pin", "1234"}});
  ASSERT_EQ(a.value("responseCode", ""), "00") << a.dump();
  const std::string id = a.value("authorizationId", "");
  auto increment = [&](const json& amount) {
    HttpResponse r = srv().post_json("/api/v0/sandbox/authorizations/" + id + "/increment", {{"amount", amount}}, c.partner());
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"].value("responseCode", "") : "";
  };
  EXPECT_EQ(increment(500.01), "61") << "₹2,000.01 in one withdrawal";
  EXPECT_EQ(increment(500), "00") << "exactly ₹2,000";
}

// Clearing beyond the authorization (within the over-capture tolerance) is spending too.
TEST_F(ApiKyc, ACaptureBeyondTheAuthorizationKeepsTheMonthlyDebitLimit) {
  Fixture c = card({{"kycRules", {{"MIN", {{"maxBalance", 50000}, {"monthlyLoadLimit", 50000}}}}}});
  ASSERT_TRUE(IsOkA(load(c, 20000, "CAP-1")));
  json a = sandbox(c, "/authorizations", {{"amount", 9500}, {"channel", "POS"}});
  ASSERT_EQ(a.value("responseCode", ""), "00") << a.dump();
  const std::string id = a.value("authorizationId", "");
  auto capture = [&](const json& amount) {
    HttpResponse r = srv().post_json("/api/v0/sandbox/authorizations/" + id + "/capture", {{"amount", amount}}, c.partner());
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"].value("responseCode", "") + " " + r.j["payload"].value("reason", "") : "";
  };
  std::string over = capture(10000.01);
  EXPECT_EQ(over.substr(0, 3), "61 ") << over;
  EXPECT_EQ(capture(10000).substr(0, 2), "00");
  EXPECT_EQ(status(c)["limits"]["monthlyDebitUsed"], 10000);
}

}  // namespace
}  // namespace apitest
