// Items 3 and 4: Create Card Account, Get Card Account Details, Create Prepaid Card / Gift Card.
#include <regex>

#include "harness.h"

namespace apitest {
namespace {

class ApiAccount : public ApiTest {};
class ApiCard : public ApiTest {};

json account_body(const PartnerCreds& p) {
  return {{"companyId", p.company_id}, {"companyName", p.company_name}, {"planMasterId", p.plan_master_id},
          {"email", "ops@example.com"}, {"mobile", "9123456780"},        {"accountTitle", "Canteen"},
          {"accountType", "MEAL"},      {"userId", "EK123456"}};
}

int total_cards(Server& s, const PartnerCreds& p, const std::string& account) {
  HttpResponse r = s.partner_post(p, "/search", {{"companyId", p.company_id}, {"cardAccountId", account}});
  if (!IsOkB(r)) {
    ADD_FAILURE() << r.describe();
    return -1;
  }
  return r.j["payload"].value("totalCards", -1);
}

TEST_F(ApiAccount, CreateAnswersTheAccountObject) {
  PartnerCreds p = srv().admin_create_partner("Acct Co");
  HttpResponse r = srv().partner_post(p, "/cardAccount/create", account_body(p));
  ASSERT_TRUE(IsOkA(r));
  const json& a = r.j["payload"];
  EXPECT_TRUE(id_like(a.value("cardAccountId", ""), "CA", 7)) << a.dump();
  EXPECT_EQ(a.value("companyId", ""), p.company_id);
  EXPECT_EQ(a.value("companyName", ""), p.company_name);
  EXPECT_EQ(a.value("planMasterId", ""), p.plan_master_id);
  EXPECT_EQ(a.value("email", ""), "ops@example.com");
  EXPECT_EQ(a.value("mobile", ""), "9123456780");
  EXPECT_EQ(a.value("accountTitle", ""), "Canteen");
  EXPECT_EQ(a.value("accountType", ""), "MEAL");
  EXPECT_EQ(a.value("userId", ""), "EK123456");
  EXPECT_TRUE(a.contains("createdOn"));
  // Mobile may come as a number.
  json b = account_body(p);
  b["mobile"] = 9123456780LL;
  b.erase("userId");
  HttpResponse r2 = srv().partner_post(p, "/cardAccount/create", b);
  ASSERT_TRUE(IsOkA(r2));
  EXPECT_NE(r2.j["payload"]["cardAccountId"], a["cardAccountId"]);
  EXPECT_TRUE(id_like(r2.j["payload"].value("userId", ""), "EK", 6)) << r2.describe();
}

TEST_F(ApiAccount, GetAnswersEnvelopeB) {
  PartnerCreds p = srv().admin_create_partner("Get Co");
  std::string acc = srv().create_account(p);
  // Empty account first.
  HttpResponse e = srv().partner_post(p, "/cardAccount/get", {{"companyId", p.company_id}, {"cardAccountId", acc}});
  ASSERT_TRUE(IsOkB(e));
  EXPECT_EQ(e.j["payload"]["totalCards"], 0);
  EXPECT_TRUE(e.j["payload"]["primaryEnKashCard"].is_null());

  json c1 = srv().create_card(p, acc);
  json c2 = srv().create_card(p, acc);
  ASSERT_TRUE(c1.is_object() && c2.is_object());
  ASSERT_TRUE(IsOkA(srv().partner_post(p, "/block", srv().block_body(p, acc, c2["enKashCardId"], "L"))));

  HttpResponse r = srv().partner_post(p, "/cardAccount/get", {{"companyId", p.company_id}, {"cardAccountId", acc}});
  ASSERT_TRUE(IsOkB(r));
  EXPECT_FALSE(r.j.contains("code"));
  EXPECT_FALSE(r.j.contains("message"));
  const json& a = r.j["payload"];
  EXPECT_EQ(a.value("cardAccountId", ""), acc);
  EXPECT_EQ(a.value("companyId", ""), p.company_id);
  EXPECT_EQ(a.value("companyName", ""), p.company_name);
  EXPECT_EQ(a["availableBalance"], 0);
  EXPECT_EQ(a["availableCardBalance"], 0);
  EXPECT_EQ(a["totalCards"], 2);
  EXPECT_EQ(a["activeCards"], 1);
  ASSERT_TRUE(a["primaryEnKashCard"].is_object()) << a.dump();
  EXPECT_EQ(a["primaryEnKashCard"]["enKashCardId"], c1["enKashCardId"]);  // the first card is primary
  EXPECT_EQ(a["primaryEnKashCard"]["cardStatus"]["name"], "UL");
}

TEST_F(ApiAccount, UnknownPlanOrCompanyIs404Code412) {
  PartnerCreds p = srv().admin_create_partner("Unknown Co");
  json b = account_body(p);
  b["planMasterId"] = "PM0000000";
  EXPECT_TRUE(IsErr(srv().partner_post(p, "/cardAccount/create", b), 404, 412, "planMasterId"));
  b = account_body(p);
  b["companyId"] = "CEK0000000";
  EXPECT_TRUE(IsErr(srv().partner_post(p, "/cardAccount/create", b), 404, 412, "companyId"));
  // Another partner's plan and company are "unknown" too.
  PartnerCreds other = srv().admin_create_partner("Other Co");
  b = account_body(p);
  b["planMasterId"] = other.plan_master_id;
  EXPECT_TRUE(IsErr(srv().partner_post(p, "/cardAccount/create", b), 404, 412, "planMasterId"));
  b = account_body(p);
  b["companyId"] = other.company_id;
  EXPECT_TRUE(IsErr(srv().partner_post(p, "/cardAccount/create", b), 404, 412, "companyId"));
  // Unknown account on get.
  EXPECT_TRUE(IsErr(srv().partner_post(p, "/cardAccount/get", {{"companyId", p.company_id}, {"cardAccountId", "CA0000000"}}),
                    404, 412, "cardAccountId", true));
  EXPECT_TRUE(IsErr(srv().partner_post(p, "/cardAccount/get", {{"companyId", "CEK0000000"}, {"cardAccountId", "CA0000000"}}),
                    404, 412, "companyId", true));
}

TEST_F(ApiAccount, InvalidFieldsAre422) {
  PartnerCreds p = srv().admin_create_partner("Invalid Co");
  std::vector<std::pair<std::string, json>> cases = {
      {"email", "not-an-email"}, {"mobile", "12345"}, {"mobile", "98765432101"},
      {"accountType", "SPACESHIP"}, {"accountType", "GIFT"},  // GIFT needs a gift plan
  };
  for (auto& [field, value] : cases) {
    json b = account_body(p);
    b[field] = value;
    EXPECT_TRUE(IsErr(srv().partner_post(p, "/cardAccount/create", b), 422, 422, field)) << field << "=" << value;
  }
}

// ---- cards ----

TEST_F(ApiCard, CreateAnswersTheCardObject) {
  PartnerCreds p = srv().admin_create_partner("Card Co");
  std::string acc = srv().create_account(p);
  json body = {{"companyId", p.company_id}, {"cardAccountId", acc}, {"userId", "EK777777"},
               {"email", "asha@example.com"}, {"mobile", 9876543210LL}, {"title", "Ms"},
               {"firstName", "Asha"}, {"middleName", "K"}, {"lastName", "Rao"}, {"gender", "F"},
               {"address", "1 MG Road"}, {"city", "Bengaluru"}, {"state", "KA"}, {"country", "IN"},
               {"pincode", 560001}, {"specialDate", "15-08-1990"},
               {"documents", {{{"docType", "PAN"}, {"docNo", "ABCDE1234F"}}}}};
  HttpResponse r = srv().partner_post(p, "", body);
  ASSERT_TRUE(IsOkA(r));
  const json& c = r.j["payload"];
  EXPECT_TRUE(id_like(c.value("enKashCardId", ""), "EKC", 7)) << c.dump();
  EXPECT_EQ(c.value("userId", ""), "EK777777");
  EXPECT_EQ(c.value("cardAccountId", ""), acc);
  EXPECT_TRUE(std::regex_match(c.value("maskedNumber", ""), std::regex("XXXX XXXX XXXX [0-9]{4}"))) << c.dump();
  EXPECT_TRUE(all_hex(c.value("token", ""), 20)) << c.dump();
  ASSERT_TRUE(c["expiryMonth"].is_string() && c["expiryYear"].is_string()) << c.dump();
  int month = std::stoi(c["expiryMonth"].get<std::string>());
  EXPECT_GE(month, 1);
  EXPECT_LE(month, 12);
  EXPECT_EQ(c["expiryMonth"].get<std::string>().size(), 2u);
  EXPECT_GE(std::stoi(c["expiryYear"].get<std::string>()), 2026);
  EXPECT_EQ(c["cardStatus"], json({{"name", "UL"}, {"label", "ACTIVE"}}));
  EXPECT_EQ(c["cardType"], "VIRTUAL");
  EXPECT_EQ(c["gift"], false);
  EXPECT_EQ(c["otbBalance"], 0);
  EXPECT_EQ(c.value("cardHolderName", ""), "Asha K Rao");
  EXPECT_TRUE(c.contains("createdOn"));
  EXPECT_FALSE(c.contains("physicalOrder"));
  // No full number or CVV anywhere in the answer.
  EXPECT_FALSE(c.contains("cardNumber"));
  EXPECT_FALSE(c.contains("cvv"));
  // search returns the same card.
  json found = srv().search_card(p, acc, c["enKashCardId"]);
  EXPECT_EQ(found["maskedNumber"], c["maskedNumber"]);
  EXPECT_EQ(found["token"], c["token"]);
}

TEST_F(ApiCard, PhysicalCardStartsApWithAnOrder) {
  PartnerCreds p = srv().admin_create_partner("Phys Co");
  std::string acc = srv().create_account(p);
  json c = srv().create_card(p, acc, {{"physicalCard", true}, {"address", "1 MG Road"}, {"city", "Bengaluru"},
                                       {"state", "KA"}, {"country", "IN"}, {"pincode", "560001"}});
  ASSERT_TRUE(c.is_object());
  EXPECT_EQ(c["cardStatus"], json({{"name", "AP"}, {"label", "ACTIVATION_IN_PROGRESS"}}));
  EXPECT_EQ(c["cardType"], "PHYSICAL");
  ASSERT_TRUE(c.contains("physicalOrder")) << c.dump();
  EXPECT_EQ(c["physicalOrder"].value("shippingStatus", ""), "ORDERED");
  EXPECT_EQ(c["physicalOrder"].value("deliveryPincode", ""), "560001");
  EXPECT_FALSE(c["physicalOrder"].value("orderId", "").empty());
  // Physical without an address is refused, naming the field.
  HttpResponse bad = srv().partner_post(p, "", {{"companyId", p.company_id}, {"cardAccountId", acc}, {"physicalCard", true}});
  EXPECT_TRUE(IsErr(bad, 422, 422, "address")) << bad.describe();
  EXPECT_EQ(total_cards(srv(), p, acc), 1);
}

TEST_F(ApiCard, LoadAmountNeedsAFundedPoolAndIsAtomicWithIssue) {
  PartnerCreds p = srv().admin_create_partner("Load Co");
  std::string acc = srv().create_account(p);
  // Pool empty: the load is refused and no card is left behind.
  HttpResponse r = srv().partner_post(p, "", {{"companyId", p.company_id}, {"cardAccountId", acc}, {"loadAmount", 100}});
  EXPECT_TRUE(IsErr(r, 422, 1040, "loadAmount")) << r.describe();
  HttpResponse r2 = srv().partner_post(p, "", {{"companyId", p.company_id}, {"cardAccountId", acc}, {"loadAmount", "12.345"}});
  EXPECT_TRUE(IsErr(r2, 422, 422, "loadAmount")) << r2.describe();
  EXPECT_EQ(total_cards(srv(), p, acc), 0);
  // Funded: the card is issued with its balance, and the pool is debited.
  ASSERT_TRUE(IsOkA(srv().admin_post("/admin/v1/cardAccounts/fund", {{"companyId", p.company_id}, {"cardAccountId", acc},
                                                                     {"amount", 250}, {"reference", "F-1"}})));
  HttpResponse ok = srv().partner_post(p, "", {{"companyId", p.company_id}, {"cardAccountId", acc}, {"loadAmount", "100.50"}});
  ASSERT_TRUE(IsOkA(ok)) << ok.describe();
  EXPECT_EQ(ok.j["payload"]["otbBalance"], 100.5);
  HttpResponse g = srv().partner_post(p, "/cardAccount/get", {{"companyId", p.company_id}, {"cardAccountId", acc}});
  ASSERT_TRUE(IsOkB(g));
  EXPECT_EQ(g.j["payload"]["totalCards"], 1);
  EXPECT_EQ(g.j["payload"]["availableBalance"], 149.5);
  EXPECT_EQ(g.j["payload"]["availableCardBalance"], 100.5);
}

TEST_F(ApiCard, GiftCardsAreLoadedAtIssueAndNeverReloaded) {
  PartnerCreds p = srv().admin_create_partner("Gift Co");
  HttpResponse plan = srv().admin_post("/admin/v1/plans", {{"partnerId", p.partner_id}, {"name", "Gift plan"},
                                                            {"bin", "652150"}, {"gift", true}});
  ASSERT_TRUE(IsOkA(plan));
  EXPECT_EQ(plan.j["payload"]["gift"], true);
  std::string plan_id = plan.j["payload"].value("planMasterId", "");
  EXPECT_TRUE(id_like(plan_id, "PM", 7));
  json ab = account_body(p);
  ab["planMasterId"] = plan_id;
  ab["accountType"] = "MEAL";  // a gift plan needs GIFT
  EXPECT_TRUE(IsErr(srv().partner_post(p, "/cardAccount/create", ab), 422, 422, "accountType"));
  ab["accountType"] = "GIFT";
  HttpResponse acc = srv().partner_post(p, "/cardAccount/create", ab);
  ASSERT_TRUE(IsOkA(acc));
  std::string acc_id = acc.j["payload"]["cardAccountId"];
  // Without loadAmount: required.
  HttpResponse r = srv().partner_post(p, "", {{"companyId", p.company_id}, {"cardAccountId", acc_id}});
  EXPECT_TRUE(IsErr(r, 422, 422, "loadAmount")) << r.describe();
  EXPECT_EQ(total_cards(srv(), p, acc_id), 0);
  ASSERT_TRUE(IsOkA(srv().admin_post("/admin/v1/cardAccounts/fund", {{"companyId", p.company_id}, {"cardAccountId", acc_id},
                                                                     {"amount", 1000}, {"reference", "G-1"}})));
  HttpResponse r2 = srv().partner_post(p, "", {{"companyId", p.company_id}, {"cardAccountId", acc_id}, {"loadAmount", "500.00"}});
  ASSERT_TRUE(IsOkA(r2)) << r2.describe();
  EXPECT_EQ(r2.j["payload"]["gift"], true);
  EXPECT_EQ(r2.j["payload"]["otbBalance"], 500);
  std::string card_id = r2.j["payload"]["enKashCardId"];
  HttpResponse reload = srv().partner_post(p, "/balance", {{"companyId", p.company_id}, {"cardAccountId", acc_id},
                                                           {"enKashCardId", card_id}, {"amount", 1},
                                                           {"transactionType", "CR"}, {"uniqueReferenceNumber", "GR-1"}});
  EXPECT_TRUE(IsErr(reload, 422, 1042, "gift")) << reload.describe();
  EXPECT_EQ(srv().search_card(p, acc_id, card_id)["otbBalance"], 500);
}

TEST_F(ApiCard, InvalidHolderFieldsAre422NamingTheField) {
  PartnerCreds p = srv().admin_create_partner("Holder Co");
  std::string acc = srv().create_account(p);
  std::vector<std::pair<std::string, json>> cases = {
      {"email", "asha@"}, {"email", "asha example.com"}, {"mobile", "98765"}, {"mobile", "98765abcde"},
      {"gender", "X"},    {"gender", "male"},            {"specialDate", "1990-08-15"},
      {"specialDate", "31-02-1990"}, {"specialDate", "15/08/1990"}, {"pincode", "12345"},
  };
  for (auto& [field, value] : cases) {
    json b = {{"companyId", p.company_id}, {"cardAccountId", acc}, {field, value}};
    EXPECT_TRUE(IsErr(srv().partner_post(p, "", b), 422, 422, field)) << field << "=" << value.dump();
  }
  EXPECT_EQ(total_cards(srv(), p, acc), 0);
}

// "without it: every card of the account" (docs/api.md, POST /search).
TEST_F(ApiCard, SearchListsEveryCardOfALargeAccount) {
  PartnerCreds p = srv().admin_create_partner("Big Co");
  std::string acc = srv().create_account(p);
  constexpr int kCards = 501;
  for (int i = 0; i < kCards; ++i) {
    HttpResponse r = srv().partner_post(p, "", {{"companyId", p.company_id}, {"cardAccountId", acc}});
    ASSERT_TRUE(IsOkA(r)) << i;
  }
  HttpResponse g = srv().partner_post(p, "/cardAccount/get", {{"companyId", p.company_id}, {"cardAccountId", acc}});
  ASSERT_TRUE(IsOkB(g));
  EXPECT_EQ(g.j["payload"]["totalCards"], kCards);
  HttpResponse r = srv().partner_post(p, "/search", {{"companyId", p.company_id}, {"cardAccountId", acc}});
  ASSERT_TRUE(IsOkB(r));
  EXPECT_EQ(r.j["payload"]["totalCards"], kCards) << "search silently truncates the account's cards";
  EXPECT_EQ(r.j["payload"]["cards"].size(), static_cast<size_t>(kCards));
}

TEST_F(ApiCard, SearchWithoutCardListsTheAccountsCards) {
  PartnerCreds p = srv().admin_create_partner("List Co");
  std::string acc = srv().create_account(p);
  json c1 = srv().create_card(p, acc);
  json c2 = srv().create_card(p, acc);
  HttpResponse r = srv().partner_post(p, "/search", {{"companyId", p.company_id}, {"cardAccountId", acc}});
  ASSERT_TRUE(IsOkB(r));
  EXPECT_EQ(r.j["payload"]["totalCards"], 2);
  ASSERT_TRUE(r.j["payload"]["cards"].is_array());
  std::set<std::string> ids;
  for (auto& c : r.j["payload"]["cards"]) ids.insert(c.value("enKashCardId", ""));
  EXPECT_EQ(ids, (std::set<std::string>{c1["enKashCardId"], c2["enKashCardId"]}));
  // Unknown card id in this account.
  EXPECT_TRUE(IsErr(srv().partner_post(p, "/search", {{"companyId", p.company_id}, {"cardAccountId", acc},
                                                      {"enKashCardId", "EKC0000000"}}),
                    404, 412, "enKashCardId", true));
}

}  // namespace
}  // namespace apitest
