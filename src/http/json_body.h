// A parsed JSON request body with typed, validating field access. Every refusal is an Error
// with code 422 whose message names the field ("mobile: must be a string"). Parsing is bounded:
// nesting deeper than kMaxDepth is refused, so hostile input cannot exhaust the stack.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.h"

namespace cardcore::http {

class JsonBody {
 public:
  static constexpr int kMaxDepth = 16;

  // Refuses malformed JSON, a non-object top level, and over-deep nesting (code::kMalformedRequest).
  static Result<JsonBody> parse(std::string_view text);
  explicit JsonBody(nlohmann::json j) : j_(std::move(j)) {}

  bool has(std::string_view key) const;  // present and not null

  // Strings. `allow_number` accepts an integer JSON number as its decimal text (EnKash clients
  // send mobile and pinBlock as numbers). Absent/null -> "" (optional fields).
  Result<std::string> str(std::string_view key, size_t max_len = 256, bool allow_number = false) const;
  // Booleans; also accept "true"/"false" strings. Absent/null -> nullopt.
  Result<std::optional<bool>> boolean(std::string_view key) const;
  // Rupee amount as number or numeric string -> paise; at most 2 decimals. Absent/null -> nullopt.
  Result<std::optional<int64_t>> amount_paise(std::string_view key) const;
  // Non-negative integer as number or numeric string. Absent/null -> nullopt.
  Result<std::optional<int64_t>> count(std::string_view key) const;
  // Array of strings, or a single string (EnKash examples send both). Absent/null -> empty.
  Result<std::vector<std::string>> str_list(std::string_view key, size_t max_items, size_t max_len = 64) const;
  // Array of objects (each a JsonBody). Absent/null -> empty.
  Result<std::vector<JsonBody>> objects(std::string_view key, size_t max_items) const;

  // Tri-state for limits: absent -> nullopt (leave); null -> optional(nullopt) (clear); value -> set.
  using Tri = std::optional<std::optional<int64_t>>;
  Result<Tri> amount_tri(std::string_view key) const;
  Result<Tri> count_tri(std::string_view key) const;

  const nlohmann::json& json() const { return j_; }

 private:
  const nlohmann::json* find(std::string_view key) const;
  nlohmann::json j_;
};

}  // namespace cardcore::http
