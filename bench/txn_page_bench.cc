// Benchmark: how fast is one page of card transactions when the table holds millions of rows?
//
// Opens a fresh SQLite store in a temporary directory, inserts one partner, company, plan, a big
// card account (all generated rows) and a small one (a few rows interleaved among them), a few
// hundred cards, then N card transactions through Tx::insert_transaction in batched units
// (one unit = one commit per --batch rows). It then times, with std::chrono, each query the
// partner API issues for /transaction/all (Tx::list_transactions = one COUNT(*) + one page) and
// for a single lookup by reference, and prints a markdown table plus SQLite's EXPLAIN QUERY PLAN
// for every query, so a slow line can be explained without guessing.
//
// Loops are bounded: every query runs at most --runs times and stops early after
// --budget-seconds, whichever comes first (a slow query is reported with fewer runs, not skipped).
//
// Usage: txn_page_bench [--rows 1000000] [--runs 200] [--budget-seconds 8] [--batch 10000]
//                       [--cards 300] [--dir DIR] [--keep]
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench_rows.h"
#include "store/store.h"

namespace cardcore::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPartner = "CRBENCH00";
constexpr const char* kCompany = "CEKBENCH00";
constexpr const char* kPlan = "PMBENCH00";
constexpr const char* kBigAccount = "CABIG0000";
constexpr const char* kSmallAccount = "CASMALL00";
constexpr int64_t kBaseTime = 1'700'000'000;  // 2023-11-14; rows are 30 s apart
constexpr int64_t kRowSpacingSeconds = 30;
constexpr int64_t kMaxAmountPaise = 10'000'000;  // ₹1,00,000
constexpr int kSmallAccountCards = 10;

struct Options {
  int64_t rows = 1'000'000;
  int runs = 200;
  double budget_seconds = 8;
  int64_t batch = 10'000;
  int cards = 300;
  int64_t small_rows = 1'000;
  std::string dir;
  bool keep = false;
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "txn_page_bench: %s\n", msg.c_str());
  std::exit(2);
}

