#include "store/sql/unit.h"

#include "store/migrations.h"
#include "store/sql/ops_util.h"
#include "store/store.h"

namespace cardcore::sql {

namespace {

// A unit that throws (it should not) is a failed unit, never a wedged store.
Status call(const Unit& unit, Tx& tx) {
  try {
    return unit(tx);
  } catch (const std::exception& e) {
    return internal_error(std::string("storage: the unit of work threw: ") + e.what());
  }
}

Status run_in_transaction(Connection& c, bool read_only, const std::function<Status(Tx&)>& unit, bool& retry) {
  retry = false;
  if (Status b = read_only ? c.begin_read() : c.begin(); !b) {
    retry = c.lost();  // nothing ran yet: safe to run the unit again on a re-established connection
    return b;
  }
  Tx tx(c);
  Status st = call(unit, tx);
  if (st && c.failed()) {
    st = fail(code::kFailure, "storage error: a statement failed and the unit did not report it; rolled back");
  }
  if (!st) {
    retry = c.failed() && c.failure_is_retryable();
    (void)c.rollback();
    return st;
  }
  Status commit = c.commit();
  if (!commit) {
    retry = c.failure_is_retryable();
    (void)c.rollback();
  }
  return commit;
}

}  // namespace

Status run_unit(Connection& c, const std::function<Status(Tx&)>& unit, bool& retry) {
  return run_in_transaction(c, /*read_only=*/false, unit, retry);
}

Status run_read(Connection& c, const std::function<Status(Tx&)>& unit, bool& retry) {
  return run_in_transaction(c, /*read_only=*/true, unit, retry);
}

std::vector<Status> run_batch(Connection& c, std::span<const Unit* const> units) {
  std::vector<Status> out;
  out.reserve(units.size());
  if (Status b = c.begin(); !b) {
    out.assign(units.size(), b);
    return out;
  }
  Tx tx(c);
  constexpr std::string_view kUnit = "unit";
  for (const Unit* unit : units) {
    Status st = c.savepoint(kUnit);
    if (st) st = call(*unit, tx);
    if (st) st = c.flush();  // a write sent ahead that failed is this unit's failure
    if (st && c.failed()) {
      st = fail(code::kFailure, "storage error: a statement failed and the unit did not report it; rolled back");
    }
    // Undo this unit alone; its neighbours stay. Every unit reuses the one savepoint name.
    Status end = st ? c.release_savepoint(kUnit) : c.rollback_to_savepoint(kUnit);
    if (!end) {  // the transaction itself is broken: nothing of the batch commits
      (void)c.rollback();
      out.push_back(st);
      out.resize(units.size(), end);
      for (Status& s : out) if (s) s = end;
      return out;
    }
    out.push_back(st);
  }
  if (Status commit = c.commit(); !commit) {
    (void)c.rollback();
    for (Status& s : out) if (s) s = commit;
  }
  return out;
}

std::vector<Status> run_batch(Connection& c, std::span<const Unit> units) {
  std::vector<const Unit*> list;
  list.reserve(units.size());
  for (const Unit& u : units) list.push_back(&u);
  return run_batch(c, list);
}

Status migrate(Connection& c, std::string_view engine, const std::string& ddl, const MigrateOptions& options) {
  CC_RETURN_IF_ERROR(c.exec(ddl));
  if (!options.apply) return {};
  int64_t current = 0;
  {
    CC_ASSIGN_OR_RETURN(Query q, query(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    CC_ASSIGN_OR_RETURN(current, scalar(q));
  }
  for (const Migration& m : all_migrations()) {
    if (m.engine != engine || m.version <= current || m.version > options.to_version) continue;
    Status st = [&]() -> Status {
      CC_RETURN_IF_ERROR(c.begin());
      CC_RETURN_IF_ERROR(c.exec(m.sql));
      CC_ASSIGN_OR_RETURN(Query q, query(c, "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)"));
      CC_RETURN_IF_ERROR(done(q.bind(1, m.version).bind(2, m.name)));
      return c.commit();
    }();
    if (!st) {
      (void)c.rollback();
      return fail(code::kFailure, "migration " + m.name + " failed: " + st.error().message);
    }
    if (options.on_applied) options.on_applied(m);
  }
  return {};
}

}  // namespace cardcore::sql
