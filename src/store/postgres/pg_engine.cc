// The scale-out engine: PostgreSQL 15 through libpq, shared by several stateless cardcore nodes.
// Each unit of work borrows one pooled connection and runs in BEGIN ISOLATION LEVEL READ
// COMMITTED. Money stays safe without SERIALIZABLE because every balance change is one
// conditional UPDATE (PostgreSQL re-checks its WHERE against the newest row version after
// waiting for a row lock), and the one read-then-write on a row (an authorization's follow-up)
// reads with FOR UPDATE. A unit that loses a deadlock or serialization race is rolled back and
// run again, up to kMaxRetries times. This file is the PostgreSQL side of store/sql/seam.h.
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "domain/deadline.h"
#include "store/sql/engines.h"
#include "store/sql/seam.h"
#include "store/sql/unit.h"
#include "store/store.h"

namespace cardcore {
namespace {

// Where the shared SQL meets PostgreSQL:
constexpr sql::Dialect kPostgres{
    .placeholder = '$',                      // libpq numbers parameters $N
    .for_update = "FOR UPDATE",              // READ COMMITTED: lock what is read to be updated
    .skip_locked = "FOR UPDATE SKIP LOCKED",  // parallel webhook workers never share an event
    .insertion_seq = "seq",                  // PostgreSQL has no rowid: an identity column `seq`
    .no_index = "",                          // its planner takes no such hint, nor needs it
};

constexpr int kMaxRetries = 3;  // re-runs after 40001 / 40P01, or a connection found broken at BEGIN
constexpr auto kConnectionWait = std::chrono::seconds(30);  // limit on waiting for a pooled connection

constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kSerializationFailure = "40001";
constexpr std::string_view kDeadlockDetected = "40P01";

// Fixed session settings the readers rely on (bytea as hex text, UTF-8, UTC); notices such as
// "relation already exists, skipping" are not worth a line on stderr.
constexpr const char* kSessionSettings =
    "SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; "
    "SET client_min_messages = warning";

// Unique-key clashes become code::kDuplicate (409) and name the key.
Error error_from(PGconn* conn, const PGresult* r) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (msg.empty()) msg = PQerrorMessage(conn);
  std::string_view sqlstate = state ? state : "";
  if (sqlstate == kUniqueViolation) {
    const char* constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    const char* detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    std::string what = constraint ? constraint : "unique key";
    if (detail) what += ": " + std::string(detail);
    return Error{code::kDuplicate, "already exists (" + what + ")", ""};
  }
  if (sqlstate.starts_with("23")) return Error{code::kFailure, "storage constraint failed: " + msg, ""};
  return Error{code::kFailure, "storage error: " + msg, ""};
}

class PgConnection;

// Parameters travel as text (integers in decimal, booleans as true/false) or, for blobs, binary.
class PgStatement final : public sql::Statement {
 public:
  PgStatement(PgConnection& c, std::string sql, std::string name) : c_(c), sql_(std::move(sql)), name_(std::move(name)) {}
  ~PgStatement() override { clear_result(); }

