// The seam between the one storage implementation (store/*.cc, written once) and an engine
// (store/sqlite, store/postgres): prepare, bind, step, changed rows, transactions, savepoints.
// Nothing above this header knows which engine runs; nothing below it knows a table. The model is
// LevelDB's DBImpl above Env.
//
// Shared SQL is written once in the dialect both engines accept, with placeholders ?1..?n and a
// few named markers for what really differs (see Dialect). An engine rewrites a statement once,
// when it is first prepared on a connection, and caches it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore::sql {

// What an engine puts in place of each marker of the shared SQL. Every difference between the
// engines' SQL is one of these; the engine file says why it has the value it has.
struct Dialect {
  char placeholder = '?';          // ?N stays ?N (SQLite) or becomes $N (PostgreSQL)
  std::string_view for_update;     // {FOR UPDATE}: lock the rows read for the update that follows
  std::string_view skip_locked;    // {SKIP LOCKED}: lock the rows read, skipping rows others hold
  std::string_view insertion_seq;  // {seq}: a column that orders a table's rows by insertion
  std::string_view no_index;       // {+}: before a column, keeps the planner off its index
};

// Rewrites shared SQL for `d`: placeholders and markers; text in '...' is left alone.
std::string rewrite(std::string_view shared_sql, const Dialect& d);

// A byte string bound as a BLOB / BYTEA.
struct Blob {
  std::string_view bytes;
};

// One prepared statement on one connection. Parameters are 1-based, columns 0-based.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void bind_null(int i) = 0;
  virtual void bind_i64(int i, int64_t v) = 0;
  virtual void bind_bool(int i, bool v) = 0;
  virtual void bind_text(int i, std::string_view v) = 0;
  virtual void bind_blob(int i, std::string_view v) = 0;
  // Runs the statement at the first call; every call moves to the next result row and says
  // whether there is one. A failure is an Error (a unique-key clash is code::kDuplicate).
  virtual Result<bool> step() = 0;
  // Runs a write whose outcome the unit does not read (no rows, no count): it must succeed for
  // the unit to commit, and that is all. SQLite runs it now. PostgreSQL sends it without waiting
  // and reads its outcome with the next statement that waits, or with the commit (one round trip
  // for all of them, libpq's pipeline mode); a failure then comes back from that statement or
  // from the commit, and the unit fails all the same: nothing of it commits.
  virtual Status send() {
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, step());
      if (!row) return {};
    }
  }
  // Rows the statement inserted, updated or deleted (valid once it has run to its end).
  virtual int64_t changes() const = 0;
  virtual bool is_null(int col) const = 0;
  virtual int64_t i64(int col) const = 0;
  virtual bool boolean(int col) const = 0;
  virtual std::string text(int col) const = 0;
  virtual std::string blob(int col) const = 0;
  // Forgets bindings and results, ready for the next use.
  virtual void reset() = 0;
};

// One database connection. Not thread-safe: one unit of work uses it at a time.
class Connection {
 public:
  virtual ~Connection() = default;
  // The statement for `shared_sql`, a string literal: rewritten and prepared once per
  // connection, cached by the literal's address.
  virtual Result<Statement*> prepare(const char* shared_sql) = 0;
  // SQL assembled at run time (every value still a bound parameter): prepared for one use.
  virtual Result<std::unique_ptr<Statement>> prepare_dynamic(const std::string& shared_sql) = 0;
  // Runs statements without parameters (DDL, transaction control).
  virtual Status exec(const std::string& script) = 0;

  // A write transaction: it sees its own writes and holds what it changed until commit. SQLite
  // takes the database's write lock at once; PostgreSQL runs READ COMMITTED with row locks.
  virtual Status begin() = 0;
  // A read-only transaction: every statement of it sees one snapshot of committed data, and a
  // write fails. It takes no write lock, so it never waits behind a writer's commit.
  virtual Status begin_read() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  // Waits for the writes sent ahead (Statement::send) and returns the first failure among them.
  // Group commit calls it at the end of each unit, so that a failure is that unit's alone.
  virtual Status flush() { return {}; }
  // Savepoints inside a transaction: rolling back to one undoes only what ran after it, and
  // clears a failed statement (failed() is false again).
  Status savepoint(std::string_view name) { return exec("SAVEPOINT " + std::string(name)); }
  Status release_savepoint(std::string_view name) { return exec("RELEASE SAVEPOINT " + std::string(name)); }
  virtual Status rollback_to_savepoint(std::string_view name) = 0;

