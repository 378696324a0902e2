// The scale-out store: PostgreSQL 15 through libpq, shared by several stateless cardcore nodes.
// Each unit of work takes one pooled connection and runs in BEGIN ISOLATION LEVEL READ COMMITTED.
// Money stays safe without SERIALIZABLE because every balance change is one conditional UPDATE
// (PostgreSQL re-checks its WHERE against the newest row version after waiting for a row lock),
// and the one read-then-write on a row (an authorization's follow-up) reads with FOR UPDATE.
// A unit that loses a deadlock or serialization race is rolled back and run again, up to
// kMaxRetries times. Method by method this mirrors store/sqlite/sqlite_store.cc.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "store/migrations.h"
#include "store/row_readers.h"
#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace cardcore {
namespace {

using pg::Blob;
using pg::Conn;
using pg::Params;
using pg::Row;
using pg::Rows;

constexpr size_t kDefaultPoolSize = 8;
constexpr int kMaxRetries = 3;  // re-runs after 40001 / 40P01, or a connection found broken at BEGIN
constexpr auto kConnectionWait = std::chrono::seconds(30);     // limit on waiting for a pooled connection
constexpr int64_t kMaxCountedTransactions = 10000;                // list_transactions' total stops here
constexpr int kMaxIdempotencyRaces = 3;                         // insert/select rounds in claim_idempotency_key

#define EXEC(var, sql, ...) CC_ASSIGN_OR_RETURN(Rows var, c_.exec(sql, Params(__VA_ARGS__)))

// Thin wrappers: the shared readers for this engine's row type.
CardRow read_card(const Row& s) { return rows::read_card(s); }
PartnerRow read_partner(const Row& s) { return rows::read_partner(s); }
PhysicalOrderRow read_order(const Row& s) { return rows::read_order(s); }
TransactionRow read_txn(const Row& s) { return rows::read_txn(s); }
AuthorizationRow read_auth(const Row& s) { return rows::read_auth(s); }
UsageControlsRow read_usage(const Row& s) { return rows::read_usage(s); }

#define WEBHOOK_COLUMNS \
  "event_id, partner_id, type, payload_json, created_at, next_attempt_at, attempts, state, last_error"
#define WEBHOOK_SELECT(where) "SELECT " WEBHOOK_COLUMNS " FROM webhook_events " where

WebhookEventRow read_webhook(const Row& s) {
  return WebhookEventRow{s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4), s.i64(5),
                         static_cast<int>(s.i64(6)), s.text(7), s.text(8)};
}

template <class Read>
auto one(const Rows& rows, Read read) -> std::optional<decltype(read(rows[0]))> {
  if (rows.empty()) return std::nullopt;
  return read(rows[0]);
}
template <class Read>
auto many(const Rows& rows, Read read) -> std::vector<decltype(read(rows[0]))> {
  std::vector<decltype(read(rows[0]))> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) out.push_back(read(rows[i]));
  return out;
}

class PostgresTx final : public Tx {
 public:
  explicit PostgresTx(Conn& c) : c_(c) {}

  Status insert_partner(const PartnerRow& r) override {
    EXEC(s, "INSERT INTO partners (partner_id, name, mobile, webhook_url, encryption, client_id, "
            "client_secret_hash, payload_key_id, payload_key_blob, created_at, webhook_secret_key_id, "
            "webhook_secret_blob) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
         r.partner_id, r.name, r.mobile, r.webhook_url, r.encryption, r.client_id, r.client_secret_hash,
         r.payload_key.key_id, Blob{r.payload_key.blob}, r.created_at, r.webhook_secret.key_id,
         Blob{r.webhook_secret.blob});
    return {};
  }
  Result<std::optional<PartnerRow>> find_partner(const std::string& id) override {
    EXEC(s, PARTNER_SELECT("WHERE partner_id = $1"), id);
    return one(s, read_partner);
  }
  Result<std::optional<PartnerRow>> find_partner_by_client_id(const std::string& id) override {
    EXEC(s, PARTNER_SELECT("WHERE client_id = $1"), id);
    return one(s, read_partner);
  }
  Result<int64_t> count_partners() override {
    EXEC(s, "SELECT COUNT(*) FROM partners");
    return s.empty() ? 0 : s[0].i64(0);
  }

  Status insert_company(const CompanyRow& r) override {
    EXEC(s, "INSERT INTO companies (company_id, partner_id, name, created_at) VALUES ($1,$2,$3,$4)",
         r.company_id, r.partner_id, r.name, r.created_at);
    return {};
  }
  Result<std::optional<CompanyRow>> find_company(const std::string& id) override {
    EXEC(s, "SELECT company_id, partner_id, name, created_at FROM companies WHERE company_id = $1", id);
    return one(s, [](const Row& s) { return CompanyRow{s.text(0), s.text(1), s.text(2), s.i64(3)}; });
  }

  Status insert_plan(const PlanRow& r) override {
    EXEC(s, "INSERT INTO plans (plan_master_id, partner_id, name, bin, validity_years, max_balance_paise, "
            "gift, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
         r.plan_master_id, r.partner_id, r.name, r.bin, r.validity_years, r.max_balance_paise, r.gift,
         r.created_at);
    return {};
  }
  Result<std::optional<PlanRow>> find_plan(const std::string& id) override {
    EXEC(s, "SELECT plan_master_id, partner_id, name, bin, validity_years, max_balance_paise, gift, "
            "created_at FROM plans WHERE plan_master_id = $1", id);
    return one(s, [](const Row& s) {
      return PlanRow{s.text(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.i64(4)),
                     s.i64(5), s.boolean(6), s.i64(7)};
    });
  }