  void bind_null(int i) override { slot(i) = Param{}; }
  void bind_i64(int i, int64_t v) override { slot(i) = Param{std::to_string(v), 0, true}; }
  void bind_bool(int i, bool v) override { slot(i) = Param{v ? "true" : "false", 0, true}; }
  void bind_text(int i, std::string_view v) override { slot(i) = Param{std::string(v), 0, true}; }
  void bind_blob(int i, std::string_view v) override { slot(i) = Param{std::string(v), 1, true}; }
  Result<bool> step() override;
  Status send() override;
  int64_t changes() const override {
    if (!r_) return 0;
    const char* t = PQcmdTuples(r_);
    int64_t v = 0;
    std::from_chars(t, t + std::strlen(t), v);
    return v;
  }
  bool is_null(int col) const override { return PQgetisnull(r_, row_, col) != 0; }
  int64_t i64(int col) const override {
    const char* p = PQgetvalue(r_, row_, col);
    int64_t v = 0;
    std::from_chars(p, p + PQgetlength(r_, row_, col), v);  // NULL is "" -> 0; SUM's numeric is integral
    return v;
  }
  bool boolean(int col) const override {
    const char* p = PQgetvalue(r_, row_, col);
    return p[0] == 't' || p[0] == '1';
  }
  std::string text(int col) const override {
    return std::string(PQgetvalue(r_, row_, col), static_cast<size_t>(PQgetlength(r_, row_, col)));
  }
  std::string blob(int col) const override {
    if (is_null(col)) return {};
    size_t n = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row_, col)), &n);
    if (!raw) return {};
    std::string out(reinterpret_cast<const char*>(raw), n);
    PQfreemem(raw);
    return out;
  }
  void reset() override {
    clear_result();
    params_.clear();
  }
  void forget_prepared() { prepared_ = false; }

 private:
  friend class PgConnection;
  struct Param {
    std::string value;
    int format = 0;
    bool present = false;  // false: SQL NULL
  };
  Param& slot(int i) {
    if (params_.size() < static_cast<size_t>(i)) params_.resize(static_cast<size_t>(i));
    return params_[static_cast<size_t>(i - 1)];
  }
  void clear_result() {
    if (r_) PQclear(r_);
    r_ = nullptr;
    row_ = -1;
  }

  PgConnection& c_;
  std::string sql_;
  std::string name_;  // empty: a one-use statement (PQexecParams)
  bool prepared_ = false;
  std::vector<Param> params_;
  PGresult* r_ = nullptr;
  int row_ = -1;
};

class PgConnection final : public sql::Connection {
 public:
  static Result<std::unique_ptr<PgConnection>> open(const std::string& dsn) {
    PGconn* c = PQconnectdb(dsn.c_str());
    if (!c || PQstatus(c) != CONNECTION_OK) {
      std::string msg = c ? PQerrorMessage(c) : "out of memory";
      if (c) PQfinish(c);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      return fail(code::kFailure, "postgres: cannot connect: " + msg);
    }
    std::unique_ptr<PgConnection> conn(new PgConnection(c, dsn));
    CC_RETURN_IF_ERROR(conn->exec(kSessionSettings));
    return conn;
  }
  ~PgConnection() override {
    cache_.clear();
    PQfinish(conn_);
  }

  Result<sql::Statement*> prepare(const char* shared_sql) override {
    auto it = cache_.find(shared_sql);
    if (it != cache_.end()) return it->second.get();
    auto stmt = std::make_unique<PgStatement>(*this, sql::rewrite(shared_sql, kPostgres),
                                              "s" + std::to_string(cache_.size()));
    sql::Statement* out = stmt.get();
    cache_.emplace(shared_sql, std::move(stmt));
    return out;
  }
  Result<std::unique_ptr<sql::Statement>> prepare_dynamic(const std::string& shared_sql) override {
    return std::unique_ptr<sql::Statement>(new PgStatement(*this, sql::rewrite(shared_sql, kPostgres), ""));
  }
  Status exec(const std::string& script) override {
    CC_RETURN_IF_ERROR(flush());  // a script cannot join the pipeline
    PGresult* r = PQexec(conn_, script.c_str());
    CC_RETURN_IF_ERROR(check(r));
    PQclear(r);
    return {};
  }
  // BEGIN goes out with the unit's first statement, in one round trip (see send_command).
  Status begin() override { return open_transaction("BEGIN ISOLATION LEVEL READ COMMITTED"); }
  // REPEATABLE READ: every statement of a read-only unit sees the snapshot of its first one
  // (READ COMMITTED would give each statement its own). A read-only transaction takes no row
  // locks and is never a serialization failure.
  Status begin_read() override { return open_transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  // COMMIT goes out with the writes sent ahead, in one round trip; but never with BEGIN, so that a
  // connection found broken in BEGIN's round trip always means that nothing committed.
  Status commit() override {
    if (begin_pending_) CC_RETURN_IF_ERROR(flush());
    CC_RETURN_IF_ERROR(send_command("COMMIT"));
    PGresult* r = nullptr;
    CC_RETURN_IF_ERROR(sync(&r));
    // COMMIT of a transaction that a failed statement aborted answers ROLLBACK.
    bool committed = std::string_view(PQcmdStatus(r)) == "COMMIT";
    PQclear(r);
    if (!committed) return internal_error("storage error: the transaction was rolled back");
    return {};
  }
  Status rollback() override {
    (void)flush();  // what was sent has run (or failed): its outcome is read, then undone
    if (!lost() && PQtransactionStatus(conn_) == PQTRANS_IDLE) return {};
    return exec("ROLLBACK");
  }
  Status flush() override { return queue_.empty() ? Status{} : sync(nullptr); }
  Status rollback_to_savepoint(std::string_view name) override {
    CC_RETURN_IF_ERROR(exec("ROLLBACK TO SAVEPOINT " + std::string(name)));
    failed_ = false;
    first_sqlstate_.clear();
    return {};
  }
  bool failed() const override { return failed_; }
  // A connection found broken in the round trip that carried BEGIN ran nothing of the unit: the
  // unit may run again on a re-established connection.
  bool failure_is_retryable() const override {
    return lost_at_begin_ || first_sqlstate_ == kSerializationFailure || first_sqlstate_ == kDeadlockDetected;
  }
  bool lost() const override { return PQstatus(conn_) != CONNECTION_OK; }

  bool in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
  // Re-establishes a broken connection as a new one (the old one may have broken inside a
  // pipeline; a new one starts outside any); its prepared statements are gone with it.
  bool reconnect() {
    PGconn* fresh = PQconnectdb(dsn_.c_str());
    if (!fresh || PQstatus(fresh) != CONNECTION_OK) {
      if (fresh) PQfinish(fresh);
      return false;
    }
    PQfinish(conn_);
    conn_ = fresh;
    for (auto& [_, s] : cache_) s->forget_prepared();
    queue_.clear();
    begin_pending_ = false;
    return exec(kSessionSettings).has_value();
  }

  // A result that is not a success becomes an Error; the first failure's SQLSTATE is kept,
  // because PostgreSQL refuses every later statement of the transaction for the same cause.
  Status check(PGresult* r) {
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY) return {};
    if (!failed_) {
      failed_ = true;
      const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
      first_sqlstate_ = state ? state : "";
    }
    Error e = error_from(conn_, r);
    if (r) PQclear(r);
    return std::unexpected(std::move(e));
  }
  // The pipeline (libpq's pipeline mode): commands go out without waiting for their results,
  // which come back in order after a sync. A transaction's BEGIN, the writes a unit sent ahead
  // (Statement::send) and the next statement that waits, or the COMMIT, travel in one round trip.

