// Helpers shared by the use cases of the service layer (not used outside it): ownership checks,
// audit and status-change records, ids, webhook events. All run inside a caller's unit of work.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "service/context.h"

namespace cardcore::svc {

// The keyed fingerprint under which a card number is found (never the number itself).
std::string pan_fingerprint(const Context& ctx, const std::string& pan);
std::string make_id(std::string_view prefix, size_t n);  // prefix + n of [A-Z0-9]
// prefix + 16 of [A-Z0-9]: the time in milliseconds (8 base-36 digits, so the ids of one
// millisecond and the next sort side by side) and 8 random ones (2.8e12 values, so ids made in
// the same millisecond, on any node, do not meet). For a table's key that every authorization
// inserts: a random key dirties a b-tree page of its own in each commit, a time-ordered one
// shares the newest page with the rest of the batch.
std::string make_time_ordered_id(std::string_view prefix);

// Company (when given) and account must both belong to the caller; else "no such id" (kInvalidId),
// the same answer as for an id that does not exist.
Result<CardAccountRow> owned_account(Tx& tx, const Principal& p, const std::string& company_id,
                                     const std::string& account_id);
// Card must belong to the caller and to the given account/company (when given).
Result<CardRow> owned_card(Tx& tx, const Principal& p, const CardRef& ref);

Status audit(Tx& tx, const Principal& p, std::string_view action, const std::string& object_id,
             const nlohmann::json& detail, int64_t now);

// Records the change in the card's trail and queues the card.status_changed webhook.
// `from` is none when the card was just issued.
Status record_status_change(Tx& tx, const CardRow& card, std::optional<CardStatus> from, CardStatus to,
                            const std::string& reason, ChangeChannel channel, const std::string& actor,
                            int64_t now);

// Queues a webhook event in the outbox (same unit of work as the change) when the partner has
// a webhook URL, under the card it is about. `object()` makes the event's data, only when there
// is a receiver.
Status enqueue_event(Tx& tx, const std::string& partner_id, const std::string& card_id, std::string_view type,
                     const std::function<nlohmann::json()>& object, int64_t now);
// The same, with the data already written as JSON text by `object_text()` (views::*_text).
// `webhook_url`: the partner's address when this unit already read it (find_decision_card);
// nullopt reads it here.
Status enqueue_event_text(Tx& tx, const std::string& partner_id, const std::string& card_id, std::string_view type,
                          const std::function<std::string()>& object_text, int64_t now,
                          const std::optional<std::string>& webhook_url = std::nullopt);

// A card transaction row for `card` with the snapshot fields (holder, company, last 4) filled;
// txnDetails is `details_json`, or transaction_details(reference, type, "API") when empty.
// A storage error while reading the snapshot is returned, never dropped.
Result<TransactionRow> new_transaction(Tx& tx, const CardRow& card, const std::string& direction, int64_t amount_paise,
                               int64_t entry_id, int64_t balance_after_paise, const std::string& reference,
                               const std::string& type, int64_t now, std::string details_json = {});
// txnDetails, as JSON text, with every field of the contract's transaction object (empty where
// not applicable) and the `extra` members (their values JSON text already).
std::string transaction_details(const std::string& reference, std::string_view transaction_type,
                                std::string_view channel,
                                std::vector<std::pair<std::string_view, std::string>> extra = {});
// Inserts the row and queues its transaction.created webhook, in the caller's unit
// (`webhook_url` as for enqueue_event_text).
Status record_transaction(Tx& tx, const TransactionRow& row,
                          const std::optional<std::string>& webhook_url = std::nullopt);

// The Asia/Kolkata calendar day, month and year that contain `now` (limits reset at midnight IST).
UsageWindows usage_windows(int64_t now, std::optional<authz::Channel> channel);

}  // namespace cardcore::svc
