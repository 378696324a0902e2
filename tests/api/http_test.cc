// Item 1: HTTP-level behaviour: health, routing, methods, content types, JSON parsing limits,
// body size limit, type errors and missing fields. Plus a clean shutdown on SIGTERM.
#include <sys/wait.h>

#include <boost/asio.hpp>
#include <chrono>
#include <thread>

#include "harness.h"

namespace apitest {
namespace {

class ApiHttp : public ApiTest {};

TEST_F(ApiHttp, HealthzAnswersOk) {
  HttpResponse r = srv().get("/healthz");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.j, json({{"status", "ok"}}));
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
}

TEST_F(ApiHttp, UnknownPathIs404Envelope) {
  for (std::string path : {"/nope", "/api/v0/partner/enKashCard/doesNotExist", "/api/v1/whatever"}) {
    HttpResponse r = srv().post_json(path, json::object());
    EXPECT_TRUE(IsErr(r, 404, 404, "path")) << path;
  }
  HttpResponse g = srv().get("/nope");
  EXPECT_TRUE(IsErr(g, 404, 404, "path"));
}

TEST_F(ApiHttp, GetOnPartnerRouteIs405) {
  PartnerCreds p = srv().admin_create_partner();
  HttpResponse r = srv().request("GET", std::string(kBase) + "/block", "",
                                 {{"authorization", "Bearer " + p.access_token}, {"partnerId", p.partner_id}});
  EXPECT_TRUE(IsErr(r, 405, 405, "method")) << r.describe();
  EXPECT_EQ(r.header("allow"), "POST");
  // Envelope B routes answer in envelope B.
  HttpResponse b = srv().request("GET", std::string(kBase) + "/search", "", {});
  EXPECT_TRUE(IsErr(b, 405, 405, "method", /*b=*/true)) << b.describe();
}

TEST_F(ApiHttp, WrongContentTypeIs415) {
  auto f = fresh();
  json body = srv().block_body(f.p, f.account, f.card_id, "L");
  for (std::string ct : {"text/plain", "application/x-www-form-urlencoded", "application/jsonx"}) {
    HttpResponse r = srv().partner_post_raw(f.p, "/block", body.dump(), {{"Content-Type", ct}});
    EXPECT_TRUE(IsErr(r, 415, 415, "Content-Type")) << ct;
  }
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
  // Parameters and case are fine.
  HttpResponse ok = srv().partner_post_raw(f.p, "/block", body.dump(),
                                           {{"Content-Type", "Application/JSON; charset=utf-8"}});
  EXPECT_TRUE(IsOkA(ok));
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "L");
}

TEST_F(ApiHttp, MalformedJsonIs400Code422) {
  auto f = fresh();
  for (std::string body : {"{", "{\"companyId\": }", "not json", "", "{\"a\":1}garbage"}) {
    HttpResponse r = srv().partner_post_raw(f.p, "/block", body);
    EXPECT_TRUE(IsErr(r, 400, 422, "JSON")) << "body: " << body << " -> " << r.describe();
  }
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
}

TEST_F(ApiHttp, DeeplyNestedJsonIsRefused) {
  PartnerCreds p = srv().admin_create_partner();
  std::string deep = "{\"a\":" + std::string(1000, '[') + std::string(1000, ']') + "}";
  HttpResponse r = srv().partner_post_raw(p, "/search", deep);
  EXPECT_TRUE(IsErr(r, 400, 422, "nested", /*b=*/true)) << r.describe();
  std::string deep_obj;
  for (int i = 0; i < 1000; ++i) deep_obj += "{\"a\":";
  deep_obj += "1" + std::string(1000, '}');
  HttpResponse r2 = srv().partner_post_raw(p, "/block", deep_obj);
  EXPECT_TRUE(IsErr(r2, 400, 422, "nested")) << r2.describe();
  // The server is still alive.
  EXPECT_EQ(srv().get("/healthz").status, 200);
}

TEST_F(ApiHttp, BodyOver64KiBIs413Envelope) {
  PartnerCreds p = srv().admin_create_partner();
  std::string big = "{\"remarks\":\"" + std::string(70 * 1024, 'x') + "\"}";
  HttpResponse r = srv().partner_post_raw(p, "", big);
  EXPECT_TRUE(IsErr(r, 413, 413, "body")) << r.describe();
  EXPECT_EQ(srv().get("/healthz").status, 200);
}

TEST_F(ApiHttp, TopLevelArrayIs422) {
  PartnerCreds p = srv().admin_create_partner();
  for (std::string body : {"[]", "[{\"companyId\":\"x\"}]", "\"text\"", "42", "null"}) {
    HttpResponse r = srv().partner_post_raw(p, "/cardAccount/create", body);
    EXPECT_EQ(r.status / 100, 4) << r.describe();
    EXPECT_TRUE(r.is_json && r.j.value("code", -1) == 422) << body << " -> " << r.describe();
    EXPECT_NE(r.j.value("message", "").find("body"), std::string::npos) << r.describe();
  }
}