  // Sends `s` with its parameters (and its PREPARE, the first time on this connection).
  Status send_statement(PgStatement& s) {
    CC_RETURN_IF_ERROR(enter_pipeline());
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const PgStatement::Param& p : s.params_) {
      values.push_back(p.present ? p.value.data() : nullptr);
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.format);
    }
    const int n = static_cast<int>(s.params_.size());
    if (s.name_.empty()) {
      return sent(PQsendQueryParams(conn_, s.sql_.c_str(), n, nullptr, values.data(), lengths.data(), formats.data(), 0),
                  nullptr);
    }
    if (!s.prepared_) {
      // Parameter types are left to the server to infer (the shared SQL casts where ambiguous).
      CC_RETURN_IF_ERROR(sent(PQsendPrepare(conn_, s.name_.c_str(), s.sql_.c_str(), 0, nullptr), &s));
      s.prepared_ = true;
    }
    return sent(PQsendQueryPrepared(conn_, s.name_.c_str(), n, values.data(), lengths.data(), formats.data(), 0),
                nullptr);
  }

  // Sends the pipeline's sync and reads every result sent before it, in order. The first failure
  // is the answer; without one, `last` (when given) receives the last command's result.
  Status sync(PGresult** last) {
    const bool carried_begin = begin_pending_;
    begin_pending_ = false;
    Status out;
    if (PQpipelineSync(conn_) != 1) out = broken("postgres: cannot send to the server");
    for (size_t i = 0; i < queue_.size(); ++i) {
      PGresult* r = PQgetResult(conn_);
      if (!r) {  // the connection broke: what remains will never come
        Status gone = broken("postgres: the server sent no result");
        if (out) out = gone;
        break;
      }
      const ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_PIPELINE_ABORTED) {  // skipped after an earlier failure of this pipeline
        if (queue_[i]) queue_[i]->forget_prepared();  // a PREPARE that never ran
        PQclear(r);
      } else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        if (last && i + 1 == queue_.size() && out) *last = r; else PQclear(r);
      } else {
        if (queue_[i]) queue_[i]->forget_prepared();  // its PREPARE failed
        Status e = check(r);
        if (out) out = e;
      }
      while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);  // each command's results end with NULL
    }
    queue_.clear();
    if (!lost()) {
      PGresult* end = PQgetResult(conn_);
      if (end) PQclear(end);  // PGRES_PIPELINE_SYNC
      if (PQexitPipelineMode(conn_) != 1 && out) out = broken("postgres: pipeline left unfinished");
    }
    if (!out && carried_begin && lost()) lost_at_begin_ = true;
    if (!out && last && *last) {
      PQclear(*last);
      *last = nullptr;
    }
    return out;
  }

  // Sends a command without parameters (BEGIN, COMMIT) into the pipeline.
  Status send_command(const char* command) {
    CC_RETURN_IF_ERROR(enter_pipeline());
    return sent(PQsendQueryParams(conn_, command, 0, nullptr, nullptr, nullptr, nullptr, 0), nullptr);
  }

 private:
  PgConnection(PGconn* c, std::string dsn) : conn_(c), dsn_(std::move(dsn)) {}

  Status open_transaction(const char* begin) {
    failed_ = false;
    lost_at_begin_ = false;
    first_sqlstate_.clear();
    CC_RETURN_IF_ERROR(flush());
    if (lost()) {
      lost_at_begin_ = true;
      return broken("postgres: the connection is broken");
    }
    begin_pending_ = true;
    return send_command(begin);
  }
  Status enter_pipeline() {
    if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) != 1) {
      return broken("postgres: cannot enter pipeline mode");
    }
    return {};
  }
  // Notes a command sent (`prepared_by`: the statement whose PREPARE it is, if it is one).
  Status sent(int ok, PgStatement* prepared_by) {
    if (ok != 1) return broken("postgres: cannot send to the server");
    queue_.push_back(prepared_by);
    return {};
  }
  // The connection failed under a command: the transaction is lost with it.
  Status broken(std::string what) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (!failed_) {
      failed_ = true;
      first_sqlstate_.clear();
    }
    return fail(code::kFailure, "storage error: " + what + (msg.empty() ? "" : ": " + msg));
  }

  PGconn* conn_;
  std::string dsn_;
  std::unordered_map<const char*, std::unique_ptr<PgStatement>> cache_;
  std::vector<PgStatement*> queue_;  // commands sent and not yet read; non-null: a PREPARE
  std::string first_sqlstate_;
  bool failed_ = false;
  bool begin_pending_ = false;  // BEGIN was sent and no sync has read it yet
  bool lost_at_begin_ = false;
};

