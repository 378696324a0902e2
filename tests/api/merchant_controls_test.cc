// Merchant controls of Card Usage Controls (/velocity/rule): allowedMccs, blockedMccs,
// blockedMerchantIds and blockedCountries are stored, answered by Get Card Usage Limits, refused
// whole when malformed, and decline sandbox authorizations with 57 naming the control; force
// posts and refunds are not blocked by them. (ISO 8583: tests/iso8583/server_test.cc.)
#include "harness.h"

namespace apitest {
namespace {

class ApiMerchantControls : public ApiTest {
 protected:
  Fixture funded() {
    Fixture c = fresh();
    EXPECT_TRUE(IsOkA(srv().fund_pool(c.p, c.account, 5000, "POOL-" + c.account)));
    EXPECT_TRUE(IsOkA(srv().load_card(c.p, c.account, c.card_id, 1000, "LOAD-" + c.card_id)));
    return c;
  }
  HttpResponse set_rule(const Fixture& c, const json& fields) {
    json b = {{"companyId", c.p.company_id}, {"cardAccountId", c.account}, {"enKashCardIds", {c.card_id}}};
    for (auto it = fields.begin(); it != fields.end(); ++it) b[it.key()] = it.value();
    return srv().partner_post(c.p, "/velocity/rule", b);
  }
  json rule(const Fixture& c) {
    HttpResponse r = srv().partner_post(c.p, "/velocity/rule/get", c.ref());
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"] : json::object();
  }
  // A sandbox message's decision payload.
  json send(const Fixture& c, const std::string& path, const json& fields) {
    json b = c.ref();
    b["amount"] = 10;
    b["channel"] = "POS";
    b["merchantName"] = "Test Store";
    for (auto it = fields.begin(); it != fields.end(); ++it) b[it.key()] = it.value();
    HttpResponse r = srv().post_json("/api/v0/sandbox" + path, b, c.partner());
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return IsOkA(r) ? r.j["payload"] : json::object();
  }
};

const json kControls = {{"allowedMccs", {"5812", "5411"}},
                        {"blockedMccs", {"7995"}},
                        {"blockedMerchantIds", {"BADSHOP01"}},
                        {"blockedCountries", {"840"}}};

TEST_F(ApiMerchantControls, StoredAnsweredAndEnforcedOnSandboxAuthorizations) {
  Fixture c = funded();
  json before = rule(c);
  for (const char* k : {"allowedMccs", "blockedMccs", "blockedMerchantIds", "blockedCountries"}) {
    EXPECT_EQ(before[k], json::array()) << k << " defaults to none";
  }
  ASSERT_TRUE(IsOkA(set_rule(c, kControls)));
  json got = rule(c);
  for (auto it = kControls.begin(); it != kControls.end(); ++it) EXPECT_EQ(got[it.key()], it.value()) << it.key();

  auto decision = [&](const json& fields) {
    json d = send(c, "/authorizations", fields);
    return d.value("responseCode", "") + " " + d.value("reason", "");
  };
  EXPECT_EQ(decision({{"mcc", "5411"}, {"merchantId", "GOODSHOP"}}).substr(0, 2), "00");
  EXPECT_EQ(decision({{"mcc", "5999"}}), "57 MCC 5999 is not in the card's allowedMccs");
  EXPECT_EQ(decision({{"mcc", "5812"}, {"merchantId", "BADSHOP01"}}), "57 merchant BADSHOP01 is in the card's blockedMerchantIds");
  EXPECT_EQ(decision({{"mcc", "5812"}, {"country", "840"}}), "57 country 840 is in the card's blockedCountries");
  // A country other than India makes the transaction international unless told otherwise.
  EXPECT_EQ(decision({{"mcc", "5812"}, {"country", "826"}}), "57 international transactions are not allowed");
  // The control only: a blocked MCC outside the allowed list names the allowed list first.
  EXPECT_EQ(decision({{"mcc", "7995"}}), "57 MCC 7995 is not in the card's allowedMccs");

  // Force posts and refunds are not blocked by merchant controls.
  EXPECT_EQ(send(c, "/clearings", {{"mcc", "7995"}, {"merchantId", "BADSHOP01"}}).value("responseCode", ""), "00");
  EXPECT_EQ(send(c, "/refunds", {{"mcc", "7995"}, {"merchantId", "BADSHOP01"}}).value("responseCode", ""), "00");

  // Leaving a field out keeps it; an empty list clears it.
  ASSERT_TRUE(IsOkA(set_rule(c, {{"allowedMccs", json::array()}})));
  json cleared = rule(c);
  EXPECT_EQ(cleared["allowedMccs"], json::array());
  EXPECT_EQ(cleared["blockedMccs"], json({"7995"}));
  EXPECT_EQ(decision({{"mcc", "5999"}}).substr(0, 2), "00");
  EXPECT_EQ(decision({{"mcc", "7995"}}), "57 MCC 7995 is in the card's blockedMccs");
}

TEST_F(ApiMerchantControls, MalformedControlsAreRefusedWholeAndChangeNothing) {
  Fixture c = funded();
  ASSERT_TRUE(IsOkA(set_rule(c, kControls)));
  std::vector<std::string> many;
  for (int i = 0; i < 101; ++i) many.push_back(std::to_string(1000 + i));
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"allowedMccs", {"54a1"}}}, "allowedMccs"},
      {{{"allowedMccs", {"541"}}}, "allowedMccs"},
      {{{"blockedMccs", {"12345"}}}, "blockedMccs"},
      {{{"blockedCountries", {"IN"}}}, "blockedCountries"},
      {{{"blockedCountries", {"3560"}}}, "blockedCountries"},
      {{{"blockedMerchantIds", {"A,B"}}}, "blockedMerchantIds"},
      {{{"blockedMerchantIds", {"MERCHANTID16CHAR"}}}, "blockedMerchantIds"},
      {{{"blockedMerchantIds", {" SHOP"}}}, "blockedMerchantIds"},
      {{{"blockedMerchantIds", {"SHOP "}}}, "blockedMerchantIds"},
      {{{"blockedMerchantIds", {"BAD\tSHOP"}}}, "blockedMerchantIds"},
      {{{"blockedMccs", {"7995", "7995"}}}, "blockedMccs"},
      {{{"blockedMerchantIds", {""}}}, "blockedMerchantIds"},
      {{{"blockedMccs", many}}, "blockedMccs"},
      {{{"blockedMccs", {5411}}}, "blockedMccs"},
      {{{"blockedMccs", json::object()}}, "blockedMccs"},
      // A good field beside a bad one: nothing is stored.
      {{{"allowedMccs", json::array()}, {"blockedCountries", {"X"}}}, "blockedCountries"},
  };
  for (const auto& [fields, field] : bad) {
    HttpResponse r = set_rule(c, fields);
    EXPECT_TRUE(IsErr(r, 422, 422, field)) << fields.dump() << " -> " << r.describe();
  }
  json after = rule(c);
  for (auto it = kControls.begin(); it != kControls.end(); ++it) EXPECT_EQ(after[it.key()], it.value()) << it.key();
  HttpResponse country = srv().post_json("/api/v0/sandbox/authorizations",
                                         [&] { json b = c.ref(); b["amount"] = 1; b["channel"] = "POS"; b["country"] = "1a"; return b; }(),
                                         c.partner());
  EXPECT_TRUE(IsErr(country, 422, 422, "country")) << country.describe();
  // The longest merchant id the network sends (15 characters) is taken.
  HttpResponse longest = set_rule(c, {{"blockedMerchantIds", {"MERCHANTID15CHR"}}});
  EXPECT_TRUE(IsOkA(longest)) << longest.describe();
}

