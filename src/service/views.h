// JSON shapes of the objects the partner API and webhooks carry (docs/api.md, the card and transaction objects): card, card account,
// usage controls, physical order. Only masked card numbers appear here.
#pragma once

#include <nlohmann/json.hpp>

#include "store/records.h"

namespace cardcore::views {

nlohmann::json card_json(const CardRow& c);
nlohmann::json account_json(const CardAccountRow& a);
nlohmann::json usage_json(const UsageControlsRow& u);
nlohmann::json order_json(const PhysicalOrderRow& o);
nlohmann::json transaction_json(const TransactionRow& t);
std::string masked_number(const std::string& last4);
// Rupees for JSON: whole rupees as an integer (11), else a 2-decimal number (12.5).
nlohmann::json rupees_json(int64_t paise);
// The same, or null for none (a limit that is not set).
nlohmann::json opt_rupees(const std::optional<int64_t>& paise);
nlohmann::json opt_count(const std::optional<int64_t>& n);
// A plan's RBI PPI rules (kycRules): "NONE", or {MIN, FULL, GIFT} each with its limits in
// rupees (null: no limit) and cashAllowed.
nlohmann::json level_rules_json(const ppi::LevelRules& l);
nlohmann::json program_json(const ppi::Program& p);

}  // namespace cardcore::views
