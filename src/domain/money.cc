// Rupees <-> paise. Text is parsed digit by digit (no floating point), so "0.29" is exactly 29
// paise; doubles from JSON numbers are accepted only when they are a whole number of paise.
#include "domain/money.h"

#include <cmath>
#include <cstdlib>

namespace cardcore::money {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<int64_t> parse_rupees_text(std::string_view text, const std::string& field) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';

  // Integer part: at least one digit. Accumulation stops once past the bound, so any number of
  // digits is read without int64 overflow (the syntax is still checked to the end).
  int64_t paise = 0;
  bool too_large = false;
  const size_t int_start = i;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    if (!too_large) paise = paise * 10 + (text[i] - '0') * 100;
    too_large = too_large || paise > kMaxAbsPaise;
  }
  if (i == int_start) return invalid_param(field, "not a number");

  // Fraction: optional, and when present 1..2 digits (so "12." and ".5" are refused).
  if (i < text.size() && text[i] == '.') {
    const size_t frac_start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    const size_t frac_len = i - frac_start;
    if (frac_len == 0 || i != text.size()) return invalid_param(field, "not a number");
    if (frac_len > 2) return invalid_param(field, "at most 2 decimal places");
    paise += (text[frac_start] - '0') * 10;
    if (frac_len == 2) paise += text[frac_start + 1] - '0';
  }
  if (i != text.size()) return invalid_param(field, "not a number");
  if (too_large || paise > kMaxAbsPaise) return invalid_param(field, "too large");
  return negative ? -paise : paise;
}

Result<int64_t> rupees_double_to_paise(double rupees, const std::string& field) {
  if (!std::isfinite(rupees)) return invalid_param(field, "not a number");
  const double scaled = rupees * 100.0;
  // Checked before llround, whose result is undefined outside the int64 range.
  if (std::fabs(scaled) > static_cast<double>(kMaxAbsPaise) + 0.5) {
    return invalid_param(field, "too large");
  }
  const int64_t paise = std::llround(scaled);
  // Two ways to be a whole number of paise: the value is the double nearest to paise/100 (what a
  // JSON parser yields for "12.34"; the only test that holds near kMaxAbsPaise, where rounding in
  // the multiplication alone exceeds 1e-6), or it is within 1e-6 paise of one (0.1 + 0.2).
  if (static_cast<double>(paise) / 100.0 != rupees &&
      std::fabs(scaled - static_cast<double>(paise)) > 1e-6) {
    return invalid_param(field, "at most 2 decimal places");
  }
  if (std::llabs(paise) > kMaxAbsPaise) return invalid_param(field, "too large");
  return paise;
}

std::string format_rupees(int64_t paise) {
  // Unsigned magnitude so that even INT64_MIN formats without overflow.
  const uint64_t magnitude = paise < 0 ? 0 - static_cast<uint64_t>(paise) : static_cast<uint64_t>(paise);
  std::string out = paise < 0 ? "-" : "";
  out += std::to_string(magnitude / 100);
  out += '.';
  out += static_cast<char>('0' + magnitude % 100 / 10);
  out += static_cast<char>('0' + magnitude % 10);
  return out;
}

double to_rupees_double(int64_t paise) {
  // Correctly rounded division: the nearest double to the exact decimal, so it prints as such.
  return static_cast<double>(paise) / 100.0;
}

}  // namespace cardcore::money