  Status insert_login(const LoginRow& r) override {
    EXEC(s, "INSERT INTO logins (username, partner_id, password_hash, failed_attempts, locked, updated_at) "
            "VALUES ($1,$2,$3,$4,$5,$6)",
         r.username, r.partner_id, r.password_hash, r.failed_attempts, r.locked, r.updated_at);
    return {};
  }
#define LOGIN_COLUMNS "username, partner_id, password_hash, failed_attempts, locked, updated_at"
  static LoginRow read_login(const Row& s) {
    return LoginRow{s.text(0), s.text(1), s.text(2), static_cast<int>(s.i64(3)), s.boolean(4), s.i64(5)};
  }
  Result<std::optional<LoginRow>> find_login(const std::string& username) override {
    EXEC(s, "SELECT " LOGIN_COLUMNS " FROM logins WHERE username = $1", username);
    return one(s, read_login);
  }
  Result<LoginRow> record_login_failure(const std::string& username, int lock_after, int64_t now) override {
    EXEC(s, "UPDATE logins SET failed_attempts = failed_attempts + 1, "
            "locked = (locked OR failed_attempts + 1 >= $2::integer), updated_at = $3 WHERE username = $1 "
            "RETURNING " LOGIN_COLUMNS,
         username, lock_after, now);
    if (s.empty()) return internal_error("record_login_failure: no login");
    return read_login(s[0]);
  }
  Status update_login(const std::string& username, int failed, bool locked, int64_t now) override {
    EXEC(s, "UPDATE logins SET failed_attempts = $2, locked = $3, updated_at = $4 WHERE username = $1",
         username, failed, locked, now);
    return {};
  }

