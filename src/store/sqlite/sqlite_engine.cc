// The embedded engine: one SQLite database in WAL mode with synchronous=FULL (a commit that
// returned is on disk). Write units run one at a time on the one write connection, inside
// BEGIN IMMEDIATE, so a unit takes the write lock up front (no lock upgrades, no deadlocks) and
// sees a stable database.
//
// Group commit: units that arrive while a commit is under way wait in a queue; the next writer
// (whichever waiting thread finds the connection free: leader/follower, no thread of its own)
// takes every queued unit, up to kMaxUnitsPerCommit, and runs them in one transaction, each in
// its own savepoint (sql::run_batch), with one commit and so one fsync for all. A refused unit
// is rolled back alone; no unit's caller hears "done" before the commit that holds it is
// durable. The batch closes when the writer becomes free, never on a timer: under light load a
// unit commits alone at once. A unit whose caller's deadline (domain/deadline.h) passed while
// it queued is refused with code::kUnavailable, unrun. Read-only units run on read-only
// connections of their own: in WAL mode a reader sees the last commit before it began and
// neither waits for the writer nor holds it up. The writer appends to the WAL through a VFS
// that gathers a commit's frames into a few writes (wal_coalesce.h).
// This file is the SQLite side of store/sql/seam.h and nothing else.
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <thread>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/deadline.h"
#include "store/sql/engines.h"
#include "store/sql/seam.h"
#include "store/sql/unit.h"
#include "store/sqlite/wal_coalesce.h"
#include "store/store.h"

namespace cardcore {
namespace {

// Where the shared SQL meets SQLite:
constexpr sql::Dialect kSqlite{
    .placeholder = '?',     // SQLite's own ?N
    .for_update = "",       // BEGIN IMMEDIATE already holds the one write lock
    .skip_locked = "",      // likewise: no other writer can hold a row
    .insertion_seq = "rowid",  // tables without an explicit sequence column order by rowid
    .no_index = "+",        // unary + on a column: SQLite's documented way to disqualify an index
};

// Unique-key clashes become code::kDuplicate (409); anything else is a storage failure.
Error error_from(sqlite3* db, int rc) {
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Error{code::kDuplicate, "already exists (" + msg + ")", ""};
  }
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return Error{code::kFailure, "storage constraint failed: " + msg, ""};
  return Error{code::kFailure, "storage error: " + msg, ""};
}

class SqliteConnection;

class SqliteStatement final : public sql::Statement {
 public:
  SqliteStatement(SqliteConnection& c, sqlite3_stmt* s, bool owned) : c_(c), s_(s), owned_(owned) {}
  ~SqliteStatement() override {
    if (owned_) sqlite3_finalize(s_);
  }

  void bind_null(int i) override { sqlite3_bind_null(s_, i); }
  void bind_i64(int i, int64_t v) override { sqlite3_bind_int64(s_, i, v); }
  void bind_bool(int i, bool v) override { sqlite3_bind_int64(s_, i, v ? 1 : 0); }
  void bind_text(int i, std::string_view v) override {
    // An empty view may have no data pointer, which SQLite would bind as NULL: text is never NULL.
    sqlite3_bind_text(s_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_blob(int i, std::string_view v) override {
    if (v.empty()) sqlite3_bind_zeroblob(s_, i, 0);  // likewise: an empty blob, not NULL
    else sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  Result<bool> step() override;
  int64_t changes() const override { return sqlite3_changes64(sqlite3_db_handle(s_)); }
  bool is_null(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int64_t i64(int col) const override { return sqlite3_column_int64(s_, col); }
  bool boolean(int col) const override { return sqlite3_column_int64(s_, col) != 0; }
  std::string text(int col) const override {
    const unsigned char* p = sqlite3_column_text(s_, col);
    if (!p) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, col)));
  }
  std::string blob(int col) const override {
    const void* p = sqlite3_column_blob(s_, col);
    if (!p) return {};
    return std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, col)));
  }
  void reset() override {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  SqliteConnection& c_;
  sqlite3_stmt* s_;
  bool owned_;
};

