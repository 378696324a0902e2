// The storage interface the services need. Each use case is ONE unit of work: the service hands
// the store a function that reads, updates conditionally and inserts through `Tx`, and the store
// commits it whole or not at all (DESIGN.md). Implementations: store/sqlite (embedded default);
// store/postgres fits the same interface (conditional updates return whether a row changed, so
// no read-modify-write in process memory is ever needed).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/error.h"
#include "domain/ledger.h"
#include "store/records.h"

namespace cardcore {

// Operations available inside one transaction. Lookups return nullopt for unknown keys.
// Inserts fail with code::kDuplicate (409) on a unique-key clash and name the clashing key.
class Tx {
 public:
  virtual ~Tx() = default;

  virtual Status insert_partner(const PartnerRow& r) = 0;
  virtual Result<std::optional<PartnerRow>> find_partner(const std::string& partner_id) = 0;
  virtual Result<std::optional<PartnerRow>> find_partner_by_client_id(const std::string& client_id) = 0;
  // How many partners exist; 0 in a brand-new store (serve decides "fresh" from it).
  virtual Result<int64_t> count_partners() = 0;

  virtual Status insert_company(const CompanyRow& r) = 0;
  virtual Result<std::optional<CompanyRow>> find_company(const std::string& company_id) = 0;

  virtual Status insert_plan(const PlanRow& r) = 0;
  virtual Result<std::optional<PlanRow>> find_plan(const std::string& plan_master_id) = 0;

  virtual Status insert_login(const LoginRow& r) = 0;
  virtual Result<std::optional<LoginRow>> find_login(const std::string& username) = 0;
  // Atomically counts one failed password and locks the login when the count reaches
  // `lock_after`; returns the row as updated.
  virtual Result<LoginRow> record_login_failure(const std::string& username, int lock_after,
                                                int64_t now) = 0;
  // Sets failed_attempts/locked and stamps updated_at.
  virtual Status update_login(const std::string& username, int failed_attempts, bool locked,
                              int64_t now) = 0;

  virtual Status insert_token(const TokenRow& r) = 0;
  virtual Result<std::optional<TokenRow>> find_token(const std::string& digest) = 0;
  // Deletes the token; returns false when it was not there (already used or revoked).
  virtual Result<bool> delete_token(const std::string& digest) = 0;
  virtual Status delete_expired_tokens(int64_t now) = 0;
  // Revokes every token of a login (when it locks).
  virtual Status delete_tokens_of(const std::string& username) = 0;

  virtual Status insert_card_account(const CardAccountRow& r) = 0;
  virtual Result<std::optional<CardAccountRow>> find_card_account(const std::string& id) = 0;

  virtual Status insert_card(const CardRow& r) = 0;
  virtual Result<std::optional<CardRow>> find_card(const std::string& card_id) = 0;
  virtual Result<std::vector<CardRow>> list_cards(const std::string& card_account_id,
                                                  size_t limit) = 0;
  virtual Result<bool> pan_fingerprint_exists(const std::string& fingerprint) = 0;
  // Conditional status change: only when the stored status is `expected_old`. Returns whether a
  // row changed, so two racing requests cannot both apply a move from the same state.
  virtual Result<bool> update_card_status(const std::string& card_id, const std::string& expected_old,
                                          const std::string& new_status, int64_t now) = 0;
  virtual Status set_card_pin(const std::string& card_id, const std::string& pin_hash, int64_t now) = 0;
  virtual Status set_card_mfa_secret(const std::string& card_id, const Sealed& secret, int64_t now) = 0;
  // TOTP replay guard: records `step` as used only when it is newer than the last used one.
  virtual Result<bool> use_mfa_step(const std::string& card_id, int64_t step) = 0;
  // Counts one wrong authenticator code; returns the new count. Enrolment resets it.
  virtual Result<int> record_mfa_failure(const std::string& card_id) = 0;
  virtual Status set_card_primary(const std::string& card_id, bool primary, int64_t now) = 0;
  virtual Result<int64_t> count_cards(const std::string& card_account_id) = 0;
  virtual Status set_card_replaced_by(const std::string& card_id, const std::string& new_card_id,
                                      int64_t now) = 0;
  virtual Status set_card_type(const std::string& card_id, const std::string& card_type,
                               int64_t now) = 0;

