// Thin RAII over libpq: one connection, statement parameters as text (int64 as decimal text,
// blobs as binary parameters), results read by row and column. Statements given as string
// literals are prepared once per connection (cached by pointer identity, as sqlite::Db does).
// Not thread-safe: the owning pool hands one connection to one unit of work at a time.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/error.h"

namespace cardcore::pg {

// A byte string sent as a binary parameter (BYTEA).
struct Blob {
  std::string_view bytes;
};

// Parameters $1..$n of one statement. NULL is a missing value.
class Params {
 public:
  Params() = default;
  template <class... Ts>
  explicit Params(const Ts&... vs) {
    (add(vs), ...);
  }

  Params& add(std::string_view v) { return push(std::string(v), 0); }
  Params& add(const std::string& v) { return push(v, 0); }
  Params& add(const char* v) { return push(v, 0); }
  Params& add(int64_t v) { return push(std::to_string(v), 0); }
  Params& add(int v) { return push(std::to_string(v), 0); }
  Params& add(size_t v) { return push(std::to_string(v), 0); }
  Params& add(bool v) { return push(v ? "true" : "false", 0); }
  Params& add(const Blob& b) { return push(std::string(b.bytes), 1); }
  Params& add(const std::optional<int64_t>& v) { return v ? add(*v) : null(); }
  Params& add(std::nullopt_t) { return null(); }
  Params& null() {
    values_.emplace_back(std::nullopt);
    formats_.push_back(0);
    return *this;
  }

  size_t size() const { return values_.size(); }
  const std::vector<std::optional<std::string>>& values() const { return values_; }
  const std::vector<int>& formats() const { return formats_; }

 private:
  Params& push(std::string v, int format) {
    values_.emplace_back(std::move(v));
    formats_.push_back(format);
    return *this;
  }
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
};

// One row of a text-format result.
class Row {
 public:
  Row(const PGresult* r, int row) : r_(r), row_(row) {}
  bool is_null(int col) const { return PQgetisnull(r_, row_, col) != 0; }
  std::string text(int col) const;
  int64_t i64(int col) const;  // integer or integral numeric (SUM) columns; NULL -> 0
  bool boolean(int col) const;
  std::string blob(int col) const;  // BYTEA (hex text form)
  std::optional<int64_t> opt_i64(int col) const {
    if (is_null(col)) return std::nullopt;
    return i64(col);
  }

 private:
  const PGresult* r_;
  int row_;
};

// A statement's result: its rows and how many rows it changed.
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return PQntuples(r_.get()); }
  bool empty() const { return size() == 0; }
  Row operator[](int i) const { return Row(r_.get(), i); }
  int64_t affected() const;  // rows inserted/updated/deleted (PQcmdTuples)
  std::string_view command() const { return PQcmdStatus(r_.get()); }  // e.g. "COMMIT", "ROLLBACK"

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

class Conn {
 public:
  static Result<std::unique_ptr<Conn>> open(const std::string& dsn);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs `sql` (a string literal: prepared once on this connection, cached by pointer identity).
  Result<Rows> exec(const char* sql, const Params& p = Params());
  // Runs SQL assembled at run time (not cached); every value still a bound parameter.
  Result<Rows> exec_dynamic(const std::string& sql, const Params& p);
  // Runs one or more statements without parameters (migrations, BEGIN/COMMIT).
  Result<Rows> exec_script(const std::string& sql);

  // SQLSTATE of the first statement that failed since clear_first_error() ("" when none did):
  // after a failure PostgreSQL refuses everything else in the transaction, so the first
  // failure is the cause (say, a deadlock) even if the caller ran more statements after it.
  const std::string& first_sqlstate() const { return first_sqlstate_; }
  void clear_first_error() { first_sqlstate_.clear(); failed_ = false; }
  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
  bool in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
  // Reconnects a broken connection (prepared statements are gone with it).
  bool reset();

 private:
  explicit Conn(PGconn* c) : conn_(c) {}
  Result<Rows> check(PGresult* r);

  PGconn* conn_;
  std::unordered_map<const char*, std::string> prepared_;
  std::string first_sqlstate_;
  bool failed_ = false;
};

// SQLSTATEs the store reacts to.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";

}  // namespace cardcore::pg
