// The storage interface the services need. Each use case is ONE unit of work: the service hands
// the store a function that reads, updates conditionally and inserts through `Tx`, and the store
// commits it whole or not at all.
//
// Layout (docs/architecture.md): the operations are written once, grouped by aggregate in
// programs.h, credentials.h, cards.h, ledger.h, authorizations.h, transactions.h, outbox.h and
// history.h, each stating the invariants it keeps. They run on the seam of store/sql/seam.h,
// which the engines implement: store/sqlite (the embedded default) and store/postgres (several
// nodes sharing one database). No balance rule ever needs a read-modify-write in process memory:
// every change to money is a conditional UPDATE that says whether it applied.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/error.h"
#include "store/authorizations.h"
#include "store/cards.h"
#include "store/credentials.h"
#include "store/history.h"
#include "store/ledger.h"
#include "store/outbox.h"
#include "store/migrations.h"
#include "store/programs.h"
#include "store/schema.h"
#include "store/records.h"
#include "store/transactions.h"

namespace cardcore {

// Operations available inside one unit of work. Lookups return nullopt for unknown keys. An
// insert that clashes with a unique key fails with code::kDuplicate and names the key.
class Tx final : public ProgramOps,
                 public CredentialOps,
                 public CardOps,
                 public LedgerOps,
                 public AuthorizationOps,
                 public TransactionOps,
                 public OutboxOps,
                 public HistoryOps,
                 public SchemaOps {
 public:
  explicit Tx(sql::Connection& c)
      : ProgramOps(c), CredentialOps(c), CardOps(c), LedgerOps(c), AuthorizationOps(c), TransactionOps(c),
        OutboxOps(c), HistoryOps(c), SchemaOps(c) {}
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
};

// What the store's write path did since it opened (counters only grow).
struct StoreStats {
  uint64_t commits = 0;          // write transactions committed or attempted
  uint64_t units = 0;            // write units they carried (group commit: units / commits > 1)
  uint64_t commit_micros = 0;    // time spent in those transactions, begin to durable commit
  uint64_t sync_micros = 0;      // of which in COMMIT itself (log write + fsync); 0 where not measured
};

class Store {
 public:
  virtual ~Store() = default;
  // Runs `unit` in one transaction: commit when it returns success, roll back when it returns an
  // error (which is passed through). A storage failure maps to code::kFailure.
  virtual Status run(const std::function<Status(Tx&)>& unit) = 0;
  // Runs several units in ONE transaction and one durable commit, each inside its own
  // savepoint: a unit that returns an error (or whose statement failed) is rolled back alone and
  // its neighbours commit. One Status per unit, in order; when the commit itself fails, every
  // unit that had succeeded gets that error. This is the write path of group commit.
  virtual std::vector<Status> run_batch(std::span<const std::function<Status(Tx&)>> units) = 0;
  // Runs a unit that only reads, on a connection of its own: it never waits behind a write's
  // commit (SQLite: one of a pool of read-only connections to the WAL database; PostgreSQL: a
  // pooled connection in a READ ONLY transaction). Every read of the unit sees one snapshot of
  // committed data; a write inside it fails and changes nothing.
  virtual Status read(const std::function<Status(Tx&)>& unit) = 0;
  virtual std::string engine() const = 0;  // "sqlite" | "postgres"
  virtual StoreStats stats() const = 0;

  // Told of every write transaction once it has ended: how long it took, begin to durable commit,
  // and how many units it carried (metrics). Set it before the store is used; it runs on the
  // committing thread, so it must be cheap and never block.
  using CommitObserver = std::function<void(uint64_t micros, size_t units)>;
  void set_commit_observer(CommitObserver observer) { commit_observer_ = std::move(observer); }

 protected:
  void observe_commit(uint64_t micros, size_t units) const {
    if (commit_observer_) commit_observer_(micros, units);
  }

 private:
  CommitObserver commit_observer_;
};

// Where the database's schema stands against this build (readiness, `serve --no-migrate`).
struct SchemaStatus {
  int64_t version = 0;  // the highest migration the database has applied
  int latest = 0;       // the highest this build carries
  // A schema a newer build has moved on is current too: migrations only add (docs/operations.md).
  bool current() const { return version >= latest; }
};
// Reads it in a read-only unit; an error when the store does not answer.
Result<SchemaStatus> schema_status(Store& store);

// Opens (creating and, unless told otherwise, migrating) the embedded SQLite store at `path` in
// WAL mode.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, const MigrateOptions& migrations = {});

// Copies the SQLite database at `db_path` to the new file `to` with SQLite's online backup API,
// from one read snapshot, while a server may go on writing: the copy holds every unit committed
// before it began and none after. `to` must not exist; it appears (renamed from to.partial, synced)
// only once the copy passed PRAGMA quick_check. `progress` is told pages copied / total.
Status backup_sqlite_store(const std::string& db_path, const std::string& to,
                           const std::function<void(uint64_t done, uint64_t total)>& progress = {});

// Opens (and migrates) the PostgreSQL store at `dsn` (a libpq connection string) with a pool of
// `pool_size` connections; several nodes may open the same database at once. A unit holds a
// connection for its whole transaction, so the pool bounds how many units run at once (the
// server commits them in parallel, and PostgreSQL flushes concurrent commits together).
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& dsn, size_t pool_size = 8,
                                                   const MigrateOptions& migrations = {});

namespace detail {
template <class F, class Run>
auto unit_result(F& f, Run run) -> decltype(f(std::declval<Tx&>())) {
  using R = decltype(f(std::declval<Tx&>()));
  std::optional<R> out;
  Status st = run([&](Tx& tx) -> Status {
    out.emplace(f(tx));
    if (!out->has_value()) return std::unexpected(out->error());
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return std::move(*out);
}
}  // namespace detail

// Runs `f(Tx&) -> Result<T>` (or Status) as one unit of work and returns its result.
template <class F>
auto transact(Store& store, F&& f) -> decltype(f(std::declval<Tx&>())) {
  return detail::unit_result(f, [&](const std::function<Status(Tx&)>& unit) { return store.run(unit); });
}

// The same for a unit that only reads (Store::read).
template <class F>
auto transact_read(Store& store, F&& f) -> decltype(f(std::declval<Tx&>())) {
  return detail::unit_result(f, [&](const std::function<Status(Tx&)>& unit) { return store.read(unit); });
}

}  // namespace cardcore