  // ---- Ledger ----
  // Posts one balanced entry (ledger::validate) under `scope` (the partner id): unique per
  // (scope, kind, reference) else code::kDuplicate; every posting is one conditional update, so
  // an internal account never goes below zero (code::kInsufficientFunds naming the account) and
  // a posting with a ceiling never passes it (code::kMaxBalanceExceeded). Returns the entry id.
  virtual Result<int64_t> post_entry(const ledger::Entry& entry, const std::string& scope, int64_t now) = 0;
  virtual Result<LedgerBalance> ledger_balance(const std::string& account_id) = 0;
  // Recomputes every balance from the postings and checks every entry sums to zero and no
  // internal account is negative; returns one line per problem (empty = clean).
  virtual Result<std::vector<std::string>> verify_ledger() = 0;

  // Holds: conditional on the available balance (balance - held >= amount); false when short.
  virtual Result<bool> place_hold(const std::string& account_id, int64_t amount_paise) = 0;
  // Releases part of the held amount; an error if less than that is held.
  virtual Status release_hold(const std::string& account_id, int64_t amount_paise) = 0;

  // ---- Authorizations ----
  virtual Result<std::optional<CardRow>> find_card_by_fingerprint(const std::string& fingerprint) = 0;
  virtual Status insert_authorization(const AuthorizationRow& r) = 0;
  virtual Result<std::optional<AuthorizationRow>> find_authorization(const std::string& authorization_id) = 0;
  virtual Result<std::optional<AuthorizationRow>> find_authorization_by_message(
      const std::string& card_id, const std::string& source, const std::string& stan, const std::string& rrn,
      const std::string& terminal_id) = 0;
  // Writes amounts/status only when the stored held amount is still `expected_held` (the row did
  // not change since it was read); returns whether it was written.
  virtual Result<bool> update_authorization(const AuthorizationRow& r, int64_t expected_held) = 0;
  virtual Result<UsageTotals> card_usage(const std::string& card_id, const UsageWindows& w) = 0;
  // OPEN authorizations created before `before`, oldest first.
  virtual Result<std::vector<AuthorizationRow>> open_authorizations_before(int64_t before, size_t limit) = 0;
  // Stored answer of an earlier message with the same key, if any.
  virtual Result<std::optional<std::string>> find_message(const std::string& source, const std::string& kind,
                                                          const std::string& stan, const std::string& rrn,
                                                          const std::string& terminal_id) = 0;
  virtual Status insert_message(const std::string& source, const std::string& kind, const std::string& stan,
                                const std::string& rrn, const std::string& terminal_id,
                                const std::string& answer_json, int64_t now) = 0;
  // Consecutive wrong PINs: +1 (returns the new count) / back to 0.
  virtual Result<int> record_pin_failure(const std::string& card_id) = 0;
  virtual Status reset_pin_failures(const std::string& card_id) = 0;

  // ---- Card transactions ----
  virtual Status insert_transaction(const TransactionRow& r) = 0;
  virtual Result<std::optional<TransactionRow>> find_transaction(const std::string& partner_id,
                                                                 const std::string& txn_id) = 0;
  virtual Result<std::optional<TransactionRow>> find_transaction_by_reference(
      const std::string& partner_id, const std::string& card_id, const std::string& pg_reference) = 0;
  // Newest first. The caller has checked that the account belongs to f.partner_id.
  virtual Result<TransactionPage> list_transactions(const TransactionFilter& f) = 0;

  // ---- Idempotency-Key ----
  // Claims (partner, key) for a request whose body digest is `digest`. A claim older than
  // `ttl_seconds` is forgotten; a RUNNING claim older than `lease_seconds` is taken over.
  virtual Result<IdempotencyClaim> claim_idempotency_key(const std::string& partner_id, const std::string& key,
                                                         const std::string& digest, int64_t now,
                                                         int64_t ttl_seconds, int64_t lease_seconds) = 0;
  virtual Status finish_idempotency_key(const std::string& partner_id, const std::string& key,
                                        int http_status, const std::string& body) = 0;
  virtual Status release_idempotency_key(const std::string& partner_id, const std::string& key) = 0;

