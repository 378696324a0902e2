// Helpers for the .cc files that implement the store's operations: prepare a shared statement,
// read one row or many, tell whether a row changed. Only store/*.cc include this.
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "store/sql/seam.h"

namespace cardcore::sql {

// `Query var` for a shared SQL literal on this unit's connection, or return the error.
#define CC_SQL(var, shared_sql) CC_ASSIGN_OR_RETURN(::cardcore::sql::Query var, ::cardcore::sql::query(c_, shared_sql))

// A row reader returns the row, or Result<row> when a column must be parsed (a status).
template <class T>
struct RowOf {
  using type = T;
  static Result<T> wrap(T v) { return v; }
};
template <class T>
struct RowOf<Result<T>> {
  using type = T;
  static Result<T> wrap(Result<T> v) { return v; }
};
template <class Read>
using RowType = typename RowOf<std::invoke_result_t<Read, const Query&>>::type;

template <class Read>
auto one(Query& q, Read read) -> Result<std::optional<RowType<Read>>> {
  CC_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return std::nullopt;
  using Of = RowOf<std::invoke_result_t<Read, const Query&>>;
  CC_ASSIGN_OR_RETURN(RowType<Read> r, Of::wrap(read(q)));
  return r;
}

template <class Read>
auto many(Query& q, Read read) -> Result<std::vector<RowType<Read>>> {
  using Of = RowOf<std::invoke_result_t<Read, const Query&>>;
  std::vector<RowType<Read>> out;
  for (;;) {
    CC_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return out;
    CC_ASSIGN_OR_RETURN(RowType<Read> r, Of::wrap(read(q)));
    out.push_back(std::move(r));
  }
}

// Parses a stored code with `parse` (an optional-returning domain parser); an unknown value is
// an error naming the table, the row and the column.
template <class Parse>
auto parse_column(Parse parse, const std::string& value, const char* table, const std::string& row_id,
                  const char* column) -> Result<typename decltype(parse(value))::value_type> {
  auto v = parse(value);
  if (!v) {
    return internal_error("storage: " + std::string(table) + " row " + row_id + " has an unknown " + column + " '" +
                          value + "'");
  }
  return *v;
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
