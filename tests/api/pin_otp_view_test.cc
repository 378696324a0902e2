// Item 7: Set PIN, Generate OTP, View Card, and the card number/CVV never stored or logged in clear.
#include <regex>

#include "harness.h"

namespace apitest {
namespace {

class ApiPin : public ApiTest {};
class ApiOtp : public ApiTest {};
class ApiView : public ApiTest {};

json pin_body(const PartnerCreds& p, const std::string& acc, const std::string& card, const json& pin) {
  return {{"companyId", p.company_id}, {"cardAccountId", acc}, {"enKashCardId", card},
          {"pinBlock", pin},           {"otpRequired", false}, {"otpMedium", "MOBILE"}};
}

TEST_F(ApiPin, PinAsNumberAndAsString) {
  auto f = fresh();
  HttpResponse r = srv().partner_post(f.p, "/setPin", pin_body(f.p, f.account, f.card_id, 1234));
  ASSERT_TRUE(IsOkA(r));
  EXPECT_EQ(r.j["payload"], "Success");
  EXPECT_EQ(srv().search_card(f.p, f.account, f.card_id)["pinSet"], true);

  // As a string, with a SET_PIN OTP.
  auto [id, code] = srv().otp(f.p, f.account, f.card_id, "SET_PIN");
  json b = pin_body(f.p, f.account, f.card_id, "4321");
  b["otpRequired"] = true;
  b["otpRequestId"] = id;
  b["otp"] = code;
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/setPin", b)));
  // The OTP is spent.
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/setPin", b), 403, 1001, "otp"));
  // No PIN in the log.
  EXPECT_EQ(srv().read_file("stderr.log").find("4321\""), std::string::npos);
}

TEST_F(ApiPin, BadPinsAre422) {
  auto f = fresh();
  for (json pin : {json("12a4"), json("123"), json("12345"), json(123), json(12345), json(""), json(12.5), json(true)}) {
    HttpResponse r = srv().partner_post(f.p, "/setPin", pin_body(f.p, f.account, f.card_id, pin));
    EXPECT_TRUE(IsErr(r, 422, 422, "pinBlock")) << pin.dump() << " -> " << r.describe();
  }
  EXPECT_EQ(srv().search_card(f.p, f.account, f.card_id)["pinSet"], false);
}

TEST_F(ApiPin, PhysicalApCardBecomesUlAfterPinSet) {
  PartnerCreds p = srv().admin_create_partner("Pin Phys");
  std::string acc = srv().create_account(p);
  json c = srv().create_card(p, acc, {{"physicalCard", true}, {"address", "1 MG Road"}, {"city", "Bengaluru"},
                                       {"state", "KA"}, {"country", "IN"}, {"pincode", "560001"}});
  ASSERT_TRUE(c.is_object());
  std::string id = c["enKashCardId"];
  ASSERT_EQ(srv().card_status(p, acc, id), "AP");
  ASSERT_TRUE(IsOkA(srv().partner_post(p, "/setPin", pin_body(p, acc, id, "2580"))));
  EXPECT_EQ(srv().card_status(p, acc, id), "UL");
  json h = srv().card_history(id);
  ASSERT_EQ(h["statusChanges"].size(), 2u) << h.dump();
  EXPECT_EQ(h["statusChanges"][1]["from"], "AP");
  EXPECT_EQ(h["statusChanges"][1]["to"], "UL");
}

TEST_F(ApiPin, BlockedCardRefusesPin) {
  auto f = fresh();
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, "BL"))));
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/setPin", pin_body(f.p, f.account, f.card_id, "1234")), 409, 1010));
  EXPECT_EQ(srv().search_card(f.p, f.account, f.card_id)["pinSet"], false);
}

