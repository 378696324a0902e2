#include "store/postgres/pg_conn.h"

#include <charconv>
#include <cstring>

namespace cardcore::pg {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Maps a failed result to an Error; unique-key clashes become code::kDuplicate and name the key.
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
  if (sqlstate.starts_with("23")) {
    return Error{code::kFailure, "storage constraint failed: " + msg, ""};
  }
  return Error{code::kFailure, "storage error: " + msg, ""};
}

// libpq wants parallel arrays of pointers, lengths and formats.
struct Wire {
  std::vector<const char*> values;
  std::vector<int> lengths;
  explicit Wire(const Params& p) {
    values.reserve(p.size());
    lengths.reserve(p.size());
    for (const auto& v : p.values()) {
      values.push_back(v ? v->data() : nullptr);
      lengths.push_back(v ? static_cast<int>(v->size()) : 0);
    }
  }
};

// Fixed session settings the readers rely on (bytea as hex text, UTF-8, UTC); notices such as
// "relation already exists, skipping" are not worth a line on stderr.
constexpr const char* kSessionSettings =
    "SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; "
    "SET client_min_messages = warning";

}  // namespace

std::string Row::text(int col) const {
  return std::string(PQgetvalue(r_, row_, col), static_cast<size_t>(PQgetlength(r_, row_, col)));
}

int64_t Row::i64(int col) const {
  const char* p = PQgetvalue(r_, row_, col);
  const char* end = p + PQgetlength(r_, row_, col);
  int64_t v = 0;
  std::from_chars(p, end, v);  // NULL is "" -> 0; an integral numeric has no fraction
  return v;
}

bool Row::boolean(int col) const {
  const char* p = PQgetvalue(r_, row_, col);
  return p[0] == 't' || p[0] == '1';
}

std::string Row::blob(int col) const {
  const char* p = PQgetvalue(r_, row_, col);
  size_t n = static_cast<size_t>(PQgetlength(r_, row_, col));
  if (n < 2 || p[0] != '\\' || p[1] != 'x') return std::string(p, n);  // bytea_output = hex (set at connect)
  std::string out;
  out.reserve((n - 2) / 2);
  for (size_t i = 2; i + 1 < n; i += 2) {
    out.push_back(static_cast<char>(hex_value(p[i]) * 16 + hex_value(p[i + 1])));
  }
  return out;
}

int64_t Rows::affected() const {
  const char* t = PQcmdTuples(r_.get());
  int64_t v = 0;
  std::from_chars(t, t + std::strlen(t), v);
  return v;
}

Result<std::unique_ptr<Conn>> Conn::open(const std::string& dsn) {
  PGconn* c = PQconnectdb(dsn.c_str());
  if (!c || PQstatus(c) != CONNECTION_OK) {
    std::string msg = c ? PQerrorMessage(c) : "out of memory";
    if (c) PQfinish(c);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return fail(code::kFailure, "postgres: cannot connect: " + msg);
  }
  std::unique_ptr<Conn> conn(new Conn(c));
  auto st = conn->exec_script(kSessionSettings);
  if (!st) return std::unexpected(st.error());
  return conn;
}

Conn::~Conn() { PQfinish(conn_); }

bool Conn::reset() {
  prepared_.clear();
  PQreset(conn_);
  if (!healthy()) return false;
  return exec_script(kSessionSettings).has_value();
}

Result<Rows> Conn::check(PGresult* r) {
  ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY) {
    return Rows(r);
  }
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (!failed_) {
    failed_ = true;
    first_sqlstate_ = state ? state : "";
  }
  Error e = error_from(conn_, r);
  if (r) PQclear(r);
  return std::unexpected(std::move(e));
}

Result<Rows> Conn::exec(const char* sql, const Params& p) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    // Parameter types are left to the server to infer from the statement (casts where ambiguous).
    auto prep = check(PQprepare(conn_, name.c_str(), sql, 0, nullptr));
    if (!prep) return std::unexpected(prep.error());
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  Wire w(p);
  return check(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(p.size()), w.values.data(),
                              w.lengths.data(), p.formats().data(), 0));
}

Result<Rows> Conn::exec_dynamic(const std::string& sql, const Params& p) {
  Wire w(p);
  return check(PQexecParams(conn_, sql.c_str(), static_cast<int>(p.size()), nullptr, w.values.data(),
                            w.lengths.data(), p.formats().data(), 0));
}

Result<Rows> Conn::exec_script(const std::string& sql) { return check(PQexec(conn_, sql.c_str())); }

}  // namespace cardcore::pg