void check(const Status& st, const char* what) {
  if (!st) die(std::string(what) + ": " + st.error().message);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--rows") o.rows = std::stoll(next());
    else if (a == "--runs") o.runs = std::stoi(next());
    else if (a == "--budget-seconds") o.budget_seconds = std::stod(next());
    else if (a == "--batch") o.batch = std::stoll(next());
    else if (a == "--cards") o.cards = std::stoi(next());
    else if (a == "--small-rows") o.small_rows = std::stoll(next());
    else if (a == "--dir") o.dir = next();
    else if (a == "--keep") o.keep = true;
    else die("unknown argument " + a + " (see the header of bench/txn_page_bench.cc)");
  }
  if (o.rows < 1000 || o.rows > 50'000'000) die("--rows must be 1000..50000000");
  if (o.runs < 1 || o.runs > 100'000) die("--runs must be 1..100000");
  if (o.batch < 1 || o.batch > 1'000'000) die("--batch must be 1..1000000");
  if (o.cards < 1 || o.cards > 100'000) die("--cards must be 1..100000");
  if (o.small_rows < 0 || o.small_rows > o.rows) die("--small-rows must be 0..rows");
  return o;
}

const Owner kOwner{kPartner, kCompany, "Bench Co", "EKBENCH0"};

CardRow make_card(const std::string& id, const std::string& account, int n) {
  return bench::make_card(kOwner, id, account, n, kBaseTime);
}

// What the generator wrote, kept so the queries ask for things that exist.
struct Dataset {
  std::vector<std::string> big_cards, small_cards;
  std::vector<uint16_t> card_of_row;  // index into big_cards for each big-account row
  int64_t big_rows = 0, small_rows = 0;
  int64_t last_time = kBaseTime;
  double load_seconds = 0;
};

TransactionRow make_txn(int64_t i, const std::string& account, const std::string& card, int64_t amount,
                        bool credit) {
  return bench::make_txn(kOwner, "ECTR", i, account, card, amount, credit, kBaseTime + i * kRowSpacingSeconds);
}

Dataset load(Store& store, const Options& o) {
  Dataset d;
  check(transact(store, [&](Tx& tx) -> Status {
          CC_RETURN_IF_ERROR(tx.insert_partner({kPartner, "Bench", "9000000001", "", "none", kCompany, "h",
                                                Sealed{"k1", "blob"}, kBaseTime, Sealed{}}));
          CC_RETURN_IF_ERROR(tx.insert_company({kCompany, kPartner, "Bench Co", kBaseTime}));
          CC_RETURN_IF_ERROR(tx.insert_plan({kPlan, kPartner, "plan", "652150", 5, 20'000'000, false, kBaseTime, "", ""}));
          for (const char* acc : {kBigAccount, kSmallAccount}) {
            CC_RETURN_IF_ERROR(tx.insert_card_account({acc, kPartner, kCompany, "Bench Co", kPlan, "EKBENCH0",
                                                       "a@b.co", "9000000001", "t", "MEAL", kBaseTime}));
          }
          for (int c = 0; c < o.cards; ++c) {
            d.big_cards.push_back(pad("EKC", c, 7));
            CC_RETURN_IF_ERROR(tx.insert_card(make_card(d.big_cards.back(), kBigAccount, c)));
          }
          for (int c = 0; c < kSmallAccountCards; ++c) {
            d.small_cards.push_back(pad("EKS", c, 7));
            CC_RETURN_IF_ERROR(tx.insert_card(make_card(d.small_cards.back(), kSmallAccount, o.cards + c)));
          }
          return {};
        }),
        "seed");

  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> amount(100, kMaxAmountPaise);
  std::uniform_int_distribution<int> card(0, o.cards - 1);
  std::uniform_int_distribution<int> percent(0, 99);
  // Small-account rows are spread evenly among the big account's, so they are interleaved on disk.
  int64_t small_every = o.small_rows > 0 ? std::max<int64_t>(1, o.rows / o.small_rows) : 0;
  d.card_of_row.reserve(static_cast<size_t>(o.rows));
  auto start = Clock::now();
  int64_t i = 0;
  while (i < o.rows) {
    int64_t end = std::min(o.rows, i + o.batch);
    check(transact(store, [&](Tx& tx) -> Status {
            for (int64_t k = i; k < end; ++k) {
              bool small = small_every > 0 && k % small_every == 0 && d.small_rows < o.small_rows;
              if (small) {
                const std::string& c = d.small_cards[static_cast<size_t>(k) % d.small_cards.size()];
                CC_RETURN_IF_ERROR(tx.insert_transaction(make_txn(k, kSmallAccount, c, amount(rng), true)));
                ++d.small_rows;
                d.card_of_row.push_back(UINT16_MAX);
              } else {
                int ci = card(rng);
                CC_RETURN_IF_ERROR(tx.insert_transaction(
                    make_txn(k, kBigAccount, d.big_cards[static_cast<size_t>(ci)], amount(rng), percent(rng) < 80)));
                ++d.big_rows;
                d.card_of_row.push_back(static_cast<uint16_t>(ci));
              }
            }
            return {};
          }),
          "insert batch");
    i = end;
    if ((i / o.batch) % 10 == 0 || i == o.rows) {
      std::fprintf(stderr, "  inserted %lld / %lld rows (%.1f s)\n", static_cast<long long>(i),
                   static_cast<long long>(o.rows), std::chrono::duration<double>(Clock::now() - start).count());
    }
  }
  d.load_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  d.last_time = kBaseTime + (o.rows - 1) * kRowSpacingSeconds;
  return d;
}

// ---- measuring ----

struct Sample {
  std::vector<double> latency_ms;
  size_t page_rows = 0;
  int64_t total = -1;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

// Runs `once` (returns rows on the page and the total, or -1) up to o.runs times within the
// time budget, after 3 warm-up calls.
Sample measure(const Options& o, const std::function<std::pair<size_t, int64_t>()>& once) {
  Sample s;
  for (int w = 0; w < 3; ++w) once();
  auto budget_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(o.budget_seconds));
  for (int r = 0; r < o.runs; ++r) {
    auto t0 = Clock::now();
    auto [rows, total] = once();
    auto t1 = Clock::now();
    s.latency_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    s.page_rows = rows;
    s.total = total;
    if (t1 > budget_end) break;
  }
  return s;
}

// The same WHERE clause SqliteTx::list_transactions builds (kept in step by hand; bench only),
// with literal values so EXPLAIN QUERY PLAN can be run from a second connection.
std::string where_of(const TransactionFilter& f) {
  auto q = [](const std::string& s) { return "'" + s + "'"; };
  std::string w = " WHERE partner_id = " + q(f.partner_id) + " AND card_account_id = " + q(f.card_account_id);
  if (!f.card_id.empty()) w += " AND card_id = " + q(f.card_id);
  if (!f.status.empty()) w += " AND status = " + q(f.status);
  if (!f.direction.empty()) w += " AND direction = " + q(f.direction);
  if (f.amount_from_paise) w += " AND amount_paise >= " + std::to_string(*f.amount_from_paise);
  if (f.amount_to_paise) w += " AND amount_paise <= " + std::to_string(*f.amount_to_paise);
  if (f.from_time) w += " AND created_at >= " + std::to_string(*f.from_time);
  if (f.to_time) w += " AND created_at <= " + std::to_string(*f.to_time);
  auto in_list = [&](const char* col, const std::vector<std::string>& v) {
    if (v.empty()) return;
    w += std::string(" AND ") + col + " IN (";
    for (size_t i = 0; i < v.size(); ++i) w += (i ? "," : "") + q(v[i]);
    w += ")";
  };
  in_list("txn_id", f.txn_ids);
  in_list("pg_reference", f.pg_references);
  return w;
}

std::string explain(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &s, nullptr) != SQLITE_OK) {
    return std::string("(explain failed: ") + sqlite3_errmsg(db) + ")\n";
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    out += "    ";
    out += reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
    out += "\n";
  }
  sqlite3_finalize(s);
  return out;
}