  Status insert_token(const TokenRow& r) override {
    EXEC(s, "INSERT INTO tokens (digest, kind, partner_id, username, expires_at) VALUES ($1,$2,$3,$4,$5)",
         r.digest, r.kind, r.partner_id, r.username, r.expires_at);
    return {};
  }
  Result<std::optional<TokenRow>> find_token(const std::string& digest) override {
    EXEC(s, "SELECT digest, kind, partner_id, username, expires_at FROM tokens WHERE digest = $1", digest);
    return one(s, [](const Row& s) { return TokenRow{s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4)}; });
  }
  Result<bool> delete_token(const std::string& digest) override {
    EXEC(s, "DELETE FROM tokens WHERE digest = $1", digest);
    return s.affected() > 0;
  }
  Status delete_tokens_of(const std::string& username) override {
    EXEC(s, "DELETE FROM tokens WHERE username = $1", username);
    return {};
  }
  Status delete_expired_tokens(int64_t now) override {
    EXEC(s, "DELETE FROM tokens WHERE expires_at < $1", now);
    return {};
  }

  Status insert_card_account(const CardAccountRow& r) override {
    EXEC(s, "INSERT INTO card_accounts (card_account_id, partner_id, company_id, company_name, plan_master_id, "
            "user_id, email, mobile, account_title, account_type, created_at) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
         r.card_account_id, r.partner_id, r.company_id, r.company_name, r.plan_master_id, r.user_id, r.email,
         r.mobile, r.account_title, r.account_type, r.created_at);
    return {};
  }
  Result<std::optional<CardAccountRow>> find_card_account(const std::string& id) override {
    EXEC(s, "SELECT card_account_id, partner_id, company_id, company_name, plan_master_id, user_id, "
            "email, mobile, account_title, account_type, created_at FROM card_accounts "
            "WHERE card_account_id = $1", id);
    return one(s, [](const Row& s) {
      return CardAccountRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                            s.text(6), s.text(7), s.text(8), s.text(9), s.i64(10)};
    });
  }

  Status insert_card(const CardRow& r) override {
    Params p(r.card_id, r.card_account_id, r.partner_id, r.company_id, r.user_id, r.token, r.pan.key_id,
             Blob{r.pan.blob}, r.pan_last4, r.pan_fingerprint, r.cvv.key_id, Blob{r.cvv.blob}, r.expiry_month,
             r.expiry_year, r.status, r.card_type, r.gift, r.primary_card, r.holder_name, r.mobile, r.email,
             r.profile_json, r.pin_hash, r.pin_failures);
    if (r.mfa_secret) p.add(r.mfa_secret->key_id).add(Blob{r.mfa_secret->blob});
    else p.null().null();
    p.add(r.replaced_by).add(r.created_at).add(r.modified_at);
    CC_ASSIGN_OR_RETURN(Rows s, c_.exec(
        "INSERT INTO cards (card_id, card_account_id, partner_id, company_id, user_id, token, "
        "pan_key_id, pan_blob, pan_last4, pan_fingerprint, cvv_key_id, cvv_blob, expiry_month, "
        "expiry_year, status, card_type, gift, primary_card, holder_name, mobile, "
        "email, profile_json, pin_hash, pin_failures, mfa_key_id, mfa_blob, replaced_by, "
        "created_at, modified_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,"
        "$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29)", p));
    return {};
  }
  Result<std::optional<CardRow>> find_card(const std::string& id) override {
    EXEC(s, CARD_SELECT("WHERE c.card_id = $1"), id);
    return one(s, read_card);
  }
  Result<std::vector<CardRow>> list_cards(const std::string& account_id, size_t limit) override {
    EXEC(s, CARD_SELECT("WHERE c.card_account_id = $1 ORDER BY c.created_at, c.card_id LIMIT $2"), account_id,
         limit);
    return many(s, read_card);
  }
  Result<bool> pan_fingerprint_exists(const std::string& fp) override {
    EXEC(s, "SELECT 1 FROM cards WHERE pan_fingerprint = $1", fp);
    return !s.empty();
  }
  Result<bool> update_card_status(const std::string& id, const std::string& expected_old,
                                  const std::string& new_status, int64_t now) override {
    EXEC(s, "UPDATE cards SET status = $3, modified_at = $4 WHERE card_id = $1 AND status = $2", id, expected_old,
         new_status, now);
    return s.affected() > 0;
  }
  Status set_card_pin(const std::string& id, const std::string& pin_hash, int64_t now) override {
    EXEC(s, "UPDATE cards SET pin_hash = $2, pin_failures = 0, modified_at = $3 WHERE card_id = $1", id, pin_hash,
         now);
    return {};
  }
  Status set_card_mfa_secret(const std::string& id, const Sealed& sec, int64_t now) override {
    EXEC(s, "UPDATE cards SET mfa_key_id = $2, mfa_blob = $3, mfa_failures = 0, modified_at = $4 WHERE card_id = $1",
         id, sec.key_id, Blob{sec.blob}, now);
    return {};
  }
  Result<int> record_mfa_failure(const std::string& id) override {
    EXEC(s, "UPDATE cards SET mfa_failures = mfa_failures + 1 WHERE card_id = $1 RETURNING mfa_failures", id);
    return s.empty() ? 0 : static_cast<int>(s[0].i64(0));
  }
  Status set_card_primary(const std::string& id, bool primary, int64_t now) override {
    EXEC(s, "UPDATE cards SET primary_card = $2, modified_at = $3 WHERE card_id = $1", id, primary, now);
    return {};
  }
  Result<int64_t> count_cards(const std::string& account_id) override {
    EXEC(s, "SELECT COUNT(*) FROM cards WHERE card_account_id = $1", account_id);
    return s.empty() ? 0 : s[0].i64(0);
  }
  Result<bool> use_mfa_step(const std::string& id, int64_t step) override {
    EXEC(s, "UPDATE cards SET mfa_last_step = $2, mfa_failures = 0 WHERE card_id = $1 AND mfa_last_step < $2", id,
         step);
    return s.affected() > 0;
  }
  Status set_card_replaced_by(const std::string& id, const std::string& new_id, int64_t now) override {
    EXEC(s, "UPDATE cards SET replaced_by = $2, modified_at = $3 WHERE card_id = $1", id, new_id, now);
    return {};
  }
  Status set_card_type(const std::string& id, const std::string& type, int64_t now) override {
    EXEC(s, "UPDATE cards SET card_type = $2, modified_at = $3 WHERE card_id = $1", id, type, now);
    return {};
  }

  // ---- Ledger ----
  Result<int64_t> post_entry(const ledger::Entry& e, const std::string& scope, int64_t now) override {
    CC_RETURN_IF_ERROR(ledger::validate(e));
    auto inserted = c_.exec("INSERT INTO journal_entries (kind, scope, reference, created_at) VALUES ($1,$2,$3,$4) "
                            "RETURNING entry_id",
                            Params(e.kind, scope, e.reference, now));
    if (!inserted) {
      if (inserted.error().code == code::kDuplicate) {
        return fail(code::kDuplicate, 409, "reference '" + e.reference + "' was already used", "reference");
      }
      return std::unexpected(inserted.error());
    }
    int64_t entry_id = (*inserted)[0].i64(0);
    // Row locks are taken in account-id order, so two entries over the same accounts never
    // deadlock on each other.
    std::vector<const ledger::Posting*> order;
    for (const ledger::Posting& p : e.postings) order.push_back(&p);
    std::sort(order.begin(), order.end(),
              [](const ledger::Posting* a, const ledger::Posting* b) { return a->account_id < b->account_id; });
    for (const ledger::Posting* pp : order) {
      const ledger::Posting& p = *pp;
      CC_ASSIGN_OR_RETURN(ledger::AccountKind kind, ledger::kind_of(p.account_id));
      EXEC(acc, "INSERT INTO ledger_accounts (account_id, kind, allow_negative, created_at) "
                "VALUES ($1,$2,$3,$4) ON CONFLICT (account_id) DO NOTHING",
           p.account_id, std::string(ledger::kind_name(kind)), ledger::may_go_negative(kind), now);
      // The one concurrency rule for money: a conditional update, never read-modify-write.
      EXEC(upd, "UPDATE ledger_accounts SET balance_paise = balance_paise + $2::bigint WHERE account_id = $1 "
                "AND (allow_negative OR balance_paise + $2::bigint - held_paise >= 0) "
                "AND ($3::bigint IS NULL OR balance_paise + $2::bigint <= $3::bigint)",
           p.account_id, p.amount_paise, p.ceiling_paise);
      if (upd.affected() == 0) {
        CC_ASSIGN_OR_RETURN(LedgerBalance b, ledger_balance(p.account_id));
        if (p.ceiling_paise && b.balance_paise + p.amount_paise > *p.ceiling_paise) {
          return fail(code::kMaxBalanceExceeded, 422, "amount: would take " + p.account_id +
                      " above its maximum balance", "amount");
        }
        return fail(code::kInsufficientFunds, 422, "amount: insufficient balance in " + p.account_id, "amount");
      }
      EXEC(post, "INSERT INTO postings (entry_id, account_id, amount_paise) VALUES ($1,$2,$3)", entry_id,
           p.account_id, p.amount_paise);
    }
    return entry_id;
  }

  Result<LedgerBalance> ledger_balance(const std::string& account_id) override {
    EXEC(s, "SELECT balance_paise, held_paise FROM ledger_accounts WHERE account_id = $1", account_id);
    if (s.empty()) return LedgerBalance{};
    return LedgerBalance{s[0].i64(0), s[0].i64(1)};
  }

  Result<std::vector<std::string>> verify_ledger() override {
    std::vector<std::string> problems;
    EXEC(a, "SELECT a.account_id, a.balance_paise, COALESCE(SUM(p.amount_paise), 0) "
            "FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.account_id "
            "GROUP BY a.account_id HAVING a.balance_paise <> COALESCE(SUM(p.amount_paise), 0)");
    for (int i = 0; i < a.size(); ++i) {
      problems.push_back("account " + a[i].text(0) + ": stored balance " + std::to_string(a[i].i64(1)) +
                         " != sum of postings " + std::to_string(a[i].i64(2)));
    }
    EXEC(e, "SELECT j.entry_id, COALESCE(SUM(p.amount_paise), 0), COUNT(p.account_id) FROM journal_entries j "
            "LEFT JOIN postings p ON p.entry_id = j.entry_id GROUP BY j.entry_id "
            "HAVING COALESCE(SUM(p.amount_paise), 0) <> 0 OR COUNT(p.account_id) < 2");
    for (int i = 0; i < e.size(); ++i) {
      problems.push_back("entry " + std::to_string(e[i].i64(0)) + ": postings sum to " +
                         std::to_string(e[i].i64(1)) + " over " + std::to_string(e[i].i64(2)) + " postings");
    }
    EXEC(n, "SELECT account_id, balance_paise, held_paise FROM ledger_accounts WHERE NOT allow_negative "
            "AND (balance_paise < 0 OR held_paise < 0 OR balance_paise < held_paise)");
    for (int i = 0; i < n.size(); ++i) {
      problems.push_back("account " + n[i].text(0) + ": negative (balance " + std::to_string(n[i].i64(1)) +
                         ", held " + std::to_string(n[i].i64(2)) + ")");
    }
    // What a wallet holds equals what its open authorizations hold.
    EXEC(h, "SELECT a.account_id, a.held_paise, COALESCE((SELECT SUM(x.held_paise) FROM authorizations x "
            "WHERE x.card_id = substr(a.account_id, 8) AND x.status = 'OPEN'), 0) FROM ledger_accounts a "
            "WHERE a.kind = 'wallet' AND a.held_paise <> COALESCE((SELECT SUM(x.held_paise) FROM "
            "authorizations x WHERE x.card_id = substr(a.account_id, 8) AND x.status = 'OPEN'), 0)");
    for (int i = 0; i < h.size(); ++i) {
      problems.push_back("account " + h[i].text(0) + ": held " + std::to_string(h[i].i64(1)) +
                         " != open authorizations " + std::to_string(h[i].i64(2)));
    }
    EXEC(t, "SELECT COALESCE(SUM(balance_paise), 0) FROM ledger_accounts");
    if (!t.empty() && t[0].i64(0) != 0) {
      problems.push_back("ledger: balances sum to " + t[0].text(0) + ", not zero");
    }
    return problems;
  }

  Result<bool> place_hold(const std::string& account_id, int64_t amount) override {
    EXEC(s, "UPDATE ledger_accounts SET held_paise = held_paise + $2::bigint WHERE account_id = $1 "
            "AND balance_paise - held_paise >= $2::bigint", account_id, amount);
    return s.affected() > 0;
  }
  Status release_hold(const std::string& account_id, int64_t amount) override {
    EXEC(s, "UPDATE ledger_accounts SET held_paise = held_paise - $2::bigint WHERE account_id = $1 "
            "AND held_paise >= $2::bigint", account_id, amount);
    if (s.affected() == 0) {
      return internal_error("release_hold: less than " + std::to_string(amount) + " held on " + account_id);
    }
    return {};
  }

  // ---- Authorizations ----
  Result<std::optional<CardRow>> find_card_by_fingerprint(const std::string& fp) override {
    EXEC(s, CARD_SELECT("WHERE c.pan_fingerprint = $1"), fp);
    return one(s, read_card);
  }
  Status insert_authorization(const AuthorizationRow& r) override {
    EXEC(s, "INSERT INTO authorizations (authorization_id, partner_id, card_id, channel, international, mcc, "
            "merchant_name, merchant_id, source, stan, rrn, terminal_id, authorized_paise, held_paise, "
            "captured_paise, status, auth_code, created_at, updated_at) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)",
         r.authorization_id, r.partner_id, r.card_id, r.channel, r.international, r.mcc, r.merchant_name,
         r.merchant_id, r.source, r.stan, r.rrn, r.terminal_id, r.authorized_paise, r.held_paise,
         r.captured_paise, r.status, r.auth_code, r.created_at, r.updated_at);
    return {};
  }
  // Read to be updated (a follow-up: capture, increment, reversal): the row lock makes a racing
  // follow-up wait and then read the updated row, instead of failing update_authorization's
  // expected-held check.
  Result<std::optional<AuthorizationRow>> find_authorization(const std::string& id) override {
    EXEC(s, AUTH_SELECT("WHERE authorization_id = $1 FOR UPDATE"), id);
    return one(s, read_auth);
  }
  Result<std::optional<AuthorizationRow>> find_authorization_by_message(const std::string& card_id,
                                                                        const std::string& source,
                                                                        const std::string& stan, const std::string& rrn,
                                                                        const std::string& terminal_id) override {
    EXEC(s, AUTH_SELECT("WHERE card_id = $1 AND source = $2 AND stan = $3 AND rrn = $4 AND terminal_id = $5 "
                        "ORDER BY created_at DESC LIMIT 1"),
         card_id, source, stan, rrn, terminal_id);
    return one(s, read_auth);
  }
  Result<bool> update_authorization(const AuthorizationRow& r, int64_t expected_held) override {
    EXEC(s, "UPDATE authorizations SET authorized_paise = $2, held_paise = $3, captured_paise = $4, status = $5, "
            "updated_at = $6 WHERE authorization_id = $1 AND held_paise = $7",
         r.authorization_id, r.authorized_paise, r.held_paise, r.captured_paise, r.status, r.updated_at,
         expected_held);
    return s.affected() > 0;
  }
  Result<UsageTotals> card_usage(const std::string& card_id, const UsageWindows& w) override {
    EXEC(s, "SELECT "
            "COALESCE(SUM(CASE WHEN created_at >= $2 THEN authorized_paise END), 0), "
            "COALESCE(SUM(CASE WHEN created_at >= $3 THEN authorized_paise END), 0), "
            "COALESCE(SUM(authorized_paise), 0), "
            "COUNT(CASE WHEN created_at >= $2 THEN 1 END), COUNT(CASE WHEN created_at >= $3 THEN 1 END), COUNT(*), "
            "COALESCE(SUM(CASE WHEN created_at >= $2 AND channel = $5 THEN authorized_paise END), 0), "
            "COUNT(CASE WHEN created_at >= $2 AND channel = $5 THEN 1 END) "
            "FROM authorizations WHERE card_id = $1 AND created_at >= $4 AND authorized_paise > 0",
         card_id, w.day_start, w.month_start, w.year_start, w.channel);
    if (s.empty()) return UsageTotals{};
    const Row r = s[0];
    return UsageTotals{r.i64(0), r.i64(1), r.i64(2), r.i64(3), r.i64(4), r.i64(5), r.i64(6), r.i64(7)};
  }
  Result<std::vector<AuthorizationRow>> open_authorizations_before(int64_t before, size_t limit) override {
    EXEC(s, AUTH_SELECT("WHERE status = 'OPEN' AND created_at < $1 ORDER BY created_at LIMIT $2"), before, limit);
    return many(s, read_auth);
  }
  Result<std::optional<std::string>> find_message(const std::string& source, const std::string& kind,
                                                  const std::string& stan, const std::string& rrn,
                                                  const std::string& terminal_id) override {
    EXEC(s, "SELECT answer_json FROM card_messages WHERE source = $1 AND kind = $2 AND stan = $3 AND rrn = $4 "
            "AND terminal_id = $5",
         source, kind, stan, rrn, terminal_id);
    return one(s, [](const Row& r) { return r.text(0); });
  }
  Status insert_message(const std::string& source, const std::string& kind, const std::string& stan,
                        const std::string& rrn, const std::string& terminal_id, const std::string& answer,
                        int64_t now) override {
    EXEC(s, "INSERT INTO card_messages (source, kind, stan, rrn, terminal_id, answer_json, created_at) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7)",
         source, kind, stan, rrn, terminal_id, answer, now);
    return {};
  }
  Result<int> record_pin_failure(const std::string& card_id) override {
    EXEC(s, "UPDATE cards SET pin_failures = pin_failures + 1 WHERE card_id = $1 RETURNING pin_failures", card_id);
    return s.empty() ? 0 : static_cast<int>(s[0].i64(0));
  }
  Status reset_pin_failures(const std::string& card_id) override {
    EXEC(s, "UPDATE cards SET pin_failures = 0 WHERE card_id = $1 AND pin_failures <> 0", card_id);
    return {};
  }

  // ---- Card transactions ----
  Status insert_transaction(const TransactionRow& r) override {
    Params p(r.txn_id, r.partner_id, r.company_id, r.card_account_id, r.card_id);
    if (r.entry_id > 0) p.add(r.entry_id); else p.null();
    p.add(r.direction).add(r.amount_paise).add(r.balance_after_paise).add(r.pg_reference).add(r.type)
        .add(r.status).add(r.description).add(r.remarks).add(r.created_by).add(r.details_json)
        .add(r.created_at).add(r.modified_at).add(r.user_id).add(r.card_last4).add(r.holder_name)
        .add(r.company_name);
    CC_ASSIGN_OR_RETURN(Rows s, c_.exec(
        "INSERT INTO card_transactions (txn_id, partner_id, company_id, card_account_id, card_id, "
        "entry_id, direction, amount_paise, balance_after_paise, pg_reference, type, status, "
        "description, remarks, created_by, details_json, created_at, modified_at, user_id, card_last4, "
        "holder_name, company_name) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,"
        "$17,$18,$19,$20,$21,$22)", p));
    return {};
  }
  Result<std::optional<TransactionRow>> find_transaction(const std::string& partner_id,
                                                         const std::string& txn_id) override {
    EXEC(s, TXN_SELECT("WHERE partner_id = $1 AND txn_id = $2"), partner_id, txn_id);
    return one(s, read_txn);
  }
  Result<std::optional<TransactionRow>> find_transaction_by_reference(const std::string& partner_id,
                                                                      const std::string& card_id,
                                                                      const std::string& ref) override {
    EXEC(s, TXN_SELECT("WHERE partner_id = $1 AND pg_reference = $3 AND ($2::text = '' OR card_id = $2) "
                       "ORDER BY seq DESC LIMIT 1"),
         partner_id, card_id, ref);
    return one(s, read_txn);
  }
  Result<TransactionPage> list_transactions(const TransactionFilter& f) override {
    // Built from fixed fragments only; every value is a bound parameter $n.
    Params params(f.partner_id, f.card_account_id);
    std::string where = " WHERE partner_id = $1 AND card_account_id = $2";
    auto next = [&] { return "$" + std::to_string(params.size() + 1); };
    auto cond = [&](const char* expr, const auto& value) {
      where += std::string(" AND ") + expr + " " + next();
      params.add(value);
    };
    if (!f.card_id.empty()) cond("card_id =", f.card_id);
    if (!f.status.empty()) cond("status =", f.status);
    if (!f.direction.empty()) cond("direction =", f.direction);
    if (f.amount_from_paise) cond("amount_paise >=", *f.amount_from_paise);
    if (f.amount_to_paise) cond("amount_paise <=", *f.amount_to_paise);
    if (f.from_time) cond("created_at >=", *f.from_time);
    if (f.to_time) cond("created_at <=", *f.to_time);
    auto in_list = [&](const char* col, const std::vector<std::string>& values) {
      if (values.empty()) return;
      where += std::string(" AND ") + col + " IN (";
      for (size_t i = 0; i < values.size(); ++i) {
        where += (i ? "," : "") + next();
        params.add(values[i]);
      }
      where += ")";
    };
    in_list("txn_id", f.txn_ids);
    in_list("pg_reference", f.pg_references);
    TransactionPage page;
    // The total is counted up to a cap, so a page costs the same at a million rows.
    CC_ASSIGN_OR_RETURN(Rows count, c_.exec_dynamic("SELECT COUNT(*) FROM (SELECT 1 FROM card_transactions" + where +
                                                        " LIMIT " + std::to_string(kMaxCountedTransactions + 1) +
                                                        ") AS matching",
                                                    params));
    page.total = count.empty() ? 0 : count[0].i64(0);
    page.total_capped = page.total > kMaxCountedTransactions;
    if (page.total_capped) page.total = kMaxCountedTransactions;
    std::string sql = std::string(TXN_SELECT("")) + where + " ORDER BY seq DESC LIMIT " + next();
    params.add(f.limit);
    sql += " OFFSET " + next();
    params.add(f.offset);
    CC_ASSIGN_OR_RETURN(Rows rows, c_.exec_dynamic(sql, params));
    page.rows = many(rows, read_txn);
    return page;
  }

  // ---- Idempotency-Key ----
  // Insert-first, so two racing claims of a new key cannot both win: the loser's insert waits
  // for the winner and then finds its row. An expired or abandoned claim is taken over in place.
  Result<IdempotencyClaim> claim_idempotency_key(const std::string& partner_id, const std::string& key,
                                                 const std::string& digest, int64_t now, int64_t ttl,
                                                 int64_t lease) override {
    for (int round = 0; round < kMaxIdempotencyRaces; ++round) {
      EXEC(ins, "INSERT INTO idempotency_keys (partner_id, idem_key, request_digest, state, created_at) "
                "VALUES ($1,$2,$3,'RUNNING',$4) ON CONFLICT (partner_id, idem_key) DO NOTHING",
           partner_id, key, digest, now);
      if (ins.affected() > 0) {
        EXEC(gc, "DELETE FROM idempotency_keys WHERE created_at < $1", now - ttl);
        return IdempotencyClaim{};
      }
      EXEC(q, "SELECT request_digest, state, http_status, response_body, created_at FROM idempotency_keys "
              "WHERE partner_id = $1 AND idem_key = $2 FOR UPDATE",
           partner_id, key);
      if (q.empty()) continue;  // released or collected between the two statements: insert again
      const Row r = q[0];
      std::string stored_digest = r.text(0), state = r.text(1);
      int64_t created = r.i64(4);
      bool expired = created + ttl <= now;
      bool stale_run = state == "RUNNING" && created + lease <= now;
      if (!expired && !stale_run) {
        if (stored_digest != digest) return IdempotencyClaim{IdempotencyClaim::Kind::kMismatch, 0, ""};
        if (state == "RUNNING") return IdempotencyClaim{IdempotencyClaim::Kind::kRunning, 0, ""};
        return IdempotencyClaim{IdempotencyClaim::Kind::kReplay, static_cast<int>(r.i64(2)), r.text(3)};
      }
      EXEC(take, "UPDATE idempotency_keys SET request_digest = $3, state = 'RUNNING', http_status = 0, "
                 "response_body = '', created_at = $4 WHERE partner_id = $1 AND idem_key = $2",
           partner_id, key, digest, now);
      EXEC(gc, "DELETE FROM idempotency_keys WHERE created_at < $1", now - ttl);
      return IdempotencyClaim{};
    }
    return internal_error("claim_idempotency_key: key kept changing under concurrent requests");
  }
  Status finish_idempotency_key(const std::string& partner_id, const std::string& key, int http_status,
                                const std::string& body) override {
    EXEC(s, "UPDATE idempotency_keys SET state = 'DONE', http_status = $3, response_body = $4 "
            "WHERE partner_id = $1 AND idem_key = $2",
         partner_id, key, http_status, body);
    return {};
  }
  Status release_idempotency_key(const std::string& partner_id, const std::string& key) override {
    EXEC(s, "DELETE FROM idempotency_keys WHERE partner_id = $1 AND idem_key = $2 AND state = 'RUNNING'",
         partner_id, key);
    return {};
  }

  // ---- Webhook outbox ----
  Status set_partner_webhook_url(const std::string& partner_id, const std::string& url) override {
    EXEC(s, "UPDATE partners SET webhook_url = $2 WHERE partner_id = $1", partner_id, url);
    return {};
  }
  Status set_partner_webhook_secret(const std::string& partner_id, const Sealed& secret) override {
    EXEC(s, "UPDATE partners SET webhook_secret_key_id = $2, webhook_secret_blob = $3 WHERE partner_id = $1",
         partner_id, secret.key_id, Blob{secret.blob});
    return {};
  }
  Status insert_webhook_event(const WebhookEventRow& r) override {
    EXEC(s, "INSERT INTO webhook_events (" WEBHOOK_COLUMNS ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
         r.event_id, r.partner_id, r.type, r.payload_json, r.created_at, r.next_attempt_at, r.attempts, r.state,
         r.last_error);
    return {};
  }
  // One statement: lock the due rows no other worker holds (SKIP LOCKED), push their next
  // attempt out by the lease, return them as they were before the push (as the SQLite store does).
  Result<std::vector<WebhookEventRow>> claim_due_webhooks(int64_t now, size_t limit, int64_t lease) override {
    EXEC(s, "WITH due AS (" WEBHOOK_SELECT("WHERE state = 'PENDING' AND next_attempt_at <= $1 "
                                           "ORDER BY next_attempt_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED")
            "), pushed AS (UPDATE webhook_events w SET next_attempt_at = $3 FROM due "
            "WHERE w.event_id = due.event_id) "
            "SELECT " WEBHOOK_COLUMNS " FROM due ORDER BY next_attempt_at, created_at",
         now, limit, now + lease);
    return many(s, read_webhook);
  }
  Status record_webhook_attempt(const std::string& event_id, int attempt, int64_t at, int http_status,
                                const std::string& error, const std::string& new_state,
                                int64_t next_attempt_at) override {
    EXEC(a, "INSERT INTO webhook_attempts (event_id, attempt, at, http_status, error) VALUES ($1,$2,$3,$4,$5) "
            "ON CONFLICT (event_id, attempt) DO NOTHING",
         event_id, attempt, at, http_status, error);
    EXEC(u, "UPDATE webhook_events SET attempts = $2, state = $3, next_attempt_at = $4, last_error = $5 "
            "WHERE event_id = $1",
         event_id, attempt, new_state, next_attempt_at, error);
    return {};
  }
  Result<std::vector<WebhookEventRow>> list_webhook_events(const std::string& partner_id, size_t limit) override {
    EXEC(s, WEBHOOK_SELECT("WHERE partner_id = $1 ORDER BY seq DESC LIMIT $2"), partner_id, limit);
    return many(s, read_webhook);
  }

  Status insert_status_change(const StatusChangeRow& r) override {
    EXEC(s, "INSERT INTO card_status_changes (card_id, old_status, new_status, reason, channel, "
            "actor, at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
         r.card_id, r.old_status, r.new_status, r.reason, r.channel, r.actor, r.at);
    return {};
  }
  Result<std::vector<StatusChangeRow>> list_status_changes(const std::string& card_id) override {
    EXEC(s, "SELECT card_id, old_status, new_status, reason, channel, actor, at "
            "FROM card_status_changes WHERE card_id = $1 ORDER BY id", card_id);
    return many(s, [](const Row& s) {
      return StatusChangeRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.i64(6)};
    });
  }
  Status insert_audit(const AuditRow& r) override {
    EXEC(s, "INSERT INTO audit (at, partner_id, actor, action, object_id, detail) VALUES ($1,$2,$3,$4,$5,$6)",
         r.at, r.partner_id, r.actor, r.action, r.object_id, r.detail);
    return {};
  }
  Result<std::vector<AuditRow>> list_audit(const std::string& partner_id, const std::string& object_id,
                                           int64_t before_id, size_t limit) override {
    EXEC(s, "SELECT id, at, partner_id, actor, action, object_id, detail FROM audit "
            "WHERE ($1::text = '' OR partner_id = $1) AND ($2::text = '' OR object_id = $2) "
            "AND ($3::bigint <= 0 OR id < $3::bigint) ORDER BY id DESC LIMIT $4",
         partner_id, object_id, before_id, limit);
    return many(s, [](const Row& s) {
      return AuditRow{s.i64(0), s.i64(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6)};
    });
  }

  Status insert_otp(const OtpRow& r) override {
    EXEC(s, "INSERT INTO otp_requests (otp_request_id, card_id, partner_id, action, code_hash, expires_at, "
            "wrong_tries, used, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
         r.otp_request_id, r.card_id, r.partner_id, r.action, r.code_hash, r.expires_at, r.wrong_tries, r.used,
         r.created_at);
    return {};
  }
  Result<std::optional<OtpRow>> find_otp(const std::string& id) override {
    EXEC(s, "SELECT otp_request_id, card_id, partner_id, action, code_hash, expires_at, "
            "wrong_tries, used, created_at FROM otp_requests WHERE otp_request_id = $1", id);
    return one(s, [](const Row& s) {
      return OtpRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.i64(5),
                    static_cast<int>(s.i64(6)), s.boolean(7), s.i64(8)};
    });
  }
  Status record_otp_failure(const std::string& id, bool kill) override {
    EXEC(s, "UPDATE otp_requests SET wrong_tries = wrong_tries + 1, used = (used OR $2::boolean) "
            "WHERE otp_request_id = $1", id, kill);
    return {};
  }
  Result<bool> consume_otp(const std::string& id) override {
    EXEC(s, "UPDATE otp_requests SET used = TRUE WHERE otp_request_id = $1 AND NOT used", id);
    return s.affected() > 0;
  }
  Result<int64_t> count_otps_since(const std::string& card_id, int64_t since) override {
    EXEC(s, "SELECT COUNT(*) FROM otp_requests WHERE card_id = $1 AND created_at >= $2", card_id, since);
    return s.empty() ? 0 : s[0].i64(0);
  }

  Status upsert_usage_controls(const UsageControlsRow& r) override {
    // created_on keeps its first value on update, as in the SQLite store.
    EXEC(s, "INSERT INTO usage_controls (card_id, pos_allowed, online_allowed, atm_allowed, international_allowed, "
            "contactless_allowed, per_txn_limit_paise, dtd_paise, mtd_paise, ytd_paise, dtd_count, mtd_count, "
            "ytd_count, pos_daily_paise, pos_daily_count, ecom_daily_paise, ecom_daily_count, "
            "contactless_daily_paise, contactless_daily_count, admin_user, created_by, created_on, modified_on) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23) "
            "ON CONFLICT (card_id) DO UPDATE SET "
            "pos_allowed = EXCLUDED.pos_allowed, online_allowed = EXCLUDED.online_allowed, "
            "atm_allowed = EXCLUDED.atm_allowed, international_allowed = EXCLUDED.international_allowed, "
            "contactless_allowed = EXCLUDED.contactless_allowed, per_txn_limit_paise = EXCLUDED.per_txn_limit_paise, "
            "dtd_paise = EXCLUDED.dtd_paise, mtd_paise = EXCLUDED.mtd_paise, ytd_paise = EXCLUDED.ytd_paise, "
            "dtd_count = EXCLUDED.dtd_count, mtd_count = EXCLUDED.mtd_count, ytd_count = EXCLUDED.ytd_count, "
            "pos_daily_paise = EXCLUDED.pos_daily_paise, pos_daily_count = EXCLUDED.pos_daily_count, "
            "ecom_daily_paise = EXCLUDED.ecom_daily_paise, ecom_daily_count = EXCLUDED.ecom_daily_count, "
            "contactless_daily_paise = EXCLUDED.contactless_daily_paise, "
            "contactless_daily_count = EXCLUDED.contactless_daily_count, admin_user = EXCLUDED.admin_user, "
            "created_by = EXCLUDED.created_by, modified_on = EXCLUDED.modified_on",
         r.card_id, r.pos_allowed, r.online_allowed, r.atm_allowed, r.international_allowed,
         r.contactless_allowed, r.per_txn_limit_paise, r.dtd_paise, r.mtd_paise, r.ytd_paise, r.dtd_count,
         r.mtd_count, r.ytd_count, r.pos_daily_paise, r.pos_daily_count, r.ecom_daily_paise, r.ecom_daily_count,
         r.contactless_daily_paise, r.contactless_daily_count, r.admin_user, r.created_by, r.created_on,
         r.modified_on);
    return {};
  }
  Result<std::optional<UsageControlsRow>> find_usage_controls(const std::string& id) override {
    EXEC(s, USAGE_SELECT("WHERE card_id = $1"), id);
    return one(s, read_usage);
  }

  Status insert_physical_order(const PhysicalOrderRow& r) override {
    EXEC(s, "INSERT INTO physical_orders (order_id, card_id, partner_id, address, address2, city, state, country, "
            "pincode, status, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
         r.order_id, r.card_id, r.partner_id, r.address, r.address2, r.city, r.state, r.country, r.pincode,
         r.status, r.created_at, r.updated_at);
    return {};
  }
  Result<std::optional<PhysicalOrderRow>> find_physical_order(const std::string& id) override {
    EXEC(s, ORDER_SELECT("WHERE order_id = $1"), id);
    return one(s, read_order);
  }
  Result<std::optional<PhysicalOrderRow>> find_physical_order_by_card(const std::string& id) override {
    EXEC(s, ORDER_SELECT("WHERE card_id = $1 ORDER BY seq DESC LIMIT 1"), id);
    return one(s, read_order);
  }
  Result<bool> update_physical_order_status(const std::string& id, const std::string& expected_old,
                                            const std::string& new_status, int64_t now) override {
    EXEC(s, "UPDATE physical_orders SET status = $3, updated_at = $4 WHERE order_id = $1 AND status = $2", id,
         expected_old, new_status, now);
    return s.affected() > 0;
  }

 private:
  Conn& c_;
};