TEST_F(ApiHttp, WrongTypesAre422NamingTheField) {
  auto f = fresh();
  // companyId as a number.
  json b1 = srv().block_body(f.p, f.account, f.card_id, "L");
  b1["companyId"] = 12345;
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b1), 422, 422, "companyId"));
  // otpRequired as "maybe".
  json b2 = srv().block_body(f.p, f.account, f.card_id, "L");
  b2["otpRequired"] = "maybe";
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b2), 422, 422, "otpRequired"));
  // enKashCardIds as an object.
  json u = {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
            {"enKashCardIds", {{"id", f.card_id}}}, {"perTxnLimit", 100}};
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/velocity/rule", u), 422, 422, "enKashCardIds"));
  // physicalCard as a number; email as an array.
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "", {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                                 {"physicalCard", 2}}),
                    422, 422, "physicalCard"));
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "", {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                                 {"email", json::array({"a@b.co"})}}),
                    422, 422, "email"));
  // Nothing changed.
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");
  json usage = srv().partner_post(f.p, "/velocity/rule/get",
                                  {{"companyId", f.p.company_id}, {"cardAccountId", f.account},
                                   {"enKashCardId", f.card_id}}).j["payload"];
  EXPECT_TRUE(usage["perTxnLimit"].is_null()) << usage.dump();
  json list = srv().partner_post(f.p, "/search", {{"companyId", f.p.company_id}, {"cardAccountId", f.account}}).j;
  EXPECT_EQ(list["payload"].value("totalCards", -1), 1) << list.dump();
}

TEST_F(ApiHttp, MissingRequiredFieldsAre422NamingEach) {
  auto f = fresh();
  json full = srv().block_body(f.p, f.account, f.card_id, "L");
  for (std::string field : {"companyId", "cardAccountId", "enKashCardId", "blockCode", "otpMedium", "otpRequired"}) {
    json b = full;
    b.erase(field);
    EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/block", b), 422, 422, field)) << "missing " << field;
  }
  EXPECT_EQ(srv().card_status(f.p, f.account, f.card_id), "UL");

  json acc = {{"companyId", f.p.company_id}, {"companyName", "Acme"}, {"planMasterId", f.p.plan_master_id},
              {"email", "a@example.com"}, {"mobile", "9876543210"}, {"accountTitle", "T"},
              {"accountType", "MEAL"}};
  for (std::string field : {"companyId", "companyName", "planMasterId", "email", "mobile", "accountTitle",
                            "accountType"}) {
    json b = acc;
    b.erase(field);
    EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/cardAccount/create", b), 422, 422, field)) << "missing " << field;
  }
  // Card creation: companyId, cardAccountId.
  for (std::string field : {"companyId", "cardAccountId"}) {
    json b = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}};
    b.erase(field);
    EXPECT_TRUE(IsErr(srv().partner_post(f.p, "", b), 422, 422, field)) << "missing " << field;
  }
  // Set PIN: pinBlock and otpRequired.
  json pin = {{"companyId", f.p.company_id}, {"cardAccountId", f.account}, {"enKashCardId", f.card_id},
              {"pinBlock", "1234"}, {"otpRequired", false}};
  for (std::string field : {"pinBlock", "otpRequired", "enKashCardId"}) {
    json b = pin;
    b.erase(field);
    EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/setPin", b), 422, 422, field)) << "missing " << field;
  }
  // OTP: cardOtpAction.
  EXPECT_TRUE(IsErr(srv().partner_post(f.p, "/otp", {{"cardAccountId", f.account}, {"enKashCardId", f.card_id}}),
                    422, 422, "cardOtpAction"));
  // Only one card, still UL, no PIN.
  json card = srv().search_card(f.p, f.account, f.card_id);
  EXPECT_EQ(card.value("pinSet", true), false);
  json list = srv().partner_post(f.p, "/search", {{"companyId", f.p.company_id}, {"cardAccountId", f.account}}).j;
  EXPECT_EQ(list["payload"].value("totalCards", -1), 1);
}

TEST_F(ApiHttp, AdminKeyIsRequired) {
  HttpResponse r = srv().post_json("/admin/v1/partners", {{"name", "x"}});
  EXPECT_TRUE(IsErr(r, 401, 401, "X-Admin-Key"));
  HttpResponse w = srv().post_json("/admin/v1/partners", {{"name", "x"}}, {{"X-Admin-Key", "wrong-key-wrong-key-wrong"}});
  EXPECT_TRUE(IsErr(w, 401, 401, "X-Admin-Key"));
}

// A separate server, so this suite's shared one is not disturbed.
class ApiLifecycle : public ::testing::Test {};

TEST_F(ApiLifecycle, SigtermShutsDownCleanlyWithExitZero) {
  std::unique_ptr<Server> s = Server::start();
  ASSERT_TRUE(s);
  ASSERT_EQ(s->get("/healthz").status, 200);
  int status = s->stop();
  ASSERT_TRUE(WIFEXITED(status)) << "raw wait status " << status << "; stderr:\n" << s->read_file("stderr.log");
  EXPECT_EQ(WEXITSTATUS(status), 0) << s->read_file("stderr.log");
}

// An idle keep-alive connection (and one with a half-sent request) must not keep the server
// from a clean exit on SIGTERM.
TEST_F(ApiLifecycle, SigtermWithOpenIdleConnectionsStillExitsZero) {
  std::unique_ptr<Server> s = Server::start();
  ASSERT_TRUE(s);
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ip::tcp::socket idle(ioc), half(ioc), kept(ioc);
  asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), s->port());
  idle.connect(ep);
  half.connect(ep);
  kept.connect(ep);
  asio::write(half, asio::buffer(std::string("POST /api/v0/partner/enKashCard/search HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")));
  // A completed keep-alive request whose connection stays open.
  asio::write(kept, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")));
  char buf[512];
  size_t n = kept.read_some(asio::buffer(buf));
  ASSERT_NE(std::string(buf, n).find("200"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  int status = s->stop();
  ASSERT_TRUE(WIFEXITED(status)) << "raw wait status " << status << " (signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                                 << "); stderr:\n" << s->read_file("stderr.log");
  EXPECT_EQ(WEXITSTATUS(status), 0) << s->read_file("stderr.log");
}

}  // namespace
}  // namespace apitest
