// Partner isolation of the sandbox simulation: partner B can neither authorize on partner A's
// card nor act on A's authorization (the same 404 / code 412 as an unknown id), and nothing of
// A's changes. A message key (stan, rrn, terminalId) that A used does not hand A's answer to B.
#include <cmath>
#include <string>

#include "harness.h"

namespace apitest {
namespace {

class ApiSandboxIsolation : public ApiTest {};

struct Card {
  PartnerCreds p;
  std::string account, card;
  Headers headers() const { return {{"authorization", "Bearer " + p.access_token}, {"partnerId", p.partner_id}}; }
  json ref() const { return {{"companyId", p.company_id}, {"cardAccountId", account}, {"enKashCardId", card}}; }
};

Card funded_card(const Server& s, const std::string& name, int64_t rupees) {
  Card c;
  c.p = s.admin_create_partner(name);
  c.account = s.create_account(c.p);
  c.card = s.create_card(c.p, c.account).value("enKashCardId", "");
  HttpResponse f = s.admin_post("/admin/v1/cardAccounts/fund", {{"companyId", c.p.company_id},
                                                               {"cardAccountId", c.account},
                                                               {"amount", rupees},
                                                               {"reference", "POOL-" + c.account}});
  EXPECT_TRUE(IsOkA(f)) << f.describe();
  json load = c.ref();
  load["amount"] = rupees;
  load["transactionType"] = "CR";
  HttpResponse l = s.partner_post(c.p, "/balance", load);
  EXPECT_TRUE(IsOkA(l)) << l.describe();
  return c;
}

int64_t otb(const Server& s, const Card& c) {
  json j = s.search_card(c.p, c.account, c.card);
  return j.is_object() ? paise(j["otbBalance"]) : -1;
}

int64_t rows(const Server& s, const Card& c) {
  HttpResponse r = s.partner_post(c.p, "/transaction/all", c.ref());
  EXPECT_TRUE(IsOkA(r)) << r.describe();
  return r.j["payload"].value("totalCount", int64_t{-1});
}

HttpResponse post(const Server& s, const Card& as, const std::string& path, const json& body) {
  return s.post_json("/api/v0/sandbox" + path, body, as.headers());
}

TEST_F(ApiSandboxIsolation, PartnerBCannotTouchPartnerAsCardOrAuthorization) {
  Card a = funded_card(srv(), "Partner A", 1000);
  Card b = funded_card(srv(), "Partner B", 1000);
  json ab = a.ref();
  ab["amount"] = 100;
  ab["channel"] = "POS";
  HttpResponse auth = post(srv(), a, "/authorizations", ab);
  ASSERT_TRUE(IsOkA(auth)) << auth.describe();
  const std::string id = auth.j["payload"].value("authorizationId", "");
  ASSERT_FALSE(id.empty());
  const int64_t a_otb = otb(srv(), a), a_rows = rows(srv(), a), b_otb = otb(srv(), b), b_rows = rows(srv(), b);

  // B names A's card with A's ids, and with its own company/account ids.
  json with_a_ids = a.ref();
  json with_b_ids = b.ref();
  with_b_ids["enKashCardId"] = a.card;
  for (const json& ref : {with_a_ids, with_b_ids}) {
    json body = ref;
    body["amount"] = 10;
    body["channel"] = "POS";
    for (const char* path : {"/authorizations", "/clearings", "/refunds"}) {
      HttpResponse r = post(srv(), b, path, body);
      EXPECT_TRUE(IsErr(r, 404, 412)) << path << " " << ref.dump() << " " << r.describe();
    }
  }
  // B acts on A's authorization.
  for (const char* action : {"capture", "reverse", "increment", "expire"}) {
    HttpResponse r = post(srv(), b, "/authorizations/" + id + "/" + action, {{"amount", 10}});
    EXPECT_TRUE(IsErr(r, 404, 412, "authorizationId")) << action << " " << r.describe();
  }
  // ... and B's answer is the same as for an id that does not exist.
  HttpResponse unknown = post(srv(), b, "/authorizations/AUTHDOESNOTEXIST/capture", json::object());
  HttpResponse foreign = post(srv(), b, "/authorizations/" + id + "/capture", json::object());
  EXPECT_EQ(unknown.status, foreign.status);
  EXPECT_EQ(unknown.j.value("code", -1), foreign.j.value("code", -2));
  EXPECT_EQ(unknown.j.value("message", ""), foreign.j.value("message", "?"));

  // Nothing of A's (or B's) changed; A's hold is still open and A can clear it.
  EXPECT_EQ(otb(srv(), a), a_otb);
  EXPECT_EQ(rows(srv(), a), a_rows);
  EXPECT_EQ(otb(srv(), b), b_otb);
  EXPECT_EQ(rows(srv(), b), b_rows);
  HttpResponse cap = post(srv(), a, "/authorizations/" + id + "/capture", json::object());
  ASSERT_TRUE(IsOkA(cap)) << cap.describe();
  EXPECT_EQ(cap.j["payload"].value("responseCode", ""), "00");
  EXPECT_EQ(paise(cap.j["payload"]["amount"]), 100'00);
  std::string out;
  EXPECT_EQ(ledger_verify(srv().dir(), &out), 0) << out;
}

// The duplicate key (stan, rrn, terminalId) is per message source, not per card or partner: a
// second partner that happens to send the same key on its own card gets the first partner's
// stored answer (A's authorizationId, transaction id and otbBalance) and no hold of its own.
TEST_F(ApiSandboxIsolation, SameMessageKeyFromAnotherPartnerIsNotADuplicate) {
  Card a = funded_card(srv(), "Partner A", 1000);
  Card b = funded_card(srv(), "Partner B", 500);
  json key = {{"stan", "424242"}, {"rrn", "ISO000000042"}, {"terminalId", "TERM42"}};
  json ab = a.ref();
  ab.update(key);
  ab["amount"] = 100;
  ab["channel"] = "POS";
  HttpResponse ra = post(srv(), a, "/authorizations", ab);
  ASSERT_TRUE(IsOkA(ra)) << ra.describe();
  const json first = ra.j["payload"];
  ASSERT_EQ(first.value("responseCode", ""), "00");

  json bb = b.ref();
  bb.update(key);
  bb["amount"] = 100;
  bb["channel"] = "POS";
  HttpResponse rb = post(srv(), b, "/authorizations", bb);
  ASSERT_TRUE(IsOkA(rb)) << rb.describe();
  const json second = rb.j["payload"];
  EXPECT_FALSE(second["duplicate"].get<bool>()) << second.dump();
  EXPECT_NE(second.value("authorizationId", ""), first.value("authorizationId", "")) << "B got A's authorization";
  EXPECT_NE(second.value("enKashCardTransactionId", ""), first.value("enKashCardTransactionId", ""));
  EXPECT_EQ(paise(second["otbBalance"]), 400'00) << "B's answer must describe B's card";
  EXPECT_EQ(otb(srv(), b), 400'00);
  EXPECT_EQ(otb(srv(), a), 900'00);

  // Follow-ups: B reusing the key of A's clearing on A's authorization must still be a 404,
  // never A's stored clearing answer.
  const std::string id = first.value("authorizationId", "");
  json ck = key;
  ck["rrn"] = "ISO000000043";
  HttpResponse cap = post(srv(), a, "/authorizations/" + id + "/capture", ck);
  ASSERT_TRUE(IsOkA(cap)) << cap.describe();
  HttpResponse steal = post(srv(), b, "/authorizations/" + id + "/capture", ck);
  EXPECT_TRUE(IsErr(steal, 404, 412, "authorizationId")) << steal.describe();
  std::string out;
  EXPECT_EQ(ledger_verify(srv().dir(), &out), 0) << out;
}

}  // namespace
}  // namespace apitest
