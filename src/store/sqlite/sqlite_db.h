// Thin RAII over the SQLite C API: one connection, cached prepared statements, typed binds and
// column reads. Not thread-safe: the owning store serialises access.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/error.h"

namespace cardcore::sqlite {

class Stmt {
 public:
  // A lease on a cached statement: reset and unbound when the lease ends.
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() {
    if (s_) { sqlite3_reset(s_); sqlite3_clear_bindings(s_); }
  }
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  void release() { s_ = nullptr; }  // the statement is being finalized by its owner

  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
  Stmt& bind(int i, int v) { sqlite3_bind_int64(s_, i, v); return *this; }
  Stmt& bind(int i, bool v) { sqlite3_bind_int64(s_, i, v ? 1 : 0); return *this; }
  Stmt& bind(int i, const std::optional<int64_t>& v) {
    if (v) sqlite3_bind_int64(s_, i, *v); else sqlite3_bind_null(s_, i);
    return *this;
  }
  Stmt& bind_null(int i) { sqlite3_bind_null(s_, i); return *this; }

  // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else -> error.
  Result<bool> step();
  // Steps to completion; returns sqlite3_changes().
  Result<int> exec();

  std::string text(int col) const;
  std::string blob(int col) const;
  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  bool boolean(int col) const { return sqlite3_column_int64(s_, col) != 0; }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::optional<int64_t> opt_i64(int col) const {
    if (is_null(col)) return std::nullopt;
    return i64(col);
  }

 private:
  sqlite3_stmt* s_;
};

// A statement prepared for one use (dynamic SQL), finalized when it goes out of scope.
class OwnedStmt {
 public:
  explicit OwnedStmt(sqlite3_stmt* s) : s_(s), lease_(s) {}
  OwnedStmt(OwnedStmt&& o) noexcept : s_(o.s_), lease_(std::move(o.lease_)) { o.s_ = nullptr; }
  ~OwnedStmt() {
    lease_.release();
    if (s_) sqlite3_finalize(s_);
  }
  sqlite3_stmt* raw() { return s_; }
  Stmt& stmt() { return lease_; }

 private:
  sqlite3_stmt* s_;
  Stmt lease_;
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // A cached prepared statement for `sql` (a string literal: cached by pointer identity).
  Result<Stmt> prepare(const char* sql);
  // Prepares `sql` for one use (not cached): for SQL assembled at run time.
  Result<OwnedStmt> prepare_once(const std::string& sql);
  Status exec_script(const std::string& sql);
  sqlite3* raw() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// Maps the last error of `db` to an Error; unique-constraint clashes become code::kDuplicate.
Error error_from(sqlite3* db, int rc);

}  // namespace cardcore::sqlite
