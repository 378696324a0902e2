// Items 8, 9, 10: usage controls, card replacement, physical card orders.
#include "harness.h"

namespace apitest {
namespace {

class ApiUsage : public ApiTest {};
class ApiReplace : public ApiTest {};
class ApiOrder : public ApiTest {};

json get_usage(Server& s, const PartnerCreds& p, const std::string& acc, const std::string& card) {
  HttpResponse r = s.partner_post(p, "/velocity/rule/get", {{"companyId", p.company_id}, {"cardAccountId", acc},
                                                            {"enKashCardId", card}});
  if (!IsOkA(r)) {
    ADD_FAILURE() << r.describe();
    return nullptr;
  }
  return r.j["payload"];
}

TEST_F(ApiUsage, ArrayOfIdsAndNumericLimits) {
  auto f = fresh();
  json c2 = srv().create_card(f.p, f.account);
  std::string id2 = c2["enKashCardId"];
  json body = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardIds", {f.card_id, id2}},
               {"posAllowed", true}, {"onlineAllowed", false}, {"atmAllowed", "false"},
               {"internationalAllowed", false}, {"contactlessAllowed", true},
               {"perTxnLimit", 2500.5}, {"dtd", 10000}, {"mtd", "50000"}, {"ytd", "600000.75"},
               {"dtdCount", 10}, {"mtdCount", "100"}, {"ytdCount", 1000},
               {"posDailyLimit", 5000}, {"posDailyLimitCount", 5}, {"ecomDailyLimit", "3000.10"},
               {"ecomDailyLimitCount", "3"}, {"contactLessDailyLimit", 2000}, {"contactLessDailyLimitCount", 4},
               {"createdBy", "ops.admin"}};
  HttpResponse r = srv().partner_post(f.p, "/velocity/rule", body);
  ASSERT_TRUE(IsOkA(r));
  EXPECT_EQ(r.j["payload"], "Success");
  for (const std::string& id : {f.card_id, id2}) {
    json u = get_usage(srv(), f.p, f.account, id);
    ASSERT_TRUE(u.is_object());
    EXPECT_EQ(u["enKashCardId"], id);
    EXPECT_EQ(u["posAllowed"], true);
    EXPECT_EQ(u["onlineAllowed"], false);
    EXPECT_EQ(u["atmAllowed"], false);
    EXPECT_EQ(u["internationalAllowed"], false);
    EXPECT_EQ(u["contactlessAllowed"], true);
    EXPECT_EQ(u["perTxnLimit"], 2500.5);
    EXPECT_EQ(u["dtd"], 10000);
    EXPECT_EQ(u["mtd"], 50000);
    EXPECT_EQ(u["ytd"], 600000.75);
    EXPECT_EQ(u["dtdCount"], 10);
    EXPECT_EQ(u["mtdCount"], 100);
    EXPECT_EQ(u["ytdCount"], 1000);
    EXPECT_EQ(u["posDailyLimit"], 5000);
    EXPECT_EQ(u["posDailyLimitCount"], 5);
    EXPECT_EQ(u["ecomDailyLimit"], 3000.1);
    EXPECT_EQ(u["ecomDailyLimitCount"], 3);
    EXPECT_EQ(u["contactLessDailyLimit"], 2000);
    EXPECT_EQ(u["contactLessDailyLimitCount"], 4);
    EXPECT_EQ(u["createdBy"], "ops.admin");
    EXPECT_TRUE(u["createdOn"].is_string() && !u["createdOn"].get<std::string>().empty()) << u.dump();
    EXPECT_TRUE(u["modifiedOn"].is_string() && !u["modifiedOn"].get<std::string>().empty()) << u.dump();
  }
}

TEST_F(ApiUsage, BareStringIdAndPartialUpdate) {
  auto f = fresh();
  json base = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardIds", f.card_id}};
  json b1 = base;
  b1["perTxnLimit"] = "1500.25";
  b1["dtd"] = 9000;
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/velocity/rule", b1)));
  json b2 = base;
  b2["dtd"] = nullptr;   // clears
  b2["mtdCount"] = "7";  // sets; perTxnLimit untouched
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/velocity/rule", b2)));
  json u = get_usage(srv(), f.p, f.account, f.card_id);
  EXPECT_EQ(u["perTxnLimit"], 1500.25);
  EXPECT_TRUE(u["dtd"].is_null()) << u.dump();
  EXPECT_EQ(u["mtdCount"], 7);
  EXPECT_EQ(u["createdBy"], f.p.username);  // defaults to the caller
}

TEST_F(ApiUsage, DefaultsBeforeAnyRule) {
  auto f = fresh();
  json u = get_usage(srv(), f.p, f.account, f.card_id);
  ASSERT_TRUE(u.is_object());
  EXPECT_EQ(u["createdBy"], "system");
  EXPECT_TRUE(u["perTxnLimit"].is_null());
  EXPECT_TRUE(u.contains("createdOn") && u.contains("modifiedOn"));
}

TEST_F(ApiUsage, TooManyIdsAndBadLimitsAre422AndStoreNothing) {
  auto f = fresh();
  json before = get_usage(srv(), f.p, f.account, f.card_id);
  json ids = json::array();
  for (int i = 0; i < 101; ++i) ids.push_back(f.card_id);
  json b = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardIds", ids}, {"perTxnLimit", 10}};
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/velocity/rule", b), 422, 422, "enKashCardIds"));
  // Empty list.
  b["enKashCardIds"] = json::array();
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/velocity/rule", b), 422, 422, "enKashCardIds"));
  // Three decimals, as number and as string; negative; not a number; count with decimals.
  std::vector<std::pair<std::string, json>> bad = {
      {"perTxnLimit", 10.125}, {"dtd", "10.125"}, {"mtd", -5}, {"ytd", "ten"}, {"dtdCount", 1.5},
      {"mtdCount", "-1"},      {"posAllowed", "yes"}};
  for (auto& [field, value] : bad) {
    json x = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardIds", {f.card_id}},
              {"atmAllowed", false}, {field, value}};
    EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/velocity/rule", x), 422, 422, field)) << field << "=" << value.dump();
  }
  json u = get_usage(srv(), f.p, f.account, f.card_id);
  EXPECT_EQ(u["createdBy"], "system") << "something was stored: " << u.dump();
  EXPECT_TRUE(u["perTxnLimit"].is_null());
  EXPECT_EQ(u, before);
}

