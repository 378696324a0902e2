#include "domain/ppi.h"

#include <array>
#include <charconv>
#include <vector>

#include "domain/clock.h"
#include "domain/money.h"

namespace cardcore::ppi {
namespace {

constexpr int64_t kRupee = 100;
constexpr std::string_view kEncodingTag = "P1";
constexpr size_t kFieldsPerLevel = 8;

std::string rupees(int64_t paise) { return "₹" + money::format_rupees(paise); }

void append_level(std::string& out, const LevelRules& r) {
  auto opt = [&](const std::optional<int64_t>& v) {
    if (v) out += std::to_string(*v);
    out += ',';
  };
  opt(r.max_balance);
  opt(r.monthly_load);
  opt(r.yearly_load);
  opt(r.monthly_debit);
  out += r.cash_allowed ? "1," : "0,";
  opt(r.cash_per_txn);
  opt(r.monthly_cash);
  if (r.monthly_cash_count) out += std::to_string(*r.monthly_cash_count);
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t at = 0;
  for (;;) {
    size_t next = text.find(sep, at);
    out.push_back(text.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
    if (next == std::string_view::npos) return out;
    at = next + 1;
  }
}

Result<std::optional<int64_t>> opt_number(std::string_view v) {
  if (v.empty()) return std::optional<int64_t>{};
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 0) {
    return internal_error("plans.kyc_rules: a limit is not a number of paise");
  }
  return std::optional<int64_t>{n};
}

Result<LevelRules> decode_level(std::string_view text) {
  std::vector<std::string_view> f = split(text, ',');
  if (f.size() != kFieldsPerLevel || (f[4] != "0" && f[4] != "1")) {
    return internal_error("plans.kyc_rules: a level does not have its 8 fields");
  }
  LevelRules r;
  CC_ASSIGN_OR_RETURN(r.max_balance, opt_number(f[0]));
  CC_ASSIGN_OR_RETURN(r.monthly_load, opt_number(f[1]));
  CC_ASSIGN_OR_RETURN(r.yearly_load, opt_number(f[2]));
  CC_ASSIGN_OR_RETURN(r.monthly_debit, opt_number(f[3]));
  r.cash_allowed = f[4] == "1";
  CC_ASSIGN_OR_RETURN(r.cash_per_txn, opt_number(f[5]));
  CC_ASSIGN_OR_RETURN(r.monthly_cash, opt_number(f[6]));
  CC_ASSIGN_OR_RETURN(r.monthly_cash_count, opt_number(f[7]));
  return r;
}

}  // namespace

std::optional<KycLevel> parse_kyc_level(std::string_view s) {
  if (s == "MIN") return KycLevel::kMin;
  if (s == "FULL") return KycLevel::kFull;
  return std::nullopt;
}

std::string_view kyc_level_code(KycLevel l) { return l == KycLevel::kFull ? "FULL" : "MIN"; }

Rules rbi_defaults() {
  Rules r;
  r.min = LevelRules{10'000 * kRupee, 10'000 * kRupee, 120'000 * kRupee, 10'000 * kRupee, false,
                     std::nullopt, std::nullopt, std::nullopt};
  r.full = LevelRules{200'000 * kRupee, std::nullopt, std::nullopt, std::nullopt, true,
                      2'000 * kRupee, 10'000 * kRupee, std::nullopt};
  r.gift = LevelRules{10'000 * kRupee, std::nullopt, std::nullopt, std::nullopt, false,
                      std::nullopt, std::nullopt, std::nullopt};
  return r;
}

const LevelRules* rules_for(const Program& p, KycLevel level, bool gift) {
  if (!p.ppi) return nullptr;
  if (gift) return &p.rules.gift;
  return level == KycLevel::kFull ? &p.rules.full : &p.rules.min;
}

std::optional<LevelRules> rules_under_plan(const Program& p, KycLevel level, bool gift, int64_t plan_max_balance) {
  const LevelRules* rules = rules_for(p, level, gift);
  if (!rules) return std::nullopt;
  LevelRules r = *rules;
  if (r.max_balance && *r.max_balance > plan_max_balance) r.max_balance.reset();
  return r;
}

std::string_view kind_name(KycLevel level, bool gift) { return gift ? "GIFT" : kyc_level_code(level); }

std::string encode_program(const Program& p) {
  if (!p.ppi) return "NONE";
  if (p.rules == rbi_defaults()) return "";
  std::string out(kEncodingTag);
  for (const LevelRules* l : {&p.rules.min, &p.rules.full, &p.rules.gift}) {
    out += ';';
    append_level(out, *l);
  }
  return out;
}

Result<Program> decode_program(std::string_view text) {
  if (text.empty()) return Program{};
  if (text == "NONE") return Program{false, rbi_defaults()};
  std::vector<std::string_view> levels = split(text, ';');
  if (levels.size() != 4 || levels[0] != kEncodingTag) {
    return internal_error("plans.kyc_rules: not a stored program");
  }
  Program p;
  CC_ASSIGN_OR_RETURN(p.rules.min, decode_level(levels[1]));
  CC_ASSIGN_OR_RETURN(p.rules.full, decode_level(levels[2]));
  CC_ASSIGN_OR_RETURN(p.rules.gift, decode_level(levels[3]));
  return p;
}

int64_t financial_year_start(int64_t now) {
  clock::Date d = clock::ist_date(now);
  return clock::ist_midnight({d.month >= 4 ? d.year : d.year - 1, 4, 1});
}

Error load_refusal(int code, std::string_view kind, std::string_view rule, int64_t limit, int64_t room,
                   const std::string& field) {
  return Error{code,
               field + ": the KYC level " + std::string(kind) + " allows " + std::string(rule) + " of at most " +
                   rupees(limit) + "; " + rupees(std::max<int64_t>(room, 0)) + " of room is left",
               field};
}

std::optional<Error> check_load(const LevelRules& r, std::string_view kind, const LoadUse& use, int64_t amount,
                                const std::string& field, bool count_as_load) {
  if (r.max_balance && use.balance + amount > *r.max_balance) {
    return load_refusal(code::kKycBalanceLimit, kind, "a balance", *r.max_balance, *r.max_balance - use.balance,
                        field);
  }
  if (!count_as_load) return std::nullopt;
  if (r.monthly_load && use.month_loaded + amount > *r.monthly_load) {
    return load_refusal(code::kKycMonthlyLoadLimit, kind, "loads per calendar month", *r.monthly_load,
                        *r.monthly_load - use.month_loaded, field);
  }
  if (r.yearly_load && use.year_loaded + amount > *r.yearly_load) {
    return load_refusal(code::kKycYearlyLoadLimit, kind, "loads per financial year", *r.yearly_load,
                        *r.yearly_load - use.year_loaded, field);
  }
  return std::nullopt;
}

}  // namespace cardcore::ppi
