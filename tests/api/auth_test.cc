// Item 2: /oauth/token (password and refresh grants, lockout, unlock) and bearer checks.
#include "harness.h"

namespace apitest {
namespace {

class ApiAuth : public ApiTest {};

bool is_oauth_error(const HttpResponse& r, int status, const std::string& error) {
  return r.status == status && r.is_json && r.j.is_object() && r.j.value("error", "") == error &&
         r.j.contains("error_description") && r.j["error_description"].is_string() && !r.j.contains("access_token");
}

TEST_F(ApiAuth, PasswordGrantAnswersTheExactShape) {
  PartnerCreds p = srv().admin_create_partner("Shape Co", "", "", /*login=*/false);
  HttpResponse r = srv().token(p);
  ASSERT_EQ(r.status, 200) << r.describe();
  ASSERT_TRUE(r.j.is_object());
  std::set<std::string> keys;
  for (auto it = r.j.begin(); it != r.j.end(); ++it) keys.insert(it.key());
  EXPECT_EQ(keys, (std::set<std::string>{"access_token", "token_type", "refresh_token", "expires_in", "scope"}));
  EXPECT_EQ(r.j["token_type"], "bearer");
  EXPECT_EQ(r.j["scope"], "read write trust");
  ASSERT_TRUE(r.j["expires_in"].is_number_integer());
  EXPECT_GT(r.j["expires_in"].get<int64_t>(), 0);
  // At least 128 bits of randomness: 32+ hex characters, and the two differ.
  std::string at = r.j["access_token"], rt = r.j["refresh_token"];
  EXPECT_GE(at.size(), 32u);
  EXPECT_GE(rt.size(), 32u);
  EXPECT_NE(at, rt);
  EXPECT_EQ(r.header("cache-control"), "no-store");
  // The token works.
  HttpResponse s = srv().partner_post(p, "/cardAccount/get", {{"companyId", p.company_id}, {"cardAccountId", "CA0000000"}});
  EXPECT_TRUE(IsErr(s, 404, 412, "cardAccountId", /*b=*/true)) << s.describe();
}

TEST_F(ApiAuth, BadBasicCredentialsAre401InvalidClient) {
  PartnerCreds p = srv().admin_create_partner("Basic Co", "", "", false);
  std::string form = "grant_type=password&username=" + p.username + "&password=" + p.password + "&clientId=" + p.client_id;
  // Wrong secret.
  HttpResponse r1 = srv().post_form("/oauth/token", form, {{"Authorization", "Basic " + base64(p.client_id + ":wrong")}});
  EXPECT_TRUE(is_oauth_error(r1, 401, "invalid_client")) << r1.describe();
  // Missing header.
  HttpResponse r2 = srv().post_form("/oauth/token", form);
  EXPECT_TRUE(is_oauth_error(r2, 401, "invalid_client")) << r2.describe();
  // Not Base64.
  HttpResponse r3 = srv().post_form("/oauth/token", form, {{"Authorization", "Basic !!!not-base64!!!"}});
  EXPECT_TRUE(is_oauth_error(r3, 401, "invalid_client")) << r3.describe();
  // Unknown client.
  HttpResponse r4 = srv().post_form("/oauth/token", form, {{"Authorization", "Basic " + base64("CEKNOPE00:" + p.client_secret)}});
  EXPECT_TRUE(is_oauth_error(r4, 401, "invalid_client")) << r4.describe();
  // None of this counted as a failed password: the right one still works.
  EXPECT_EQ(srv().token(p).status, 200);
}

TEST_F(ApiAuth, ThreeWrongPasswordsLockTheLoginUntilAnAdminUnlocks) {
  PartnerCreds p = srv().admin_create_partner("Lock Co", "", "", false);
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = srv().token_request(p, "wrong-password-" + std::to_string(i));
    EXPECT_TRUE(is_oauth_error(r, 400, "invalid_grant")) << r.describe();
  }
  HttpResponse locked = srv().token_request(p, p.password);
  EXPECT_TRUE(is_oauth_error(locked, 400, "invalid_grant")) << locked.describe();
  EXPECT_EQ(locked.j.value("error_description", ""), "User account is locked");

  // Unlock with the wrong key is refused.
  HttpResponse bad = srv().post_json("/admin/v1/logins/unlock", {{"username", p.username}}, {{"X-Admin-Key", "nope-nope-nope-nope"}});
  EXPECT_TRUE(IsErr(bad, 401, 401));
  EXPECT_EQ(srv().token_request(p, p.password).status, 400);
  // Unknown user.
  EXPECT_TRUE(IsErr(srv().admin_post("/admin/v1/logins/unlock", {{"username", "9999999999"}}), 404, 412, "username"));

