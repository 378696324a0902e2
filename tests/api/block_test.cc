// Item 5: Block Card: the contract's example body, OTP and MFA proofs, the status machine and
// the audit trail of status changes.
#include <ctime>

#include "harness.h"
#include "security/totp.h"

namespace apitest {
namespace {

class ApiBlock : public ApiTest {};

json with_otp(json b, const std::string& request_id, const std::string& code) {
  b["otpRequired"] = true;
  b["otpMedium"] = "MOBILE";
  b["otpRequestId"] = request_id;
  b["otp"] = code;
  return b;
}

TEST_F(ApiBlock, ContractExampleBodyIsRefusedWithWrongOtp) {
  auto f = fresh();
  // The page's example, with real ids.
  json body = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardId", f.card_id},
               {"blockCode", "L"},           {"reason", "string"},         {"otpMedium", "MOBILE"},
               {"otpRequestId", "string"},   {"otp", "string"},            {"createdBy", "string"},
               {"mfaCode", "string"},        {"otpRequired", true}};
  HttpResponse r = srv().partner_post(f.p, "/block", body);
  EXPECT_TRUE(IsErr(r, 403, 1001, "otp")) << r.describe();
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
  json h = srv().card_history(f.card_id);
  EXPECT_EQ(h["statusChanges"].size(), 1u) << h.dump();  // only "issued"
}

TEST_F(ApiBlock, RealOtpLocksAndUnlocks) {
  auto f = fresh();
  auto [id1, code1] = srv().otp(f.p, f.account, f.card_id, "BLOCK_CARD");
  ASSERT_EQ(code1.size(), 6u);
  json b = with_otp(srv().block_body(f.p, f.account, f.card_id, "L"), id1, code1);
  HttpResponse r = srv().partner_post(f.p, "/block", b);
  ASSERT_TRUE(IsOkA(r));
  EXPECT_EQ(r.j["payload"], "Success");
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "L");
  json card = srv().search_card(f.p, f.account, f.card_id);
  EXPECT_EQ(card["cardStatus"], json({{"name", "L"}, {"label", "LOCKED"}}));

  auto [id2, code2] = srv().otp(f.p, f.account, f.card_id, "BLOCK_CARD");
  HttpResponse r2 = srv().partner_post(f.p, "/block", with_otp(srv().block_body(f.p, f.account, f.card_id, "UL"), id2, code2));
  ASSERT_TRUE(IsOkA(r2));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");

  // Audit trail: issued, UL->L, L->UL with reason/channel/actor.
  json h = srv().card_history(f.card_id);
  ASSERT_TRUE(h.is_object());
  const json& ch = h["statusChanges"];
  ASSERT_EQ(ch.size(), 3u) << h.dump();
  EXPECT_EQ(ch[0]["from"], "");
  EXPECT_EQ(ch[0]["to"], "UL");
  EXPECT_EQ(ch[1]["from"], "UL");
  EXPECT_EQ(ch[1]["to"], "L");
  EXPECT_EQ(ch[1]["reason"], "api test");
  EXPECT_EQ(ch[1]["channel"], "API");
  EXPECT_EQ(ch[1]["actor"], f.p.partner_id);
  EXPECT_FALSE(ch[1].value("at", "").empty());
  EXPECT_EQ(ch[2]["from"], "L");
  EXPECT_EQ(ch[2]["to"], "UL");
  EXPECT_EQ(h["card"]["enKashCardId"], f.card_id);
}

TEST_F(ApiBlock, CreatedByIsTheRecordedActor) {
  auto f = fresh();
  json b = srv().block_body(f.p, f.account, f.card_id, "L");
  b["createdBy"] = "ops.user@partner";
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/block", b)));
  json h = srv().card_history(f.card_id);
  ASSERT_EQ(h["statusChanges"].size(), 2u);
  EXPECT_EQ(h["statusChanges"][1]["actor"], "ops.user@partner");
}

