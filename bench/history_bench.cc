// Benchmark: does a card's history change what an authorization costs?
//
// Opens a fresh SQLite store in a temporary directory and sets up, through the service layer, a
// partner, a funded card account and two cards loaded with the same balance. The "history" card
// then gets --history authorizations of ₹1 spread over this year (Asia/Kolkata), written through
// Tx::insert_authorization in units of 10,000 rows (so the store keeps its usage counters as it
// does for real ones); the "fresh" card has none. Then --runs authorizations of ₹1 are made
// through authorization::authorize (the same call as the sandbox route and the ISO 8583 0100),
// alternating between the two cards in one thread so that disk and CPU noise hit both alike.
// Each call is one durable unit (its own commit and sync). Prints a markdown table: p50, p90,
// p99 and mean per card, and the ratio history / fresh of each.
//
// --webhook URL gives the partner a webhook, so that every authorization also records the event
// a partner with a webhook gets (nothing is delivered: no dispatcher runs here).
//
// Usage: history_bench [--history 100000] [--runs 2000] [--dir DIR] [--keep] [--webhook URL]
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "domain/clock.h"
#include "notify/sms.h"
#include "security/crypto.h"
#include "security/secret_hash.h"
#include "service/admin.h"
#include "service/authorization.h"
#include "service/balances.h"
#include "service/cards.h"
#include "service/kyc.h"
#include "store/store.h"

namespace cardcore::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int64_t history = 100'000;
  int runs = 2'000;
  std::string dir;
  bool keep = false;
  std::string webhook;
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "history_bench: %s\n", msg.c_str());
  std::exit(2);
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--history") o.history = std::stoll(next());
    else if (a == "--runs") o.runs = std::stoi(next());
    else if (a == "--dir") o.dir = next();
    else if (a == "--keep") o.keep = true;
    else if (a == "--webhook") o.webhook = next();
    else die("unknown argument " + a);
  }
  if (o.history < 0 || o.history > 10'000'000) die("--history must be 0..10000000");
  if (o.runs < 10 || o.runs > 1'000'000) die("--runs must be 10..1000000");
  return o;
}

struct Stats {
  double p50, p90, p99, mean;
};

Stats stats(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double p) { return us[static_cast<size_t>(p * static_cast<double>(us.size() - 1) + 0.5)]; };
  double sum = 0;
  for (double v : us) sum += v;
  return {at(0.50), at(0.90), at(0.99), sum / static_cast<double>(us.size())};
}