  HttpResponse u = srv().admin_post("/admin/v1/logins/unlock", {{"username", p.username}});
  ASSERT_TRUE(IsOkA(u));
  EXPECT_EQ(u.j["payload"], "Success");
  HttpResponse ok = srv().token(p);
  ASSERT_EQ(ok.status, 200) << ok.describe();
  // The counter was reset: two wrong tries do not lock again.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(srv().token_request(p, "wrong").status, 400);
  EXPECT_EQ(srv().token(p).status, 200);
}

TEST_F(ApiAuth, RefreshGrantRotatesThePair) {
  PartnerCreds p = srv().admin_create_partner("Refresh Co");
  std::string old_refresh = p.refresh_token;
  HttpResponse r = srv().refresh(p, old_refresh);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.j.value("token_type", ""), "bearer");
  EXPECT_EQ(r.j.value("scope", ""), "read write trust");
  std::string new_access = r.j.value("access_token", ""), new_refresh = r.j.value("refresh_token", "");
  EXPECT_NE(new_access, p.access_token);
  EXPECT_NE(new_refresh, old_refresh);
  // The new access token works.
  PartnerCreds q = p;
  q.access_token = new_access;
  HttpResponse use = srv().partner_post(q, "/search", {{"companyId", p.company_id}, {"cardAccountId", "CA0000000"}});
  EXPECT_TRUE(IsErr(use, 404, 412, "cardAccountId", true)) << use.describe();
  // The old refresh token is spent.
  HttpResponse again = srv().refresh(p, old_refresh);
  EXPECT_TRUE(is_oauth_error(again, 400, "invalid_grant")) << again.describe();
  // An access token is not a refresh token.
  HttpResponse wrong_kind = srv().refresh(p, new_access);
  EXPECT_TRUE(is_oauth_error(wrong_kind, 400, "invalid_grant")) << wrong_kind.describe();
  // The new refresh token works once.
  EXPECT_EQ(srv().refresh(p, new_refresh).status, 200);
}

TEST_F(ApiAuth, RefreshTokenOfAnotherClientIsRefused) {
  PartnerCreds a = srv().admin_create_partner("A");
  PartnerCreds b = srv().admin_create_partner("B");
  HttpResponse r = srv().refresh(b, a.refresh_token);  // B's client credentials, A's token
  EXPECT_TRUE(is_oauth_error(r, 400, "invalid_grant")) << r.describe();
  EXPECT_EQ(srv().refresh(a, a.refresh_token).status, 200);  // still A's to use
}

TEST_F(ApiAuth, UnsupportedOrMissingGrantType) {
  PartnerCreds p = srv().admin_create_partner("Grant Co", "", "", false);
  Headers basic = {{"Authorization", "Basic " + base64(p.client_id + ":" + p.client_secret)}};
  EXPECT_TRUE(is_oauth_error(srv().post_form("/oauth/token", "grant_type=client_credentials", basic), 400,
                             "unsupported_grant_type"));
  EXPECT_TRUE(is_oauth_error(srv().post_form("/oauth/token", "username=x", basic), 400, "invalid_request"));
}

TEST_F(ApiAuth, MissingOrGarbageBearerIs401InvalidToken) {
  auto f = fresh();
  json body = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardId", f.card_id}};
  std::string path = std::string(kBase) + "/search";
  std::vector<Headers> variants = {
      {{"partnerId", f.p.partner_id}},
      {{"partnerId", f.p.partner_id}, {"authorization", "Bearer "}},
      {{"partnerId", f.p.partner_id}, {"authorization", "Bearer garbage"}},
      {{"partnerId", f.p.partner_id}, {"authorization", "Bearer " + std::string(64, 'a')}},
      {{"partnerId", f.p.partner_id}, {"authorization", "Basic " + base64(f.p.client_id + ":" + f.p.client_secret)}},
      {{"partnerId", f.p.partner_id}, {"authorization", "Bearer " + f.p.refresh_token}},  // wrong kind
  };
  for (const Headers& h : variants) {
    HttpResponse r = srv().post_json(path, body, h);
    EXPECT_TRUE(is_oauth_error(r, 401, "invalid_token")) << r.describe();
    EXPECT_FALSE(r.body.find(f.card_id) != std::string::npos) << r.describe();
  }
  // Header names are case-insensitive.
  HttpResponse ok = srv().post_json(path, body, {{"AUTHORIZATION", "Bearer " + f.p.access_token}, {"PARTNERID", f.p.partner_id}});
  EXPECT_TRUE(IsOkB(ok));
}

TEST_F(ApiAuth, TokenOfPartnerAWithPartnerIdOfBIsRefused) {
  auto a = fresh();
  auto b = fresh();
  json body = {{"companyId", a.p.company_id}, {"cardAccountId", a.account}, {"enKashCardId", a.card_id}};
  HttpResponse r = srv().post_json(std::string(kBase) + "/search", body,
                                   {{"authorization", "Bearer " + a.p.access_token}, {"partnerId", b.p.partner_id}});
  EXPECT_TRUE(IsErr(r, 404, 412, "partnerId", true)) << r.describe();
  json blk = srv().block_body(a.p, a.account, a.card_id, "L");
  HttpResponse r2 = srv().post_json(std::string(kBase) + "/block", blk,
                                    {{"authorization", "Bearer " + a.p.access_token}, {"partnerId", b.p.partner_id}});
  EXPECT_TRUE(IsErr(r2, 404, 412, "partnerId")) << r2.describe();
  // Missing partnerId header.
  HttpResponse r3 = srv().post_json(std::string(kBase) + "/block", blk, {{"authorization", "Bearer " + a.p.access_token}});
  EXPECT_TRUE(IsErr(r3, 422, 422, "partnerId")) << r3.describe();
  EXPECT_EQ(srv().card_status(a.p, a.account, a.card_id), "UL");
}

}  // namespace
}  // namespace apitest
