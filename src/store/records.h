// Plain rows the store reads and writes. Money in paise, times in unix seconds (UTC). Statuses
// and channels are domain types: the store parses them once, at its edge, and an unknown value
// in a row is an error that names the row, never a silent default.
// Secrets appear here only as hashes (password, PIN, OTP, token digests) or sealed blobs
// (card number, CVV, TOTP secret, payload key) — never in clear.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/authorization.h"
#include "domain/card_status.h"
#include "domain/ppi.h"
#include "domain/physical_order.h"
#include "security/vault.h"

namespace cardcore {

struct PartnerRow {
  std::string partner_id;         // CR + 7
  std::string name;
  std::string mobile;
  std::string webhook_url;
  std::string encryption;         // "none" | "aes128ecb"
  std::string client_id;          // equals the partner's first companyId (EnKash's Basic user)
  std::string client_secret_hash; // argon2id
  Sealed payload_key;             // AES-128 key derived from the client secret (EnKash compat)
  int64_t created_at = 0;
  Sealed webhook_secret;          // HMAC-SHA256 key for webhook signatures (empty blob: none yet)
};

struct CompanyRow {
  std::string company_id;  // CEK + 7
  std::string partner_id;
  std::string name;
  int64_t created_at = 0;
};

struct PlanRow {
  std::string plan_master_id;  // PM + 7
  std::string partner_id;
  std::string name;
  std::string bin;             // 6..8 digits
  int validity_years = 5;
  int64_t max_balance_paise = 0;
  bool gift = false;           // gift plans issue non-reloadable cards
  int64_t created_at = 0;
  std::string kyc_rules;       // ppi::encode_program: "" = the RBI defaults, "NONE" = no PPI rules
  std::string fees;            // fees::encode: "" = no fees
};

struct LoginRow {
  std::string username;       // the partner's mobile number
  std::string partner_id;
  std::string password_hash;  // argon2id
  int failed_attempts = 0;
  bool locked = false;
  int64_t updated_at = 0;
};

struct TokenRow {
  std::string digest;  // hex SHA-256 of the token
  std::string kind;    // "access" | "refresh"
  std::string partner_id;
  std::string username;
  int64_t expires_at = 0;
};

struct CardAccountRow {
  std::string card_account_id;  // CA + 7
  std::string partner_id;
  std::string company_id;
  std::string company_name;
  std::string plan_master_id;
  std::string user_id;
  std::string email;
  std::string mobile;
  std::string account_title;
  std::string account_type;
  int64_t created_at = 0;
};

struct CardRow {
  std::string card_id;  // EKC + 7
  std::string card_account_id;
  std::string partner_id;
  std::string company_id;
  std::string user_id;          // EK + 6
  std::string token;            // 20 hex, public card reference
  Sealed pan;
  std::string pan_last4;
  std::string pan_fingerprint;  // hex HMAC of the PAN: uniqueness and lookup without decrypting
  Sealed cvv;
  int expiry_month = 0;
  int expiry_year = 0;
  CardStatus status = CardStatus::kUnlocked;
  std::string card_type;        // "VIRTUAL" | "PHYSICAL"
  bool gift = false;
  bool primary_card = false;
  int64_t balance_paise = 0;    // read-only: the wallet's ledger balance (0 before any posting)
  int64_t held_paise = 0;       // read-only: open holds on the wallet
  std::string holder_name;
  std::string mobile;
  std::string email;
  std::string profile_json;     // the rest of the create request (names, address, documents, …)
  std::string pin_hash;         // empty until a PIN is set
  int pin_failures = 0;
  std::optional<Sealed> mfa_secret;
  int mfa_failures = 0;         // consecutive wrong authenticator codes
  std::string replaced_by;      // card id of the replacement, when replaced
  int64_t created_at = 0;
  int64_t modified_at = 0;
  ppi::KycLevel kyc_level = ppi::KycLevel::kMin;
  std::string kyc_reference;    // the reference the completed KYC was recorded under
  std::string program_rules;    // read-only: its plan's kyc_rules (ppi::decode_program)
  std::string program_fees;     // read-only: its plan's fees (fees::decode)
  // Read-only: its card account's company name, read with the card (a transaction row carries
  // it); nullopt on a row not read from the store.
  std::optional<std::string> account_company_name;
};

struct StatusChangeRow {
  std::string card_id;
  std::optional<CardStatus> old_status;  // none when the card was issued
  CardStatus new_status = CardStatus::kUnlocked;
  std::string reason;
  ChangeChannel channel = ChangeChannel::kApi;
  std::string actor;    // partner id / createdBy / "admin"
  int64_t at = 0;
};

struct AuditRow {
  int64_t id = 0;
  int64_t at = 0;
  std::string partner_id;
  std::string actor;
  std::string action;     // e.g. "card.view", "card.pin_set", "login.unlock"
  std::string object_id;
  std::string detail;     // JSON text, never a secret
};

struct OtpRow {
  std::string otp_request_id;
  std::string card_id;
  std::string partner_id;
  std::string action;      // cardOtpAction
  std::string code_hash;   // argon2id
  int64_t expires_at = 0;
  int wrong_tries = 0;
  bool used = false;       // consumed or killed
  int64_t created_at = 0;
};

// Card Usage Controls. Limits in paise, counts as numbers; nullopt = no limit set.
struct UsageControlsRow {
  std::string card_id;
  bool pos_allowed = true;
  bool online_allowed = true;
  bool atm_allowed = false;
  bool international_allowed = false;
  bool contactless_allowed = true;
  std::optional<int64_t> per_txn_limit_paise, dtd_paise, mtd_paise, ytd_paise;
  std::optional<int64_t> dtd_count, mtd_count, ytd_count;
  std::optional<int64_t> pos_daily_paise, pos_daily_count;
  std::optional<int64_t> ecom_daily_paise, ecom_daily_count;
  std::optional<int64_t> contactless_daily_paise, contactless_daily_count;
  authz::MerchantControls merchant;  // allowedMccs, blockedMccs, blockedMerchantIds, blockedCountries
  bool admin_user = false;
  std::string created_by;
  int64_t created_on = 0;
  int64_t modified_on = 0;
};

// What a decision on a card reads, in one statement (CardOps::find_decision_card): the card, its
// usage controls (none when never set) and its partner's webhook address ('' for none).
struct DecisionCard {
  CardRow card;
  std::optional<UsageControlsRow> controls;
  std::string webhook_url;
};

// A bearer token with its partner, read in one statement (ProgramOps::find_token_with_partner);
// the partner is nullopt when the token names none that exists.
struct TokenWithPartner {
  TokenRow token;
  std::optional<PartnerRow> partner;
};

struct PhysicalOrderRow {
  std::string order_id;  // PCO + 8
  std::string card_id;
  std::string partner_id;
  std::string address, address2, city, state, country, pincode;
  OrderStatus status = OrderStatus::kOrdered;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct LedgerBalance {
  int64_t balance_paise = 0;
  int64_t held_paise = 0;
  int64_t available_paise() const { return balance_paise - held_paise; }
};

// A card transaction as partners see it (the transaction object of docs/api.md).
struct TransactionRow {
  std::string txn_id;  // ECTR + 9
  std::string partner_id, company_id, card_account_id, card_id;
  std::string user_id, card_last4, holder_name, company_name;  // snapshot at the time
  int64_t entry_id = 0;           // journal entry; 0 when nothing was posted (declined)
  std::string direction;          // "CR" | "DR"
  int64_t amount_paise = 0;
  int64_t balance_after_paise = 0;
  std::string pg_reference;       // the caller's uniqueReferenceNumber
  std::string type;               // LOAD_MONEY, ALLOCATE_FUND, CARD_REPLACEMENT, …
  std::string status;             // SUCCESS, DECLINED, …
  std::string description, remarks, created_by;
  std::string details_json;       // txnDetails
  int64_t created_at = 0;
  int64_t modified_at = 0;
  std::string response_code;      // an authorization's ISO 8583 decision ("00", "51", …); else ""
};

struct TransactionFilter {
  std::string partner_id, card_account_id;  // required
  std::string card_id, status, direction;
  std::vector<std::string> txn_ids, pg_references;
  std::optional<int64_t> amount_from_paise, amount_to_paise;
  std::optional<int64_t> from_time, to_time;  // unix seconds, inclusive
  size_t offset = 0;
  size_t limit = 50;
};

struct TransactionPage {
  std::vector<TransactionRow> rows;
  int64_t total = 0;          // matching rows, counted up to a cap (10,000)
  bool total_capped = false;  // there are more than `total`
};

// What the store knows about an Idempotency-Key when a request arrives.
struct IdempotencyClaim {
  enum class Kind { kNew, kReplay, kMismatch, kRunning } kind = Kind::kNew;
  int http_status = 0;
  std::string response_body;
};

struct WebhookEventRow {
  std::string event_id;
  std::string partner_id;
  std::string type;
  std::string payload_json;
  int64_t created_at = 0;
  int64_t next_attempt_at = 0;
  int attempts = 0;
  std::string state;  // PENDING | DELIVERED | FAILED
  std::string last_error;
  std::string card_id;  // the card the event is about ("" when none)
};

// One delivery attempt of a webhook event: what the receiver answered (0 when none) or why not.
struct WebhookAttemptRow {
  std::string event_id;
  int attempt = 0;
  int64_t at = 0;
  int http_status = 0;
  std::string error;
};

// An authorization and its hold on the card's wallet.
struct AuthorizationRow {
  std::string authorization_id;  // AUTH + 12
  std::string partner_id, card_id;
  authz::Channel channel = authz::Channel::kPos;
  bool international = false;
  std::string mcc, merchant_name, merchant_id;
  std::string source, stan, rrn, terminal_id;
  int64_t authorized_paise = 0;  // approved so far (initial + increments - reversals)
  int64_t held_paise = 0;        // still reserved on the wallet
  int64_t captured_paise = 0;    // cleared so far
  authz::AuthStatus status = authz::AuthStatus::kOpen;
  std::string auth_code;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// Approved use of a card in the calendar windows (Asia/Kolkata) that limits apply to. day_start
// is an IST midnight, month_start and year_start the IST midnight of a 1st (the store keeps use
// per IST day and month).
struct UsageWindows {
  int64_t day_start = 0, month_start = 0, year_start = 0;  // unix seconds
  std::optional<authz::Channel> channel;  // the channel whose daily use is summed; none: no channel
};
struct UsageTotals {
  int64_t day_paise = 0, month_paise = 0, year_paise = 0;
  int64_t day_count = 0, month_count = 0, year_count = 0;
  int64_t channel_day_paise = 0, channel_day_count = 0;
  int64_t channel_month_paise = 0, channel_month_count = 0;
};

// An operator console session (docs/console.md): digests only, never the tokens.
struct ConsoleSessionRow {
  std::string session_hash, csrf_hash;  // SHA-256 hex of the cookie token and of the CSRF token
  int64_t created_at = 0, expires_at = 0;
  std::optional<int64_t> ended_at;  // logout
};

// The operator's card search: which keys `query` is compared with.
struct CardSearch {
  std::string query;
  bool by_last4 = false, by_mobile = false, by_card = false, by_account = false, by_company = false,
       by_reference = false;
  std::string after;  // card id: the page starts after it (ascending card ids)
  size_t limit = 20;
};

// How many authorization decisions answered `response_code` in one time bucket.
struct DecisionCount {
  int64_t bucket = 0;  // 0-based index of the bucket from the range's start
  std::string response_code;
  int64_t count = 0;
};

struct WebhookBacklog {
  int64_t pending = 0;   // waiting for a first or a next attempt
  int64_t retrying = 0;  // of those, how many failed at least once
  int64_t failed = 0;    // given up
};

}  // namespace cardcore
