// The card lifecycle use cases of the partner API (docs/api.md). Each function validates, runs
// one unit of work, and returns rows for the adapter to shape. A use case that changes anything
// takes `finish`: for a request with an Idempotency-Key, its answer is stored in that same unit
// (service/idempotency.h). Ownership rule: every id in a
// request must belong to the calling partner, else the answer is the same as for an unknown id.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "service/context.h"
#include "service/idempotency.h"

namespace cardcore::cards {

// ---- Card accounts ----
struct CreateAccount {
  std::string company_id, company_name, user_id, plan_master_id, email, mobile, account_title,
      account_type;
};
Result<CardAccountRow> create_account(const Context& ctx, const Principal& p, const CreateAccount& r,
                                      const idempotency::Finish<CardAccountRow>& finish = {});

struct AccountSummary {
  CardAccountRow account;
  int64_t pool_balance_paise = 0;  // funding pool available for loads
  int64_t card_balance_paise = 0;  // sum over the account's cards
  int64_t total_cards = 0;
  int64_t active_cards = 0;
  std::optional<CardRow> primary_card;
  int64_t fees_this_month_paise = 0, gst_this_month_paise = 0;  // charged since the 1st (IST)
};
Result<AccountSummary> get_account(const Context& ctx, const Principal& p,
                                   const std::string& company_id, const std::string& card_account_id);

// ---- Cards ----
struct Document { std::string doc_type, doc_no; };
struct CreateCard {
  std::string company_id, card_account_id, user_id, email, mobile, title, first_name, middle_name,
      last_name, gender, address, address2, city, state, country, pincode, remarks, special_date;
  bool primary = false, physical = false, delivery_flag = false;
  std::string delivery_address, delivery_address2, delivery_city, delivery_state, delivery_country,
      delivery_pincode;
  std::vector<Document> documents;
  std::optional<int64_t> load_amount_paise;
};
struct IssuedCard {
  CardRow card;
  std::optional<PhysicalOrderRow> order;
};
Result<IssuedCard> create_card(const Context& ctx, const Principal& p, const CreateCard& r,
                               const idempotency::Finish<IssuedCard>& finish = {});

// OTP / MFA proof carried by sensitive operations (docs/api.md, "OTP and MFA").
struct Proof {
  bool otp_required = false;
  std::string otp_medium;  // "MOBILE" | "MFA" (required when otp_required)
  std::string otp_request_id, otp, mfa_code;
};


Status set_pin(const Context& ctx, const Principal& p, const CardRef& ref, const std::string& pin,
               const Proof& proof, const idempotency::Finish<void>& finish = {});

struct BlockRequest {
  CardRef ref;
  std::string block_code, reason, created_by;
  Proof proof;
};
Status block(const Context& ctx, const Principal& p, const BlockRequest& r,
             const idempotency::Finish<void>& finish = {});

struct OtpIssued { std::string otp_request_id; int64_t expires_in_seconds; std::string masked_mobile; };
// The SMS goes out after the unit commits; when it fails, the error is the answer (and a keyed
// request's stored answer is dropped again, so a retry issues a new OTP).
Result<OtpIssued> generate_otp(const Context& ctx, const Principal& p, const std::string& card_account_id,
                               const std::string& card_id, const std::string& action,
                               const idempotency::Finish<OtpIssued>& finish = {});

struct CardSecrets { CardRow card; std::string pan, cvv; };
Result<CardSecrets> view_card(const Context& ctx, const Principal& p, const CardRef& ref,
                              const Proof& proof);

// Fields absent from the request keep their stored value; `clear_*` set a limit back to none.
struct UsageUpdate {
  std::string company_id, card_account_id;
  std::vector<std::string> card_ids;
  std::optional<bool> pos_allowed, online_allowed, atm_allowed, international_allowed,
      contactless_allowed, admin_user;
  // For each limit: nullopt = leave; optional<nullopt> = clear; value = set.
  using Limit = std::optional<std::optional<int64_t>>;
  Limit per_txn_limit, dtd, mtd, ytd, dtd_count, mtd_count, ytd_count, pos_daily, pos_daily_count,
      ecom_daily, ecom_daily_count, contactless_daily, contactless_daily_count;
  // Merchant controls: nullopt = leave; a list (empty: none) replaces the stored one.
  using List = std::optional<std::vector<std::string>>;
  List allowed_mccs, blocked_mccs, blocked_merchant_ids, blocked_countries;
  std::string created_by;
};
Status set_usage_controls(const Context& ctx, const Principal& p, const UsageUpdate& r,
                          const idempotency::Finish<void>& finish = {});
// The card's controls (defaults when never set) and what it has used so far in the IST windows.
struct UsageReport {
  UsageControlsRow controls;
  UsageTotals used;
};
Result<UsageReport> get_usage_controls(const Context& ctx, const Principal& p, const CardRef& ref);

struct ReplaceRequest {
  std::string card_account_id, card_id, reason;
  Proof proof;
};
Result<CardRow> replace_card(const Context& ctx, const Principal& p, const ReplaceRequest& r,
                             const idempotency::Finish<CardRow>& finish = {});

struct OrderRequest {
  CardRef ref;
  std::string address, address2, city, state, country, pincode;
};
Result<PhysicalOrderRow> order_physical(const Context& ctx, const Principal& p, const OrderRequest& r,
                                        const idempotency::Finish<PhysicalOrderRow>& finish = {});

// One card when card_id is set, else the account's cards (at most `limit`) and their total count.
struct SearchResult {
  std::vector<CardRow> cards;
  int64_t total_cards = 0;
};
Result<SearchResult> search(const Context& ctx, const Principal& p, const std::string& company_id,
                                    const std::string& card_account_id, const std::string& card_id,
                                    size_t limit);

}  // namespace cardcore::cards
