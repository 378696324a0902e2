// The operator console's admin API (docs/console.md): login sessions (cookies, CSRF, logout,
// secrets never stored or echoed), the card search by every key, the card page, the actions on a
// card with their audit (channel ADMIN), companies and accounts, the activity view, and refusals
// that change nothing.
#include <sys/wait.h>

#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.h"

namespace apitest {
namespace {

class ApiConsole : public ApiTest {};

// A console session as a browser holds it: the two cookies.
struct Session {
  std::string token, csrf;
  Headers headers(bool with_csrf = true) const {
    Headers h{{"cookie", "cardcore_session=" + token + "; cardcore_csrf=" + csrf}};
    if (with_csrf) h.emplace_back("x-csrf-token", csrf);
    return h;
  }
};

// The value of cookie `name` among the Set-Cookie lines, and that line.
std::pair<std::string, std::string> set_cookie(const HttpResponse& r, const std::string& name) {
  std::string all = r.header("set-cookie");
  size_t at = 0;
  while (at < all.size()) {
    size_t end = all.find('\n', at);
    std::string line = all.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.rfind(name + "=", 0) == 0) {
      std::string value = line.substr(name.size() + 1, line.find(';') - name.size() - 1);
      return {value, line};
    }
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return {"", ""};
}

Session login(const Server& s) {
  HttpResponse r = s.post_json("/admin/v1/session", {{"adminKey", kAdminKey}});
  EXPECT_TRUE(IsOkA(r)) << r.describe();
  Session out{set_cookie(r, "cardcore_session").first, set_cookie(r, "cardcore_csrf").first};
  EXPECT_EQ(out.token.size(), 64u) << r.header("set-cookie");
  EXPECT_EQ(out.csrf.size(), 64u) << r.header("set-cookie");
  return out;
}

HttpResponse console_post(const Server& s, const Session& session, const std::string& path, const json& body,
                          bool with_csrf = true) {
  return s.post_json(path, body, session.headers(with_csrf));
}

json payload_of(const HttpResponse& r) {
  EXPECT_TRUE(IsOkA(r)) << r.describe();
  return IsOkA(r) ? r.j["payload"] : json::object();
}

std::vector<std::string> card_ids(const json& page) {
  std::vector<std::string> out;
  for (const json& c : page["cards"]) out.push_back(c.value("enKashCardId", ""));
  return out;
}

TEST_F(ApiConsole, LoginSetsAStrictHttpOnlySessionThatLogoutEnds) {
  HttpResponse wrong = srv().post_json("/admin/v1/session", {{"adminKey", "not-the-admin-key-at-all"}});
  EXPECT_TRUE(IsErr(wrong, 401, 401, "adminKey")) << wrong.describe();
  EXPECT_EQ(wrong.header("set-cookie"), "");
  EXPECT_EQ(wrong.body.find("not-the-admin-key"), std::string::npos) << "the key given is never echoed";
  HttpResponse missing = srv().post_json("/admin/v1/session", json::object());
  EXPECT_TRUE(IsErr(missing, 422, 422, "adminKey")) << missing.describe();
  HttpResponse as_number = srv().post_json("/admin/v1/session", {{"adminKey", 12345}});
  EXPECT_TRUE(IsErr(as_number, 422, 422, "adminKey")) << as_number.describe();

  HttpResponse r = srv().post_json("/admin/v1/session", {{"adminKey", kAdminKey}});
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  auto [token, token_line] = set_cookie(r, "cardcore_session");
  auto [csrf, csrf_line] = set_cookie(r, "cardcore_csrf");
  EXPECT_NE(token_line.find("HttpOnly"), std::string::npos) << token_line;
  EXPECT_NE(token_line.find("SameSite=Strict"), std::string::npos) << token_line;
  EXPECT_NE(token_line.find("Max-Age=28800"), std::string::npos) << token_line;
  EXPECT_EQ(csrf_line.find("HttpOnly"), std::string::npos) << "the page reads the CSRF cookie: " << csrf_line;
  EXPECT_NE(csrf_line.find("SameSite=Strict"), std::string::npos) << csrf_line;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_EQ(r.j["payload"].value("csrfToken", ""), csrf);
  EXPECT_EQ(r.body.find(token), std::string::npos) << "the session token is only in the HttpOnly cookie";
  EXPECT_EQ(r.body.find(kAdminKey), std::string::npos);
  // Behind TLS the cookies are Secure.
  HttpResponse tls = srv().post_json("/admin/v1/session", {{"adminKey", kAdminKey}}, {{"x-forwarded-proto", "https"}});
  EXPECT_NE(set_cookie(tls, "cardcore_session").second.find("; Secure"), std::string::npos);

  Session s{token, csrf};
  EXPECT_TRUE(IsOkA(console_post(srv(), s, "/admin/v1/companies/list", json::object())));
  // Without the CSRF header, or with another value, the cookie alone does nothing.
  HttpResponse no_csrf = console_post(srv(), s, "/admin/v1/companies/list", json::object(), false);
  EXPECT_TRUE(IsErr(no_csrf, 403, 403, "X-CSRF-Token")) << no_csrf.describe();
  Session forged{token, std::string(64, 'a')};
  EXPECT_TRUE(IsErr(console_post(srv(), forged, "/admin/v1/companies/list", json::object()), 403, 403, "X-CSRF-Token"));
  // A session finds cards and acts on them; what shows or changes partner secrets and logins
  // takes the admin key.
  for (const char* path : {"/admin/v1/partners", "/admin/v1/partners/webhookSecret", "/admin/v1/partners/webhookUrl",
                           "/admin/v1/cardholders/mfa", "/admin/v1/logins/unlock", "/admin/v1/companies", "/admin/v1/plans"}) {
    HttpResponse r = console_post(srv(), s, path, {{"partnerId", "CR0000000"}, {"name", "x"}});
    EXPECT_TRUE(IsErr(r, 403, 403, "admin key")) << path << " " << r.describe();
  }
  // A refused CSRF token changes nothing.
  HttpResponse forged_fund = console_post(srv(), forged, "/admin/v1/cardAccounts/fund",
                                          {{"companyId", "CEK0000000"}, {"cardAccountId", "CA0000000"}, {"amount", 1},
                                           {"reference", "FORGED"}});
  EXPECT_TRUE(IsErr(forged_fund, 403, 403, "X-CSRF-Token")) << forged_fund.describe();
  // A made-up session token is not a session.
  Session made_up{std::string(64, 'b'), csrf};
  EXPECT_TRUE(IsErr(console_post(srv(), made_up, "/admin/v1/companies/list", json::object()), 401, 401, "session"));

  // The store keeps digests only: neither token is stored.
  const std::string stored = srv().stored_bytes();
  EXPECT_EQ(stored.find(token), std::string::npos);
  EXPECT_EQ(stored.find(csrf), std::string::npos);

  // A login that still carries a session cookie ends that session: a planted cookie never acts.
  Session planted = login(srv());
  HttpResponse relogin = srv().post_json("/admin/v1/session", {{"adminKey", kAdminKey}}, planted.headers(false));
  ASSERT_TRUE(IsOkA(relogin)) << relogin.describe();
  EXPECT_TRUE(IsErr(console_post(srv(), planted, "/admin/v1/companies/list", json::object()), 401, 401, "session"));
  EXPECT_NE(set_cookie(relogin, "cardcore_session").first, planted.token);

  HttpResponse out = console_post(srv(), s, "/admin/v1/session/logout", json::object());
  ASSERT_TRUE(IsOkA(out)) << out.describe();
  EXPECT_NE(set_cookie(out, "cardcore_session").second.find("Max-Age=0"), std::string::npos) << out.header("set-cookie");
  HttpResponse after = console_post(srv(), s, "/admin/v1/companies/list", json::object());
  EXPECT_TRUE(IsErr(after, 401, 401, "session")) << after.describe();
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/session/logout", json::object()), 401, 401));
}

TEST_F(ApiConsole, FindsACardByEveryKeyInPages) {
  auto f = fresh({{"mobile", "9811122233"}});
  const std::string last4 = f.card.value("maskedNumber", "").substr(15);
  ASSERT_EQ(last4.size(), 4u);
  Session s = login(srv());
  auto find = [&](const std::string& query, const std::string& by) {
    return payload_of(console_post(srv(), s, "/admin/v1/search", {{"query", query}, {"by", by}, {"limit", 100}}));
  };
  auto contains = [&](const json& page) {
    std::vector<std::string> ids = card_ids(page);
    return std::find(ids.begin(), ids.end(), f.card_id) != ids.end();
  };
  EXPECT_TRUE(contains(find(last4, "LAST4")));
  EXPECT_TRUE(contains(find(last4, "ANY")));
  EXPECT_TRUE(contains(find("9811122233", "MOBILE")));
  EXPECT_TRUE(contains(find(f.card_id, "CARD")));
  EXPECT_TRUE(contains(find(f.card_id, "ANY")));
  EXPECT_TRUE(contains(find(f.account, "ACCOUNT")));
  EXPECT_TRUE(contains(find(f.p.company_id, "COMPANY")));
  // A part of the company's name, in another case.
  std::string part = f.p.company_name.substr(0, 6);
  std::transform(part.begin(), part.end(), part.begin(), [](unsigned char c) { return std::toupper(c); });
  EXPECT_TRUE(contains(find(part, "COMPANY"))) << part;
  // A LIKE wildcard in the query is a plain character.
  EXPECT_FALSE(contains(find("%", "COMPANY")));
  // A transaction's reference.
  HttpResponse fund = srv().admin_post("/admin/v1/cardAccounts/fund", {{"companyId", f.p.company_id},
                                                                      {"cardAccountId", f.account},
                                                                      {"amount", 1000}, {"reference", "POOL-" + f.account}});
  ASSERT_TRUE(IsOkA(fund)) << fund.describe();
  const std::string reference = "CONSOLE-LOAD-" + f.card_id;
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/balance", {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                                          {"enKashCardId", f.card_id}, {"amount", 10},
                                                          {"transactionType", "CR"}, {"uniqueReferenceNumber", reference}})));
  EXPECT_TRUE(contains(find(reference, "REFERENCE")));
  EXPECT_TRUE(contains(find(reference, "ANY")));
  EXPECT_TRUE(card_ids(find("NO-SUCH-REFERENCE-" + f.card_id, "ANY")).empty());

  // Pages: three cards of one account, two at a time.
  srv().create_card(f.p, f.account);
  srv().create_card(f.p, f.account);
  json first = payload_of(console_post(srv(), s, "/admin/v1/search", {{"query", f.account}, {"by", "ACCOUNT"}, {"limit", 2}}));
  ASSERT_EQ(first["cards"].size(), 2u) << first.dump();
  ASSERT_TRUE(first["next"].is_string());
  json second = payload_of(console_post(srv(), s, "/admin/v1/search",
                                        {{"query", f.account}, {"by", "ACCOUNT"}, {"limit", 2}, {"after", first["next"]}}));
  ASSERT_EQ(second["cards"].size(), 1u) << second.dump();
  EXPECT_TRUE(second["next"].is_null());
  std::vector<std::string> all = card_ids(first);
  all.push_back(card_ids(second)[0]);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  // The search answers a card's masked number, never the number.
  EXPECT_EQ(first["cards"][0].value("maskedNumber", "").substr(0, 15), "XXXX XXXX XXXX ");

  // Refusals name the field.
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/search", {{"query", "12a4"}, {"by", "LAST4"}}), 422, 422, "query"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/search", {{"query", "123"}, {"by", "MOBILE"}}), 422, 422, "query"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/search", {{"query", "x"}, {"by", "PAN"}}), 422, 422, "by"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/search", json::object()), 422, 422, "query"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/search", {{"query", "x"}, {"limit", 0}}), 422, 422, "limit"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/search", {{"query", 5}}), 422, 422, "query"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/search", {{"query", "4111111111111111"}}), 422, 422, "query"))
      << "a card number is never searched";
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/search", {{"query", "4111 1111-1111 1111"}}), 422, 422, "query"));
  EXPECT_TRUE(IsOkA(console_post(srv(), s, "/admin/v1/search", {{"query", "633012345679"}, {"by", "REFERENCE"}})))
      << "a 12-digit RRN is searched";
  // The admin key works for the same API (scripts, curl).
  EXPECT_TRUE(IsOkA(srv().admin_post("/admin/v1/search", {{"query", f.card_id}})));
}

