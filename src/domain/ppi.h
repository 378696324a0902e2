// The RBI's rules for prepaid payment instruments (PPIs): a card's KYC level, the limits of each
// level, and the checks a load or a balance move must pass. Pure functions over tables of
// limits; the service passes what the card already loaded and holds, the store keeps the
// counters. The authorization engine applies the spending side (authorization.h, Limits::ppi).
//
//  kind    balance      loads per month / financial year   debits per month   ATM cash
//  MIN     ₹10,000      ₹10,000 / ₹1,20,000                 ₹10,000            none
//  FULL    ₹2,00,000    -                                   -                  ₹2,000 a withdrawal, ₹10,000 a month
//  GIFT    ₹10,000      loaded once (the card service)     -                  none
//
// Every number is a default: a plan may override any of them (kycRules), or set the program
// outside the PPI directions ("NONE", closed-loop programs). The plan's maxCardBalance applies
// as well; the tighter of the two wins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore::ppi {

enum class KycLevel { kMin, kFull };
std::optional<KycLevel> parse_kyc_level(std::string_view s);  // "MIN" | "FULL"
std::string_view kyc_level_code(KycLevel l);

// The rules of one kind of instrument, in paise; nullopt = no limit.
struct LevelRules {
  std::optional<int64_t> max_balance, monthly_load, yearly_load, monthly_debit;
  bool cash_allowed = false;
  std::optional<int64_t> cash_per_txn, monthly_cash, monthly_cash_count;
  bool operator==(const LevelRules&) const = default;
};

struct Rules {
  LevelRules min, full, gift;
  bool operator==(const Rules&) const = default;
};

// The defaults above (RBI Master Directions on PPIs).
Rules rbi_defaults();

// A plan's program: the PPI rules, or none at all (kycRules "NONE").
struct Program {
  bool ppi = true;
  Rules rules = rbi_defaults();
};

// The rules a card lives under: GIFT for a gift card, else its KYC level's; nullptr outside PPI.
const LevelRules* rules_for(const Program& p, KycLevel level, bool gift);
// The rules a load into a card keeps under a plan whose balance ceiling (maxCardBalance) is
// `plan_max_balance`: rules_for, with a balance maximum looser than the plan's dropped, since the
// plan's ceiling then binds first (a tie stays the level's). The card's balance ceiling is then
// max_balance.value_or(plan_max_balance), the tighter of the two. None outside PPI.
std::optional<LevelRules> rules_under_plan(const Program& p, KycLevel level, bool gift, int64_t plan_max_balance);
// "MIN", "FULL" or "GIFT": the name of the rules a card lives under.
std::string_view kind_name(KycLevel level, bool gift);

// How a plan's program is stored (plans.kyc_rules): "" = the defaults, "NONE", or the full
// rules written by encode_program. The text never holds anything but digits and separators.
std::string encode_program(const Program& p);
Result<Program> decode_program(std::string_view text);

// The financial year (1 April 00:00 IST) that holds `now`, as its first second (unix): the
// yearly load window. The monthly one is clock::ist_month_start.
int64_t financial_year_start(int64_t now);

// What a card already holds and loaded, before the load being checked.
struct LoadUse {
  int64_t balance = 0, month_loaded = 0, year_loaded = 0;
};

// A refusal of a load or balance move: the error code, and the message naming the rule, the
// limit and the room left.
Error load_refusal(int code, std::string_view kind, std::string_view rule, int64_t limit, int64_t room,
                   const std::string& field);

// The first rule a load of `amount` would break (balance, then the month's and the year's
// loads), naming `field`; none when it breaks none. A balance move (replacement) is checked with
// count_as_load = false: only the balance applies.
std::optional<Error> check_load(const LevelRules& r, std::string_view kind, const LoadUse& use, int64_t amount,
                                const std::string& field, bool count_as_load = true);

}  // namespace cardcore::ppi
