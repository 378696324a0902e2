#include "store/sqlite/sqlite_db.h"

namespace cardcore::sqlite {

Error error_from(sqlite3* db, int rc) {
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Error{code::kDuplicate, "already exists (" + msg + ")", ""};
  }
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    return Error{code::kFailure, "storage constraint failed: " + msg, ""};
  }
  return Error{code::kFailure, "storage error: " + msg, ""};
}

Result<bool> Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(error_from(sqlite3_db_handle(s_), rc));
}

Result<int> Stmt::exec() {
  for (;;) {
    auto r = step();
    if (!r) return std::unexpected(r.error());
    if (!*r) break;
  }
  return sqlite3_changes(sqlite3_db_handle(s_));
}

std::string Stmt::text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(s_, col)));
}

std::string Stmt::blob(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  if (!p) return {};
  return std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, col)));
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = error_from(raw, rc);
    sqlite3_close(raw);
    return std::unexpected(e);
  }
  std::unique_ptr<Db> db(new Db(raw));
  sqlite3_busy_timeout(raw, 10000);
  sqlite3_extended_result_codes(raw, 1);
  // WAL + synchronous=FULL: a commit that returned is on disk (no rupee lost on a crash).
  auto st = db->exec_script(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (!st) return std::unexpected(st.error());
  return db;
}

Db::~Db() {
  for (auto& [_, s] : cache_) sqlite3_finalize(s);
  sqlite3_close(db_);
}

Result<Stmt> Db::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(it->second);
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(error_from(db_, rc));
  cache_.emplace(sql, s);
  return Stmt(s);
}

Result<OwnedStmt> Db::prepare_once(const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(error_from(db_, rc));
  return OwnedStmt(s);
}

Status Db::exec_script(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return fail(code::kFailure, "storage error: " + msg);
  }
  return {};
}

}  // namespace cardcore::sqlite