TEST_F(ApiOtp, GenerateAnswersIdAndSendsTheCodeBySmsOnly) {
  auto f = fresh();
  HttpResponse r = srv().partner_post(f.p, "/otp", {{"cardAccountId", f.account}, {"enKashCardId", f.card_id},
                                                    {"cardOtpAction", "BLOCK_CARD"}});
  ASSERT_TRUE(IsOkA(r));
  const json& pl = r.j["payload"];
  std::set<std::string> keys;
  for (auto it = pl.begin(); it != pl.end(); ++it) keys.insert(it.key());
  EXPECT_EQ(keys, (std::set<std::string>{"otpRequestId", "expiresInSeconds", "maskedMobile"}));
  std::string id = pl.value("otpRequestId", "");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(pl["expiresInSeconds"], 300);
  EXPECT_EQ(pl.value("maskedMobile", ""), "XXXXXX3210");
  auto code = srv().outbox_code(id);
  ASSERT_TRUE(code.has_value());
  EXPECT_TRUE(all_digits(*code, 6)) << *code;
  EXPECT_EQ(r.body.find(*code), std::string::npos) << "the OTP leaked into the HTTP answer";
  for (auto& [k, v] : r.headers) EXPECT_EQ(v.find(*code), std::string::npos) << k;
  // The outbox line names the right phone.
  EXPECT_NE(srv().read_file("sms-outbox.jsonl").find("\"to\":\"9876543210\""), std::string::npos);
  // Not in the server log either.
  EXPECT_EQ(srv().read_file("stderr.log").find(*code + " is your OTP"), std::string::npos);
  // Each request has its own id.
  auto [id2, code2] = srv().otp(f.p, f.account, f.card_id, "BLOCK_CARD");
  EXPECT_NE(id2, id);
}

TEST_F(ApiOtp, BadActionAndUnknownCard) {
  auto f = fresh();
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/otp", {{"cardAccountId", f.account}, {"enKashCardId", f.card_id},
                                                     {"cardOtpAction", "LAUNCH_ROCKET"}}),
                    422, 422, "cardOtpAction"));
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/otp", {{"cardAccountId", f.account}, {"enKashCardId", "EKC0000000"},
                                                     {"cardOtpAction", "BLOCK_CARD"}}),
                    404, 412, "enKashCardId"));
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/otp", {{"enKashCardId", f.card_id}, {"cardOtpAction", "BLOCK_CARD"}}),
                    422, 422, "cardAccountId"));
}

TEST_F(ApiOtp, TransactionOtpIsAcceptedForBlock) {
  auto f = fresh();
  auto [id, code] = srv().otp(f.p, f.account, f.card_id, "TRANSACTION_OTP");
  json b = srv().block_body(f.p, f.account, f.card_id, "L");
  b["otpRequired"] = true;
  b["otpRequestId"] = id;
  b["otp"] = code;
  EXPECT_TRUE(IsOkA(srv().partner_post(f.p, "/block", b)));
}

json view_body(const PartnerCreds& p, const std::string& acc, const std::string& card) {
  return {{"companyId", p.company_id}, {"cardAccountId", acc}, {"enKashCardId", card}, {"otpMedium", "MOBILE"}};
}

bool has_16_digits(const std::string& s) { return std::regex_search(s, std::regex("[0-9]{16}")); }

TEST_F(ApiView, NeedsAValidOtpEvenWhenOtpRequiredFalse) {
  auto f = fresh();
  json b = view_body(f.p, f.account, f.card_id);
  b["otpRequired"] = false;
  HttpResponse r = srv().partner_post(f.p, "/viewCard", b);
  EXPECT_TRUE(IsErr(r, 403, 1001, "otpRequestId")) << r.describe();
  EXPECT_FALSE(has_16_digits(r.body));
  EXPECT_EQ(r.body.find("cvv"), std::string::npos);
}

TEST_F(ApiView, WrongOtpIsRefusedWithoutCardNumber) {
  auto f = fresh();
  auto [id, code] = srv().otp(f.p, f.account, f.card_id, "VIEW_CARD");
  json b = view_body(f.p, f.account, f.card_id);
  b["otpRequired"] = true;
  b["otpRequestId"] = id;
  b["otp"] = code == "123456" ? "654321" : "123456";
  HttpResponse r = srv().partner_post(f.p, "/viewCard", b);
  EXPECT_TRUE(IsErr(r, 403, 1001, "otp")) << r.describe();
  EXPECT_FALSE(has_16_digits(r.body));
  EXPECT_FALSE(r.j.contains("cardNumber"));
  // A BLOCK_CARD OTP does not open the card details.
  auto [bid, bcode] = srv().otp(f.p, f.account, f.card_id, "BLOCK_CARD");
  b["otpRequestId"] = bid;
  b["otp"] = bcode;
  HttpResponse r2 = srv().partner_post(f.p, "/viewCard", b);
  EXPECT_TRUE(IsErr(r2, 403, 1001, "otpRequestId")) << r2.describe();
  EXPECT_FALSE(has_16_digits(r2.body));
}