// Once per process, before SQLite is first used: no memory statistics, which SQLite otherwise
// keeps under a global mutex taken on every allocation and free of every connection.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

class SqliteConnection final : public sql::Connection {
 public:
  enum class Mode { kWriter, kReader };
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path, Mode mode) {
    configure_sqlite_once();
    sqlite3* raw = nullptr;
    const int flags = mode == Mode::kWriter ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    // The writer appends each commit to the WAL in a few large writes (wal_coalesce.h).
    const char* vfs = mode == Mode::kWriter ? sqlite_wal::coalescing_vfs() : nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, vfs);
    if (rc != SQLITE_OK) {
      Error e = error_from(raw, rc);
      sqlite3_close(raw);
      return std::unexpected(e);
    }
    std::unique_ptr<SqliteConnection> c(new SqliteConnection(raw));
    sqlite3_busy_timeout(raw, 10000);
    sqlite3_extended_result_codes(raw, 1);
    // Pages are read through a memory map and kept in a 64 MiB cache per connection (SQLite's
    // default is 2 MiB, read with pread): measured, a hot card's pages were otherwise copied in
    // from the OS on every unit (bench/iso_load.sh, perf).
    CC_RETURN_IF_ERROR(c->exec("PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;"));
    if (mode == Mode::kReader) return c;  // the writer set WAL mode, which the database file keeps
    // WAL + synchronous=FULL: a commit that returned is on disk (no rupee lost on a crash).
    // temp_store=MEMORY keeps the statement journal of each unit's SAVEPOINT in memory: measured
    // (perf, bench/iso_load.sh), it was otherwise written to a temporary file, page by page, and
    // those pwrite calls took 14% of the server's time under group commit.
    CC_RETURN_IF_ERROR(c->exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"));
    return c;
  }
  ~SqliteConnection() override {
    cache_.clear();  // finalizes every cached statement before the connection closes
    exec_cache_.clear();
    sqlite3_close(db_);
  }

  Result<sql::Statement*> prepare(const char* shared_sql) override {
    auto it = cache_.find(shared_sql);
    if (it != cache_.end()) return it->second.get();
    CC_ASSIGN_OR_RETURN(sqlite3_stmt * s, compile(shared_sql, SQLITE_PREPARE_PERSISTENT));
    auto stmt = std::make_unique<SqliteStatement>(*this, s, true);
    sql::Statement* out = stmt.get();
    cache_.emplace(shared_sql, std::move(stmt));
    return out;
  }
  Result<std::unique_ptr<sql::Statement>> prepare_dynamic(const std::string& shared_sql) override {
    CC_ASSIGN_OR_RETURN(sqlite3_stmt * s, compile(shared_sql, 0));
    return std::unique_ptr<sql::Statement>(new SqliteStatement(*this, s, true));
  }
  Status exec(const std::string& script) override {
    // One statement (BEGIN, COMMIT, SAVEPOINT u, RELEASE SAVEPOINT u: several per unit under
    // group commit) is compiled once per connection and kept, not parsed anew on every call.
    if (script.find(';') == std::string::npos) return exec_one(script);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      failed_ = true;
      return fail(code::kFailure, "storage error: " + msg);
    }
    return {};
  }
  Status exec_one(const std::string& statement) {
    auto it = exec_cache_.find(statement);
    if (it == exec_cache_.end()) {
      sqlite3_stmt* raw = nullptr;
      int rc = sqlite3_prepare_v3(db_, statement.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      if (rc != SQLITE_OK) {
        failed_ = true;
        return fail(code::kFailure, std::string("storage error: ") + sqlite3_errmsg(db_));
      }
      it = exec_cache_.emplace(statement, std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>(raw, sqlite3_finalize)).first;
    }
    sqlite3_stmt* st = it->second.get();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      failed_ = true;
      return fail(code::kFailure, std::string("storage error: ") + sqlite3_errmsg(db_));
    }
    return {};
  }
  Status begin() override {
    failed_ = false;
    return exec("BEGIN IMMEDIATE");
  }
  // Deferred: the snapshot is taken at the unit's first read, and no lock is ever asked for.
  Status begin_read() override {
    failed_ = false;
    return exec("BEGIN");
  }
  Status commit() override {
    const auto started = std::chrono::steady_clock::now();
    Status st = exec("COMMIT");
    commit_micros_.fetch_add(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - started).count()),
                             std::memory_order_relaxed);
    return st;
  }
  // Time spent in COMMIT: appending the transaction's pages to the WAL and its fsync.
  uint64_t commit_micros() const { return commit_micros_.load(std::memory_order_relaxed); }
  Status rollback() override {
    if (sqlite3_get_autocommit(db_)) return {};  // SQLite already rolled back (e.g. after SQLITE_FULL)
    return exec("ROLLBACK");
  }
  Status rollback_to_savepoint(std::string_view name) override {
    CC_RETURN_IF_ERROR(exec("ROLLBACK TO SAVEPOINT " + std::string(name)));
    failed_ = false;
    return {};
  }
  bool failed() const override { return failed_; }
  bool failure_is_retryable() const override { return false; }  // one writer: no lost races
  bool lost() const override { return false; }
  bool returning_is_cheap() const override { return false; }  // an ephemeral b-tree per run

  void note_failure() { failed_ = true; }
  sqlite3* raw() { return db_; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  Result<sqlite3_stmt*> compile(std::string_view shared_sql, unsigned flags) {
    std::string text = sql::rewrite(shared_sql, kSqlite);
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()), flags, &s, nullptr);
    if (rc != SQLITE_OK) {
      failed_ = true;
      return std::unexpected(error_from(db_, rc));
    }
    return s;
  }

  sqlite3* db_;
  std::atomic<uint64_t> commit_micros_{0};
  std::unordered_map<const char*, std::unique_ptr<SqliteStatement>> cache_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>> exec_cache_;
  bool failed_ = false;
};