TEST_F(ApiConsole, LockDeclinesWith62UnlockAndBlockAreAuditedWithChannelAdmin) {
  auto f = fresh();
  ASSERT_TRUE(IsOkA(srv().admin_post("/admin/v1/cardAccounts/fund", {{"companyId", f.p.company_id},
                                                                   {"cardAccountId", f.account},
                                                                   {"amount", 5000}, {"reference", "POOL-" + f.account}})));
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/balance", {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                                          {"enKashCardId", f.card_id}, {"amount", 1000},
                                                          {"transactionType", "CR"},
                                                          {"uniqueReferenceNumber", "LOAD-" + f.card_id}})));
  Session s = login(srv());
  const json card_ref = {{"enKashCardId", f.card_id}};

  // A refused action changes nothing.
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/cards/status", {{"enKashCardId", f.card_id}, {"status", "L"}}),
                    422, 422, "reason"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/cards/status",
                                 {{"enKashCardId", f.card_id}, {"status", "AP"}, {"reason", "x"}}),
                    422, 422, "status"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/cards/status",
                                 {{"enKashCardId", "EKC0000000000"}, {"status", "L"}, {"reason", "x"}}),
                    404, 412, "enKashCardId"));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");

  HttpResponse lock = console_post(srv(), s, "/admin/v1/cards/status",
                                   {{"enKashCardId", f.card_id}, {"status", "L"}, {"reason", "holder reported it lost"}});
  ASSERT_TRUE(IsOkA(lock)) << lock.describe();
  EXPECT_EQ(lock.j["payload"]["card"]["cardStatus"]["name"], "L");
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "L");

  // A sandbox authorization on the locked card: declined 62, shown on the card page.
  json auth = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardId", f.card_id},
               {"amount", 100}, {"channel", "POS"}, {"merchantName", "Console Store"}, {"mcc", "5411"}};
  HttpResponse declined = srv().post_json("/api/v0/sandbox/authorizations", auth,
                                          {{"authorization", "Bearer " + f.p.access_token}, {"partnerId", f.p.partner_id}});
  ASSERT_TRUE(IsOkA(declined)) << declined.describe();
  EXPECT_EQ(declined.j["payload"].value("responseCode", ""), "62");
  json txns = payload_of(console_post(srv(), s, "/admin/v1/cards/transactions", card_ref));
  ASSERT_GE(txns["transactions"].size(), 2u) << txns.dump();
  const json& newest = txns["transactions"][0];
  EXPECT_EQ(newest.value("status", ""), "DECLINED");
  EXPECT_EQ(newest["responseCode"], "62");
  EXPECT_EQ(newest["responseMeaning"], "restricted card (locked)");
  EXPECT_TRUE(txns["transactions"][1]["responseCode"].is_null()) << "a load is no decision";
  // And in the activity view, last hour and last day.
  json act = payload_of(console_post(srv(), s, "/admin/v1/activity", json::object()));
  for (const char* range : {"lastHour", "lastDay"}) {
    int64_t n = 0;
    for (const json& c : act[range]["counts"]) {
      if (c["responseCode"] == "62") n += c["count"].get<int64_t>();
      EXPECT_GE(c["bucket"].get<int64_t>(), 0);
      EXPECT_LT(c["bucket"].get<int64_t>(), act[range]["buckets"].get<int64_t>());
    }
    EXPECT_GE(n, 1) << range << " " << act.dump();
  }
  EXPECT_EQ(act["responseCodes"]["62"], "restricted card (locked)");

  ASSERT_TRUE(IsOkA(console_post(srv(), s, "/admin/v1/cards/status",
                                 {{"enKashCardId", f.card_id}, {"status", "UL"}, {"reason", "card found"}})));
  json detail = payload_of(console_post(srv(), s, "/admin/v1/cards/detail", card_ref));
  const json& changes = detail["statusChanges"];
  ASSERT_EQ(changes.size(), 3u) << detail.dump();
  EXPECT_EQ(changes[1]["to"], "L");
  EXPECT_EQ(changes[1]["reason"], "holder reported it lost");
  EXPECT_EQ(changes[1]["channel"], "ADMIN");
  EXPECT_EQ(changes[1]["actor"].get<std::string>().rfind("console:", 0), 0u) << changes[1].dump();
  EXPECT_EQ(changes[2]["to"], "UL");
  EXPECT_EQ(detail["card"]["cardStatus"]["name"], "UL");
  EXPECT_EQ(paise(detail["card"]["balance"]), 1000'00);
  EXPECT_EQ(paise(detail["card"]["availableBalance"]), 1000'00);
  EXPECT_EQ(detail["account"]["cardAccountId"], f.account);
  EXPECT_TRUE(detail["physicalOrder"].is_null());
  EXPECT_EQ(detail["used"]["today"]["count"], 0);

  // The audit trail has each action, with channel ADMIN and the session as actor.
  json audit = payload_of(srv().admin_post("/admin/v1/audit", {{"partnerId", f.p.partner_id}, {"objectId", f.card_id}}));
  int status_actions = 0;
  for (const json& e : audit["entries"]) {
    if (e["action"] != "card.status") continue;
    ++status_actions;
    EXPECT_EQ(e["detail"]["channel"], "ADMIN");
    EXPECT_EQ(e["actor"].get<std::string>().rfind("console:", 0), 0u);
  }
  EXPECT_EQ(status_actions, 2) << audit.dump();

  // BL is for good: the console cannot undo it either.
  ASSERT_TRUE(IsOkA(console_post(srv(), s, "/admin/v1/cards/status",
                                 {{"enKashCardId", f.card_id}, {"status", "BL"}, {"reason", "fraud confirmed"}})));
  HttpResponse undo = console_post(srv(), s, "/admin/v1/cards/status",
                                   {{"enKashCardId", f.card_id}, {"status", "UL"}, {"reason", "mistake"}});
  EXPECT_TRUE(IsErr(undo, 409, 1010, "status")) << undo.describe();
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "BL");
}