TEST_F(ApiUsage, OneUnknownIdRefusesTheWholeBatch) {
  auto f = fresh();
  json b = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardIds", {f.card_id, "EKC0000000"}},
            {"perTxnLimit", 10}};
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/velocity/rule", b), 404, 412, "enKashCardIds"));
  json u = get_usage(srv(), f.p, f.account, f.card_id);
  EXPECT_TRUE(u["perTxnLimit"].is_null()) << "partial write: " << u.dump();
}

// ---- replacement ----

void check_replacement(Server& s, const PartnerCreds& p, const std::string& acc, const std::string& old_id,
                       const HttpResponse& r) {
  ASSERT_TRUE(IsOkA(r));
  const json& fresh_card = r.j["payload"];
  std::string new_id = fresh_card.value("enKashCardId", "");
  EXPECT_TRUE(id_like(new_id, "EKC", 7));
  EXPECT_NE(new_id, old_id);
  EXPECT_EQ(fresh_card.value("replacedEnKashCardId", ""), old_id);
  EXPECT_EQ(fresh_card["cardStatus"]["name"], "UL");
  EXPECT_TRUE(all_hex(fresh_card.value("token", ""), 20));
  EXPECT_EQ(fresh_card.value("cardAccountId", ""), acc);
  json old_card = s.search_card(p, acc, old_id);
  EXPECT_EQ(old_card["cardStatus"]["name"], "BL");
  EXPECT_EQ(old_card["replacedBy"], new_id);
  EXPECT_NE(old_card["token"], fresh_card["token"]);
  EXPECT_NE(old_card["maskedNumber"], json(nullptr));
  json h = s.card_history(old_id);
  ASSERT_GE(h["statusChanges"].size(), 2u);
  EXPECT_EQ(h["statusChanges"].back()["to"], "BL");
}

