// Helpers for the .cc files that implement the store's operations: prepare a shared statement,
// read one row or many, tell whether a row changed. Only store/*.cc include this.
#pragma once

#include <optional>
#include <vector>

#include "store/sql/seam.h"

namespace cardcore::sql {

// `Query var` for a shared SQL literal on this unit's connection, or return the error.
#define CC_SQL(var, shared_sql) CC_ASSIGN_OR_RETURN(::cardcore::sql::Query var, ::cardcore::sql::query(c_, shared_sql))

template <class Read>
auto one(Query& q, Read read) -> Result<std::optional<decltype(read(q))>> {
  CC_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return std::nullopt;
  return read(q);
}

template <class Read>
auto many(Query& q, Read read) -> Result<std::vector<decltype(read(q))>> {
  std::vector<decltype(read(q))> out;
  for (;;) {
    CC_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return out;
    out.push_back(read(q));
  }
}

inline Result<bool> changed(Query& q) {
  CC_ASSIGN_OR_RETURN(int64_t n, q.run());
  return n > 0;
}

inline Status done(Query& q) {
  CC_ASSIGN_OR_RETURN(int64_t n, q.run());
  (void)n;
  return {};
}

// A single integer (COUNT, SUM, a RETURNING column); `fallback` when there is no row.
inline Result<int64_t> scalar(Query& q, int64_t fallback = 0) {
  CC_ASSIGN_OR_RETURN(bool row, q.step());
  int64_t v = row ? q.i64(0) : fallback;
  CC_RETURN_IF_ERROR(q.run());
  return v;
}

}  // namespace cardcore::sql