Result<bool> PgStatement::step() {
  if (!r_) {
    CC_RETURN_IF_ERROR(c_.send_statement(*this));
    PGresult* r = nullptr;
    CC_RETURN_IF_ERROR(c_.sync(&r));
    r_ = r;
    row_ = -1;
  }
  ++row_;
  return row_ < PQntuples(r_);
}

Status PgStatement::send() { return c_.send_statement(*this); }

// A fixed set of connections; each unit of work borrows one for its whole transaction.
class Pool {
 public:
  explicit Pool(std::vector<std::unique_ptr<PgConnection>> conns) : idle_(std::move(conns)) {}

  class Lease {
   public:
    Lease(Pool& p, std::unique_ptr<PgConnection> c) : pool_(&p), conn_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (pool_ && conn_) pool_->give_back(std::move(conn_));
    }
    PgConnection& operator*() { return *conn_; }

   private:
    Pool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  // Waits for an idle connection up to kConnectionWait, or up to the thread's deadline
  // (domain/deadline.h) when that comes first: a unit that cannot start in time is refused.
  Result<Lease> take() {
    std::unique_lock lock(mu_);
    auto until = std::chrono::steady_clock::now() + kConnectionWait;
    const std::optional<deadline::Clock::time_point> by = deadline::current();
    const bool budgeted = by && *by < until;
    if (budgeted) until = *by;
    if (!cv_.wait_until(lock, until, [&] { return !idle_.empty(); })) {
      return fail(code::kUnavailable, budgeted ? "postgres: no database connection free before the unit's deadline"
                                               : "postgres: no database connection free");
    }
    std::unique_ptr<PgConnection> c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(c));
  }

 private:
  void give_back(std::unique_ptr<PgConnection> c) {
    // A connection that broke (server restart, network) is re-established before reuse; one left
    // inside a transaction (should not happen) is rolled back.
    if (!c->lost() && c->in_transaction()) (void)c->exec("ROLLBACK");
    if (c->lost()) (void)c->reconnect();
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
};

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::vector<std::unique_ptr<PgConnection>> conns) : pool_(std::move(conns)) {}

  // Migrations run under a session advisory lock, so nodes starting together take turns (the
  // second finds nothing to do).
  static Status migrate(PgConnection& c, const MigrateOptions& options) {
    CC_RETURN_IF_ERROR(c.exec("SELECT pg_advisory_lock(hashtext('cardcore.migrate.' || current_schema()))"));
    Status st = sql::migrate(c, "postgres",
                             "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT "
                             "NOT NULL, applied_at BIGINT NOT NULL DEFAULT (EXTRACT(EPOCH FROM now())::bigint))",
                             options);
    Status unlock = c.exec("SELECT pg_advisory_unlock(hashtext('cardcore.migrate.' || current_schema()))");
    if (!st) return st;
    return unlock;
  }

  Status run(const std::function<Status(Tx&)>& unit) override {
    std::mt19937 jitter(std::random_device{}());
    for (int attempt = 0;; ++attempt) {
      bool retry = false;
      Status st = [&]() -> Status {
        CC_ASSIGN_OR_RETURN(Pool::Lease conn, pool_.take());
        const auto started = std::chrono::steady_clock::now();
        Status r = sql::run_unit(*conn, unit, retry);
        count(started);
        return r;
      }();
      if (st || !retry || attempt >= kMaxRetries) return st;
      // Lost a deadlock or serialization race: run the whole unit again after a short pause.
      std::this_thread::sleep_for(std::chrono::milliseconds(1 + jitter() % (5u << attempt)));
    }
  }

  std::vector<Status> run_batch(std::span<const std::function<Status(Tx&)>> units) override {
    auto conn = pool_.take();
    if (!conn) return std::vector<Status>(units.size(), Status(std::unexpected(conn.error())));
    const auto started = std::chrono::steady_clock::now();
    std::vector<Status> out = sql::run_batch(**conn, units);
    count(started, units.size());
    return out;
  }

  // A read borrows a connection of the same pool; it runs again only when the connection was
  // found broken at BEGIN, before anything ran.
  Status read(const std::function<Status(Tx&)>& unit) override {
    for (int attempt = 0;; ++attempt) {
      bool retry = false;
      Status st = [&]() -> Status {
        CC_ASSIGN_OR_RETURN(Pool::Lease conn, pool_.take());
        return sql::run_read(*conn, unit, retry);
      }();
      if (st || !retry || attempt >= kMaxRetries) return st;
    }
  }

  std::string engine() const override { return "postgres"; }

  void count(std::chrono::steady_clock::time_point started, size_t units = 1) {
    const auto micros = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
    commits_.fetch_add(1, std::memory_order_relaxed);
    units_.fetch_add(units, std::memory_order_relaxed);
    commit_micros_.fetch_add(micros, std::memory_order_relaxed);
    observe_commit(micros, units);
  }

  StoreStats stats() const override {
    return {commits_.load(std::memory_order_relaxed), units_.load(std::memory_order_relaxed),
            commit_micros_.load(std::memory_order_relaxed)};
  }

 private:
  Pool pool_;
  std::atomic<uint64_t> commits_{0}, units_{0}, commit_micros_{0};
};

}  // namespace

namespace sql {
Result<std::unique_ptr<Connection>> open_postgres_connection(const std::string& dsn) {
  CC_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, PgConnection::open(dsn));
  return std::unique_ptr<Connection>(std::move(c));
}
}  // namespace sql

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& dsn, size_t pool_size,
                                                   const MigrateOptions& migrations) {
  if (pool_size < 1) pool_size = 1;
  std::vector<std::unique_ptr<PgConnection>> conns;
  for (size_t i = 0; i < pool_size; ++i) {
    CC_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, PgConnection::open(dsn));
    if (i == 0) CC_RETURN_IF_ERROR(PostgresStore::migrate(*c, migrations));
    conns.push_back(std::move(c));
  }
  return std::unique_ptr<Store>(std::make_unique<PostgresStore>(std::move(conns)));
}

}  // namespace cardcore