  // ---- Webhook outbox ----
  virtual Status set_partner_webhook_secret(const std::string& partner_id, const Sealed& secret) = 0;
  virtual Status set_partner_webhook_url(const std::string& partner_id, const std::string& url) = 0;
  virtual Status insert_webhook_event(const WebhookEventRow& r) = 0;
  // Due PENDING events (next_attempt_at <= now), oldest first; each claimed one gets
  // next_attempt_at = now + lease_seconds so a parallel worker does not take it too.
  virtual Result<std::vector<WebhookEventRow>> claim_due_webhooks(int64_t now, size_t limit,
                                                                  int64_t lease_seconds) = 0;
  virtual Status record_webhook_attempt(const std::string& event_id, int attempt, int64_t at, int http_status,
                                        const std::string& error, const std::string& new_state,
                                        int64_t next_attempt_at) = 0;
  virtual Result<std::vector<WebhookEventRow>> list_webhook_events(const std::string& partner_id,
                                                                   size_t limit) = 0;

  virtual Status insert_status_change(const StatusChangeRow& r) = 0;
  virtual Result<std::vector<StatusChangeRow>> list_status_changes(const std::string& card_id) = 0;
  virtual Status insert_audit(const AuditRow& r) = 0;
  // Newest first; partner_id empty = every partner; after_id > 0 pages backwards from that id.
  virtual Result<std::vector<AuditRow>> list_audit(const std::string& partner_id,
                                                   const std::string& object_id, int64_t before_id,
                                                   size_t limit) = 0;

  virtual Status insert_otp(const OtpRow& r) = 0;
  virtual Result<std::optional<OtpRow>> find_otp(const std::string& otp_request_id) = 0;
  // Records one wrong try; marks it used when `kill` (tries exhausted).
  virtual Status record_otp_failure(const std::string& otp_request_id, bool kill) = 0;
  // Consumes an unused OTP; returns false when it was already used (a racing request won).
  virtual Result<bool> consume_otp(const std::string& otp_request_id) = 0;
  // How many OTPs were issued for the card since `since` (rate limit).
  virtual Result<int64_t> count_otps_since(const std::string& card_id, int64_t since) = 0;

  virtual Status upsert_usage_controls(const UsageControlsRow& r) = 0;
  virtual Result<std::optional<UsageControlsRow>> find_usage_controls(const std::string& card_id) = 0;

  virtual Status insert_physical_order(const PhysicalOrderRow& r) = 0;
  virtual Result<std::optional<PhysicalOrderRow>> find_physical_order(const std::string& order_id) = 0;
  // The card's latest order.
  virtual Result<std::optional<PhysicalOrderRow>> find_physical_order_by_card(const std::string& card_id) = 0;
  // Conditional: only when the stored status is `expected_old`.
  virtual Result<bool> update_physical_order_status(const std::string& order_id,
                                                    const std::string& expected_old,
                                                    const std::string& new_status, int64_t now) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Runs `unit` in one transaction: commit when it returns success, roll back when it returns an
  // error (which is passed through). A storage failure maps to code::kFailure (500).
  virtual Status run(const std::function<Status(Tx&)>& unit) = 0;
  virtual std::string engine() const = 0;  // "sqlite" | "postgres"
};

// Opens (creating and migrating) the embedded SQLite store at `path` in WAL mode.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

// Opens (and migrates) the PostgreSQL store at `dsn` (a libpq connection string) with a pool of
// connections; several nodes may open the same database at once.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& dsn);

// Runs `f(Tx&) -> Result<T>` (or Status) as one unit of work and returns its result.
template <class F>
auto transact(Store& store, F&& f) -> decltype(f(std::declval<Tx&>())) {
  using R = decltype(f(std::declval<Tx&>()));
  std::optional<R> out;
  Status st = store.run([&](Tx& tx) -> Status {
    out.emplace(f(tx));
    if (!out->has_value()) return std::unexpected(out->error());
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return std::move(*out);
}

}  // namespace cardcore