// A fixed set of connections; each unit of work borrows one for its whole transaction.
class Pool {
 public:
  explicit Pool(std::vector<std::unique_ptr<Conn>> conns) : idle_(std::move(conns)) {}

  class Lease {
   public:
    Lease(Pool& p, std::unique_ptr<Conn> c) : pool_(&p), conn_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (pool_ && conn_) pool_->give_back(std::move(conn_));
    }
    Conn& operator*() { return *conn_; }
    Conn* operator->() { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Conn> conn_;
  };

  Result<Lease> take() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kConnectionWait, [&] { return !idle_.empty(); })) {
      return fail(code::kFailure, 503, "postgres: no database connection free");
    }
    std::unique_ptr<Conn> c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(c));
  }

 private:
  void give_back(std::unique_ptr<Conn> c) {
    // A connection that broke (server restart, network) is re-established before reuse; one left
    // inside a transaction (should not happen) is rolled back.
    if (c->healthy() && c->in_transaction()) (void)c->exec_script("ROLLBACK");
    if (!c->healthy()) (void)c->reset();
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
};

bool retryable(const std::string& sqlstate) {
  return sqlstate == pg::kSerializationFailure || sqlstate == pg::kDeadlockDetected;
}

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::vector<std::unique_ptr<Conn>> conns) : pool_(std::move(conns)) {}

  // Applies every postgres migration above the recorded version, one transaction each, under a
  // session advisory lock so nodes starting together take turns (the second finds nothing to do).
  static Status migrate(Conn& c) {
    CC_RETURN_IF_ERROR(c.exec("SELECT pg_advisory_lock(hashtext('cardcore.migrate.' || current_schema()))"));
    Status st = apply_migrations(c);
    auto unlock = c.exec("SELECT pg_advisory_unlock(hashtext('cardcore.migrate.' || current_schema()))");
    if (!st) return st;
    if (!unlock) return std::unexpected(unlock.error());
    return {};
  }

  Status run(const std::function<Status(Tx&)>& unit) override {
    std::mt19937 jitter(std::random_device{}());
    for (int attempt = 0;; ++attempt) {
      bool retry = false;
      Status st = run_once(unit, retry);
      if (st || !retry || attempt >= kMaxRetries) return st;
      // Lost a deadlock or serialization race: run the whole unit again after a short pause.
      std::this_thread::sleep_for(std::chrono::milliseconds(1 + jitter() % (5u << attempt)));
    }
  }

  std::string engine() const override { return "postgres"; }

 private:
  // One attempt on one pooled connection; `retry` says whether a failure is worth another.
  Status run_once(const std::function<Status(Tx&)>& unit, bool& retry) {
    CC_ASSIGN_OR_RETURN(Pool::Lease conn, pool_.take());
    conn->clear_first_error();
    auto begin = conn->exec("BEGIN ISOLATION LEVEL READ COMMITTED");
    if (!begin) {
      // Nothing ran yet: a connection that broke while idle (server restart) is re-established
      // when it goes back to the pool, and the unit is tried again.
      retry = !conn->healthy();
      return std::unexpected(begin.error());
    }
    PostgresTx tx(*conn);
    Status st = unit(tx);
    if (!st) {
      retry = retryable(conn->first_sqlstate());
      (void)conn->exec("ROLLBACK");
      return st;
    }
    if (!conn->first_sqlstate().empty()) {
      // The unit swallowed a failed statement: PostgreSQL has already aborted the transaction,
      // and COMMIT would quietly roll it back. Report it instead of claiming success.
      retry = retryable(conn->first_sqlstate());
      (void)conn->exec("ROLLBACK");
      return fail(code::kFailure, 500, "storage error: a statement failed (SQLSTATE " + conn->first_sqlstate() +
                                           ") and the unit did not return the error; rolled back");
    }
    auto commit = conn->exec("COMMIT");
    if (!commit) {
      retry = retryable(conn->first_sqlstate());
      return std::unexpected(commit.error());
    }
    if (commit->command() != "COMMIT") return internal_error("storage error: the transaction was rolled back");
    return {};
  }

  static Status apply_migrations(Conn& c) {
    CC_RETURN_IF_ERROR(c.exec_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at BIGINT NOT NULL DEFAULT (EXTRACT(EPOCH FROM now())::bigint))"));
    CC_ASSIGN_OR_RETURN(Rows v, c.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    int64_t current = v.empty() ? 0 : v[0].i64(0);
    for (const Migration& m : all_migrations()) {
      if (m.engine != "postgres" || m.version <= current) continue;
      CC_RETURN_IF_ERROR(c.exec_script("BEGIN"));
      Status st = [&]() -> Status {
        CC_RETURN_IF_ERROR(c.exec_script(m.sql));
        CC_RETURN_IF_ERROR(c.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                  Params(m.version, m.name)));
        CC_RETURN_IF_ERROR(c.exec_script("COMMIT"));
        return {};
      }();
      if (!st) {
        (void)c.exec_script("ROLLBACK");
        return fail(code::kFailure, 500, "migration " + m.name + " failed: " + st.error().message);
      }
    }
    return {};
  }

  Pool pool_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& dsn) {
  std::vector<std::unique_ptr<Conn>> conns;
  for (size_t i = 0; i < kDefaultPoolSize; ++i) {
    CC_ASSIGN_OR_RETURN(std::unique_ptr<Conn> c, Conn::open(dsn));
    if (i == 0) CC_RETURN_IF_ERROR(PostgresStore::migrate(*c));
    conns.push_back(std::move(c));
  }
  return std::unique_ptr<Store>(std::make_unique<PostgresStore>(std::move(conns)));
}

}  // namespace cardcore