TEST_F(ApiBlock, BlockedIsPermanent) {
  auto f = fresh();
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, "BL"))));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "BL");
  for (std::string to : {"UL", "L"}) {
    HttpResponse r = srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, to));
    EXPECT_TRUE(IsErr(r, 409, 1010, "blockCode")) << to << ": " << r.describe();
    EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "BL");
  }
  // A blocked card gets no OTP any more (only a replacement OTP, once).
  HttpResponse o = srv().partner_post(f.p, "/otp", {{"cardAccountId", f.account}, {"enKashCardId", f.card_id},
                                                    {"cardOtpAction", "BLOCK_CARD"}});
  EXPECT_TRUE(IsErr(o, 409, 1010)) << o.describe();
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "BL");
  // BL -> BL without OTP is a "no change" success.
  EXPECT_TRUE(IsOkA(srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, "BL"))));
  json h = srv().card_history(f.card_id);
  EXPECT_EQ(h["statusChanges"].size(), 2u) << h.dump();
}

TEST_F(ApiBlock, RequestingApIs422AndUnknownCodeIs422) {
  auto f = fresh();
  HttpResponse r = srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, "AP"));
  // AP cannot be requested: HTTP 422, a message naming blockCode. The code is 422 (bad parameter)
  // or the status-machine code 1011; both are accepted here.
  EXPECT_TRUE(IsErr(r, 422, 422, "blockCode") || IsErr(r, 422, 1011, "blockCode")) << r.describe();
  HttpResponse r2 = srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, "XX"));
  EXPECT_TRUE(IsErr(r2, 422, 422, "blockCode")) << r2.describe();
  json b = srv().block_body(f.p, f.account, f.card_id, "L");
  b["otpMedium"] = "EMAIL";
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 422, 422, "otpMedium"));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
}

TEST_F(ApiBlock, SameStatusSucceedsWithoutChange) {
  auto f = fresh();
  HttpResponse r = srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, "UL"));
  ASSERT_TRUE(IsOkA(r));
  EXPECT_EQ(r.j["payload"], "Success");
  json h = srv().card_history(f.card_id);
  EXPECT_EQ(h["statusChanges"].size(), 1u) << h.dump();
}

TEST_F(ApiBlock, OtpRequiredFalseWorksWithoutOtp) {
  auto f = fresh();
  json b = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardId", f.card_id},
            {"blockCode", "L"}, {"otpMedium", "MOBILE"}, {"otpRequired", "false"}};
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/block", b)));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "L");
}

TEST_F(ApiBlock, ConsumedOtpCannotBeReused) {
  auto f = fresh();
  auto [id, code] = srv().otp(f.p, f.account, f.card_id, "BLOCK_CARD");
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/block", with_otp(srv().block_body(f.p, f.account, f.card_id, "L"), id, code))));
  HttpResponse r = srv().partner_post(f.p, "/block", with_otp(srv().block_body(f.p, f.account, f.card_id, "UL"), id, code));
  EXPECT_TRUE(IsErr(r, 403, 1001, "otp")) << r.describe();
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "L");
}

TEST_F(ApiBlock, OtpForAnotherActionIsRefused) {
  auto f = fresh();
  auto [id, code] = srv().otp(f.p, f.account, f.card_id, "VIEW_CARD");
  HttpResponse r = srv().partner_post(f.p, "/block", with_otp(srv().block_body(f.p, f.account, f.card_id, "L"), id, code));
  EXPECT_TRUE(IsErr(r, 403, 1001, "otpRequestId")) << r.describe();
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
}

TEST_F(ApiBlock, OtpOfAnotherCardIsRefused) {
  auto f = fresh();
  json other = srv().create_card(f.p, f.account);
  auto [id, code] = srv().otp(f.p, f.account, other["enKashCardId"], "BLOCK_CARD");
  HttpResponse r = srv().partner_post(f.p, "/block", with_otp(srv().block_body(f.p, f.account, f.card_id, "L"), id, code));
  EXPECT_TRUE(IsErr(r, 403, 1001, "otpRequestId")) << r.describe();
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
}

