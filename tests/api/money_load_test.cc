// Money over the partner API: Load Card Balance (/balance), the admin pool funding, Get Transaction
// Details and Get All Transaction details (/transaction/all), and the balance move of a card
// replacement. Every money scenario ends with `cardcore ledger verify` on the server's data.
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "harness.h"

namespace apitest {
namespace {

class ApiMoney : public ApiTest {};

struct Acct {
  PartnerCreds p;
  std::string account;
  std::string card;
  json card_obj;
};

json load_body(const Acct& a, const json& amount, const std::string& ref, const std::string& card = "") {
  json b = {{"companyId", a.p.company_id}, {"cardAccountId", a.account},
            {"enKashCardId", card.empty() ? a.card : card}, {"amount", amount}, {"transactionType", "CR"},
            {"type", "LOAD_MONEY"}, {"description", "api money test"}};
  if (!ref.empty()) b["uniqueReferenceNumber"] = ref;
  return b;
}

HttpResponse load(const Server& s, const Acct& a, const json& amount, const std::string& ref,
                  const std::string& card = "") {
  return s.partner_post(a.p, "/balance", load_body(a, amount, ref, card));
}

HttpResponse fund_raw(const Server& s, const PartnerCreds& p, const std::string& account, const json& amount,
                      const std::string& ref) {
  return s.admin_post("/admin/v1/cardAccounts/fund",
                      {{"companyId", p.company_id}, {"cardAccountId", account}, {"amount", amount}, {"reference", ref}});
}

void fund(const Server& s, const PartnerCreds& p, const std::string& account, const json& amount,
          const std::string& ref) {
  HttpResponse r = fund_raw(s, p, account, amount, ref);
  ASSERT_TRUE(IsOkA(r)) << "fund: " << r.describe();
}

// Fresh partner, account on the default plan, one card; the pool funded with `pool` rupees (0: not funded).
Acct make_acct(const Server& s, const json& pool, const std::string& name = "Money Co") {
  Acct a;
  a.p = s.admin_create_partner(name);
  a.account = s.create_account(a.p);
  a.card_obj = s.create_card(a.p, a.account);
  if (a.card_obj.is_object()) a.card = a.card_obj.value("enKashCardId", "");
  if (!(pool.is_number() && pool.get<double>() == 0)) fund(s, a.p, a.account, pool, "POOL-" + a.account);
  return a;
}

int64_t card_paise(const Server& s, const Acct& a, const std::string& card = "") {
  json c = s.search_card(a.p, a.account, card.empty() ? a.card : card);
  if (!c.is_object()) return -1;
  return paise(c["otbBalance"]);
}

json account_get(const Server& s, const Acct& a) {
  HttpResponse r = s.partner_post(a.p, "/cardAccount/get", {{"companyId", a.p.company_id}, {"cardAccountId", a.account}});
  EXPECT_TRUE(IsOkB(r)) << r.describe();
  return r.j.value("payload", json::object());
}

int64_t pool_paise(const Server& s, const Acct& a) { return paise(account_get(s, a)["availableBalance"]); }

HttpResponse list_raw(const Server& s, const Acct& a, const json& extra) {
  json b = {{"companyId", a.p.company_id}, {"cardAccountId", a.account}};
  for (auto it = extra.begin(); it != extra.end(); ++it) b[it.key()] = it.value();
  return s.partner_post(a.p, "/transaction/all", b);
}

json list(const Server& s, const Acct& a, const json& extra) {
  HttpResponse r = list_raw(s, a, extra);
  EXPECT_TRUE(IsOkA(r)) << r.describe();
  json p = r.j.value("payload", json::object());
  EXPECT_TRUE(p.contains("transactions") && p["transactions"].is_array()) << r.describe();
  EXPECT_TRUE(p.contains("totalCount")) << r.describe();
  return p;
}

int64_t txn_count(const Server& s, const Acct& a, const std::string& card = "") {
  json p = list(s, a, {{"enKashCardId", card.empty() ? a.card : card}});
  return p.value("totalCount", int64_t{-1});
}

std::vector<std::string> refs_of(const json& page) {
  std::vector<std::string> out;
  for (const json& t : page.value("transactions", json::array())) out.push_back(t.value("pgReferenceNumber", ""));
  return out;
}

void expect_ledger_clean(const Server& s) {
  std::string out;
  int rc = ledger_verify(s.dir(), &out);
  EXPECT_EQ(rc, 0) << "ledger verify: " << out;
}

// ---------------------------------------------------------------------------------------------
// Load Card Balance

TEST_F(ApiMoney, LoadAnswersTheDocumentedShape) {
  Acct a = make_acct(srv(), 1000);
  ASSERT_FALSE(a.card.empty());
  HttpResponse r = load(srv(), a, 100, "LOAD-SHAPE-1");
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  const json& p = r.j["payload"];
  EXPECT_EQ(p.value("enKashCardId", ""), a.card);
  EXPECT_TRUE(id_like(p.value("enkashCardTxnId", ""), "ECTR", 9)) << p.dump();
  EXPECT_EQ(p.value("pgReferenceNumber", ""), "LOAD-SHAPE-1");
  ASSERT_TRUE(p.contains("otbBalance") && p["otbBalance"].is_number()) << p.dump();
  EXPECT_EQ(paise(p["otbBalance"]), 10000);
  EXPECT_EQ(p.value("maskedNumber", ""), a.card_obj.value("maskedNumber", "?"));
  EXPECT_EQ(p.size(), 6u) << p.dump();
  HttpResponse row = list_raw(srv(), a, {{"enKashCardId", a.card}, {"pgReferenceNumber", "LOAD-SHAPE-1"}});
  ASSERT_TRUE(IsOkA(row)) << row.describe();
  EXPECT_EQ(p["transaction"], row.j["payload"]) << "the load's transaction is the row as a lookup answers it";

  // The amount as a numeric string, 2 decimals.
  HttpResponse r2 = load(srv(), a, "12.50", "LOAD-SHAPE-2");
  ASSERT_TRUE(IsOkA(r2)) << r2.describe();
  EXPECT_EQ(paise(r2.j["payload"]["otbBalance"]), 11250);
  EXPECT_EQ(r2.j["payload"].value("pgReferenceNumber", ""), "LOAD-SHAPE-2");
  EXPECT_NE(r2.j["payload"].value("enkashCardTxnId", ""), p.value("enkashCardTxnId", ""));
  // A number with decimals.
  HttpResponse r3 = load(srv(), a, 0.01, "LOAD-SHAPE-3");
  ASSERT_TRUE(IsOkA(r3)) << r3.describe();
  EXPECT_EQ(paise(r3.j["payload"]["otbBalance"]), 11251);

  EXPECT_EQ(card_paise(srv(), a), 11251);
  json acc = account_get(srv(), a);
  EXPECT_EQ(paise(acc["availableBalance"]), 100000 - 11251);
  EXPECT_EQ(paise(acc["availableCardBalance"]), 11251);
  EXPECT_EQ(txn_count(srv(), a), 3);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, LoadWithoutReferenceGetsAGeneratedOne) {
  Acct a = make_acct(srv(), 100);
  HttpResponse r = load(srv(), a, 5, "");
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  std::string ref = r.j["payload"].value("pgReferenceNumber", "");
  EXPECT_FALSE(ref.empty());
  HttpResponse r2 = load(srv(), a, 5, "");
  ASSERT_TRUE(IsOkA(r2)) << r2.describe();
  EXPECT_NE(r2.j["payload"].value("pgReferenceNumber", ""), ref) << "two loads without a reference are two loads";
  EXPECT_EQ(card_paise(srv(), a), 1000);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, DebitIsRefusedAndNothingPosted) {
  Acct a = make_acct(srv(), 100);
  ASSERT_TRUE(IsOkA(load(srv(), a, 10, "DR-BASE")));
  json b = load_body(a, 5, "DR-1");
  b["transactionType"] = "DR";
  HttpResponse r = srv().partner_post(a.p, "/balance", b);
  EXPECT_TRUE(IsErr(r, 403, 403, "transactionType")) << r.describe();
  EXPECT_EQ(card_paise(srv(), a), 1000);
  EXPECT_EQ(pool_paise(srv(), a), 9000);
  EXPECT_EQ(txn_count(srv(), a), 1);
  // The refused reference was not consumed.
  HttpResponse ok = load(srv(), a, 5, "DR-1");
  EXPECT_TRUE(IsOkA(ok)) << ok.describe();
  // transactionType missing or something else: 422.
  b.erase("transactionType");
  b["uniqueReferenceNumber"] = "DR-2";
  EXPECT_TRUE(IsErr(srv().partner_post(a.p, "/balance", b), 422, 422, "transactionType"));
  b["transactionType"] = "XX";
  EXPECT_TRUE(IsErr(srv().partner_post(a.p, "/balance", b), 422, 422, "transactionType"));
  EXPECT_EQ(card_paise(srv(), a), 1500);
  EXPECT_EQ(txn_count(srv(), a), 2);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, BadAmountsAre422AndNothingPosted) {
  Acct a = make_acct(srv(), 100);
  int i = 0;
  for (const json& amount : {json(0), json(-1), json(12.345), json("12.345"), json("0"), json("-1"), json("0.00"),
                             json("abc"), json(nullptr), json(true), json::array({1})}) {
    HttpResponse r = load(srv(), a, amount, "BAD-AMT-" + std::to_string(i++));
    EXPECT_TRUE(IsErr(r, 422, 422, "amount")) << "amount " << amount.dump() << ": " << r.describe();
  }
  json b = load_body(a, 1, "BAD-AMT-missing");
  b.erase("amount");
  EXPECT_TRUE(IsErr(srv().partner_post(a.p, "/balance", b), 422, 422, "amount"));
  EXPECT_EQ(card_paise(srv(), a), 0);
  EXPECT_EQ(pool_paise(srv(), a), 10000);
  EXPECT_EQ(txn_count(srv(), a), 0);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, GiftCardIsNeverReloaded) {
  PartnerCreds p = srv().admin_create_partner("Gift Money Co");
  HttpResponse plan = srv().admin_post("/admin/v1/plans", {{"partnerId", p.partner_id}, {"name", "Gift"},
                                                            {"bin", "652150"}, {"gift", true}});
  ASSERT_TRUE(IsOkA(plan)) << plan.describe();
  HttpResponse acc = srv().partner_post(p, "/cardAccount/create",
                                        {{"companyId", p.company_id}, {"companyName", p.company_name},
                                         {"planMasterId", plan.j["payload"]["planMasterId"]},
                                         {"email", "g@example.com"}, {"mobile", "9876543210"},
                                         {"accountTitle", "Gifts"}, {"accountType", "GIFT"}});
  ASSERT_TRUE(IsOkA(acc)) << acc.describe();
  Acct a;
  a.p = p;
  a.account = acc.j["payload"]["cardAccountId"];
  fund(srv(), p, a.account, 100, "GIFT-POOL");
  a.card_obj = srv().create_card(p, a.account, {{"loadAmount", 40}});
  ASSERT_TRUE(a.card_obj.is_object());
  a.card = a.card_obj["enKashCardId"];
  HttpResponse r = load(srv(), a, 1, "GIFT-RELOAD");
  EXPECT_TRUE(IsErr(r, 422, 1042, "gift")) << r.describe();
  EXPECT_EQ(card_paise(srv(), a), 4000);
  EXPECT_EQ(pool_paise(srv(), a), 6000);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, BlockedCardIsNotLoaded) {
  Acct a = make_acct(srv(), 100);
  ASSERT_TRUE(IsOkA(load(srv(), a, 10, "BL-BASE")));
  ASSERT_TRUE(IsOkA(srv().partner_post(a.p, "/block", srv().block_body(a.p, a.account, a.card, "BL"))));
  HttpResponse r = load(srv(), a, 5, "BL-1");
  EXPECT_TRUE(IsErr(r, 409, 1010, "blocked")) << r.describe();
  EXPECT_EQ(pool_paise(srv(), a), 9000);
  EXPECT_EQ(txn_count(srv(), a), 1);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, PlanMaximumIsEnforcedExactly) {
  Acct a;
  a.p = srv().admin_create_partner("Max Co");
  HttpResponse plan = srv().admin_post("/admin/v1/plans", {{"partnerId", a.p.partner_id}, {"name", "Small"},
                                                            {"bin", "652150"}, {"maxCardBalance", 100}});
  ASSERT_TRUE(IsOkA(plan)) << plan.describe();
  EXPECT_EQ(paise(plan.j["payload"]["maxCardBalance"]), 10000);
  a.p.plan_master_id = plan.j["payload"]["planMasterId"];
  a.account = srv().create_account(a.p);
  a.card = srv().create_card(a.p, a.account).value("enKashCardId", "");
  ASSERT_FALSE(a.card.empty());
  fund(srv(), a.p, a.account, 500, "MAX-POOL");

  ASSERT_TRUE(IsOkA(load(srv(), a, 60, "MAX-1")));
  HttpResponse over = load(srv(), a, "40.01", "MAX-2");
  EXPECT_TRUE(IsErr(over, 422, 1041, "amount")) << over.describe();
  EXPECT_EQ(card_paise(srv(), a), 6000);
  HttpResponse exact = load(srv(), a, 40, "MAX-3");
  ASSERT_TRUE(IsOkA(exact)) << exact.describe();
  EXPECT_EQ(paise(exact.j["payload"]["otbBalance"]), 10000);
  HttpResponse more = load(srv(), a, 0.01, "MAX-4");
  EXPECT_TRUE(IsErr(more, 422, 1041, "amount")) << more.describe();
  // A single load above the maximum on a second, empty card.
  std::string card2 = srv().create_card(a.p, a.account).value("enKashCardId", "");
  HttpResponse big = load(srv(), a, "100.01", "MAX-5", card2);
  EXPECT_TRUE(IsErr(big, 422, 1041, "amount")) << big.describe();
  HttpResponse full = load(srv(), a, 100, "MAX-6", card2);
  EXPECT_TRUE(IsOkA(full)) << full.describe();

  EXPECT_EQ(card_paise(srv(), a), 10000);
  EXPECT_EQ(card_paise(srv(), a, card2), 10000);
  EXPECT_EQ(pool_paise(srv(), a), 30000);
  EXPECT_EQ(txn_count(srv(), a), 2);
  EXPECT_EQ(txn_count(srv(), a, card2), 1);
  // The refused references were not consumed.
  EXPECT_TRUE(IsErr(load(srv(), a, 1, "MAX-2"), 422, 1041));
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, PoolShortIsRefused) {
  Acct a = make_acct(srv(), 50);
  HttpResponse r = load(srv(), a, "50.01", "POOL-1");
  EXPECT_TRUE(IsErr(r, 422, 1040, "amount")) << r.describe();
  EXPECT_EQ(card_paise(srv(), a), 0);
  EXPECT_EQ(pool_paise(srv(), a), 5000);
  ASSERT_TRUE(IsOkA(load(srv(), a, 50, "POOL-2")));
  EXPECT_EQ(pool_paise(srv(), a), 0);
  EXPECT_TRUE(IsErr(load(srv(), a, 0.01, "POOL-3"), 422, 1040, "amount"));
  // An account that was never funded.
  Acct b = make_acct(srv(), 0, "Empty Pool Co");
  EXPECT_TRUE(IsErr(load(srv(), b, 1, "POOL-4"), 422, 1040, "amount"));
  EXPECT_EQ(card_paise(srv(), a), 5000);
  EXPECT_EQ(card_paise(srv(), b), 0);
  EXPECT_EQ(txn_count(srv(), a), 1);
  EXPECT_EQ(txn_count(srv(), b), 0);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, ReusedReferenceIs409AndNothingPostedTwice) {
  Acct a = make_acct(srv(), 1000);
  std::string card2 = srv().create_card(a.p, a.account).value("enKashCardId", "");
  HttpResponse first = load(srv(), a, 10, "DUP-1");
  ASSERT_TRUE(IsOkA(first)) << first.describe();
  for (const json& amount : {json(10), json(11), json("10.00")}) {
    HttpResponse again = load(srv(), a, amount, "DUP-1");
    EXPECT_TRUE(IsErr(again, 409, 409, "uniqueReferenceNumber")) << again.describe();
  }
  // The same reference on another card of the partner is the same reference.
  HttpResponse other = load(srv(), a, 10, "DUP-1", card2);
  EXPECT_TRUE(IsErr(other, 409, 409, "uniqueReferenceNumber")) << other.describe();
  EXPECT_EQ(card_paise(srv(), a), 1000);
  EXPECT_EQ(card_paise(srv(), a, card2), 0);
  EXPECT_EQ(pool_paise(srv(), a), 99000);
  EXPECT_EQ(txn_count(srv(), a), 1);
  EXPECT_EQ(txn_count(srv(), a, card2), 0);
  json p = list(srv(), a, {{"pgReferenceNumbers", json::array({"DUP-1"})}});
  EXPECT_EQ(p.value("totalCount", -1), 1);
  // References are per partner: another partner may use the same one.
  Acct b = make_acct(srv(), 100, "Other Ref Co");
  HttpResponse theirs = load(srv(), b, 10, "DUP-1");
  EXPECT_TRUE(IsOkA(theirs)) << theirs.describe();
  EXPECT_EQ(card_paise(srv(), a), 1000);
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, AdminFundReusedReferenceIs409) {
  Acct a = make_acct(srv(), 0);
  fund(srv(), a.p, a.account, 100, "FUND-DUP");
  HttpResponse again = fund_raw(srv(), a.p, a.account, 100, "FUND-DUP");
  EXPECT_TRUE(IsErr(again, 409, 409, "reference")) << again.describe();
  HttpResponse other_amount = fund_raw(srv(), a.p, a.account, 5, "FUND-DUP");
  EXPECT_TRUE(IsErr(other_amount, 409, 409, "reference")) << other_amount.describe();
  // Another account of the same partner, same reference.
  std::string acc2 = srv().create_account(a.p);
  HttpResponse other_acc = fund_raw(srv(), a.p, acc2, 100, "FUND-DUP");
  EXPECT_TRUE(IsErr(other_acc, 409, 409, "reference")) << other_acc.describe();
  EXPECT_EQ(pool_paise(srv(), a), 10000);
  // Bad fund requests.
  EXPECT_TRUE(IsErr(fund_raw(srv(), a.p, a.account, 0, "FUND-0"), 422, 422, "amount"));
  EXPECT_TRUE(IsErr(fund_raw(srv(), a.p, a.account, "1.001", "FUND-1"), 422, 422, "amount"));
  EXPECT_TRUE(IsErr(fund_raw(srv(), a.p, a.account, 1, ""), 422, 422, "reference"));
  EXPECT_EQ(pool_paise(srv(), a), 10000);
  // A fresh reference funds again.
  HttpResponse more = fund_raw(srv(), a.p, a.account, "0.50", "FUND-2");
  ASSERT_TRUE(IsOkA(more)) << more.describe();
  EXPECT_EQ(paise(more.j["payload"]["availableBalance"]), 10050);
  expect_ledger_clean(srv());
}

// ---------------------------------------------------------------------------------------------
// Get Transaction Details

TEST_F(ApiMoney, TransactionDetailsHaveEveryContractField) {
  Acct a = make_acct(srv(), 1000);
  HttpResponse l = load(srv(), a, "25.75", "TD-1");
  ASSERT_TRUE(IsOkA(l)) << l.describe();
  std::string txn_id = l.j["payload"]["enkashCardTxnId"];
  json card = srv().search_card(a.p, a.account, a.card);

  HttpResponse r = srv().partner_post(a.p, "/transaction/all", {{"companyId", a.p.company_id}, {"cardAccountId", a.account},
                                                                {"enKashCardId", a.card}, {"pgReferenceNumber", "TD-1"}});
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  const json& t = r.j["payload"];
  ASSERT_TRUE(t.is_object()) << r.describe();
  for (const char* f : {"enKashCardTransactionId", "maskedCard", "enkashCardId", "userId", "cardHolderName",
                        "companyName", "companyId", "principalAmount", "balance", "pgReferenceNumber", "description",
                        "currency", "cardTransactionType", "status", "type", "createdOn", "txnDate", "modifiedOn",
                        "txnDetails"}) {
    EXPECT_TRUE(t.contains(f)) << "transaction object lacks " << f << ": " << t.dump();
  }
  ASSERT_TRUE(t["txnDetails"].is_object()) << t.dump();
  for (const char* f : {"txnRefNo", "merchantName", "transactionType", "mcc", "channel", "retrievalRefNo", "traceNo",
                        "txnCurrency", "network", "authCode", "responseCode"}) {
    EXPECT_TRUE(t["txnDetails"].contains(f)) << "txnDetails lacks " << f << ": " << t["txnDetails"].dump();
  }
  EXPECT_EQ(t.value("enKashCardTransactionId", ""), txn_id);
  EXPECT_EQ(t.value("enkashCardId", ""), a.card);
  EXPECT_EQ(t.value("maskedCard", ""), card.value("maskedNumber", "?"));
  EXPECT_EQ(t.value("userId", ""), card.value("userId", "?"));
  EXPECT_EQ(t.value("cardHolderName", ""), card.value("cardHolderName", "?"));
  EXPECT_EQ(t.value("companyId", ""), a.p.company_id);
  EXPECT_EQ(t.value("companyName", ""), a.p.company_name);
  EXPECT_EQ(paise(t["principalAmount"]), 2575);
  EXPECT_EQ(paise(t["balance"]), 2575);
  EXPECT_EQ(t.value("pgReferenceNumber", ""), "TD-1");
  EXPECT_EQ(t.value("description", ""), "api money test");
  EXPECT_EQ(t.value("currency", ""), "INR");
  EXPECT_EQ(t.value("cardTransactionType", ""), "CR");
  EXPECT_EQ(t.value("status", ""), "SUCCESS");
  EXPECT_EQ(t.value("type", ""), "LOAD_MONEY");
  std::string created = t.value("createdOn", "");
  EXPECT_TRUE(created.size() >= 20 && created.substr(created.size() - 6) == "+05:30" && created[10] == 'T') << created;

  // The same object by enKashTransactionId.
  HttpResponse by_id = srv().partner_post(a.p, "/transaction/all", {{"companyId", a.p.company_id}, {"cardAccountId", a.account},
                                                                    {"enKashCardId", a.card}, {"enKashTransactionId", txn_id}});
  ASSERT_TRUE(IsOkA(by_id)) << by_id.describe();
  EXPECT_EQ(by_id.j["payload"], t);
  // The load's own answer carries the same transaction.
  if (l.j["payload"].contains("transaction")) {
    EXPECT_EQ(l.j["payload"]["transaction"], t);
  }
  expect_ledger_clean(srv());
}

TEST_F(ApiMoney, UnknownTransactionIs412) {
  Acct a = make_acct(srv(), 100);
  ASSERT_TRUE(IsOkA(load(srv(), a, 1, "UNK-1")));
  std::string card2 = srv().create_card(a.p, a.account).value("enKashCardId", "");
  json base = {{"companyId", a.p.company_id}, {"cardAccountId", a.account}, {"enKashCardId", a.card}};
  json b = base;
  b["pgReferenceNumber"] = "NO-SUCH-REF";
  EXPECT_TRUE(IsErr(srv().partner_post(a.p, "/transaction/all", b), 404, 412, "pgReferenceNumber"));
  b = base;
  b["enKashTransactionId"] = "ECTR000000000";
  EXPECT_TRUE(IsErr(srv().partner_post(a.p, "/transaction/all", b), 404, 412, "enKashTransactionId"));
  // A real reference, asked on the account's other card.
  b = base;
  b["enKashCardId"] = card2;
  b["pgReferenceNumber"] = "UNK-1";
  EXPECT_TRUE(IsErr(srv().partner_post(a.p, "/transaction/all", b), 404, 412, "pgReferenceNumber"));
  // Another partner asking for it with its own ids, or with ours.
  Acct o = make_acct(srv(), 0, "Snoop Co");
  json ob = {{"companyId", o.p.company_id}, {"cardAccountId", o.account}, {"enKashCardId", o.card},
             {"pgReferenceNumber", "UNK-1"}};
  EXPECT_TRUE(IsErr(srv().partner_post(o.p, "/transaction/all", ob), 404, 412));
  json theirs = base;
  theirs["pgReferenceNumber"] = "UNK-1";
  HttpResponse leak = srv().partner_post(o.p, "/transaction/all", theirs);
  EXPECT_TRUE(IsErr(leak, 404, 412)) << leak.describe();
}

// ---------------------------------------------------------------------------------------------
// Get All Transaction details

TEST_F(ApiMoney, ListIsNewestFirstAndPages) {
  Acct a = make_acct(srv(), 1000);
  std::vector<std::string> refs;
  for (int i = 0; i < 5; ++i) {
    refs.push_back("PG-" + std::to_string(i));
    ASSERT_TRUE(IsOkA(load(srv(), a, i + 1, refs.back())));
  }
  json all = list(srv(), a, json::object());
  EXPECT_EQ(all.value("totalCount", -1), 5);
  EXPECT_EQ(refs_of(all), (std::vector<std::string>{"PG-4", "PG-3", "PG-2", "PG-1", "PG-0"}));
  // balance (after) decreases going down the newest-first list.
  std::vector<int64_t> after;
  for (const json& t : all["transactions"]) after.push_back(paise(t["balance"]));
  EXPECT_EQ(after, (std::vector<int64_t>{1500, 1000, 600, 300, 100}));
  // The page's own members, and each row as the single lookup answers it.
  EXPECT_EQ(all.value("pageNumber", -1), 0);
  EXPECT_EQ(all.value("pageSize", -1), 50);
  ASSERT_TRUE(all.contains("totalCountCapped") && all["totalCountCapped"].is_boolean()) << all.dump();
  EXPECT_FALSE(all["totalCountCapped"].get<bool>());
  EXPECT_EQ(all.size(), 5u) << all.dump();
  HttpResponse one = list_raw(srv(), a, {{"enKashCardId", a.card}, {"pgReferenceNumber", "PG-3"}});
  ASSERT_TRUE(IsOkA(one)) << one.describe();
  EXPECT_EQ(one.j["payload"], all["transactions"][1]);

  std::vector<std::string> paged;
  for (int page = 0; page < 3; ++page) {
    json p = list(srv(), a, {{"pageNumber", page}, {"pageSize", 2}});
    EXPECT_EQ(p.value("totalCount", -1), 5) << "page " << page;
    EXPECT_EQ(p["transactions"].size(), page < 2 ? 2u : 1u) << "page " << page;
    for (auto& r : refs_of(p)) paged.push_back(r);
  }
  EXPECT_EQ(paged, refs_of(all));
  json beyond = list(srv(), a, {{"pageNumber", 3}, {"pageSize", 2}});
  EXPECT_EQ(beyond.value("totalCount", -1), 5);
  EXPECT_TRUE(beyond["transactions"].empty());
  // Numbers as strings are accepted too.
  json s = list(srv(), a, {{"pageNumber", "1"}, {"pageSize", "3"}});
  EXPECT_EQ(refs_of(s), (std::vector<std::string>{"PG-1", "PG-0"}));
  // Page size bounds.
  EXPECT_TRUE(IsErr(list_raw(srv(), a, {{"pageSize", 501}}), 422, 422, "pageSize"));
  EXPECT_TRUE(IsErr(list_raw(srv(), a, {{"pageSize", 0}}), 422, 422, "pageSize"));
  EXPECT_TRUE(IsErr(list_raw(srv(), a, {{"pageSize", -1}}), 422, 422, "pageSize"));
  EXPECT_TRUE(IsErr(list_raw(srv(), a, {{"pageNumber", -1}}), 422, 422, "pageNumber"));
  json max = list(srv(), a, {{"pageSize", 500}});
  EXPECT_EQ(max["transactions"].size(), 5u);
}

TEST_F(ApiMoney, ListFiltersEachField) {
  Acct a = make_acct(srv(), 1000);
  std::string card2 = srv().create_card(a.p, a.account).value("enKashCardId", "");
  // card1: 10, 20, 30.50; card2: 5, 40.
  std::vector<std::string> ids;
  for (auto [amount, ref, card] : std::vector<std::tuple<json, std::string, std::string>>{
           {10, "F-A", a.card}, {20, "F-B", a.card}, {"30.50", "F-C", a.card}, {5, "F-D", card2}, {40, "F-E", card2}}) {
    HttpResponse r = load(srv(), a, amount, ref, card);
    ASSERT_TRUE(IsOkA(r)) << r.describe();
    ids.push_back(r.j["payload"]["enkashCardTxnId"]);
  }
  using V = std::vector<std::string>;
  auto refs = [&](const json& extra) { return refs_of(list(srv(), a, extra)); };
  auto total = [&](const json& extra) { return list(srv(), a, extra).value("totalCount", -1); };

  EXPECT_EQ(refs(json::object()), (V{"F-E", "F-D", "F-C", "F-B", "F-A"}));
  // enKashCardId
  EXPECT_EQ(refs({{"enKashCardId", a.card}}), (V{"F-C", "F-B", "F-A"}));
  EXPECT_EQ(refs({{"enKashCardId", card2}}), (V{"F-E", "F-D"}));
  // status
  EXPECT_EQ(total({{"status", "SUCCESS"}}), 5);
  EXPECT_EQ(total({{"status", "FAILED"}}), 0);
  // cardTransactionType
  EXPECT_EQ(total({{"cardTransactionType", "CR"}}), 5);
  EXPECT_EQ(total({{"cardTransactionType", "DR"}}), 0);
  EXPECT_TRUE(IsErr(list_raw(srv(), a, {{"cardTransactionType", "XX"}}), 422, 422, "cardTransactionType"));
  // amountFrom / amountTo (rupees, inclusive, number or string)
  EXPECT_EQ(refs({{"amountFrom", 20}}), (V{"F-E", "F-C", "F-B"}));
  EXPECT_EQ(refs({{"amountTo", "20"}}), (V{"F-D", "F-B", "F-A"}));
  EXPECT_EQ(refs({{"amountFrom", "10.01"}, {"amountTo", 30.5}}), (V{"F-C", "F-B"}));
  EXPECT_EQ(refs({{"amountFrom", 30.5}, {"amountTo", "30.50"}}), (V{"F-C"}));
  EXPECT_EQ(refs({{"amountFrom", "30.51"}, {"amountTo", 39.99}}), V{});
  EXPECT_TRUE(IsErr(list_raw(srv(), a, {{"amountFrom", 30}, {"amountTo", 20}}), 422, 422, "amountFrom"));
  EXPECT_TRUE(IsErr(list_raw(srv(), a, {{"amountFrom", "1.001"}}), 422, 422, "amountFrom"));
  // enKashTransactionIds[]
  EXPECT_EQ(refs({{"enKashTransactionIds", json::array({ids[0], ids[3]})}}), (V{"F-D", "F-A"}));
  EXPECT_EQ(refs({{"enKashTransactionIds", ids[1]}}), (V{"F-B"}));  // a single string is accepted
  EXPECT_EQ(refs({{"enKashTransactionIds", json::array({"ECTR000000000"})}}), V{});
  // pgReferenceNumbers[]
  EXPECT_EQ(refs({{"pgReferenceNumbers", json::array({"F-E", "F-B", "NOPE"})}}), (V{"F-E", "F-B"}));
  // Filters combine.
  EXPECT_EQ(refs({{"enKashCardId", card2}, {"pgReferenceNumbers", json::array({"F-E", "F-B"})}}), (V{"F-E"}));
  EXPECT_EQ(refs({{"enKashCardId", a.card}, {"amountFrom", 15}, {"cardTransactionType", "CR"}}), (V{"F-C", "F-B"}));
  // txnDateFrom / txnDateTo (ISO 8601), taken from the transactions' own timestamps.
  json all = list(srv(), a, json::object());
  std::string oldest = all["transactions"].back().value("createdOn", "");
  std::string newest = all["transactions"].front().value("createdOn", "");
  ASSERT_FALSE(oldest.empty());
  EXPECT_EQ(total({{"txnDateFrom", oldest}}), 5);
  EXPECT_EQ(total({{"txnDateTo", newest}}), 5);
  EXPECT_EQ(total({{"txnDateFrom", oldest}, {"txnDateTo", newest}}), 5);
  EXPECT_EQ(total({{"txnDateFrom", "2000-01-01T00:00:00Z"}, {"txnDateTo", "2099-12-31T23:59:59+05:30"}}), 5);
  EXPECT_EQ(total({{"txnDateFrom", "2099-01-01"}}), 0);
  EXPECT_EQ(total({{"txnDateTo", "2000-01-01T00:00:00.000Z"}}), 0);
  EXPECT_EQ(total({{"txnDateFrom", "2000-01-01"}, {"enKashCardId", card2}}), 2);
  EXPECT_TRUE(IsErr(list_raw(srv(), a, {{"txnDateFrom", "yesterday"}}), 422, 422, "txnDateFrom"));
  EXPECT_TRUE(IsErr(list_raw(srv(), a, {{"txnDateTo", "2025-13-45"}}), 422, 422, "txnDateTo"));
}

TEST_F(ApiMoney, ListOfAnotherPartnersAccountIs412) {
  Acct a = make_acct(srv(), 100);
  ASSERT_TRUE(IsOkA(load(srv(), a, 1, "X-1")));
  Acct o = make_acct(srv(), 0, "Other Lister");
  // Our ids, their token.
  HttpResponse r = srv().partner_post(o.p, "/transaction/all", {{"companyId", a.p.company_id}, {"cardAccountId", a.account}});
  EXPECT_TRUE(IsErr(r, 404, 412)) << r.describe();
  HttpResponse r2 = srv().partner_post(o.p, "/transaction/all", {{"companyId", o.p.company_id}, {"cardAccountId", a.account}});
  EXPECT_TRUE(IsErr(r2, 404, 412, "cardAccountId")) << r2.describe();
  HttpResponse r3 = srv().partner_post(o.p, "/transaction/all", {{"companyId", o.p.company_id}, {"cardAccountId", o.account},
                                                                 {"enKashCardId", a.card}});
  EXPECT_TRUE(IsErr(r3, 404, 412, "enKashCardId")) << r3.describe();
  // Missing required ids.
  EXPECT_TRUE(IsErr(srv().partner_post(a.p, "/transaction/all", {{"companyId", a.p.company_id}}), 422, 422, "cardAccountId"));
  EXPECT_TRUE(IsErr(srv().partner_post(a.p, "/transaction/all", {{"cardAccountId", a.account}}), 422, 422, "companyId"));
}

// ---------------------------------------------------------------------------------------------
// Replacement moves the balance

TEST_F(ApiMoney, ReplacementMovesTheBalance) {
  Acct a = make_acct(srv(), 1000);
  ASSERT_TRUE(IsOkA(load(srv(), a, 100, "RP-1")));
  ASSERT_TRUE(IsOkA(load(srv(), a, "23.45", "RP-2")));
  json before = account_get(srv(), a);
  EXPECT_EQ(paise(before["availableCardBalance"]), 12345);
  HttpResponse r = srv().partner_post(a.p, "/replaceCard", {{"enKashCardId", a.card}, {"cardAccountId", a.account},
                                                            {"otpMedium", "MOBILE"}, {"otpRequired", false},
                                                            {"reason", "lost"}});
  ASSERT_TRUE(IsOkA(r)) << r.describe();
  std::string new_id = r.j["payload"].value("enKashCardId", "");
  ASSERT_TRUE(id_like(new_id, "EKC", 7)) << r.describe();
  EXPECT_EQ(paise(r.j["payload"]["otbBalance"]), 12345);
  EXPECT_EQ(card_paise(srv(), a, new_id), 12345);
  EXPECT_EQ(card_paise(srv(), a), 0);
  json after = account_get(srv(), a);
  EXPECT_EQ(paise(after["availableCardBalance"]), 12345);
  EXPECT_EQ(paise(after["availableBalance"]), paise(before["availableBalance"]));

  json everything = list(srv(), a, json::object());
  json repl = json::array();
  for (const json& t : everything["transactions"]) {
    if (t.value("type", "") == "CARD_REPLACEMENT") repl.push_back(t);
  }
  ASSERT_EQ(repl.size(), 2u) << everything.dump();
  bool saw_dr = false, saw_cr = false;
  for (const json& t : repl) {
    EXPECT_EQ(paise(t["principalAmount"]), 12345) << t.dump();
    EXPECT_EQ(t.value("pgReferenceNumber", ""), "REPLACE-" + a.card) << t.dump();
    for (const char* f : {"txnRefNo", "merchantName", "transactionType", "mcc", "channel", "retrievalRefNo", "traceNo",
                          "txnCurrency", "network", "authCode", "responseCode"}) {
      EXPECT_TRUE(t["txnDetails"].is_object() && t["txnDetails"].contains(f)) << "txnDetails lacks " << f << ": " << t.dump();
    }
    if (t.value("cardTransactionType", "") == "DR") {
      saw_dr = true;
      EXPECT_EQ(t.value("enkashCardId", ""), a.card);
      EXPECT_EQ(paise(t["balance"]), 0);
    } else if (t.value("cardTransactionType", "") == "CR") {
      saw_cr = true;
      EXPECT_EQ(t.value("enkashCardId", ""), new_id);
      EXPECT_EQ(paise(t["balance"]), 12345);
    }
  }
  EXPECT_TRUE(saw_dr && saw_cr);
  // Through the filters: one DR on the old card, one CR (and nothing else) on the new one.
  EXPECT_EQ(list(srv(), a, {{"enKashCardId", a.card}, {"cardTransactionType", "DR"}}).value("totalCount", -1), 1);
  EXPECT_EQ(list(srv(), a, {{"enKashCardId", new_id}}).value("totalCount", -1), 1);
  EXPECT_EQ(list(srv(), a, {{"enKashCardId", new_id}, {"cardTransactionType", "CR"}}).value("totalCount", -1), 1);
  // The old card is BL: no more loads; the new one loads.
  EXPECT_TRUE(IsErr(load(srv(), a, 1, "RP-3"), 409, 1010));
  EXPECT_TRUE(IsOkA(load(srv(), a, 1, "RP-4", new_id)));
  EXPECT_EQ(card_paise(srv(), a, new_id), 12445);
  expect_ledger_clean(srv());
}

}  // namespace
}  // namespace apitest
