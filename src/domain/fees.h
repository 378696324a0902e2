// A program's fee schedule and the GST on it: pure arithmetic in integer paise, rounded half up
// at each step (a 1% fee on ₹1,000.00 is ₹10.00; 18% GST on it is ₹1.80). The service charges
// what these functions compute in the unit of the operation the fee is for (service/fees.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore::fees {

inline constexpr int64_t kBasisPoints = 10'000;  // 100% in basis points (1% = 100)
inline constexpr int64_t kDefaultGstBp = 1'800;   // 18%

// A plan's fees (docs/api.md, "fees"): fixed amounts in paise, percentages in basis points.
struct Schedule {
  int64_t issuance = 0, replacement = 0, physical_card = 0, load_fixed = 0, atm_withdrawal = 0;
  int64_t load_bp = 0;
  int64_t gst_bp = kDefaultGstBp;
  bool operator==(const Schedule&) const = default;
};

// `bp` basis points of `paise`, rounded half up (amounts are never negative here).
int64_t percent_of(int64_t paise, int64_t bp);

struct Charge {
  int64_t fee = 0, gst = 0;
  int64_t total() const { return fee + gst; }
  bool none() const { return fee == 0; }
};
// A fixed fee and its GST.
Charge with_gst(const Schedule& s, int64_t fee);
// The fee on a load of `amount`: its percentage (rounded) plus the fixed part, then GST.
Charge load_fee(const Schedule& s, int64_t amount);

// How a plan's schedule is stored (plans.fees): "" for no fees, else encode's text.
std::string encode(const Schedule& s);
Result<Schedule> decode(std::string_view text);

}  // namespace cardcore::fees
