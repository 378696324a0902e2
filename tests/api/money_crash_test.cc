// Crash safety of money: loads run from 4 client threads while the server is SIGKILLed; a server
// restarted on the same data directory must hold every load it acknowledged, none twice, with the
// card balance equal to the loads present and a clean `ledger verify`.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace apitest {
namespace {

using namespace std::chrono_literals;

// Its own servers, no suite server.
class ApiCrash : public ::testing::Test {};

TEST_F(ApiCrash, AcknowledgedLoadsSurviveSigkill) {
  std::unique_ptr<Server> first = Server::start();
  ASSERT_TRUE(first && first->running());
  const std::string dir = first->dir();
  PartnerCreds p = first->admin_create_partner("Crash Co");
  std::string account = first->create_account(p);
  std::string card = first->create_card(p, account).value("enKashCardId", "");
  ASSERT_FALSE(card.empty());
  constexpr int64_t kPoolPaise = 1'000'000'00;  // 10 lakh rupees, far more than the loads take
  ASSERT_TRUE(IsOkA(first->admin_post("/admin/v1/cardAccounts/fund", {{"companyId", p.company_id}, {"cardAccountId", account},
                                                                     {"amount", kPoolPaise / 100}, {"reference", "CRASH-POOL"}})));

  constexpr int kThreads = 4;
  constexpr int kMaxPerThread = 2000;  // bound; the kill comes far earlier
  constexpr int kKillAfter = 100;
  std::mutex mu;
  std::map<std::string, int64_t> acked;  // reference -> paise, every load answered with code 0
  std::set<std::string> unknown;         // sent, but no answer (or a non-JSON one): may or may not be in
  std::atomic<int> answered{0};
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};
  std::vector<std::string> unexpected;
  const Server& s1 = *first;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int failures_in_a_row = 0;
      for (int i = 0; i < kMaxPerThread && !stop.load() && failures_in_a_row < 3; ++i) {
        std::string ref = "CRASH-" + std::to_string(t) + "-" + std::to_string(i);
        int64_t amount = 100 * (1 + (t * 7 + i) % 9) + (i % 3);  // 1.00 .. 9.02 rupees
        json body = {{"companyId", p.company_id}, {"cardAccountId", account}, {"enKashCardId", card},
                     {"amount", static_cast<double>(amount) / 100.0}, {"transactionType", "CR"},
                     {"uniqueReferenceNumber", ref}};
        HttpResponse r = s1.partner_post(p, "/balance", body);
        std::lock_guard<std::mutex> lock(mu);
        if (r.status == 200 && r.is_json && r.j.value("code", -1) == 0) {
          acked[ref] = amount;
          answered.fetch_add(1);
          failures_in_a_row = 0;
        } else if (r.status == 0 || !r.is_json) {
          unknown.insert(ref);  // the server died under this request
          ++failures_in_a_row;
        } else {
          unexpected.push_back(ref + ": " + r.describe());
          ++failures_in_a_row;
        }
      }
      finished.fetch_add(1);
    });
  }
  // Kill once enough loads were acknowledged (bounded wait).
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (answered.load() < kKillAfter && finished.load() < kThreads && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  int killed_at = answered.load();
  int status = first->kill_hard();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "waitpid status " << status;
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_GE(killed_at, kKillAfter) << "the loads did not get going";
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected answers, first: "
                                  << (unexpected.empty() ? "" : unexpected.front());
  ASSERT_GE(acked.size(), static_cast<size_t>(kKillAfter));

  // The data as the crash left it.
  std::string verify_out;
  EXPECT_EQ(ledger_verify(dir, &verify_out), 0) << "ledger verify after the crash: " << verify_out;

  ServerOptions again;
  again.data_dir = dir;
  std::unique_ptr<Server> second = Server::start(again);
  ASSERT_TRUE(second && second->running());
  const Server& s2 = *second;
  if (s2.partner_post(p, "/cardAccount/get", {{"companyId", p.company_id}, {"cardAccountId", account}}).status == 401) {
    ASSERT_EQ(s2.token(p).status, 200);
  }

  // Every acknowledged load is there, once.
  int missing = 0, doubled = 0;
  for (const auto& [ref, amount] : acked) {
    HttpResponse d = s2.partner_post(p, "/transaction/all", {{"companyId", p.company_id}, {"cardAccountId", account},
                                                             {"enKashCardId", card}, {"pgReferenceNumber", ref}});
    if (!IsOkA(d)) {
      if (++missing <= 5) ADD_FAILURE() << "acknowledged load " << ref << " is not in the ledger: " << d.describe();
      continue;
    }
    EXPECT_EQ(paise(d.j["payload"]["principalAmount"]), amount) << ref;
    HttpResponse l = s2.partner_post(p, "/transaction/all", {{"companyId", p.company_id}, {"cardAccountId", account},
                                                             {"pgReferenceNumbers", json::array({ref})}});
    ASSERT_TRUE(IsOkA(l)) << l.describe();
    if (l.j["payload"].value("totalCount", -1) != 1 && ++doubled <= 5) {
      ADD_FAILURE() << ref << " appears " << l.j["payload"].value("totalCount", -1) << " times";
    }
  }
  EXPECT_EQ(missing, 0) << "of " << acked.size() << " acknowledged loads";
  EXPECT_EQ(doubled, 0);

  // Every load present: the acknowledged ones plus, possibly, some of those whose answer was lost.
  int64_t sum = 0;
  size_t present = 0;
  std::set<std::string> seen;
  for (int page = 0; page < 100; ++page) {
    HttpResponse l = s2.partner_post(p, "/transaction/all", {{"companyId", p.company_id}, {"cardAccountId", account},
                                                             {"enKashCardId", card}, {"pageNumber", page}, {"pageSize", 500}});
    ASSERT_TRUE(IsOkA(l)) << l.describe();
    const json& txns = l.j["payload"]["transactions"];
    for (const json& t : txns) {
      std::string ref = t.value("pgReferenceNumber", "");
      EXPECT_TRUE(seen.insert(ref).second) << ref << " listed twice";
      EXPECT_TRUE(acked.count(ref) || unknown.count(ref)) << "a load nobody sent: " << t.dump();
      EXPECT_EQ(t.value("cardTransactionType", ""), "CR");
      sum += paise(t["principalAmount"]);
      ++present;
    }
    if (txns.size() < 500) break;
  }
  std::printf("[ crash    ] killed after %d acknowledged loads; %zu acknowledged in all, %zu unanswered, %zu present "
              "after the restart\n", killed_at, acked.size(), unknown.size(), present);
  EXPECT_GE(present, acked.size());
  EXPECT_LE(present, acked.size() + unknown.size());
  json c = s2.search_card(p, account, card);
  ASSERT_TRUE(c.is_object());
  EXPECT_EQ(paise(c["otbBalance"]), sum);
  HttpResponse g = s2.partner_post(p, "/cardAccount/get", {{"companyId", p.company_id}, {"cardAccountId", account}});
  ASSERT_TRUE(IsOkB(g)) << g.describe();
  EXPECT_EQ(paise(g.j["payload"]["availableBalance"]), kPoolPaise - sum);
  EXPECT_EQ(paise(g.j["payload"]["availableCardBalance"]), sum);

  // The restarted server keeps working, and refuses an acknowledged reference again.
  const std::string some_ref = acked.begin()->first;
  HttpResponse dup = s2.partner_post(p, "/balance", {{"companyId", p.company_id}, {"cardAccountId", account},
                                                     {"enKashCardId", card}, {"amount", 1}, {"transactionType", "CR"},
                                                     {"uniqueReferenceNumber", some_ref}});
  EXPECT_TRUE(IsErr(dup, 409, 409, "uniqueReferenceNumber")) << dup.describe();
  HttpResponse more = s2.partner_post(p, "/balance", {{"companyId", p.company_id}, {"cardAccountId", account},
                                                      {"enKashCardId", card}, {"amount", 1}, {"transactionType", "CR"},
                                                      {"uniqueReferenceNumber", "AFTER-RESTART"}});
  ASSERT_TRUE(IsOkA(more)) << more.describe();
  EXPECT_EQ(paise(more.j["payload"]["otbBalance"]), sum + 100);
  EXPECT_EQ(ledger_verify(dir, &verify_out), 0) << "ledger verify after the restart: " << verify_out;
  second->stop();
  EXPECT_EQ(ledger_verify(dir, &verify_out), 0) << "ledger verify after the stop: " << verify_out;
  // `first` (declared first, destroyed last) owns the directory and removes it.
}

