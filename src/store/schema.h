// Schema: which migrations the database has applied (schema_migrations, kept by sql::migrate).
// Invariant: read only here; rows are written by the migrations alone.
#pragma once

#include <cstdint>

#include "domain/error.h"
#include "store/ops.h"

namespace cardcore {

class SchemaOps : protected StoreOps {
 public:
  // The highest migration version the database has applied (0: none).
  Result<int64_t> schema_version();

 protected:
  using StoreOps::StoreOps;
};

}  // namespace cardcore