TEST_F(ApiConsole, RacingIdenticalLocksBothSucceedAndChangeTheCardOnce) {
  auto f = fresh();
  Session s = login(srv());
  std::vector<HttpResponse> answers = in_parallel(8, [&](int) {
    return console_post(srv(), s, "/admin/v1/cards/status",
                        {{"enKashCardId", f.card_id}, {"status", "L"}, {"reason", "reported stolen"}});
  });
  for (const HttpResponse& r : answers) EXPECT_TRUE(IsOkA(r)) << r.describe();
  json detail = payload_of(console_post(srv(), s, "/admin/v1/cards/detail", {{"enKashCardId", f.card_id}}));
  EXPECT_EQ(detail["card"]["cardStatus"]["name"], "L");
  EXPECT_EQ(detail["statusChanges"].size(), 2u) << "issued, then one lock: " << detail["statusChanges"].dump();
}

TEST_F(ApiConsole, UnlocksAPinLockedAfterThreeWrongTries) {
  auto f = fresh();
  ASSERT_TRUE(IsOkA(srv().admin_post("/admin/v1/cardAccounts/fund", {{"companyId", f.p.company_id},
                                                                   {"cardAccountId", f.account},
                                                                   {"amount", 100}, {"reference", "POOL-" + f.account}})));
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/balance", {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                                          {"enKashCardId", f.card_id}, {"amount", 50},
                                                          {"transactionType", "CR"},
                                                          {"uniqueReferenceNumber", "LOAD-" + f.card_id}})));
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/setPin", {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                                         {"enKashCardId", f.card_id}, {"pinBlock", "1234"},
                                                         {"otpRequired", false}, {"otpMedium", "MOBILE"}})));
  const Headers partner{{"authorization", "Bearer " + f.p.access_token}, {"partnerId", f.p.partner_id}};
  auto authorize = [&](const std::string& pin) {
    HttpResponse r = srv().post_json("/api/v0/sandbox/authorizations",
                                     {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                      {"enKashCardId", f.card_id}, {"amount", 1}, {"channel", "POS"},
                                      {"mcc", "5411"}, {"pin", pin}},
                                     partner);
    EXPECT_TRUE(IsOkA(r)) << r.describe();
    return r.j["payload"].value("responseCode", "");
  };
  Session s = login(srv());
  EXPECT_EQ(authorize("9999"), "55");
  HttpResponse early = console_post(srv(), s, "/admin/v1/cards/pin/unlock", {{"enKashCardId", f.card_id}, {"reason", "x"}});
  EXPECT_TRUE(IsErr(early, 409, 1011, "not locked")) << "one wrong PIN is no lock: " << early.describe();
  for (int i = 0; i < 2; ++i) EXPECT_EQ(authorize("9999"), "55");
  EXPECT_EQ(authorize("1234"), "75") << "the PIN is locked";
  json detail = payload_of(console_post(srv(), s, "/admin/v1/cards/detail", {{"enKashCardId", f.card_id}}));
  EXPECT_EQ(detail["card"]["pinLocked"], true);
  EXPECT_EQ(detail["card"]["wrongPinCount"], 3);
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/cards/pin/unlock", {{"enKashCardId", f.card_id}}), 422, 422,
                    "reason"));
  HttpResponse unlock = console_post(srv(), s, "/admin/v1/cards/pin/unlock",
                                     {{"enKashCardId", f.card_id}, {"reason", "holder verified on the phone"}});
  ASSERT_TRUE(IsOkA(unlock)) << unlock.describe();
  EXPECT_EQ(unlock.j["payload"]["card"]["pinLocked"], false);
  EXPECT_EQ(authorize("1234"), "00") << "the right PIN works again";
  json audit = payload_of(srv().admin_post("/admin/v1/audit", {{"partnerId", f.p.partner_id}, {"objectId", f.card_id}}));
  bool audited = false;
  for (const json& e : audit["entries"]) {
    audited = audited || (e["action"] == "card.pin_unlock" && e["detail"]["channel"] == "ADMIN" &&
                          e["detail"]["reason"] == "holder verified on the phone" && e["detail"]["wrongPinsBefore"] == 3);
  }
  EXPECT_TRUE(audited) << audit.dump();
}