TEST_F(ApiView, ValidOtpShowsNumberAndCvvWhichNeverLeakElsewhere) {
  auto f = fresh();
  auto [id, code] = srv().otp(f.p, f.account, f.card_id, "VIEW_CARD");
  json b = view_body(f.p, f.account, f.card_id);
  b["otpRequired"] = false;  // ignored: viewing always needs the proof
  b["otpRequestId"] = id;
  b["otp"] = code;
  HttpResponse r = srv().partner_post(f.p, "/viewCard", b);
  ASSERT_TRUE(IsOkA(r));
  const json& pl = r.j["payload"];
  std::string pan = pl.value("cardNumber", ""), cvv = pl.value("cvv", "");
  ASSERT_TRUE(all_digits(pan, 16)) << pl.dump();
  EXPECT_TRUE(luhn_ok(pan)) << pan;
  EXPECT_EQ(pan.substr(0, 6), "652150");
  EXPECT_TRUE(all_digits(cvv, 3)) << pl.dump();
  std::string masked = f.card.value("maskedNumber", "");
  EXPECT_EQ(masked.substr(masked.size() - 4), pan.substr(12));
  EXPECT_EQ(pl["expiryMonth"], f.card["expiryMonth"]);
  EXPECT_EQ(pl["expiryYear"], f.card["expiryYear"]);
  // The OTP is single use.
  HttpResponse again = srv().partner_post(f.p, "/viewCard", b);
  EXPECT_TRUE(IsErr(again, 403, 1001, "otp")) << again.describe();
  EXPECT_FALSE(has_16_digits(again.body));

  // Every view is audited.
  HttpResponse audit = srv().admin_post("/admin/v1/audit", {{"partnerId", f.p.partner_id}, {"objectId", f.card_id}});
  ASSERT_TRUE(IsOkA(audit));
  int views = 0;
  for (auto& e : audit.j["payload"]["entries"]) views += e.value("action", "") == "card.view";
  EXPECT_EQ(views, 1) << audit.describe();
  EXPECT_EQ(audit.body.find(pan), std::string::npos);

  // Never in clear in the log, the SMS outbox, or the store (SQLite's WAL included).
  std::string log = srv().read_file("stderr.log") + srv().read_file("stdout.log");
  EXPECT_FALSE(log.empty());
  EXPECT_EQ(log.find(pan), std::string::npos) << "PAN in the server log";
  EXPECT_EQ(log.find("\"cvv\""), std::string::npos) << "CVV field in the server log";
  EXPECT_EQ(log.find("cardNumber"), std::string::npos);
  EXPECT_EQ(srv().read_file("sms-outbox.jsonl").find(pan), std::string::npos);
  const std::string stored = srv().stored_bytes();
  EXPECT_NE(stored.find(f.card_id), std::string::npos) << "the card is not in what the store holds";
  EXPECT_EQ(stored.find(pan), std::string::npos) << "PAN in clear in the store";
  EXPECT_EQ(stored.find(pan.substr(0, 12)), std::string::npos) << "PAN prefix+body in clear in the store";
}

TEST_F(ApiView, BlockedCardCannotBeViewed) {
  auto f = fresh();
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, "BL"))));
  HttpResponse o = srv().partner_post(f.p, "/otp", {{"cardAccountId", f.account}, {"enKashCardId", f.card_id},
                                                    {"cardOtpAction", "VIEW_CARD"}});
  EXPECT_TRUE(IsErr(o, 409, 1010)) << o.describe();
  json b = view_body(f.p, f.account, f.card_id);
  b["otpRequired"] = true;
  b["otpRequestId"] = "OTPNOTREAL0";
  b["otp"] = "123456";
  HttpResponse r = srv().partner_post(f.p, "/viewCard", b);
  EXPECT_FALSE(IsOkA(r)) << r.describe();
  EXPECT_FALSE(has_16_digits(r.body));
}

}  // namespace
}  // namespace apitest
