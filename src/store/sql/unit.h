// What both engines do with a unit of work once they hold a connection, and their migrations.
// The engines differ only in how they get a connection and whether they run a unit again.
#pragma once

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "domain/error.h"
#include "store/migrations.h"
#include "store/sql/seam.h"

namespace cardcore {
class Tx;
}

namespace cardcore::sql {

using Unit = std::function<Status(Tx&)>;

// Runs `unit` in one transaction on `c`: begin, the unit, commit. The transaction is rolled
// back when the unit returns an error, and also when a statement failed that the unit did not
// report (PostgreSQL would silently turn that COMMIT into a rollback). `retry` says whether a
// failure was a lost race worth running the whole unit again.
Status run_unit(Connection& c, const std::function<Status(Tx&)>& unit, bool& retry);

// Runs `unit` in one read-only transaction on `c` (Store::read): begin_read, the unit, end;
// `retry` as for run_unit.
Status run_read(Connection& c, const std::function<Status(Tx&)>& unit, bool& retry);

// Runs `units` in one transaction on `c`, each inside its own savepoint (Store::run_batch).
std::vector<Status> run_batch(Connection& c, std::span<const Unit> units);
std::vector<Status> run_batch(Connection& c, std::span<const Unit* const> units);

// Creates schema_migrations with `ddl` when missing, then (when options.apply) applies, in order
// and one transaction each, every migration of `engine` above the version recorded there and at
// or below options.to_version.
Status migrate(Connection& c, std::string_view engine, const std::string& ddl, const MigrateOptions& options);

}  // namespace cardcore::sql