TEST_F(ApiConsole, CompaniesAccountsAndFundingThroughASession) {
  auto f = fresh();
  Session s = login(srv());
  // Every company, in pages, this one among them.
  std::string after;
  bool seen = false;
  for (int page = 0; page < 1000; ++page) {
    json p = payload_of(console_post(srv(), s, "/admin/v1/companies/list", {{"after", after}, {"limit", 100}}));
    for (const json& c : p["companies"]) seen = seen || c["companyId"] == f.p.company_id;
    if (p["next"].is_null()) break;
    after = p["next"].get<std::string>();
  }
  EXPECT_TRUE(seen);
  json company = payload_of(console_post(srv(), s, "/admin/v1/companies/detail", {{"companyId", f.p.company_id}}));
  EXPECT_EQ(company["partnerId"], f.p.partner_id);
  ASSERT_EQ(company["cardAccounts"].size(), 1u) << company.dump();
  EXPECT_EQ(company["cardAccounts"][0]["cardAccountId"], f.account);
  EXPECT_EQ(paise(company["cardAccounts"][0]["poolBalance"]), 0);
  EXPECT_EQ(company["cardAccounts"][0]["cards"], 1);

  HttpResponse fund = console_post(srv(), s, "/admin/v1/cardAccounts/fund",
                                   {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                    {"amount", "100000.50"}, {"reference", "NEFT-CONSOLE-" + f.account}});
  ASSERT_TRUE(IsOkA(fund)) << fund.describe();
  // The same reference again changes nothing.
  HttpResponse again = console_post(srv(), s, "/admin/v1/cardAccounts/fund",
                                    {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                     {"amount", "100000.50"}, {"reference", "NEFT-CONSOLE-" + f.account}});
  EXPECT_TRUE(IsErr(again, 409, 409, "reference")) << again.describe();
  json account = payload_of(console_post(srv(), s, "/admin/v1/cardAccounts/detail", {{"cardAccountId", f.account}}));
  EXPECT_EQ(paise(account["cardAccount"]["poolBalance"]), 100000'50);
  ASSERT_EQ(account["cards"].size(), 1u);
  EXPECT_EQ(account["cards"][0]["enKashCardId"], f.card_id);
  json audit = payload_of(srv().admin_post("/admin/v1/audit", {{"partnerId", f.p.partner_id}, {"objectId", f.account}}));
  ASSERT_FALSE(audit["entries"].empty());
  EXPECT_EQ(audit["entries"][0]["action"], "card_account.fund");
  EXPECT_EQ(audit["entries"][0]["detail"]["channel"], "ADMIN");
  EXPECT_EQ(audit["entries"][0]["actor"].get<std::string>().rfind("console:", 0), 0u);

  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/companies/detail", {{"companyId", "CEK0000000"}}), 404, 412, "companyId"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/cardAccounts/detail", {{"cardAccountId", "CA0000000"}}), 404, 412,
                    "cardAccountId"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/cards/detail", {{"enKashCardId", "EKC0000000000"}}), 404, 412,
                    "enKashCardId"));
  EXPECT_TRUE(IsErr(console_post(srv(), s, "/admin/v1/cards/transactions", json::object()), 422, 422, "enKashCardId"));
  EXPECT_TRUE(IsErr(srv().post_raw("/admin/v1/cards/detail", "{not json", s.headers()), 400, 422)) << "malformed JSON";
}