Result<bool> SqliteStatement::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  c_.note_failure();
  return std::unexpected(error_from(sqlite3_db_handle(s_), rc));
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, std::unique_ptr<SqliteConnection> c) : path_(std::move(path)), c_(std::move(c)) {}

  Status migrate(const MigrateOptions& options) {
    return sql::migrate(*c_, "sqlite",
                        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
                        "NULL, applied_at INTEGER NOT NULL DEFAULT (unixepoch()))",
                        options);
  }

  Status run(const std::function<Status(Tx&)>& unit) override {
    return submit(std::span<const std::function<Status(Tx&)>>(&unit, 1)).front();
  }

  std::vector<Status> run_batch(std::span<const std::function<Status(Tx&)>> units) override {
    if (units.empty()) return {};
    return submit(units);
  }

  Status read(const std::function<Status(Tx&)>& unit) override {
    CC_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> reader, take_reader());
    bool retry = false;  // never: a reader loses no races
    Status st = sql::run_read(*reader, unit, retry);
    give_back(std::move(reader));
    return st;
  }

  std::string engine() const override { return "sqlite"; }

  StoreStats stats() const override {
    return {commits_.load(std::memory_order_relaxed), units_.load(std::memory_order_relaxed),
            commit_micros_.load(std::memory_order_relaxed), c_->commit_micros()};
  }

 private:
  // Readers are opened when more units read at once than are idle, and kept for the next ones;
  // there are never more than the threads that read concurrently.
  Result<std::unique_ptr<SqliteConnection>> take_reader() {
    {
      std::lock_guard lock(readers_mu_);
      if (!idle_readers_.empty()) {
        std::unique_ptr<SqliteConnection> c = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return c;
      }
    }
    return SqliteConnection::open(path_, SqliteConnection::Mode::kReader);
  }
  void give_back(std::unique_ptr<SqliteConnection> c) {
    std::lock_guard lock(readers_mu_);
    idle_readers_.push_back(std::move(c));
  }

  // Units of one caller (run: one; run_batch: several, committed together) and their outcome.
  struct Waiter {
    std::span<const std::function<Status(Tx&)>> units;
    std::vector<Status> out;
    std::optional<deadline::Clock::time_point> deadline;  // the caller's (domain/deadline.h)
    std::mutex m;
    std::condition_variable cv;
    int state = kWaiting;  // under m
    // Under m, so that the waiter cannot return (and its Waiter end) before this returns.
    void set(int s) {
      std::lock_guard lock(m);
      state = s;
      cv.notify_one();
    }
  };
  static constexpr int kWaiting = 0, kDone = 1, kLead = 2;

  // Leader/follower: the queue's head writes the next batch; everyone else sleeps on a flag of
  // its own until its units are committed (no thundering herd on one condition variable). When
  // no batch is being written the queue is empty, so an arrival then writes at once.
  std::vector<Status> submit(std::span<const std::function<Status(Tx&)>> units) {
    Waiter me;
    me.units = units;
    me.deadline = deadline::current();
    {
      std::lock_guard lock(queue_mu_);
      queue_.push_back(&me);
      if (!writing_) {
        writing_ = true;
        me.state = kLead;
      }
    }
    {
      std::unique_lock lock(me.m);
      me.cv.wait(lock, [&] { return me.state != kWaiting; });
      if (me.state == kDone) return std::move(me.out);
    }
    // This thread writes the next batch: every waiter queued so far (itself first), oldest first.
    // A waiter whose deadline passed while it queued is refused, unrun (it may be this thread's).
    std::vector<Waiter*> batch, late;
    size_t n = 0;
    {
      std::lock_guard lock(queue_mu_);
      const auto now = deadline::Clock::now();
      while (!queue_.empty() && (batch.empty() || n + queue_.front()->units.size() <= kMaxUnitsPerCommit)) {
        Waiter* w = queue_.front();
        queue_.pop_front();
        if (w->deadline && *w->deadline < now) {
          late.push_back(w);
          continue;
        }
        n += w->units.size();
        batch.push_back(w);
      }
    }
    for (Waiter* w : late) {
      w->out.assign(w->units.size(),
                    Status(fail(code::kUnavailable, "sqlite: the unit could not start before its deadline")));
    }
    if (!batch.empty()) write(batch, n);
    batch.insert(batch.end(), late.begin(), late.end());
    Waiter* next = nullptr;
    {
      std::lock_guard lock(queue_mu_);
      if (queue_.empty()) writing_ = false;
      else next = queue_.front();
    }
    for (Waiter* w : batch) {
      if (w != &me) w->set(kDone);
    }
    if (next) next->set(kLead);
    return std::move(me.out);
  }

  // One transaction for the batch. A batch of one unit needs no savepoint.
  void write(const std::vector<Waiter*>& batch, size_t units) {
    const auto started = std::chrono::steady_clock::now();
    struct Count {
      SqliteStore* s;
      size_t units;
      std::chrono::steady_clock::time_point started;
      ~Count() {
        const auto micros = static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
        s->commits_.fetch_add(1, std::memory_order_relaxed);
        s->units_.fetch_add(units, std::memory_order_relaxed);
        s->commit_micros_.fetch_add(micros, std::memory_order_relaxed);
        s->observe_commit(micros, units);
      }
    } count{this, units, started};
    if (units == 1) {
      bool retry = false;
      batch.front()->out = {sql::run_unit(*c_, batch.front()->units.front(), retry)};
      return;
    }
    std::vector<const std::function<Status(Tx&)>*> all;
    all.reserve(units);
    for (Waiter* w : batch)
      for (const auto& u : w->units) all.push_back(&u);
    std::vector<Status> out = sql::run_batch(*c_, all);
    size_t i = 0;
    for (Waiter* w : batch) {
      w->out.assign(std::make_move_iterator(out.begin() + static_cast<std::ptrdiff_t>(i)),
                    std::make_move_iterator(out.begin() + static_cast<std::ptrdiff_t>(i + w->units.size())));
      i += w->units.size();
    }
  }

  static constexpr size_t kMaxUnitsPerCommit = 256;

  const std::string path_;
  std::unique_ptr<SqliteConnection> c_;  // the one writer; used only by the thread writing_
  std::mutex queue_mu_;
  std::deque<Waiter*> queue_;
  bool writing_ = false;
  std::atomic<uint64_t> commits_{0}, units_{0}, commit_micros_{0};
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;
};

}  // namespace

