#include "store/transfer.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <variant>

#include "store/migrations.h"
#include "store/sql/engines.h"
#include "store/store.h"

namespace cardcore {
namespace {

using sql::Connection;
using sql::Statement;

// Table and column names come from the source file's catalog and are spliced into SQL: only
// plain lower-case identifiers pass.
bool plain_name(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

Result<std::unique_ptr<Statement>> prepared(Connection& c, const std::string& sql_text) {
  return c.prepare_dynamic(sql_text);
}

// The rows of a statement with one text column.
Result<std::vector<std::string>> text_column(Statement& s) {
  std::vector<std::string> out;
  for (;;) {
    CC_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    out.push_back(s.text(0));
  }
  s.reset();
  return out;
}

Result<int64_t> single_i64(Connection& c, const std::string& sql_text) {
  CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> s, prepared(c, sql_text));
  CC_ASSIGN_OR_RETURN(bool row, s->step());
  return row ? s->i64(0) : 0;
}

struct Column {
  std::string name;
  std::string pg_type;     // information_schema data_type
  bool from_rowid = false;  // a PostgreSQL identity column that is SQLite's rowid there
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::vector<std::string> identity_columns;
  int64_t source_rows = 0;
  int64_t last_rowid = 0;
  int64_t copied = 0;
  bool done = false;
};

using Value = std::variant<std::monostate, int64_t, std::string>;

enum class Kind { kBool, kInt, kBlob, kText };
Kind kind_of(const std::string& pg_type) {
  if (pg_type == "boolean") return Kind::kBool;
  if (pg_type == "bigint" || pg_type == "integer" || pg_type == "smallint") return Kind::kInt;
  if (pg_type == "bytea") return Kind::kBlob;
  return Kind::kText;
}

// The columns both sides have, checked: every source column exists in the target, and every
// target column has a source (or is an identity column fed from the rowid, or has a default).
Status describe(Connection& src, Connection& pg, Table& t) {
  std::vector<std::string> source_columns;
  {
    CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> s, prepared(src, "SELECT name FROM pragma_table_info(?1)"));
    s->bind_text(1, t.name);
    CC_ASSIGN_OR_RETURN(source_columns, text_column(*s));
  }
  CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> s,
                      prepared(pg, "SELECT column_name, data_type, is_identity, column_default IS NOT NULL "
                                   "FROM information_schema.columns WHERE table_schema = current_schema() "
                                   "AND table_name = ?1 ORDER BY ordinal_position"));
  s->bind_text(1, t.name);
  std::vector<std::string> matched;
  for (;;) {
    CC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    Column c{s->text(0), s->text(1)};
    const bool identity = s->text(2) == "YES", has_default = s->boolean(3);
    if (!plain_name(c.name)) return fail(code::kFailure, "target column " + t.name + "." + c.name + ": not a plain name");
    if (identity) t.identity_columns.push_back(c.name);
    if (std::find(source_columns.begin(), source_columns.end(), c.name) != source_columns.end()) {
      matched.push_back(c.name);
      t.columns.push_back(std::move(c));
    } else if (identity) {
      c.from_rowid = true;
      t.columns.push_back(std::move(c));
    } else if (!has_default) {
      return fail(code::kFailure, "target column " + t.name + "." + c.name + " has no source column");
    }
  }
  if (t.columns.empty()) return fail(code::kFailure, "the target has no table " + t.name + ": is it migrated?");
  for (const std::string& c : source_columns) {
    if (!plain_name(c)) return fail(code::kFailure, "source column " + t.name + "." + c + ": not a plain name");
    if (std::find(matched.begin(), matched.end(), c) == matched.end()) {
      return fail(code::kFailure, "source column " + t.name + "." + c + " has no target column");
    }
  }
  return {};
}