TEST_F(ApiConsole, ACardsWebhookDeliveriesAndTheFailingOnesAreShown) {
  auto f = fresh();
  // The partner's receiver is a loopback port nobody listens on: every delivery fails.
  const std::string url = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/hooks";
  ASSERT_TRUE(IsOkA(srv().admin_post("/admin/v1/partners/webhookUrl", {{"partnerId", f.p.partner_id}, {"webhookUrl", url}})));
  Session s = login(srv());
  ASSERT_TRUE(IsOkA(console_post(srv(), s, "/admin/v1/cards/status",
                                 {{"enKashCardId", f.card_id}, {"status", "L"}, {"reason", "webhook check"}})));
  json deliveries;
  for (int i = 0; i < 150; ++i) {  // bounded: the worker's first attempt comes within a poll interval
    json d = payload_of(console_post(srv(), s, "/admin/v1/cards/detail", {{"enKashCardId", f.card_id}}));
    deliveries = d["webhookDeliveries"];
    if (!deliveries.empty() && deliveries[0].value("attempts", 0) >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(deliveries.size(), 1u) << deliveries.dump();
  const json& e = deliveries[0];
  EXPECT_EQ(e["type"], "card.status_changed");
  EXPECT_EQ(e["enKashCardId"], f.card_id);
  EXPECT_EQ(e["state"], "PENDING");
  EXPECT_GE(e["attempts"].get<int>(), 1) << e.dump();
  EXPECT_FALSE(e["lastError"].get<std::string>().empty());
  EXPECT_TRUE(e["nextAttemptOn"].is_string());
  // The activity view counts it among the failing, and lists it.
  json act = payload_of(console_post(srv(), s, "/admin/v1/activity", json::object()));
  EXPECT_GE(act["webhooks"]["retrying"].get<int64_t>(), 1);
  bool listed = false;
  for (const json& p : act["webhooks"]["problems"]) listed = listed || p["eventId"] == e["eventId"];
  EXPECT_TRUE(listed) << act["webhooks"].dump();
}

TEST_F(ApiConsole, ServesTheConsolePageUnderAStrictPolicy) {
  HttpResponse page = srv().get("/console");
  ASSERT_EQ(page.status, 200) << page.describe();
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  const std::string csp = page.header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  for (const char* asset : {"/console/app.js", "/console/console.css", "/console/vendor/chart.umd.js"}) {
    EXPECT_NE(page.body.find(asset), std::string::npos) << asset;
    HttpResponse a = srv().get(asset);
    EXPECT_EQ(a.status, 200) << asset;
    EXPECT_GT(a.body.size(), 1000u) << asset;
  }
  EXPECT_EQ(page.body.find("http://"), std::string::npos) << "nothing remote";
  EXPECT_EQ(page.body.find("https://"), std::string::npos) << "nothing remote";
  for (const char* bad : {"/console/../admin.key", "/console/vendor/chart.js", "/console/.env", "/console/vendor/../../package.json"}) {
    EXPECT_EQ(srv().get(bad).status, 404) << bad;
  }
}

// The console in a real browser: tests/e2e/console.js drives Debian's chromium through
// playwright-core and checks every page with axe-core. Its screenshots go to the server's data
// directory, or to $CARDCORE_CONSOLE_SCREENSHOTS (scripts/console-screenshots: docs/console/).
TEST(ConsoleE2E, AnOperatorWorksACardInChromium) {
  const char* chromium = std::getenv("CARDCORE_CHROMIUM");
  const std::string browser = chromium && *chromium ? chromium : "/usr/bin/chromium";
  ASSERT_TRUE(std::filesystem::exists(browser)) << browser << " is missing: run scripts/setup (Debian's chromium)";
  ASSERT_TRUE(std::filesystem::exists(std::string(CARDCORE_E2E_DIR) + "/node_modules/playwright-core"))
      << "playwright-core is not installed in tests/e2e/node_modules: run scripts/setup";
  auto s = Server::start();
  ASSERT_TRUE(s);
  const char* shots_env = std::getenv("CARDCORE_CONSOLE_SCREENSHOTS");
  const std::string shots = shots_env && *shots_env ? shots_env : s->dir() + "/screenshots";
  const std::string out = s->dir() + "/console-e2e.out";
  const std::string cmd = std::string("cd '") + CARDCORE_E2E_DIR + "' && timeout 300 node console.js --base http://127.0.0.1:" +
                          std::to_string(s->port()) + " --admin-key '" + kAdminKey + "' --screenshots '" + shots +
                          "' --chromium '" + browser + "' > '" + out + "' 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(out);
  const std::string log((std::istreambuf_iterator<char>(in)), {});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the console scenario failed:\n" << log;
  for (const char* page : {"login", "search", "card", "activity", "account", "card-phone"}) {
    EXPECT_TRUE(std::filesystem::exists(shots + "/" + page + ".png")) << page;
  }
}

}  // namespace
}  // namespace apitest
