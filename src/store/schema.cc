#include "store/schema.h"

#include <algorithm>

#include "store/migrations.h"
#include "store/sql/ops_util.h"
#include "store/store.h"

namespace cardcore {
using namespace sql;

Result<int64_t> SchemaOps::schema_version() {
  CC_SQL(q, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return scalar(q);
}

int latest_migration_version(std::string_view engine) {
  int latest = 0;
  for (const Migration& m : all_migrations())
    if (m.engine == engine) latest = std::max(latest, m.version);
  return latest;
}

Result<SchemaStatus> schema_status(Store& store) {
  SchemaStatus s;
  s.latest = latest_migration_version(store.engine());
  CC_ASSIGN_OR_RETURN(s.version, transact_read(store, [](Tx& tx) { return tx.schema_version(); }));
  return s;
}

}  // namespace cardcore