  // True when a statement failed since begin() or the last rollback to a savepoint. PostgreSQL
  // refuses every further statement of such a transaction, so the store never commits it; the
  // same rule holds on SQLite, so that both engines behave alike.
  virtual bool failed() const = 0;
  // True when that failure was a lost race (deadlock, serialization) worth running the unit again.
  virtual bool failure_is_retryable() const = 0;
  // True when the connection to the database server is gone (PostgreSQL only).
  virtual bool lost() const = 0;
  // Whether UPDATE ... RETURNING costs about what the UPDATE does. PostgreSQL: yes, and it saves
  // a round trip. SQLite: no, it collects the returned rows in a temporary b-tree of their own
  // on every run (measured: the hold of an authorization cost 2.5× an UPDATE and a SELECT by
  // key), so a hot operation there updates, then reads the row back.
  virtual bool returning_is_cheap() const { return true; }
};

// A lease on a statement with typed binds; resets the statement when it ends.
class Query {
 public:
  explicit Query(Statement* s) : s_(s) {}
  explicit Query(std::unique_ptr<Statement> owned) : s_(owned.get()), owned_(std::move(owned)) {}
  Query(Query&& o) noexcept : s_(o.s_), owned_(std::move(o.owned_)) { o.s_ = nullptr; }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;
  ~Query() {
    if (s_) s_->reset();
  }

  Query& bind(int i, std::string_view v) { s_->bind_text(i, v); return *this; }
  Query& bind(int i, const std::string& v) { s_->bind_text(i, v); return *this; }
  Query& bind(int i, const char* v) { s_->bind_text(i, v); return *this; }
  Query& bind(int i, long v) { s_->bind_i64(i, v); return *this; }
  Query& bind(int i, long long v) { s_->bind_i64(i, static_cast<int64_t>(v)); return *this; }
  Query& bind(int i, int v) { s_->bind_i64(i, v); return *this; }
  Query& bind(int i, unsigned long v) { s_->bind_i64(i, static_cast<int64_t>(v)); return *this; }
  Query& bind(int i, bool v) { s_->bind_bool(i, v); return *this; }
  Query& bind(int i, Blob v) { s_->bind_blob(i, v.bytes); return *this; }
  Query& bind(int i, const std::optional<int64_t>& v) {
    if (v) s_->bind_i64(i, *v); else s_->bind_null(i);
    return *this;
  }
  Query& bind_null(int i) { s_->bind_null(i); return *this; }

  Result<bool> step() { return s_->step(); }
  // A write whose outcome the unit does not read (Statement::send).
  Status send() { return s_->send(); }
  // Runs to the end; the number of rows changed.
  Result<int64_t> run() {
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, s_->step());
      if (!row) return s_->changes();
    }
  }

  bool is_null(int col) const { return s_->is_null(col); }
  int64_t i64(int col) const { return s_->i64(col); }
  bool boolean(int col) const { return s_->boolean(col); }
  std::string text(int col) const { return s_->text(col); }
  std::string blob(int col) const { return s_->blob(col); }
  std::optional<int64_t> opt_i64(int col) const {
    if (is_null(col)) return std::nullopt;
    return i64(col);
  }

 private:
  Statement* s_;
  std::unique_ptr<Statement> owned_;
};

inline Result<Query> query(Connection& c, const char* shared_sql) {
  CC_ASSIGN_OR_RETURN(Statement* s, c.prepare(shared_sql));
  return Query(s);
}
inline Result<Query> dynamic_query(Connection& c, const std::string& shared_sql) {
  CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> s, c.prepare_dynamic(shared_sql));
  return Query(std::move(s));
}

}  // namespace cardcore::sql
