#include "domain/ledger.h"

#include <set>

#include "domain/money.h"

namespace cardcore::ledger {
namespace {

constexpr std::string_view kSource = "source:";
constexpr std::string_view kPool = "pool:";
constexpr std::string_view kWallet = "wallet:";
constexpr std::string_view kNetwork = "network:settlement";
constexpr std::string_view kReceivable = "receivable:";
constexpr std::string_view kFees = "fees:";
constexpr std::string_view kGst = "gst:";

bool owner_ok(std::string_view owner) {
  if (owner.empty() || owner.size() > 32) return false;
  for (char c : owner) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string with_prefix(std::string_view prefix, std::string_view owner) {
  std::string s(prefix);
  s += owner;
  return s;
}

}  // namespace

std::string source_account(std::string_view company_id) { return with_prefix(kSource, company_id); }
std::string pool_account(std::string_view card_account_id) { return with_prefix(kPool, card_account_id); }
std::string wallet_account(std::string_view card_id) { return with_prefix(kWallet, card_id); }
std::string network_settlement_account() { return std::string(kNetwork); }
std::string receivable_account(std::string_view card_id) { return with_prefix(kReceivable, card_id); }
std::string fee_revenue_account(std::string_view partner_id) { return with_prefix(kFees, partner_id); }
std::string gst_payable_account(std::string_view partner_id) { return with_prefix(kGst, partner_id); }

Result<AccountKind> kind_of(std::string_view id) {
  if (id == kNetwork) return AccountKind::kNetworkSettlement;
  auto owned = [&](std::string_view prefix) {
    return id.substr(0, prefix.size()) == prefix && owner_ok(id.substr(prefix.size()));
  };
  if (owned(kSource)) return AccountKind::kCompanySource;
  if (owned(kPool)) return AccountKind::kFundingPool;
  if (owned(kWallet)) return AccountKind::kCardWallet;
  if (owned(kReceivable)) return AccountKind::kReceivable;
  if (owned(kFees)) return AccountKind::kFeeRevenue;
  if (owned(kGst)) return AccountKind::kGstPayable;
  return internal_error("ledger: malformed account id '" + std::string(id) + "'");
}

std::string_view kind_name(AccountKind kind) {
  switch (kind) {
    case AccountKind::kCompanySource: return "source";
    case AccountKind::kFundingPool: return "pool";
    case AccountKind::kCardWallet: return "wallet";
    case AccountKind::kNetworkSettlement: return "network";
    case AccountKind::kReceivable: return "receivable";
    case AccountKind::kFeeRevenue: return "fees";
    case AccountKind::kGstPayable: return "gst";
  }
  return "unknown";
}

bool may_go_negative(AccountKind kind) {
  return kind == AccountKind::kCompanySource || kind == AccountKind::kNetworkSettlement ||
         kind == AccountKind::kReceivable;
}

Status validate(const Entry& e) {
  if (e.postings.size() < 2) return internal_error("ledger: an entry needs at least two postings");
  std::set<std::string_view> seen;
  int64_t sum = 0;
  for (const Posting& p : e.postings) {
    CC_RETURN_IF_ERROR(kind_of(p.account_id));
    if (p.amount_paise == 0) return internal_error("ledger: zero posting to " + p.account_id);
    if (p.amount_paise > money::kMaxAbsPaise || p.amount_paise < -money::kMaxAbsPaise) {
      return internal_error("ledger: posting too large");
    }
    if (!seen.insert(p.account_id).second) return internal_error("ledger: account posted twice: " + p.account_id);
    sum += p.amount_paise;  // bounded: each |amount| <= 1e11, so no overflow for < 9e7 postings
  }
  if (sum != 0) return internal_error("ledger: postings sum to " + std::to_string(sum) + ", not zero");
  return {};
}

Entry fund(std::string_view company_id, std::string_view card_account_id, int64_t amount, std::string reference) {
  return Entry{"FUND", std::move(reference),
               {{source_account(company_id), -amount, std::nullopt}, {pool_account(card_account_id), amount, std::nullopt}}};
}

Entry load(std::string_view card_account_id, std::string_view card_id, int64_t amount, int64_t max_card_balance,
           std::string reference) {
  return Entry{"LOAD", std::move(reference),
               {{pool_account(card_account_id), -amount, std::nullopt},
                {wallet_account(card_id), amount, max_card_balance}}};
}

Entry move_between_cards(std::string_view from, std::string_view to, int64_t amount, std::string reference) {
  return Entry{"REPLACE", std::move(reference), {{wallet_account(from), -amount, std::nullopt}, {wallet_account(to), amount, std::nullopt}}};
}

Entry clearing(std::string_view card_id, int64_t amount, int64_t overdraft, std::string reference) {
  Entry e{"CLEARING", std::move(reference), {}};
  if (amount - overdraft > 0) e.postings.push_back({wallet_account(card_id), -(amount - overdraft), std::nullopt});
  if (overdraft > 0) e.postings.push_back({receivable_account(card_id), -overdraft, std::nullopt});
  e.postings.push_back({network_settlement_account(), amount, std::nullopt});
  return e;
}

Entry fee(std::string kind, std::string_view payer, std::string_view partner_id, int64_t fee, int64_t gst,
          std::string reference) {
  Entry e{std::move(kind), std::move(reference), {{std::string(payer), -(fee + gst), std::nullopt},
                                        {fee_revenue_account(partner_id), fee, std::nullopt}}};
  if (gst > 0) e.postings.push_back({gst_payable_account(partner_id), gst, std::nullopt});
  return e;
}

Entry refund(std::string_view card_id, int64_t amount, std::string reference) {
  return Entry{"REFUND", std::move(reference),
               {{network_settlement_account(), -amount, std::nullopt}, {wallet_account(card_id), amount, std::nullopt}}};
}

}  // namespace cardcore::ledger
