// KYC levels and the RBI PPI limits a card lives under (domain/ppi.h): what the partner reads
// (kyc/status) and how a completed KYC is recorded (the issuer's compliance team, or the
// sandbox). The limits themselves are kept where the money moves: loads in
// balances::load_in_unit, spending in the authorization engine.
#pragma once

#include <optional>
#include <string>

#include "domain/ppi.h"
#include "service/context.h"
#include "store/records.h"

namespace cardcore::kyc {

struct KycStatus {
  CardRow card;
  std::string rules;                      // the rules it lives under: MIN, FULL, GIFT, or NONE
  std::optional<ppi::LevelRules> level;   // none outside the PPI directions
  int64_t max_balance_paise = 0;          // the tighter of the level's and the plan's maximum
  int64_t month_loaded_paise = 0, year_loaded_paise = 0;
  int64_t month_debit_paise = 0;          // cleared spend and open holds, every channel
  int64_t month_cash_paise = 0, month_cash_count = 0;  // ATM
};
// Get KYC Status: the card must be the caller's.
Result<KycStatus> status(const Context& ctx, const Principal& p, const CardRef& ref);

struct Upgrade {
  std::string card_id, level, reference;
  std::string actor;    // who records it, for the audit trail ("admin", "console:…", a partner id)
  std::string channel;  // "ADMIN" or "SANDBOX"
  std::optional<Principal> partner;  // when set (sandbox), the card must be this partner's
  CardRef ref;                       // with `partner`: the ids the request named
};
struct UpgradeResult {
  CardRow card;
  bool changed = false;  // false: the card was already FULL (nothing recorded again)
};
// Records a completed KYC: MIN -> FULL, audited, with the card.kyc_updated webhook. A card
// already FULL answers as it is; a downgrade, a gift card or an unknown level is refused.
Result<UpgradeResult> record_full_kyc(const Context& ctx, const Upgrade& u);

}  // namespace cardcore::kyc
