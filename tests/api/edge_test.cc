// Edge cases beyond the checklist: expiry (short TTLs on a dedicated server), OTP rate limit,
// request ids, token endpoint method, primary card after replacement, blocked-card usage
// controls, deep nesting for encrypted partners, admin content types.
#include <boost/asio.hpp>
#include <thread>

#include "harness.h"
#include "security/payload_crypto.h"

namespace apitest {
namespace {

using namespace std::chrono_literals;

class ApiEdge : public ApiTest {};

TEST_F(ApiEdge, RequestIdIsEchoedWhenSaneElseGenerated) {
  HttpResponse r = srv().get("/healthz", {{"X-Request-Id", "abc-123_XYZ"}});
  EXPECT_EQ(r.header("x-request-id"), "abc-123_XYZ");
  HttpResponse bad = srv().get("/healthz", {{"X-Request-Id", "evil\"id{}"}});
  EXPECT_NE(bad.header("x-request-id"), "evil\"id{}");
  EXPECT_FALSE(bad.header("x-request-id").empty());
}

TEST_F(ApiEdge, TokenEndpointNeedsPost) {
  HttpResponse r = srv().get("/oauth/token");
  EXPECT_EQ(r.status, 405) << r.describe();
  EXPECT_EQ(r.j.value("error", ""), "invalid_request");
}

TEST_F(ApiEdge, AccountPrimaryCardAfterReplacementIsTheNewCard) {
  auto f = fresh();
  ASSERT_EQ(f.card["primaryEnKashCard"], true);
  HttpResponse r = srv().partner_post(f.p, "/replaceCard", {{"enKashCardId", f.card_id}, {"cardAccountId", f.account},
                                                            {"otpMedium", "MOBILE"}, {"otpRequired", false}});
  ASSERT_TRUE(IsOkA(r));
  std::string new_id = r.j["payload"]["enKashCardId"];
  HttpResponse g = srv().partner_post(f.p, "/cardAccount/get", {{"companyId", f.p.company_id}, {"cardAccountId", f.account}});
  ASSERT_TRUE(IsOkB(g));
  EXPECT_EQ(g.j["payload"]["totalCards"], 2);
  EXPECT_EQ(g.j["payload"]["activeCards"], 1);
  ASSERT_TRUE(g.j["payload"]["primaryEnKashCard"].is_object());
  // The blocked, replaced card must not stay the account's primary card.
  EXPECT_EQ(g.j["payload"]["primaryEnKashCard"]["enKashCardId"], new_id) << g.describe();
  EXPECT_EQ(srv().search_card(f.p, f.account, f.card_id)["primaryEnKashCard"], false)
      << "old (BL, replaced) card still flagged primary";
}

TEST_F(ApiEdge, BlockedCardRefusesUsageControls) {
  auto f = fresh();
  ASSERT_TRUE(IsOkA(srv().partner_post(f.p, "/block", srv().block_body(f.p, f.account, f.card_id, "BL"))));
  HttpResponse r = srv().partner_post(f.p, "/velocity/rule", {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                                              {"enKashCardIds", f.card_id}, {"perTxnLimit", 5}});
  EXPECT_TRUE(IsErr(r, 409, 1010, "enKashCardIds")) << r.describe();
}

TEST_F(ApiEdge, DeepNestingToAnEncryptedPartnerIsRefusedAndServerSurvives) {
  PartnerCreds p = srv().admin_create_partner("Deep Crypto", "", "aes128ecb");
  std::string deep = std::string(30000, '[') + std::string(30000, ']');
  HttpResponse r = srv().partner_post_raw(p, "/search", deep);
  EXPECT_EQ(r.status, 400) << r.describe();
  EXPECT_EQ(srv().get("/healthz").status, 200) << "server died on a deeply nested body";
  std::string deep_obj = "{\"request\":" + std::string(30000, '[') + std::string(30000, ']') + "}";
  HttpResponse r2 = srv().partner_post_raw(p, "/search", deep_obj);
  EXPECT_EQ(r2.status, 400) << r2.describe();
  EXPECT_EQ(srv().get("/healthz").status, 200) << "server died on a deeply nested body";
  // Encrypted deep nesting.
  std::string key = cardcore::payload_crypto::derive_key(p.client_secret);
  HttpResponse r3 = srv().partner_post(p, "/search", {{"request", cardcore::payload_crypto::encrypt_to_base64(key, std::string(20000, '[') + std::string(20000, ']'))}});
  EXPECT_EQ(r3.status, 400) << r3.describe();
  EXPECT_EQ(srv().get("/healthz").status, 200);
}

TEST_F(ApiEdge, AdminAcceptsJsonContentTypeCaseInsensitively) {
  // Media types are case-insensitive (RFC 9110 8.3.1); the partner API already accepts this.
  HttpResponse r = srv().post_json("/admin/v1/partners", {{"name", "Case Co"}},
                                   {{"X-Admin-Key", kAdminKey}, {"Content-Type", "Application/JSON"}});
  EXPECT_TRUE(IsOkA(r)) << r.describe();
  HttpResponse r2 = srv().post_json("/admin/v1/partners", {{"name", "Param Co"}},
                                    {{"X-Admin-Key", kAdminKey}, {"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_TRUE(IsOkA(r2)) << r2.describe();
}

TEST_F(ApiEdge, DuplicatePartnerMobileIs409) {
  std::string mobile = "9" + std::to_string(100000000 + (::getpid() * 7919) % 899999999);
  PartnerCreds a = srv().admin_create_partner("Dup A", mobile, "", false);
  ASSERT_EQ(a.username, mobile);
  HttpResponse r = srv().admin_post("/admin/v1/partners", {{"name", "Dup B"}, {"mobile", mobile}});
  EXPECT_TRUE(IsErr(r, 409, 409, "mobile")) << r.describe();
}

std::string raw_exchange(uint16_t port, const std::string& bytes) {
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ip::tcp::socket sock(ioc);
  sock.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(sock, asio::buffer(bytes));
  sock.shutdown(asio::ip::tcp::socket::shutdown_send);
  std::string out;
  char buf[4096];
  boost::system::error_code ec;
  for (;;) {
    size_t n = sock.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

TEST_F(ApiEdge, MalformedHttpAndHugeHeadersGetAnEnvelope) {
  std::string bad = raw_exchange(srv().port(), "HELLO WORLD\r\n\r\n");
  EXPECT_EQ(bad.rfind("HTTP/1.1 400", 0), 0u) << bad;
  EXPECT_NE(bad.find("\"code\":422"), std::string::npos) << bad;
  std::string huge = raw_exchange(srv().port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                                    std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(huge.rfind("HTTP/1.1 431", 0), 0u) << huge.substr(0, 200);
  EXPECT_NE(huge.find("\"code\":"), std::string::npos) << huge.substr(0, 300);
  EXPECT_EQ(srv().get("/healthz").status, 200);
}

TEST_F(ApiEdge, KeepAliveServesPipelinedRequests) {
  std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string out = raw_exchange(srv().port(), req + req + "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  size_t first = out.find("HTTP/1.1 200"), second = out.find("HTTP/1.1 200", first + 1), third = out.find("HTTP/1.1 404");
  EXPECT_NE(first, std::string::npos) << out;
  EXPECT_NE(second, std::string::npos) << out;
  EXPECT_NE(third, std::string::npos) << out;
}

TEST_F(ApiEdge, TokenFormWithBadPercentEncodingIs400) {
  PartnerCreds p = srv().admin_create_partner("Form Co", "", "", false);
  HttpResponse r = srv().post_form("/oauth/token", "grant_type=password&username=%ZZ&password=x",
                                   {{"Authorization", "Basic " + base64(p.client_id + ":" + p.client_secret)}});
  EXPECT_EQ(r.status, 400) << r.describe();
  EXPECT_EQ(r.j.value("error", ""), "invalid_request");
}

// A dedicated server with very short lifetimes and a low OTP rate limit. Access tokens live 2 s,
// so every call takes a fresh token first (a margin of at least one whole second).
class ApiExpiry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions o;
    o.extra_config = {{"otpTtlSeconds", 1}, {"accessTokenTtlSeconds", 2}, {"otpMaxPerCardPerHour", 3}};
    server_ = Server::start(o);
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override { ASSERT_TRUE(server_ && server_->running()); }
  static HttpResponse call(PartnerCreds& p, const std::string& path, const json& body) {
    server_->token(p);
    return server_->partner_post(p, path, body);
  }
  struct Card {
    PartnerCreds p;
    std::string acc, id;
  };
  static Card make_card(const std::string& name) {
    Card c;
    c.p = server_->admin_create_partner(name, "", "", false);
    server_->token(c.p);
    c.acc = server_->create_account(c.p);
    server_->token(c.p);
    json card = server_->create_card(c.p, c.acc);
    c.id = card.is_object() ? card.value("enKashCardId", "") : "";
    return c;
  }
  static std::unique_ptr<Server> server_;
};
std::unique_ptr<Server> ApiExpiry::server_;

TEST_F(ApiExpiry, ExpiredOtpAndExpiredTokenAreRefused) {
  Server& s = *server_;
  Card c = make_card("Expiry Co");
  ASSERT_FALSE(c.id.empty());
  HttpResponse o = call(c.p, "/otp", {{"cardAccountId", c.acc}, {"enKashCardId", c.id}, {"cardOtpAction", "BLOCK_CARD"}});
  ASSERT_TRUE(IsOkA(o));
  std::string rid = o.j["payload"]["otpRequestId"];
  std::string code = s.outbox_code(rid).value_or("");
  std::this_thread::sleep_for(2100ms);
  // The access token taken for the /otp call has expired.
  HttpResponse t = s.partner_post(c.p, "/search", {{"companyId", c.p.company_id}, {"cardAccountId", c.acc}});
  EXPECT_EQ(t.status, 401) << t.describe();
  EXPECT_EQ(t.j.value("error", ""), "invalid_token");
  EXPECT_EQ(t.j.value("error_description", ""), "Access token expired");
  // Refresh still works (its own, longer lifetime).
  HttpResponse rf = s.refresh(c.p, c.p.refresh_token);
  EXPECT_EQ(rf.status, 200) << rf.describe();
  // The OTP has expired: refused, card unchanged.
  json b = s.block_body(c.p, c.acc, c.id, "L");
  b["otpRequired"] = true;
  b["otpRequestId"] = rid;
  b["otp"] = code;
  HttpResponse r = call(c.p, "/block", b);
  EXPECT_TRUE(IsErr(r, 403, 1002, "expired")) << r.describe();
  s.token(c.p);
  EXPECT_EQ(s.card_status(c.p, c.acc, c.id), "UL");
}

TEST_F(ApiExpiry, OtpRequestsAreRateLimitedPerCard) {
  Card c = make_card("Rate Co");
  ASSERT_FALSE(c.id.empty());
  json body = {{"cardAccountId", c.acc}, {"enKashCardId", c.id}, {"cardOtpAction", "VIEW_CARD"}};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(IsOkA(call(c.p, "/otp", body))) << i;
  HttpResponse r = call(c.p, "/otp", body);
  EXPECT_TRUE(IsErr(r, 429, 1030, "enKashCardId")) << r.describe();
}

TEST_F(ApiEdge, AdminSetsAndValidatesTheWebhookUrl) {
  PartnerCreds p = srv().admin_create_partner("Hook Co");
  HttpResponse ok = srv().admin_post("/admin/v1/partners/webhookUrl",
                                     {{"partnerId", p.partner_id}, {"webhookUrl", "https://partner.example/events"}});
  ASSERT_TRUE(IsOkA(ok)) << ok.describe();
  EXPECT_EQ(ok.j["payload"]["webhookUrl"], "https://partner.example/events");
  HttpResponse bad = srv().admin_post("/admin/v1/partners/webhookUrl",
                                      {{"partnerId", p.partner_id}, {"webhookUrl", "ftp://x"}});
  EXPECT_TRUE(IsErr(bad, 422, 422, "webhookUrl")) << bad.describe();
  HttpResponse unknown = srv().admin_post("/admin/v1/partners/webhookUrl",
                                          {{"partnerId", "CRNOPE000"}, {"webhookUrl", "https://x.example"}});
  EXPECT_TRUE(IsErr(unknown, 404, 412, "partnerId")) << unknown.describe();
}

}  // namespace
}  // namespace apitest

namespace apitest {
namespace {

// Draining (httpQueueBudgetMs 0): every request that would wait for a worker is shed with 503
// and Retry-After before its handler runs; the liveness probe still answers.
TEST(ApiOverload, ShedRequestsGet503WithRetryAfter) {
  ServerOptions o;
  o.extra_config = {{"httpQueueBudgetMs", 0}};
  auto s = Server::start(o);
  ASSERT_TRUE(s && s->running());
  EXPECT_EQ(s->get("/healthz").status, 200);
  HttpResponse r = s->admin_post("/admin/v1/partners", {{"name", "Shed Co"}, {"mobile", "9000000077"}});
  EXPECT_EQ(r.status, 503) << r.describe();
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_NE(r.j.value("message", "").find("server busy"), std::string::npos) << r.describe();
  EXPECT_EQ(s->get("/healthz").status, 200) << "the server lives on";
}

}  // namespace
}  // namespace apitest
