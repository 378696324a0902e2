// Fills an existing cardcore SQLite store (made by a real server: bench/scale.sh) with many
// cards and card transactions, through the store's own operations in big units (one commit per
// --batch rows), so that the server can then be measured at scale: its start, its memory, and
// Get Card Details and the transaction page of a card among millions of rows.
//
// Rows belong to the partner, company and account given; cards get ids EKX0000000.. and
// transactions ECTX000000000.. (no ledger entry: they are history). --hot-card gets --hot-txns
// of the transactions, interleaved among the others, so its pages are deep. Times run from a
// year ago to now, 3 s apart or closer.
//
// Usage: scale_fill --db FILE --partner ID --company ID --company-name NAME --user-id ID
//                   --account ID --hot-card ID [--cards 1000000] [--txns 10000000]
//                   [--hot-txns 100000] [--batch 20000]
// Prints "RESULT cards=N txns=M hot_txns=K seconds=S rows_per_s=R" on stdout.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include "bench_rows.h"
#include "cli/progress.h"
#include "store/store.h"

namespace cardcore::bench {
namespace {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "scale_fill: %s\n", msg.c_str());
  std::exit(2);
}

struct Options {
  std::string db, account, hot_card;
  Owner owner;
  int64_t cards = 1'000'000, txns = 10'000'000, hot_txns = 100'000, batch = 20'000;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--db") o.db = next();
    else if (a == "--partner") o.owner.partner_id = next();
    else if (a == "--company") o.owner.company_id = next();
    else if (a == "--company-name") o.owner.company_name = next();
    else if (a == "--user-id") o.owner.user_id = next();
    else if (a == "--account") o.account = next();
    else if (a == "--hot-card") o.hot_card = next();
    else if (a == "--cards") o.cards = std::stoll(next());
    else if (a == "--txns") o.txns = std::stoll(next());
    else if (a == "--hot-txns") o.hot_txns = std::stoll(next());
    else if (a == "--batch") o.batch = std::stoll(next());
    else die("unknown argument " + a + " (see the header of bench/scale_fill.cc)");
  }
  if (o.db.empty() || o.owner.partner_id.empty() || o.owner.company_id.empty() || o.account.empty() ||
      o.hot_card.empty() || o.owner.user_id.empty())
    die("--db, --partner, --company, --user-id, --account and --hot-card are required");
  if (o.cards < 1 || o.cards > 10'000'000) die("--cards must be 1..10000000");
  if (o.txns < 0 || o.txns > 100'000'000) die("--txns must be 0..100000000");
  if (o.hot_txns < 0 || o.hot_txns > o.txns) die("--hot-txns must be 0..txns");
  if (o.batch < 1 || o.batch > 1'000'000) die("--batch must be 1..1000000");
  return o;
}

void check(const Status& st, const char* what) {
  if (!st) die(std::string(what) + ": " + st.error().message);
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  auto opened = open_sqlite_store(o.db);
  if (!opened) die("open " + o.db + ": " + opened.error().message);
  Store& store = **opened;
  const auto started = std::chrono::steady_clock::now();
  const int64_t now = ::time(nullptr);
  const int64_t year_ago = now - 365 * 86400;
  // On a terminal: a bar per phase; in a pipe (scripts/bench): quiet.
  std::optional<cli::Progress> bar;
  auto progress = [&](const char* what, int64_t done, int64_t total) {
    if (!bar) bar.emplace(std::string("scale_fill ") + what, static_cast<uint64_t>(total));
    bar->update(static_cast<uint64_t>(done));
    if (done == total) bar.reset();
  };
  for (int64_t i = 0; i < o.cards;) {
    const int64_t end = std::min(o.cards, i + o.batch);
    check(transact(store, [&](Tx& tx) -> Status {
            for (int64_t k = i; k < end; ++k) {
              CC_RETURN_IF_ERROR(tx.insert_card(make_card(o.owner, pad("EKX", k, 7), o.account, 900'000'000 + k,
                                                          year_ago + k % 86400)));
            }
            return {};
          }),
          "insert cards");
    i = end;
    progress("cards", i, o.cards);
  }
  // Every (txns / hot_txns)-th row is the hot card's; the rest go round the generated cards.
  const int64_t hot_every = o.hot_txns > 0 ? std::max<int64_t>(1, o.txns / o.hot_txns) : 0;
  const double spacing = o.txns > 0 ? std::min(3.0, 365.0 * 86400 / static_cast<double>(o.txns)) : 3.0;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> amount(100, 10'000'000);
  int64_t hot = 0;
  for (int64_t i = 0; i < o.txns;) {
    const int64_t end = std::min(o.txns, i + o.batch);
    check(transact(store, [&](Tx& tx) -> Status {
            for (int64_t k = i; k < end; ++k) {
              const bool on_hot = hot_every > 0 && k % hot_every == 0 && hot < o.hot_txns;
              const std::string card = on_hot ? o.hot_card : pad("EKX", (k * 7919) % o.cards, 7);
              const int64_t at = year_ago + static_cast<int64_t>(static_cast<double>(k) * spacing);
              CC_RETURN_IF_ERROR(
                  tx.insert_transaction(make_txn(o.owner, "ECTX", k, o.account, card, amount(rng), k % 5 == 0, at)));
              if (on_hot) ++hot;
            }
            return {};
          }),
          "insert transactions");
    i = end;
    progress("transactions", i, o.txns);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("RESULT cards=%lld txns=%lld hot_txns=%lld seconds=%.1f rows_per_s=%.0f\n",
              static_cast<long long>(o.cards), static_cast<long long>(o.txns), static_cast<long long>(hot), secs,
              static_cast<double>(o.cards + o.txns) / secs);
  return 0;
}

}  // namespace
}  // namespace cardcore::bench

int main(int argc, char** argv) { return cardcore::bench::run(argc, argv); }