TEST_F(ApiMerchantControls, SandboxCodesAreReadAsTheNetworkSendsThem) {
  Fixture c = funded();
  ASSERT_TRUE(IsOkA(set_rule(c, {{"blockedMccs", {"0742"}}, {"blockedCountries", {"036"}}, {"internationalAllowed", true},
                                 {"blockedMerchantIds", {"BADSHOP01"}}})));
  auto code = [&](const json& fields) { return send(c, "/authorizations", fields).value("responseCode", ""); };
  EXPECT_EQ(code({{"mcc", 742}}), "57") << "a number is the zero-padded code";
  EXPECT_EQ(code({{"mcc", "742"}}), "57");
  EXPECT_EQ(code({{"mcc", "5411"}, {"country", 36}}), "57");
  EXPECT_EQ(code({{"mcc", "5411"}, {"merchantId", "BADSHOP01  "}}), "57") << "trailing spaces are padding, as in field 42";
  EXPECT_EQ(code({{"mcc", "5411"}, {"country", "826"}}), "00");
  json b = c.ref();
  b["amount"] = 1;
  b["channel"] = "POS";
  for (const auto& [fields, field] : std::vector<std::pair<json, std::string>>{
           {{{"mcc", "54a1"}}, "mcc"}, {{{"mcc", "54111"}}, "mcc"}, {{{"country", "8400"}}, "country"},
           {{{"country", "840"}, {"international", false}}, "international"},
           {{{"country", "356"}, {"international", true}}, "international"}}) {
    json bad = b;
    for (auto it = fields.begin(); it != fields.end(); ++it) bad[it.key()] = it.value();
    HttpResponse r = srv().post_json("/api/v0/sandbox/authorizations", bad, c.partner());
    EXPECT_TRUE(IsErr(r, 422, 422, field)) << fields.dump() << " -> " << r.describe();
  }
}

TEST_F(ApiMerchantControls, AnIncrementOfAnAllowedAuthorizationIsNotRefusedByTheControls) {
  Fixture c = funded();
  ASSERT_TRUE(IsOkA(set_rule(c, {{"allowedMccs", {"5411"}}})));
  json a = send(c, "/authorizations", {{"mcc", "5411"}, {"amount", 100}});
  ASSERT_EQ(a.value("responseCode", ""), "00") << a.dump();
  json inc = send(c, "/authorizations/" + a.value("authorizationId", "") + "/increment", {{"amount", 50}});
  EXPECT_EQ(inc.value("responseCode", ""), "00") << inc.dump();
}

}  // namespace
}  // namespace apitest