// An Idempotency-Key's answer is stored in the unit of the change it answers: killed right after
// a keyed load and a keyed sandbox purchase were answered, the restarted server replays both
// answers byte for byte and has posted each exactly once. The purchase carries no message key
// (stan/rrn), so only the Idempotency-Key can recognise its retry.
TEST_F(ApiCrash, KeyedAnswersSurviveSigkillAndReplayOnce) {
  std::unique_ptr<Server> first = Server::start();
  ASSERT_TRUE(first && first->running());
  const std::string dir = first->dir();
  PartnerCreds p = first->admin_create_partner("Keyed Crash Co");
  std::string account = first->create_account(p);
  std::string card = first->create_card(p, account).value("enKashCardId", "");
  ASSERT_FALSE(card.empty());
  ASSERT_TRUE(IsOkA(first->admin_post("/admin/v1/cardAccounts/fund", {{"companyId", p.company_id}, {"cardAccountId", account},
                                                                     {"amount", 1000}, {"reference", "KEYED-POOL"}})));
  const json load = {{"companyId", p.company_id}, {"cardAccountId", account}, {"enKashCardId", card},
                     {"amount", "250.00"},        {"transactionType", "CR"},  {"uniqueReferenceNumber", "KEYED-LOAD-1"}};
  const json buy = {{"companyId", p.company_id}, {"cardAccountId", account}, {"enKashCardId", card},
                    {"amount", "40.00"},         {"channel", "POS"},          {"merchantName", "Crash Cafe"}};
  auto keyed_load = [&](const Server& s) {
    return s.partner_post_raw(p, "/balance", load.dump(), {{"Idempotency-Key", "crash-load-key"}});
  };
  auto keyed_buy = [&](const Server& s) {
    return s.post_json("/api/v0/sandbox/purchases", buy,
                       {{"authorization", "Bearer " + p.access_token}, {"partnerId", p.partner_id},
                        {"Idempotency-Key", "crash-purchase-key"}});
  };
  HttpResponse loaded = keyed_load(*first);
  ASSERT_TRUE(IsOkA(loaded)) << loaded.describe();
  HttpResponse bought = keyed_buy(*first);
  ASSERT_TRUE(IsOkA(bought)) << bought.describe();
  ASSERT_EQ(bought.j["payload"].value("responseCode", ""), "00") << bought.describe();
  int status = first->kill_hard();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "waitpid status " << status;

  ServerOptions again;
  again.data_dir = dir;
  std::unique_ptr<Server> second = Server::start(again);
  ASSERT_TRUE(second && second->running());
  const Server& s2 = *second;
  if (s2.partner_post(p, "/cardAccount/get", {{"companyId", p.company_id}, {"cardAccountId", account}}).status == 401) {
    ASSERT_EQ(s2.token(p).status, 200);
  }
  HttpResponse load_again = keyed_load(s2);
  EXPECT_EQ(load_again.status, loaded.status);
  EXPECT_EQ(load_again.body, loaded.body);
  EXPECT_EQ(load_again.header("idempotent-replayed"), "true") << load_again.describe();
  HttpResponse buy_again = keyed_buy(s2);
  EXPECT_EQ(buy_again.status, bought.status);
  EXPECT_EQ(buy_again.body, bought.body);
  EXPECT_EQ(buy_again.header("idempotent-replayed"), "true") << buy_again.describe();

  // Exactly one load and one purchase were posted.
  HttpResponse rows = s2.partner_post(p, "/transaction/all", {{"companyId", p.company_id}, {"cardAccountId", account},
                                                              {"enKashCardId", card}, {"pageSize", 500}});
  ASSERT_TRUE(IsOkA(rows)) << rows.describe();
  int loads = 0, purchases = 0;
  for (const json& t : rows.j["payload"]["transactions"]) {
    if (t.value("pgReferenceNumber", "") == "KEYED-LOAD-1") ++loads;
    if (t.value("type", "") == "PURCHASE") ++purchases;
  }
  EXPECT_EQ(loads, 1) << rows.describe();
  EXPECT_EQ(purchases, 1) << rows.describe();
  json c = s2.search_card(p, account, card);
  ASSERT_TRUE(c.is_object());
  EXPECT_EQ(paise(c["otbBalance"]), 21000);
  second->stop();
  std::string verify_out;
  EXPECT_EQ(ledger_verify(dir, &verify_out), 0) << verify_out;
}

}  // namespace
}  // namespace apitest