int run(const Options& o) {
  std::string dir = o.dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/cardcore-history-bench-XXXXXX";
    if (!mkdtemp(tmpl)) die("mkdtemp failed");
    dir = tmpl;
  }
  secret_hash::set_cost({1, 8 * 1024});  // setup speed only: no PIN is checked below
  auto store = must(open_sqlite_store(dir + "/cardcore.db"), "open store");
  Vault vault = must(Vault::from_text(Vault::new_key_entry()), "vault");
  ServiceConfig config;
  auto sms = make_outbox_file_sms(dir + "/sms-outbox.jsonl");
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  Context ctx{*store, vault, crypto::random_bytes(32), config, *sms, [] { return static_cast<int64_t>(std::time(nullptr)); }};

  auto creds = must(admin::create_partner(ctx, {"History Bench", "9000000009", "", "none"}), "partner");
  if (!o.webhook.empty()) {
    Status st = store->run([&](Tx& tx) { return tx.set_partner_webhook_url(creds.partner_id, o.webhook); });
    if (!st) die("webhook: " + st.error().message);
  }
  Principal p{creds.partner_id, creds.username, ""};
  cards::CreateAccount acc{creds.company_id, "History Bench", "", creds.plan_master_id, "ops@bench.example",
                           "9000000009", "bench", "MEAL"};
  std::string account = must(cards::create_account(ctx, p, acc), "account").card_account_id;
  must(balances::fund(ctx, creds.company_id, account, 10'000'000'00, "HB-FUND"), "fund");
  auto card = [&](const char* name) {
    cards::CreateCard c;
    c.company_id = creds.company_id;
    c.card_account_id = account;
    c.first_name = name;
    c.mobile = "9123456789";
    std::string id = must(cards::create_card(ctx, p, c), "card").card.card_id;
    // Full KYC: a MIN card holds at most ₹10,000 and may spend ₹10,000 a month.
    kyc::Upgrade full;
    full.card_id = id;
    full.level = "FULL";
    full.reference = "HB-KYC-" + id;
    full.actor = "admin";
    full.channel = "ADMIN";
    must(kyc::record_full_kyc(ctx, full), "full KYC");
    balances::LoadRequest l;
    l.ref = CardRef{creds.company_id, account, id};
    l.amount_paise = 1'50'000'00;  // ₹1,50,000: room for the history and the runs
    l.transaction_type = "CR";
    l.reference = "HB-LOAD-" + id;
    must(balances::load(ctx, p, l), "load");
    return id;
  };
  const std::string history_card = card("History"), fresh_card = card("Fresh");

  // The history: this year's authorizations, evenly from 1 January (IST) to a minute ago.
  const clock::Date today = clock::ist_date(now);
  const int64_t year_start = clock::ist_midnight({today.year, 1, 1});
  const int64_t span = std::max<int64_t>(1, now - 60 - year_start);
  const auto history_started = Clock::now();
  for (int64_t done = 0; done < o.history;) {
    const int64_t n = std::min<int64_t>(10'000, o.history - done);
    Status st = store->run([&](Tx& tx) -> Status {
      for (int64_t i = done; i < done + n; ++i) {
        AuthorizationRow a;
        a.authorization_id = "AUTHH" + std::to_string(1'000'000'000 + i);
        a.partner_id = creds.partner_id;
        a.card_id = history_card;
        a.channel = authz::Channel::kPos;
        a.mcc = "5411";
        a.source = "SANDBOX";
        a.stan = std::to_string(i % 1'000'000);
        a.rrn = "H" + std::to_string(i);
        a.terminal_id = "HIST0001";
        a.authorized_paise = 100;
        a.captured_paise = 100;
        a.status = authz::AuthStatus::kClosed;
        a.created_at = a.updated_at = year_start + span * i / std::max<int64_t>(1, o.history);
        CC_RETURN_IF_ERROR(tx.insert_authorization(a));
      }
      return {};
    });
    if (!st) die("history: " + st.error().message);
    done += n;
  }
  const double history_s = std::chrono::duration<double>(Clock::now() - history_started).count();

  std::vector<double> on_history, on_fresh;
  int declined = 0;
  for (int i = 0; i < o.runs * 2; ++i) {
    const bool h = i % 2 == 0;
    authorization::AuthRequest r;
    r.partner_id = creds.partner_id;
    r.card_id = h ? history_card : fresh_card;
    r.amount_paise = 100;
    r.channel = "POS";
    r.mcc = "5411";
    r.source = "SANDBOX";
    const auto t0 = Clock::now();
    auto res = authorization::authorize(ctx, r);
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (!res) die("authorize: " + res.error().message);
    if (!res->approved) ++declined;
    (h ? on_history : on_fresh).push_back(us);
  }
  const Stats sh = stats(on_history), sf = stats(on_fresh);
  std::printf("History: %lld authorizations on one card this year, written in %.1f s. Then %d ₹1 "
              "authorizations per card, alternating, one durable unit each (%d declined).\n\n",
              static_cast<long long>(o.history), history_s, o.runs, declined);
  std::printf("| card | runs | p50 µs | p90 µs | p99 µs | mean µs |\n|---|---:|---:|---:|---:|---:|\n");
  std::printf("| fresh (no history) | %d | %.0f | %.0f | %.0f | %.0f |\n", o.runs, sf.p50, sf.p90, sf.p99, sf.mean);
  std::printf("| %lld authorizations this year | %d | %.0f | %.0f | %.0f | %.0f |\n",
              static_cast<long long>(o.history), o.runs, sh.p50, sh.p90, sh.p99, sh.mean);
  std::printf("| **ratio history / fresh** | | **%.2f** | %.2f | %.2f | **%.2f** |\n", sh.p50 / sf.p50,
              sh.p90 / sf.p90, sh.p99 / sf.p99, sh.mean / sf.mean);
  std::printf("\nRESULT history=%lld runs=%d fresh_p50_us=%.0f history_p50_us=%.0f ratio_p50=%.2f ratio_mean=%.2f\n",
              static_cast<long long>(o.history), o.runs, sf.p50, sh.p50, sh.p50 / sf.p50, sh.mean / sf.mean);
  store.reset();
  if (!o.keep && o.dir.empty()) std::filesystem::remove_all(dir);
  return declined == 0 ? 0 : 1;
}

}  // namespace
}  // namespace cardcore::bench

int main(int argc, char** argv) { return cardcore::bench::run(cardcore::bench::parse(argc, argv)); }