namespace sql {
Result<std::unique_ptr<Connection>> open_sqlite_reader(const std::string& path) {
  if (!std::filesystem::exists(path)) return fail(code::kFailure, "no database at " + path);
  CC_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> c, SqliteConnection::open(path, SqliteConnection::Mode::kReader));
  return std::unique_ptr<Connection>(std::move(c));
}
}  // namespace sql

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, const MigrateOptions& migrations) {
  CC_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> c, SqliteConnection::open(path, SqliteConnection::Mode::kWriter));
  auto store = std::make_unique<SqliteStore>(path, std::move(c));
  CC_RETURN_IF_ERROR(store->migrate(migrations));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace cardcore

namespace cardcore {

Status backup_sqlite_store(const std::string& db_path, const std::string& to,
                           const std::function<void(uint64_t done, uint64_t total)>& progress) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(db_path, ec)) return fail(code::kFailure, "no database at " + db_path);
  if (fs::exists(to, ec)) return fail(code::kDuplicate, to + " exists: a backup never overwrites a file");
  const std::string partial = to + ".partial";
  fs::remove(partial, ec);
  fs::remove(partial + "-journal", ec);
  struct Db {
    sqlite3* db = nullptr;
    ~Db() { sqlite3_close(db); }
  } src, dst;
  auto failed = [&](sqlite3* db, int rc, const std::string& what) -> Status {
    Error e = error_from(db, rc);
    e.message = what + ": " + e.message;
    fs::remove(partial, ec);
    return std::unexpected(e);
  };
  int rc = sqlite3_open_v2(db_path.c_str(), &src.db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) return failed(src.db, rc, "open " + db_path);
  sqlite3_busy_timeout(src.db, 10000);
  // One read transaction for the whole copy: every step copies from the same snapshot, while the
  // server goes on committing to the WAL (a reader never waits for a writer, nor it for us).
  rc = sqlite3_exec(src.db, "BEGIN; SELECT COUNT(*) FROM sqlite_master;", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return failed(src.db, rc, "read " + db_path);
  rc = sqlite3_open_v2(partial.c_str(), &dst.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) return failed(dst.db, rc, "create " + partial);
  sqlite3_backup* b = sqlite3_backup_init(dst.db, "main", src.db, "main");
  if (!b) return failed(dst.db, sqlite3_errcode(dst.db), "backup");
  for (;;) {
    rc = sqlite3_backup_step(b, 1024);  // pages per step: 4 MiB at the default page size
    if (progress) {
      const int total = sqlite3_backup_pagecount(b);
      progress(static_cast<uint64_t>(total - sqlite3_backup_remaining(b)), static_cast<uint64_t>(total));
    }
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (rc != SQLITE_OK) break;
  }
  const int finish = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return failed(dst.db, rc, "backup");
  if (finish != SQLITE_OK) return failed(dst.db, finish, "backup");
  sqlite3_exec(src.db, "COMMIT", nullptr, nullptr, nullptr);
  std::string check;
  rc = sqlite3_exec(
      dst.db, "PRAGMA quick_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] ? values[0] : "";
        return 0;
      },
      &check, nullptr);
  if (rc != SQLITE_OK) return failed(dst.db, rc, "check the copy");
  if (check != "ok") {
    fs::remove(partial, ec);
    return fail(code::kFailure, "the copy fails PRAGMA quick_check: " + check);
  }
  sqlite3_close(dst.db);
  dst.db = nullptr;
  // Durable before it gets its name, and the name durable too.
  int fd = ::open(partial.c_str(), O_RDONLY);
  bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced) return fail(code::kFailure, "fsync " + partial + " failed");
  fs::rename(partial, to, ec);
  if (ec) return fail(code::kFailure, "rename to " + to + ": " + ec.message());
  const fs::path dir = fs::absolute(to).parent_path();
  if (int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return {};
}

}  // namespace cardcore