TEST_F(ApiReplace, WithoutOtpCarriesUsageControls) {
  auto f = fresh();
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/velocity/rule", {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                                              {"enKashCardIds", f.card_id}, {"atmAllowed", false},
                                                              {"perTxnLimit", 777}, {"dtdCount", 3}})));
  HttpResponse r = srv().partner_post(f.p, "/replaceCard", {{"enKashCardId", f.card_id}, {"cardAccountId", f.account},
                                                            {"otpMedium", "MOBILE"}, {"otpRequired", false},
                                                            {"reason", "lost"}});
  check_replacement(srv(), f.p, f.account, f.card_id, r);
  std::string new_id = r.j["payload"].value("enKashCardId", "");
  json u = get_usage(srv(), f.p, f.account, new_id);
  EXPECT_EQ(u["atmAllowed"], false);
  EXPECT_EQ(u["perTxnLimit"], 777);
  EXPECT_EQ(u["dtdCount"], 3);
  // Replacing again is refused, and nothing new is minted.
  HttpResponse again = srv().partner_post(f.p, "/replaceCard", {{"enKashCardId", f.card_id}, {"cardAccountId", f.account},
                                                                {"otpMedium", "MOBILE"}, {"otpRequired", false}});
  EXPECT_EQ(again.status, 409) << again.describe();
  EXPECT_EQ(again.j.value("code", 0), 1010) << again.describe();
  HttpResponse list = srv().partner_post(f.p, "/search", {{"companyId", f.p.company_id}, {"cardAccountId", f.account}});
  EXPECT_EQ(list.j["payload"]["totalCards"], 2);
  // The new card can itself be searched and is the account's primary card now? At least it exists.
  EXPECT_EQ(srv().card_status(f.p, f.account, new_id), "UL");
}

TEST_F(ApiReplace, WithReplaceCardOtp) {
  auto f = fresh();
  auto [id, code] = srv().otp(f.p, f.account, f.card_id, "REPLACE_CARD");
  json b = {{"enKashCardId", f.card_id}, {"cardAccountId", f.account}, {"otpMedium", "MOBILE"}, {"otpRequired", true},
            {"otpRequestId", id}, {"otp", code == "000000" ? "000001" : "000000"}};
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/replaceCard", b), 403, 1001, "otp"));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
  b["otp"] = code;
  HttpResponse r = srv().partner_post(f.p, "/replaceCard", b);
  check_replacement(srv(), f.p, f.account, f.card_id, r);
}

TEST_F(ApiReplace, MissingFieldsAre422) {
  auto f = fresh();
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/replaceCard", {{"enKashCardId", f.card_id}, {"otpMedium", "MOBILE"}}),
                    422, 422, "otpRequired"));
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/replaceCard", {{"enKashCardId", f.card_id}, {"otpRequired", false}}),
                    422, 422, "otpMedium"));
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/replaceCard", {{"otpMedium", "MOBILE"}, {"otpRequired", false}}),
                    422, 422, "enKashCardId"));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
}

// ---- physical orders ----

json order_body(const PartnerCreds& p, const std::string& acc, const std::string& card) {
  return {{"companyId", p.company_id}, {"cardAccountId", acc}, {"enKashCardId", card},
          {"deliveryAddress", "2 Park Street"}, {"deliveryCity", "Kolkata"}, {"deliveryState", "WB"},
          {"deliveryCountry", "IN"}, {"deliveryPincode", 700016}};
}