struct Case {
  std::string name;
  std::function<TransactionFilter(std::mt19937_64&)> filter;  // list_transactions cases
  bool by_reference = false;                                 // find_transaction_by_reference
};

int run(const Options& o) {
  std::string dir = o.dir;
  bool own_dir = dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/cardcore-bench-XXXXXX";
    if (!mkdtemp(tmpl)) die("mkdtemp failed");
    dir = tmpl;
  } else {
    std::filesystem::create_directories(dir);
  }
  std::string path = dir + "/bench.db";
  if (std::filesystem::exists(path)) die(path + " exists; give an empty --dir");
  auto opened = open_sqlite_store(path);
  if (!opened) die("open: " + opened.error().message);
  Store& store = **opened;

  std::fprintf(stderr, "txn_page_bench: loading %lld rows into %s\n", static_cast<long long>(o.rows), path.c_str());
  Dataset d = load(store, o);
  std::error_code ec;
  auto db_bytes = std::filesystem::file_size(path, ec);
  auto wal_bytes = std::filesystem::file_size(path + "-wal", ec);

  auto base = [&](const char* account = kBigAccount) {
    TransactionFilter f;
    f.partner_id = kPartner;
    f.card_account_id = account;
    f.limit = 50;
    return f;
  };
  std::uniform_int_distribution<int64_t> row_dist(0, o.rows - 1);
  auto big_row = [&](std::mt19937_64& rng) {
    for (;;) {  // small-account rows are rare (o.small_rows of o.rows); a few draws at most
      int64_t i = row_dist(rng);
      if (d.card_of_row[static_cast<size_t>(i)] != UINT16_MAX) return i;
    }
  };
  int64_t span = d.last_time - kBaseTime;
  std::vector<Case> cases = {
      {"account, first page (pageSize 50)", [&](std::mt19937_64&) { return base(); }},
      {"account + enKashCardId, first page",
       [&](std::mt19937_64& rng) {
         auto f = base();
         f.card_id = d.big_cards[rng() % d.big_cards.size()];
         return f;
       }},
      {"account, deep page (pageNumber 100 = OFFSET 5000)",
       [&](std::mt19937_64&) {
         auto f = base();
         f.offset = 100 * 50;
         return f;
       }},
      {"account, amountFrom..amountTo (1% of amounts)",
       [&](std::mt19937_64& rng) {
         auto f = base();
         int64_t from = 100 + static_cast<int64_t>(rng() % static_cast<uint64_t>(kMaxAmountPaise * 99 / 100));
         f.amount_from_paise = from;
         f.amount_to_paise = from + kMaxAmountPaise / 100;
         return f;
       }},
      {"account, txnDateFrom..txnDateTo (one day)",
       [&](std::mt19937_64& rng) {
         auto f = base();
         int64_t from = kBaseTime + static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(1, span - 86400)));
         f.from_time = from;
         f.to_time = from + 86400 - 1;
         return f;
       }},
      {"account, 10 pgReferenceNumbers",
       [&](std::mt19937_64& rng) {
         auto f = base();
         for (int k = 0; k < 10; ++k) f.pg_references.push_back(pad("PGR", big_row(rng), 10));
         return f;
       }},
      {"small account (" + std::to_string(d.small_rows) + " rows), first page",
       [&](std::mt19937_64&) { return base(kSmallAccount); }},
      {"find_transaction_by_reference (one row)", nullptr, true},
  };

  // ---- run ----
  std::printf("Store: SQLite (WAL, synchronous=FULL), %lld rows in card_transactions: %lld in account %s "
              "(%zu cards), %lld in account %s. Database file %.0f MiB (+ WAL %.0f MiB).\n\n",
              static_cast<long long>(o.rows), static_cast<long long>(d.big_rows), kBigAccount, d.big_cards.size(),
              static_cast<long long>(d.small_rows), kSmallAccount, static_cast<double>(db_bytes) / 1048576.0,
              static_cast<double>(wal_bytes) / 1048576.0);
  std::printf("Load: %lld rows in units of %lld rows (one commit each): %.1f s, %.0f rows/s.\n\n",
              static_cast<long long>(o.rows), static_cast<long long>(o.batch), d.load_seconds,
              static_cast<double>(o.rows) / d.load_seconds);
  std::printf("| query (one unit: COUNT(*) + page) | runs | p50 ms | p95 ms | p99 ms | max ms | rows on page | totalCount |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  std::fflush(stdout);

  std::vector<std::pair<std::string, TransactionFilter>> plans;
  for (const Case& c : cases) {
    std::mt19937_64 rng(7);
    Sample s;
    if (c.by_reference) {
      s = measure(o, [&]() -> std::pair<size_t, int64_t> {
        int64_t i = big_row(rng);
        std::string card = d.big_cards[d.card_of_row[static_cast<size_t>(i)]];
        auto r = transact(store, [&](Tx& tx) {
          return tx.find_transaction_by_reference(kPartner, card, pad("PGR", i, 10));
        });
        if (!r) die("find_transaction_by_reference: " + r.error().message);
        if (!*r) die("find_transaction_by_reference: row " + std::to_string(i) + " not found");
        return {1, -1};
      });
    } else {
      plans.emplace_back(c.name, c.filter(rng));
      s = measure(o, [&]() -> std::pair<size_t, int64_t> {
        TransactionFilter f = c.filter(rng);
        auto page = transact(store, [&](Tx& tx) { return tx.list_transactions(f); });
        if (!page) die("list_transactions: " + page.error().message);
        return {page->rows.size(), page->total};
      });
    }
    std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f | %zu | %s |\n", c.name.c_str(), s.latency_ms.size(),
                percentile(s.latency_ms, 50), percentile(s.latency_ms, 95), percentile(s.latency_ms, 99),
                percentile(s.latency_ms, 100), s.page_rows,
                s.total < 0 ? "-" : std::to_string(s.total).c_str());
    std::fflush(stdout);
  }

  // ---- durable single-row units: what one commit costs (fsync-bound) ----
  {
    constexpr int kMaxUnits = 2000;
    constexpr double kBudgetSeconds = 4;
    std::vector<double> ms;
    auto t_start = Clock::now();
    for (int k = 0; k < kMaxUnits; ++k) {
      int64_t i = o.rows + k;
      auto t0 = Clock::now();
      check(transact(store, [&](Tx& tx) {
              return tx.insert_transaction(make_txn(i, kBigAccount, d.big_cards[static_cast<size_t>(k) % d.big_cards.size()],
                                                    100, true));
            }),
            "single insert");
      auto t1 = Clock::now();
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      if (std::chrono::duration<double>(t1 - t_start).count() > kBudgetSeconds) break;
    }
    double secs = std::chrono::duration<double>(Clock::now() - t_start).count();
    std::printf("\nDurable single-row units (one insert_transaction + COMMIT each, one thread): %zu units in %.2f s = "
                "%.0f commits/s; commit latency p50 %.2f ms, p99 %.2f ms.\n",
                ms.size(), secs, static_cast<double>(ms.size()) / secs, percentile(ms, 50), percentile(ms, 99));
  }

  // ---- query plans ----
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) die("reopen for EXPLAIN failed");
  std::printf("\nSQLite EXPLAIN QUERY PLAN of each list query (COUNT, then page):\n\n```\n");
  for (auto& [name, f] : plans) {
    std::string w = where_of(f);
    std::printf("%s\n  count:\n%s  page:\n%s", name.c_str(),
                explain(db, "SELECT COUNT(*) FROM card_transactions" + w).c_str(),
                explain(db, "SELECT * FROM card_transactions" + w + " ORDER BY seq DESC LIMIT " +
                                std::to_string(f.limit) + " OFFSET " + std::to_string(f.offset))
                    .c_str());
  }
  std::printf("find_transaction_by_reference\n%s",
              explain(db, "SELECT * FROM card_transactions WHERE partner_id = 'x' AND pg_reference = 'y' "
                          "AND ('c' = '' OR card_id = 'c') ORDER BY seq DESC LIMIT 1")
                  .c_str());
  std::printf("```\n");
  sqlite3_close(db);

  opened->reset();
  if (o.keep) {
    std::fprintf(stderr, "txn_page_bench: kept %s\n", path.c_str());
  } else if (own_dir) {
    std::filesystem::remove_all(dir, ec);
  } else {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
  }
  return 0;
}

}  // namespace
}  // namespace cardcore::bench

int main(int argc, char** argv) { return cardcore::bench::run(cardcore::bench::parse(argc, argv)); }
