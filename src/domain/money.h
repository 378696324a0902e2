// Money is integer paise (1 rupee = 100 paise), signed 64-bit, never a binary float in storage.
// The wire carries rupees as JSON numbers or numeric strings with at most 2 decimals; these
// functions are the only place rupees become paise and back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore::money {

// Largest magnitude accepted anywhere: ₹1,000,000,000.00 (1e11 paise). Keeps every sum of a few
// thousand amounts far from int64 overflow and every value exactly representable in a double.
inline constexpr int64_t kMaxAbsPaise = 100'000'000'000;

// "12", "12.5", "12.50", "-3.25", "+1" -> paise. Refuses more than 2 decimals, exponents,
// empty text, non-digits, and magnitudes above kMaxAbsPaise. `field` names the field in errors.
Result<int64_t> parse_rupees_text(std::string_view text, const std::string& field);

// A JSON number (already a double) -> paise, refusing more than 2 decimals, NaN/inf and
// magnitudes above kMaxAbsPaise.
Result<int64_t> rupees_double_to_paise(double rupees, const std::string& field);

// Exact decimal text of a paise amount: 1250 -> "12.50", -5 -> "-0.05", 100 -> "1.00".
std::string format_rupees(int64_t paise);

// Paise as a double in rupees for JSON output (exact to 2 decimals for |paise| <= kMaxAbsPaise).
double to_rupees_double(int64_t paise);

}  // namespace cardcore::money