TEST_F(ApiOrder, OrderThenShippingStatusMachine) {
  auto f = fresh();
  HttpResponse r = srv().partner_post(f.p, "/orderPhysicalCard", order_body(f.p, f.account, f.card_id));
  ASSERT_TRUE(IsOkA(r));
  std::string order_id = r.j["payload"].value("orderId", "");
  EXPECT_FALSE(order_id.empty());
  EXPECT_EQ(r.j["payload"]["shippingStatus"], "ORDERED");
  EXPECT_EQ(r.j["payload"]["enKashCardId"], f.card_id);
  EXPECT_EQ(r.j["payload"]["deliveryPincode"], "700016");
  EXPECT_EQ(srv().search_card(f.p, f.account, f.card_id)["cardType"], "PHYSICAL");

  HttpResponse dup = srv().partner_post(f.p, "/orderPhysicalCard", order_body(f.p, f.account, f.card_id));
  EXPECT_TRUE(IsErr(dup, 409, 1020, "enKashCardId")) << dup.describe();

  auto advance = [&](const std::string& to) {
    return srv().admin_post("/admin/v1/physicalOrders/status", {{"orderId", order_id}, {"status", to}});
  };
  EXPECT_TRUE(IsErr(advance("DELIVERED"), 409, 1021, "status"));  // skipping DISPATCHED
  HttpResponse d = advance("DISPATCHED");
  ASSERT_TRUE(IsOkA(d));
  EXPECT_EQ(d.j["payload"]["shippingStatus"], "DISPATCHED");
  HttpResponse dl = advance("DELIVERED");
  ASSERT_TRUE(IsOkA(dl));
  EXPECT_EQ(dl.j["payload"]["shippingStatus"], "DELIVERED");
  HttpResponse back = advance("DISPATCHED");
  EXPECT_TRUE(IsErr(back, 409, 1021, "status")) << back.describe();
  EXPECT_TRUE(IsErr(advance("RETURNED"), 409, 1021, "status"));
  EXPECT_TRUE(IsErr(advance("ORDERED"), 422, 422, "status"));
  EXPECT_TRUE(IsErr(srv().admin_post("/admin/v1/physicalOrders/status", {{"orderId", "PCO00000000"}, {"status", "DISPATCHED"}}),
                    404, 412, "orderId"));
  // Still one order and DELIVERED: a second order is still refused.
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/orderPhysicalCard", order_body(f.p, f.account, f.card_id)), 409, 1020));
}

TEST_F(ApiOrder, ReturnedOrderAllowsANewOne) {
  auto f = fresh();
  HttpResponse r = srv().partner_post(f.p, "/orderPhysicalCard", order_body(f.p, f.account, f.card_id));
  ASSERT_TRUE(IsOkA(r));
  ASSERT_TRUE(IsOkA(srv().admin_post("/admin/v1/physicalOrders/status",
                                     {{"orderId", r.j["payload"]["orderId"]}, {"status", "RETURNED"}})));
  HttpResponse again = srv().partner_post(f.p, "/orderPhysicalCard", order_body(f.p, f.account, f.card_id));
  ASSERT_TRUE(IsOkA(again));
  EXPECT_NE(again.j["payload"]["orderId"], r.j["payload"]["orderId"]);
}

TEST_F(ApiOrder, AddressFieldsAreRequiredAndBlockedCardsRefused) {
  auto f = fresh();
  for (std::string field : {"deliveryAddress", "deliveryCity", "deliveryState", "deliveryCountry", "deliveryPincode"}) {
    json b = order_body(f.p, f.account, f.card_id);
    b.erase(field);
    EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/orderPhysicalCard", b), 422, 422, field)) << field;
  }
  json b = order_body(f.p, f.account, f.card_id);
  b["deliveryPincode"] = "7000";
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/orderPhysicalCard", b), 422, 422, "deliveryPincode"));
  EXPECT_EQ(srv().search_card(f.p, f.account, f.card_id)["cardType"], "VIRTUAL");
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, "BL"))));
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/orderPhysicalCard", order_body(f.p, f.account, f.card_id)), 409, 1010));
}

TEST_F(ApiOrder, PhysicalCardCreatedWithOrderCannotOrderAgain) {
  PartnerCreds p = srv().admin_create_partner("Order Phys");
  std::string acc = srv().create_account(p);
  json c = srv().create_card(p, acc, {{"physicalCard", true}, {"physicalDeliveryAddressFlag", true},
                                       {"deliveryAddress", "9 Ring Rd"}, {"deliveryCity", "Delhi"},
                                       {"deliveryState", "DL"}, {"deliveryCountry", "IN"}, {"deliveryPincode", "110001"}});
  ASSERT_TRUE(c.is_object());
  EXPECT_EQ(c["physicalOrder"]["deliveryCity"], "Delhi");
  HttpResponse r = srv().partner_post(p, "/orderPhysicalCard", order_body(p, acc, c["enKashCardId"]));
  EXPECT_TRUE(IsErr(r, 409, 1020)) << r.describe();
}

}  // namespace
}  // namespace apitest
