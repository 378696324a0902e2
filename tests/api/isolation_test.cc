// Item 6: partner isolation. Partner B, with its own valid token and partnerId, names partner
// A's ids: every endpoint answers exactly as for ids that do not exist (HTTP 404, code 412), and
// A's card is unchanged.
#include "harness.h"

namespace apitest {
namespace {

class ApiIsolation : public ApiTest {};

struct Ids {
  std::string company, account, card;
};

std::vector<std::pair<std::string, json>> requests(const Ids& ids) {
  json ref = {{"companyId", ids.company}, {"cardAccountId", ids.account}, {"enKashCardId", ids.card}};
  auto with = [&](json extra) {
    json b = ref;
    for (auto it = extra.begin(); it != extra.end(); ++it) b[it.key()] = it.value();
    return b;
  };
  return {
      {"/search", ref},
      {"/search", {{"companyId", ids.company}, {"cardAccountId", ids.account}}},
      {"/block", with({{"blockCode", "BL"}, {"otpMedium", "MOBILE"}, {"otpRequired", false}})},
      {"/setPin", with({{"pinBlock", "1234"}, {"otpRequired", false}})},
      {"/viewCard", with({{"otpMedium", "MOBILE"}, {"otpRequired", false}})},
      {"/velocity/rule", {{"companyId", ids.company}, {"cardAccountId", ids.account}, {"enKashCardIds", {ids.card}},
                          {"atmAllowed", false}, {"perTxnLimit", 1}}},
      {"/velocity/rule/get", ref},
      {"/replaceCard", {{"cardAccountId", ids.account}, {"enKashCardId", ids.card}, {"otpMedium", "MOBILE"},
                        {"otpRequired", false}}},
      {"/replaceCard", {{"enKashCardId", ids.card}, {"otpMedium", "MOBILE"}, {"otpRequired", false}}},
      {"/orderPhysicalCard", with({{"deliveryAddress", "2 Park St"}, {"deliveryCity", "Kolkata"},
                                   {"deliveryState", "WB"}, {"deliveryCountry", "IN"}, {"deliveryPincode", "700016"}})},
      {"/cardAccount/get", {{"companyId", ids.company}, {"cardAccountId", ids.account}}},
      {"/otp", {{"cardAccountId", ids.account}, {"enKashCardId", ids.card}, {"cardOtpAction", "BLOCK_CARD"}}},
      {"", {{"companyId", ids.company}, {"cardAccountId", ids.account}}},  // create a card in A's account
  };
}

bool envelope_b(const std::string& path) { return path == "/search" || path == "/cardAccount/get"; }

TEST_F(ApiIsolation, PartnerBCannotSeeOrChangePartnerACard) {
  auto a = fresh();
  PartnerCreds bp = srv().admin_create_partner("Partner B");
  std::string b_account = srv().create_account(bp);
  json before = srv().search_card(a.p, a.account, a.card_id);
  ASSERT_TRUE(before.is_object());
  json usage_before = srv().partner_post(a.p, "/velocity/rule/get", {{"companyId", a.p.company_id},
                                                                     {"cardAccountId", a.account},
                                                                     {"enKashCardId", a.card_id}}).j["payload"];
  ASSERT_TRUE(usage_before.is_object());

  Ids theirs{a.p.company_id, a.account, a.card_id};
  Ids unknown{"CEK" + std::string("ZZZZ999"), "CAZZZ9999", "EKCZZZ9999"};
  Ids mixed{bp.company_id, a.account, a.card_id};          // B's company, A's account/card
  Ids mixed_card{bp.company_id, b_account, a.card_id};     // B's company+account, A's card
  Ids unknown_card{bp.company_id, b_account, "EKCZZZ9999"};

  auto t = requests(theirs), u = requests(unknown), m = requests(mixed), mc = requests(mixed_card),
       uc = requests(unknown_card);
  for (size_t i = 0; i < t.size(); ++i) {
    const std::string& path = t[i].first;
    bool eb = envelope_b(path);
    HttpResponse rt = srv().partner_post(bp, path, t[i].second);
    HttpResponse ru = srv().partner_post(bp, path, u[i].second);
    EXPECT_TRUE(IsErr(rt, 404, 412, "", eb)) << path << " (A's ids): " << rt.describe();
    EXPECT_EQ(rt.body, ru.body) << path << ": A's ids answer differently from unknown ids";
    HttpResponse rm = srv().partner_post(bp, path, m[i].second);
    EXPECT_TRUE(IsErr(rm, 404, 412, "", eb)) << path << " (mixed): " << rm.describe();
    // B's own company and account with A's card id: only for requests that name a card.
    HttpResponse rmc;
    if (mc[i].second.dump().find(a.card_id) != std::string::npos) {
      rmc = srv().partner_post(bp, path, mc[i].second);
      HttpResponse ruc = srv().partner_post(bp, path, uc[i].second);
      EXPECT_TRUE(IsErr(rmc, 404, 412, "", eb)) << path << " (B's account, A's card): " << rmc.describe();
      // A message may echo the id the caller sent; apart from that the answers are identical.
      std::string normalized = rmc.body;
      for (size_t at; (at = normalized.find(a.card_id)) != std::string::npos;) normalized.replace(at, a.card_id.size(), "EKCZZZ9999");
      EXPECT_EQ(normalized, ruc.body) << path << ": A's card answers differently from an unknown card";
    }
    for (const HttpResponse* r : {&rt, &rm, &rmc}) {
      EXPECT_EQ(r->body.find(a.card.value("maskedNumber", "#")), std::string::npos) << path << ": " << r->describe();
      EXPECT_EQ(r->body.find(a.card.value("token", "#")), std::string::npos) << path;
    }
  }

  // A's card is as it was.
  json after = srv().search_card(a.p, a.account, a.card_id);
  ASSERT_TRUE(after.is_object());
  EXPECT_EQ(after["cardStatus"]["name"], "UL");
  EXPECT_EQ(after["pinSet"], false);
  EXPECT_EQ(after["cardType"], "VIRTUAL");
  EXPECT_TRUE(after["replacedBy"].is_null());
  EXPECT_EQ(after["modifiedOn"], before["modifiedOn"]);
  json usage = srv().partner_post(a.p, "/velocity/rule/get", {{"companyId", a.p.company_id}, {"cardAccountId", a.account},
                                                              {"enKashCardId", a.card_id}}).j["payload"];
  EXPECT_EQ(usage, usage_before) << usage.dump();
  HttpResponse list = srv().partner_post(a.p, "/search", {{"companyId", a.p.company_id}, {"cardAccountId", a.account}});
  EXPECT_EQ(list.j["payload"]["totalCards"], 1);
  json h = srv().card_history(a.card_id);
  EXPECT_EQ(h["statusChanges"].size(), 1u);
  // No OTP was sent for A's card.
  EXPECT_EQ(srv().read_file("sms-outbox.jsonl").find("XX" + a.card["maskedNumber"].get<std::string>().substr(15)),
            std::string::npos);
}

TEST_F(ApiIsolation, OtpRequestIdOfPartnerAIsUnknownToPartnerB) {
  auto a = fresh();
  auto b = fresh();
  auto [id, code] = srv().otp(a.p, a.account, a.card_id, "BLOCK_CARD");
  json body = srv().block_body(b.p, b.account, b.card_id, "L");
  body["otpRequired"] = true;
  body["otpRequestId"] = id;
  body["otp"] = code;
  EXPECT_TRUE(IsErr(srv().partner_post(b.p, "/block", body), 403, 1001, "otpRequestId"));
  EXPECT_EQ(srv().card_status(b.p, b.account, b.card_id), "UL");
  // A can still use it.
  json mine = srv().block_body(a.p, a.account, a.card_id, "L");
  mine["otpRequired"] = true;
  mine["otpRequestId"] = id;
  mine["otp"] = code;
  EXPECT_TRUE(IsOkA(srv().partner_post(a.p, "/block", mine)));
}

}  // namespace
}  // namespace apitest