// Copies the next batch of `t` (rows after t.last_rowid) in one PostgreSQL transaction with its
// progress row. Returns the rows copied (0: the table is done, and marked so).
Result<size_t> copy_batch(Connection& src, Connection& pg, Table& t, size_t batch_rows) {
  std::string select = "SELECT rowid";
  for (const Column& c : t.columns) select += c.from_rowid ? ", rowid" : ", " + c.name;
  select += " FROM " + t.name + " WHERE rowid > ?1 ORDER BY rowid LIMIT ?2";
  CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> s, prepared(src, select));
  s->bind_i64(1, t.last_rowid);
  s->bind_i64(2, static_cast<int64_t>(batch_rows));
  std::vector<std::vector<Value>> rows;
  int64_t last = t.last_rowid;
  for (;;) {
    CC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    last = s->i64(0);
    std::vector<Value> values;
    values.reserve(t.columns.size());
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const int col = static_cast<int>(i) + 1;
      if (s->is_null(col)) {
        values.emplace_back(std::monostate{});
        continue;
      }
      switch (kind_of(t.columns[i].pg_type)) {
        case Kind::kBool:
        case Kind::kInt: values.emplace_back(s->i64(col)); break;
        case Kind::kBlob: values.emplace_back(s->blob(col)); break;
        case Kind::kText: values.emplace_back(s->text(col)); break;
      }
    }
    rows.push_back(std::move(values));
  }
  s->reset();

  CC_RETURN_IF_ERROR(pg.begin());
  Status st = [&]() -> Status {
    if (!rows.empty()) {
      std::string insert = "INSERT INTO " + t.name + " (";
      for (size_t i = 0; i < t.columns.size(); ++i) insert += (i ? ", " : "") + t.columns[i].name;
      insert += ")";
      if (!t.identity_columns.empty()) insert += " OVERRIDING SYSTEM VALUE";
      insert += " VALUES ";
      int p = 1;
      for (size_t r = 0; r < rows.size(); ++r) {
        insert += r ? ", (" : "(";
        for (size_t i = 0; i < t.columns.size(); ++i) insert += (i ? ", ?" : "?") + std::to_string(p++);
        insert += ")";
      }
      CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> ins, prepared(pg, insert));
      p = 1;
      for (const std::vector<Value>& row : rows) {
        for (size_t i = 0; i < row.size(); ++i, ++p) {
          const Value& v = row[i];
          if (std::holds_alternative<std::monostate>(v)) {
            ins->bind_null(p);
          } else if (kind_of(t.columns[i].pg_type) == Kind::kBool) {
            ins->bind_bool(p, std::get<int64_t>(v) != 0);
          } else if (std::holds_alternative<int64_t>(v)) {
            ins->bind_i64(p, std::get<int64_t>(v));
          } else if (kind_of(t.columns[i].pg_type) == Kind::kBlob) {
            ins->bind_blob(p, std::get<std::string>(v));
          } else {
            ins->bind_text(p, std::get<std::string>(v));
          }
        }
      }
      CC_ASSIGN_OR_RETURN(bool any, ins->step());
      (void)any;
    }
    CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> progress,
                        prepared(pg, "INSERT INTO cardcore_data_migration (table_name, last_rowid, rows_copied, done) "
                                     "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (table_name) DO UPDATE SET "
                                     "last_rowid = EXCLUDED.last_rowid, rows_copied = EXCLUDED.rows_copied, "
                                     "done = EXCLUDED.done"));
    progress->bind_text(1, t.name);
    progress->bind_i64(2, last);
    progress->bind_i64(3, t.copied + static_cast<int64_t>(rows.size()));
    progress->bind_bool(4, rows.empty());
    CC_ASSIGN_OR_RETURN(bool any, progress->step());
    (void)any;
    return pg.commit();
  }();
  if (!st) {
    (void)pg.rollback();
    return std::unexpected(st.error());
  }
  t.last_rowid = last;
  t.copied += static_cast<int64_t>(rows.size());
  t.done = rows.empty();
  return rows.size();
}

// Every ledger account's balance and held amount, source against target.
Status compare_balances(Connection& src, Connection& pg, TransferResult& out) {
  std::unordered_map<std::string, std::pair<int64_t, int64_t>> target;
  {
    CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> s,
                        prepared(pg, "SELECT account_id, balance_paise, held_paise FROM ledger_accounts"));
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      target.emplace(s->text(0), std::pair{s->i64(1), s->i64(2)});
    }
  }
  CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> s,
                      prepared(src, "SELECT account_id, balance_paise, held_paise FROM ledger_accounts"));
  for (;;) {
    CC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    ++out.accounts_compared;
    const std::string id = s->text(0);
    auto it = target.find(id);
    if (it == target.end()) {
      out.balance_differences.push_back("account " + id + ": missing in the target");
      continue;
    }
    if (it->second != std::pair{s->i64(1), s->i64(2)}) {
      out.balance_differences.push_back("account " + id + ": source balance " + std::to_string(s->i64(1)) +
                                        " held " + std::to_string(s->i64(2)) + ", target balance " +
                                        std::to_string(it->second.first) + " held " +
                                        std::to_string(it->second.second));
    }
    target.erase(it);
  }
  for (const auto& [id, b] : target) out.balance_differences.push_back("account " + id + ": missing in the source");
  return {};
}

}  // namespace

