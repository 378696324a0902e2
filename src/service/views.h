// JSON shapes of the objects the partner API and webhooks carry (docs/api.md, the card and transaction objects): card, card account,
// usage controls, physical order. Only masked card numbers appear here.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/records.h"

namespace cardcore::views {

// The card object. Written as text (card_json_text, Get Card Details sends it on every request);
// card_json is the same object as a tree, for answers that add members to it.
std::string card_json_text(const CardRow& c);
nlohmann::json card_json(const CardRow& c);
nlohmann::json account_json(const CardAccountRow& a);
nlohmann::json usage_json(const UsageControlsRow& u);
nlohmann::json order_json(const PhysicalOrderRow& o);
nlohmann::json transaction_json(const TransactionRow& t);
// The same object as transaction_json(t).dump(), byte for byte, written straight to text: keys
// in the order nlohmann::json keeps them (sorted), txnDetails embedded as stored rather than
// parsed and written again (so it must be what dump() wrote, as for every row
// svc::new_transaction makes). Every webhook event of a transaction carries it, inside the unit that
// records the transaction, where the DOM and the parse cost more than the rest of an
// authorization (callgrind, history_bench --webhook).
std::string transaction_json_text(const TransactionRow& t);
std::string masked_number(const std::string& last4);
// Rupees for JSON: whole rupees as an integer (11), else a 2-decimal number (12.5).
nlohmann::json rupees_json(int64_t paise);
// The same as JSON text.
std::string rupees_text(int64_t paise);
// The same, or null for none (a limit that is not set).
nlohmann::json opt_rupees(const std::optional<int64_t>& paise);
nlohmann::json opt_count(const std::optional<int64_t>& n);
// A plan's RBI PPI rules (kycRules): "NONE", or {MIN, FULL, GIFT} each with its limits in
// rupees (null: no limit) and cashAllowed.
nlohmann::json level_rules_json(const ppi::LevelRules& l);
nlohmann::json program_json(const ppi::Program& p);

}  // namespace cardcore::views
