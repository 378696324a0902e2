#include "domain/fees.h"

#include <array>
#include <charconv>

namespace cardcore::fees {
namespace {

constexpr std::string_view kTag = "F1;";
constexpr size_t kFields = 7;

// The fields in their stored order.
std::array<int64_t Schedule::*, kFields> fields() {
  return {&Schedule::issuance,  &Schedule::replacement,    &Schedule::physical_card, &Schedule::load_bp,
          &Schedule::load_fixed, &Schedule::atm_withdrawal, &Schedule::gst_bp};
}

}  // namespace

int64_t percent_of(int64_t paise, int64_t bp) { return (paise * bp + kBasisPoints / 2) / kBasisPoints; }

Charge with_gst(const Schedule& s, int64_t fee) { return Charge{fee, percent_of(fee, s.gst_bp)}; }

Charge load_fee(const Schedule& s, int64_t amount) {
  return with_gst(s, percent_of(amount, s.load_bp) + s.load_fixed);
}

std::string encode(const Schedule& s) {
  if (s == Schedule{}) return "";
  std::string out(kTag);
  bool first = true;
  for (int64_t Schedule::*f : fields()) {
    if (!first) out += ',';
    first = false;
    out += std::to_string(s.*f);
  }
  return out;
}

Result<Schedule> decode(std::string_view text) {
  Schedule s;
  if (text.empty()) return s;
  if (text.substr(0, kTag.size()) != kTag) return internal_error("plans.fees: not a stored fee schedule");
  text.remove_prefix(kTag.size());
  for (int64_t Schedule::*f : fields()) {
    size_t comma = text.find(',');
    std::string_view v = text.substr(0, comma);
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s.*f);
    if (ec != std::errc() || end != v.data() + v.size() || v.empty() || s.*f < 0) {
      return internal_error("plans.fees: a field is not a number");
    }
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (comma == std::string_view::npos && f != fields().back()) return internal_error("plans.fees: too few fields");
  }
  if (!text.empty()) return internal_error("plans.fees: too many fields");
  return s;
}

}  // namespace cardcore::fees