Result<TransferResult> copy_sqlite_to_postgres(const std::string& sqlite_path, const std::string& dsn,
                                               const TransferOptions& options) {
  CC_ASSIGN_OR_RETURN(std::unique_ptr<Connection> src, sql::open_sqlite_reader(sqlite_path));
  // The source stays as it is: it must already be at this build's schema.
  CC_ASSIGN_OR_RETURN(int64_t source_version, single_i64(*src, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  if (source_version != latest_migration_version("sqlite")) {
    return fail(code::kFailure, "the source schema is at version " + std::to_string(source_version) +
                                    "; this build moves version " + std::to_string(latest_migration_version("sqlite")) +
                                    ": run `cardcore migrate --data DIR` first");
  }
  {
    // The target gets the same schema (migrations run under their advisory lock).
    MigrateOptions m;
    CC_ASSIGN_OR_RETURN(std::unique_ptr<Store> migrated, open_postgres_store(dsn, 1, m));
  }
  CC_ASSIGN_OR_RETURN(std::unique_ptr<Connection> pg, sql::open_postgres_connection(dsn));
  // One snapshot of the source for the whole run.
  CC_RETURN_IF_ERROR(src->begin_read());

  std::vector<Table> tables;
  {
    CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> s,
                        prepared(*src, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                       "AND name <> 'schema_migrations' ORDER BY rowid"));
    CC_ASSIGN_OR_RETURN(std::vector<std::string> names, text_column(*s));
    for (std::string& n : names) {
      if (!plain_name(n)) return fail(code::kFailure, "source table " + n + ": not a plain name");
      Table t;
      t.name = std::move(n);
      CC_RETURN_IF_ERROR(describe(*src, *pg, t));
      CC_ASSIGN_OR_RETURN(t.source_rows, single_i64(*src, "SELECT COUNT(*) FROM " + t.name));
      tables.push_back(std::move(t));
    }
  }

  TransferResult out;
  CC_ASSIGN_OR_RETURN(int64_t has_progress,
                      single_i64(*pg, "SELECT CASE WHEN to_regclass('cardcore_data_migration') IS NULL THEN 0 ELSE 1 END"));
  if (has_progress) {
    out.resumed = true;
    CC_ASSIGN_OR_RETURN(std::unique_ptr<Statement> s,
                        prepared(*pg, "SELECT table_name, last_rowid, rows_copied, done FROM cardcore_data_migration"));
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, s->step());
      if (!row) break;
      for (Table& t : tables) {
        if (t.name != s->text(0)) continue;
        t.last_rowid = s->i64(1);
        t.copied = s->i64(2);
        t.done = s->boolean(3);
      }
    }
  } else {
    for (const Table& t : tables) {
      CC_ASSIGN_OR_RETURN(int64_t any, single_i64(*pg, "SELECT COUNT(*) FROM (SELECT 1 FROM " + t.name + " LIMIT 1) x"));
      if (any) {
        return fail(code::kDuplicate, "the target already holds data (table " + t.name +
                                          "): migrate-data moves into an empty database only");
      }
    }
    CC_RETURN_IF_ERROR(pg->exec(
        "CREATE TABLE cardcore_data_migration (table_name TEXT PRIMARY KEY, last_rowid BIGINT NOT NULL, "
        "rows_copied BIGINT NOT NULL, done BOOLEAN NOT NULL)"));
  }

  uint64_t total = 0, done_rows = 0;
  for (const Table& t : tables) {
    total += static_cast<uint64_t>(t.source_rows);
    done_rows += static_cast<uint64_t>(t.copied);
  }
  if (options.progress) options.progress(done_rows, total);
  int64_t batches = 0;
  for (Table& t : tables) {
    const size_t cap = std::max<size_t>(1, 60'000 / std::max<size_t>(1, t.columns.size()));
    const size_t batch_rows = std::clamp<size_t>(options.batch_rows, 1, cap);
    while (!t.done) {
      if (options.max_batches >= 0 && batches >= options.max_batches) {
        out.stopped = true;
        (void)src->rollback();
        for (const Table& x : tables) out.tables.push_back({x.name, x.source_rows, x.copied});
        return out;
      }
      CC_ASSIGN_OR_RETURN(size_t n, copy_batch(*src, *pg, t, batch_rows));
      ++batches;
      done_rows += n;
      if (options.progress) options.progress(done_rows, total);
    }
  }

  // Identity columns go on after the highest copied value.
  for (const Table& t : tables) {
    for (const std::string& c : t.identity_columns) {
      CC_ASSIGN_OR_RETURN(int64_t ignored,
                          single_i64(*pg, "SELECT setval(pg_get_serial_sequence('" + t.name + "', '" + c +
                                              "'), (SELECT COALESCE(MAX(" + c + "), 0) FROM " + t.name + ") + 1, false)"));
      (void)ignored;
    }
  }
  for (const Table& t : tables) {
    CC_ASSIGN_OR_RETURN(int64_t target_rows, single_i64(*pg, "SELECT COUNT(*) FROM " + t.name));
    out.tables.push_back({t.name, t.source_rows, target_rows});
  }
  CC_RETURN_IF_ERROR(compare_balances(*src, *pg, out));
  (void)src->rollback();
  const bool counts_equal =
      std::all_of(out.tables.begin(), out.tables.end(), [](const TableTransfer& t) { return t.source_rows == t.target_rows; });
  if (counts_equal && out.balance_differences.empty()) CC_RETURN_IF_ERROR(pg->exec("DROP TABLE cardcore_data_migration"));
  return out;
}

}  // namespace cardcore
