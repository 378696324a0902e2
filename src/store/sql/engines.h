// Plain connections of each engine, below the Store: for work that moves rows between engines
// (store/transfer.h) and must name each engine's own catalog. Units of work use Store instead.
#pragma once

#include <memory>
#include <string>

#include "domain/error.h"
#include "store/sql/seam.h"

namespace cardcore::sql {

// The SQLite database at `path`, read-only (it must exist).
Result<std::unique_ptr<Connection>> open_sqlite_reader(const std::string& path);
// A PostgreSQL connection with the store's session settings.
Result<std::unique_ptr<Connection>> open_postgres_connection(const std::string& dsn);

}  // namespace cardcore::sql