TEST_F(ApiBlock, ThreeWrongOtpsKillTheRequest) {
  auto f = fresh();
  auto [id, code] = srv().otp(f.p, f.account, f.card_id, "BLOCK_CARD");
  std::string wrong = code == "000000" ? "111111" : "000000";
  json b = with_otp(srv().block_body(f.p, f.account, f.card_id, "L"), id, wrong);
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 403, 1001, "otp"));
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 403, 1001, "otp"));
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 403, 1003, "otp"));
  HttpResponse right = srv().partner_post(f.p, "/block", with_otp(srv().block_body(f.p, f.account, f.card_id, "L"), id, code));
  EXPECT_EQ(right.status, 403) << right.describe();
  EXPECT_NE(right.j.value("code", 0), 0);
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
  // A fresh OTP works.
  auto [id2, code2] = srv().otp(f.p, f.account, f.card_id, "BLOCK_CARD");
  EXPECT_TRUE(IsOkA(srv().partner_post(f.p, "/block", with_otp(srv().block_body(f.p, f.account, f.card_id, "L"), id2, code2))));
}

TEST_F(ApiBlock, MissingOtpWhenRequiredIsRefused) {
  auto f = fresh();
  json b = srv().block_body(f.p, f.account, f.card_id, "L");
  b["otpRequired"] = true;
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 403, 1001, "otpRequestId"));
  b["otpMedium"] = "MFA";
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 403, 1001, "mfaCode"));
  b["mfaCode"] = "123456";  // not enrolled
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 409, 1004, "mfaCode"));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
}

TEST_F(ApiBlock, MfaEnrollAndBlockWithTotp) {
  auto f = fresh();
  HttpResponse e = srv().admin_post("/admin/v1/cardholders/mfa", {{"enKashCardId", f.card_id}});
  ASSERT_TRUE(IsOkA(e));
  std::string uri = e.j["payload"].value("otpauthUri", "");
  std::string secret = e.j["payload"].value("secret", "");
  EXPECT_EQ(uri.rfind("otpauth://totp/", 0), 0u) << uri;
  EXPECT_NE(uri.find("secret=" + secret), std::string::npos) << uri;
  auto key = cardcore::totp::base32_decode(secret);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size(), 20u);
  EXPECT_TRUE(IsErr(srv().admin_post("/admin/v1/cardholders/mfa", {{"enKashCardId", "EKC0000000"}}), 404, 412, "enKashCardId"));

  json b = srv().block_body(f.p, f.account, f.card_id, "L");
  b["otpRequired"] = true;
  b["otpMedium"] = "MFA";
  // A wrong code first (a code far from now).
  b["mfaCode"] = cardcore::totp::code_at(*key, static_cast<int64_t>(::time(nullptr)) - 3600);
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 403, 1001, "mfaCode"));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");

  std::string code = cardcore::totp::code_at(*key, static_cast<int64_t>(::time(nullptr)));
  b["mfaCode"] = code;
  HttpResponse r = srv().partner_post(f.p, "/block", b);
  ASSERT_TRUE(IsOkA(r));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "L");
  // The same code again (for L -> UL) is refused: a TOTP step is single use.
  json back = b;
  back["blockCode"] = "UL";
  HttpResponse again = srv().partner_post(f.p, "/block", back);
  EXPECT_TRUE(IsErr(again, 403, 1001, "mfaCode")) << again.describe();
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "L");
}

TEST_F(ApiBlock, UnknownIdsAre404Code412) {
  auto f = fresh();
  json b = srv().block_body(f.p, f.account, "EKC0000000", "L");
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 404, 412, "enKashCardId"));
  b = srv().block_body(f.p, "CA0000000", f.card_id, "L");
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 404, 412, "cardAccountId"));
  b = srv().block_body(f.p, f.account, f.card_id, "L");
  b["companyId"] = "CEK0000000";
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 404, 412, "companyId"));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
}

}  // namespace
}  // namespace apitest
