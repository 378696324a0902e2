// The embedded store: one SQLite database in WAL mode. Units of work are serialised by a mutex
// and run inside BEGIN IMMEDIATE, so a unit sees a stable snapshot and takes the write lock up
// front (no upgrade deadlocks); conditional updates keep every balance rule in SQL.
#include <mutex>
#include <variant>

#include "store/migrations.h"
#include "store/row_readers.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace cardcore {
namespace {

using sqlite::Db;

constexpr int64_t kMaxCountedTransactions = 10000;
using sqlite::Stmt;

#define PREP(var, sql) CC_ASSIGN_OR_RETURN(Stmt var, db_.prepare(sql))

Status exec_ok(Stmt& s) {
  auto r = s.exec();
  if (!r) return std::unexpected(r.error());
  return {};
}

// Thin wrappers: the shared readers for this engine's row type.
CardRow read_card(const Stmt& s) { return rows::read_card(s); }
PartnerRow read_partner(const Stmt& s) { return rows::read_partner(s); }
PhysicalOrderRow read_order(const Stmt& s) { return rows::read_order(s); }
TransactionRow read_txn(const Stmt& s) { return rows::read_txn(s); }
AuthorizationRow read_auth(const Stmt& s) { return rows::read_auth(s); }
UsageControlsRow read_usage(const Stmt& s) { return rows::read_usage(s); }

#define WEBHOOK_SELECT(where)                                                                    \
  "SELECT event_id, partner_id, type, payload_json, created_at, next_attempt_at, attempts, "   \
  "state, last_error FROM webhook_events " where

WebhookEventRow read_webhook(const Stmt& s) {
  return WebhookEventRow{s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4), s.i64(5),
                         static_cast<int>(s.i64(6)), s.text(7), s.text(8)};
}

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Db& db) : db_(db) {}

  Status insert_partner(const PartnerRow& r) override {
    PREP(s, "INSERT INTO partners (partner_id, name, mobile, webhook_url, encryption, client_id, "
            "client_secret_hash, payload_key_id, payload_key_blob, created_at, webhook_secret_key_id, "
            "webhook_secret_blob) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
    s.bind(1, r.partner_id).bind(2, r.name).bind(3, r.mobile).bind(4, r.webhook_url)
        .bind(5, r.encryption).bind(6, r.client_id).bind(7, r.client_secret_hash)
        .bind(8, r.payload_key.key_id).bind_blob(9, r.payload_key.blob).bind(10, r.created_at)
        .bind(11, r.webhook_secret.key_id).bind_blob(12, r.webhook_secret.blob);
    return exec_ok(s);
  }
  Result<std::optional<PartnerRow>> find_partner(const std::string& id) override {
    PREP(s, PARTNER_SELECT("WHERE partner_id = ?1"));
    return one(s.bind(1, id), read_partner);
  }
  Result<std::optional<PartnerRow>> find_partner_by_client_id(const std::string& id) override {
    PREP(s, PARTNER_SELECT("WHERE client_id = ?1"));
    return one(s.bind(1, id), read_partner);
  }
  Result<int64_t> count_partners() override {
    PREP(s, "SELECT COUNT(*) FROM partners");
    CC_ASSIGN_OR_RETURN(bool row, s.step());
    return row ? s.i64(0) : 0;
  }

  Status insert_company(const CompanyRow& r) override {
    PREP(s, "INSERT INTO companies VALUES (?1,?2,?3,?4)");
    s.bind(1, r.company_id).bind(2, r.partner_id).bind(3, r.name).bind(4, r.created_at);
    return exec_ok(s);
  }
  Result<std::optional<CompanyRow>> find_company(const std::string& id) override {
    PREP(s, "SELECT company_id, partner_id, name, created_at FROM companies WHERE company_id = ?1");
    return one(s.bind(1, id), [](const Stmt& s) {
      return CompanyRow{s.text(0), s.text(1), s.text(2), s.i64(3)};
    });
  }

  Status insert_plan(const PlanRow& r) override {
    PREP(s, "INSERT INTO plans VALUES (?1,?2,?3,?4,?5,?6,?7,?8)");
    s.bind(1, r.plan_master_id).bind(2, r.partner_id).bind(3, r.name).bind(4, r.bin)
        .bind(5, r.validity_years).bind(6, r.max_balance_paise).bind(7, r.gift).bind(8, r.created_at);
    return exec_ok(s);
  }
  Result<std::optional<PlanRow>> find_plan(const std::string& id) override {
    PREP(s, "SELECT plan_master_id, partner_id, name, bin, validity_years, max_balance_paise, gift, "
            "created_at FROM plans WHERE plan_master_id = ?1");
    return one(s.bind(1, id), [](const Stmt& s) {
      return PlanRow{s.text(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.i64(4)),
                     s.i64(5), s.boolean(6), s.i64(7)};
    });
  }

  Status insert_login(const LoginRow& r) override {
    PREP(s, "INSERT INTO logins VALUES (?1,?2,?3,?4,?5,?6)");
    s.bind(1, r.username).bind(2, r.partner_id).bind(3, r.password_hash).bind(4, r.failed_attempts)
        .bind(5, r.locked).bind(6, r.updated_at);
    return exec_ok(s);
  }
  Result<std::optional<LoginRow>> find_login(const std::string& username) override {
    PREP(s, "SELECT username, partner_id, password_hash, failed_attempts, locked, updated_at "
            "FROM logins WHERE username = ?1");
    return one(s.bind(1, username), [](const Stmt& s) {
      return LoginRow{s.text(0), s.text(1), s.text(2), static_cast<int>(s.i64(3)), s.boolean(4),
                      s.i64(5)};
    });
  }
  Result<LoginRow> record_login_failure(const std::string& username, int lock_after,
                                        int64_t now) override {
    PREP(s, "UPDATE logins SET failed_attempts = failed_attempts + 1, "
            "locked = (locked OR failed_attempts + 1 >= ?2), updated_at = ?3 WHERE username = ?1");
    CC_RETURN_IF_ERROR(exec_ok(s.bind(1, username).bind(2, lock_after).bind(3, now)));
    CC_ASSIGN_OR_RETURN(std::optional<LoginRow> row, find_login(username));
    if (!row) return internal_error("record_login_failure: no login");
    return *row;
  }
  Status update_login(const std::string& username, int failed, bool locked, int64_t now) override {
    PREP(s, "UPDATE logins SET failed_attempts = ?2, locked = ?3, updated_at = ?4 WHERE username = ?1");
    s.bind(1, username).bind(2, failed).bind(3, locked).bind(4, now);
    return exec_ok(s);
  }

  Status insert_token(const TokenRow& r) override {
    PREP(s, "INSERT INTO tokens VALUES (?1,?2,?3,?4,?5)");
    s.bind(1, r.digest).bind(2, r.kind).bind(3, r.partner_id).bind(4, r.username).bind(5, r.expires_at);
    return exec_ok(s);
  }
  Result<std::optional<TokenRow>> find_token(const std::string& digest) override {
    PREP(s, "SELECT digest, kind, partner_id, username, expires_at FROM tokens WHERE digest = ?1");
    return one(s.bind(1, digest), [](const Stmt& s) {
      return TokenRow{s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4)};
    });
  }
  Result<bool> delete_token(const std::string& digest) override {
    PREP(s, "DELETE FROM tokens WHERE digest = ?1");
    return changed(s.bind(1, digest));
  }
  Status delete_tokens_of(const std::string& username) override {
    PREP(s, "DELETE FROM tokens WHERE username = ?1");
    return exec_ok(s.bind(1, username));
  }
  Status delete_expired_tokens(int64_t now) override {
    PREP(s, "DELETE FROM tokens WHERE expires_at < ?1");
    return exec_ok(s.bind(1, now));
  }

  Status insert_card_account(const CardAccountRow& r) override {
    PREP(s, "INSERT INTO card_accounts VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
    s.bind(1, r.card_account_id).bind(2, r.partner_id).bind(3, r.company_id).bind(4, r.company_name)
        .bind(5, r.plan_master_id).bind(6, r.user_id).bind(7, r.email).bind(8, r.mobile)
        .bind(9, r.account_title).bind(10, r.account_type).bind(11, r.created_at);
    return exec_ok(s);
  }
  Result<std::optional<CardAccountRow>> find_card_account(const std::string& id) override {
    PREP(s, "SELECT card_account_id, partner_id, company_id, company_name, plan_master_id, user_id, "
            "email, mobile, account_title, account_type, created_at FROM card_accounts "
            "WHERE card_account_id = ?1");
    return one(s.bind(1, id), [](const Stmt& s) {
      return CardAccountRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                            s.text(6), s.text(7), s.text(8), s.text(9), s.i64(10)};
    });
  }

  Status insert_card(const CardRow& r) override {
    PREP(s, "INSERT INTO cards (card_id, card_account_id, partner_id, company_id, user_id, token, "
            "pan_key_id, pan_blob, pan_last4, pan_fingerprint, cvv_key_id, cvv_blob, expiry_month, "
            "expiry_year, status, card_type, gift, primary_card, holder_name, mobile, "
            "email, profile_json, pin_hash, pin_failures, mfa_key_id, mfa_blob, replaced_by, "
            "created_at, modified_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
            "?18,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30)");
    s.bind(1, r.card_id).bind(2, r.card_account_id).bind(3, r.partner_id).bind(4, r.company_id)
        .bind(5, r.user_id).bind(6, r.token).bind(7, r.pan.key_id).bind_blob(8, r.pan.blob)
        .bind(9, r.pan_last4).bind(10, r.pan_fingerprint).bind(11, r.cvv.key_id)
        .bind_blob(12, r.cvv.blob).bind(13, r.expiry_month).bind(14, r.expiry_year)
        .bind(15, r.status).bind(16, r.card_type).bind(17, r.gift).bind(18, r.primary_card)
        .bind(20, r.holder_name).bind(21, r.mobile).bind(22, r.email)
        .bind(23, r.profile_json).bind(24, r.pin_hash).bind(25, r.pin_failures);
    if (r.mfa_secret) s.bind(26, r.mfa_secret->key_id).bind_blob(27, r.mfa_secret->blob);
    else s.bind_null(26).bind_null(27);
    s.bind(28, r.replaced_by).bind(29, r.created_at).bind(30, r.modified_at);
    return exec_ok(s);
  }
  Result<std::optional<CardRow>> find_card(const std::string& id) override {
    PREP(s, CARD_SELECT("WHERE c.card_id = ?1"));
    return one(s.bind(1, id), read_card);
  }
  Result<std::vector<CardRow>> list_cards(const std::string& account_id, size_t limit) override {
    PREP(s, CARD_SELECT("WHERE c.card_account_id = ?1 ORDER BY c.created_at, c.card_id LIMIT ?2"));
    return many(s.bind(1, account_id).bind(2, static_cast<int64_t>(limit)), read_card);
  }
  Result<bool> pan_fingerprint_exists(const std::string& fp) override {
    PREP(s, "SELECT 1 FROM cards WHERE pan_fingerprint = ?1");
    return s.bind(1, fp).step();
  }
  Result<bool> update_card_status(const std::string& id, const std::string& expected_old,
                                  const std::string& new_status, int64_t now) override {
    PREP(s, "UPDATE cards SET status = ?3, modified_at = ?4 WHERE card_id = ?1 AND status = ?2");
    return changed(s.bind(1, id).bind(2, expected_old).bind(3, new_status).bind(4, now));
  }
  Status set_card_pin(const std::string& id, const std::string& pin_hash, int64_t now) override {
    PREP(s, "UPDATE cards SET pin_hash = ?2, pin_failures = 0, modified_at = ?3 WHERE card_id = ?1");
    return exec_ok(s.bind(1, id).bind(2, pin_hash).bind(3, now));
  }
  Status set_card_mfa_secret(const std::string& id, const Sealed& sec, int64_t now) override {
    PREP(s, "UPDATE cards SET mfa_key_id = ?2, mfa_blob = ?3, mfa_failures = 0, modified_at = ?4 WHERE card_id = ?1");
    return exec_ok(s.bind(1, id).bind(2, sec.key_id).bind_blob(3, sec.blob).bind(4, now));
  }
  Result<int> record_mfa_failure(const std::string& id) override {
    PREP(s, "UPDATE cards SET mfa_failures = mfa_failures + 1 WHERE card_id = ?1 RETURNING mfa_failures");
    CC_ASSIGN_OR_RETURN(bool row, s.bind(1, id).step());
    int n = row ? static_cast<int>(s.i64(0)) : 0;
    CC_RETURN_IF_ERROR(s.exec());
    return n;
  }
  Status set_card_primary(const std::string& id, bool primary, int64_t now) override {
    PREP(s, "UPDATE cards SET primary_card = ?2, modified_at = ?3 WHERE card_id = ?1");
    return exec_ok(s.bind(1, id).bind(2, primary).bind(3, now));
  }
  Result<int64_t> count_cards(const std::string& account_id) override {
    PREP(s, "SELECT COUNT(*) FROM cards WHERE card_account_id = ?1");
    CC_ASSIGN_OR_RETURN(bool row, s.bind(1, account_id).step());
    return row ? s.i64(0) : 0;
  }
  Result<bool> use_mfa_step(const std::string& id, int64_t step) override {
    PREP(s, "UPDATE cards SET mfa_last_step = ?2, mfa_failures = 0 WHERE card_id = ?1 AND mfa_last_step < ?2");
    return changed(s.bind(1, id).bind(2, step));
  }
  Status set_card_replaced_by(const std::string& id, const std::string& new_id, int64_t now) override {
    PREP(s, "UPDATE cards SET replaced_by = ?2, modified_at = ?3 WHERE card_id = ?1");
    return exec_ok(s.bind(1, id).bind(2, new_id).bind(3, now));
  }
  Status set_card_type(const std::string& id, const std::string& type, int64_t now) override {
    PREP(s, "UPDATE cards SET card_type = ?2, modified_at = ?3 WHERE card_id = ?1");
    return exec_ok(s.bind(1, id).bind(2, type).bind(3, now));
  }
  // ---- Ledger ----
  Result<int64_t> post_entry(const ledger::Entry& e, const std::string& scope, int64_t now) override {
    CC_RETURN_IF_ERROR(ledger::validate(e));
    PREP(ins, "INSERT INTO journal_entries (kind, scope, reference, created_at) VALUES (?1,?2,?3,?4)");
    auto inserted = ins.bind(1, e.kind).bind(2, scope).bind(3, e.reference).bind(4, now).exec();
    if (!inserted) {
      if (inserted.error().code == code::kDuplicate) {
        return fail(code::kDuplicate, 409, "reference '" + e.reference + "' was already used", "reference");
      }
      return std::unexpected(inserted.error());
    }
    int64_t entry_id = sqlite3_last_insert_rowid(db_.raw());
    for (const ledger::Posting& p : e.postings) {
      CC_ASSIGN_OR_RETURN(ledger::AccountKind kind, ledger::kind_of(p.account_id));
      PREP(acc, "INSERT INTO ledger_accounts (account_id, kind, allow_negative, created_at) "
                "VALUES (?1,?2,?3,?4) ON CONFLICT(account_id) DO NOTHING");
      CC_RETURN_IF_ERROR(exec_ok(acc.bind(1, p.account_id).bind(2, ledger::kind_name(kind))
                                     .bind(3, ledger::may_go_negative(kind)).bind(4, now)));
      // The one concurrency rule for money: a conditional update, never read-modify-write.
      PREP(upd, "UPDATE ledger_accounts SET balance_paise = balance_paise + ?2 WHERE account_id = ?1 "
                "AND (allow_negative = 1 OR balance_paise + ?2 - held_paise >= 0) "
                "AND (?3 IS NULL OR balance_paise + ?2 <= ?3)");
      CC_ASSIGN_OR_RETURN(bool applied, changed(upd.bind(1, p.account_id).bind(2, p.amount_paise)
                                                    .bind(3, p.ceiling_paise)));
      if (!applied) {
        CC_ASSIGN_OR_RETURN(LedgerBalance b, ledger_balance(p.account_id));
        if (p.ceiling_paise && b.balance_paise + p.amount_paise > *p.ceiling_paise) {
          return fail(code::kMaxBalanceExceeded, 422, "amount: would take " + p.account_id +
                      " above its maximum balance", "amount");
        }
        return fail(code::kInsufficientFunds, 422, "amount: insufficient balance in " + p.account_id, "amount");
      }
      PREP(post, "INSERT INTO postings (entry_id, account_id, amount_paise) VALUES (?1,?2,?3)");
      CC_RETURN_IF_ERROR(exec_ok(post.bind(1, entry_id).bind(2, p.account_id).bind(3, p.amount_paise)));
    }
    return entry_id;
  }

  Result<LedgerBalance> ledger_balance(const std::string& account_id) override {
    PREP(s, "SELECT balance_paise, held_paise FROM ledger_accounts WHERE account_id = ?1");
    CC_ASSIGN_OR_RETURN(bool row, s.bind(1, account_id).step());
    if (!row) return LedgerBalance{};
    return LedgerBalance{s.i64(0), s.i64(1)};
  }

  Result<std::vector<std::string>> verify_ledger() override {
    std::vector<std::string> problems;
    PREP(a, "SELECT a.account_id, a.balance_paise, COALESCE(SUM(p.amount_paise), 0) "
            "FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.account_id "
            "GROUP BY a.account_id HAVING a.balance_paise <> COALESCE(SUM(p.amount_paise), 0)");
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, a.step());
      if (!row) break;
      problems.push_back("account " + a.text(0) + ": stored balance " + std::to_string(a.i64(1)) +
                         " != sum of postings " + std::to_string(a.i64(2)));
    }
    PREP(e, "SELECT j.entry_id, COALESCE(SUM(p.amount_paise), 0), COUNT(p.account_id) FROM journal_entries j "
            "LEFT JOIN postings p ON p.entry_id = j.entry_id GROUP BY j.entry_id "
            "HAVING COALESCE(SUM(p.amount_paise), 0) <> 0 OR COUNT(p.account_id) < 2");
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, e.step());
      if (!row) break;
      problems.push_back("entry " + std::to_string(e.i64(0)) + ": postings sum to " + std::to_string(e.i64(1)) +
                         " over " + std::to_string(e.i64(2)) + " postings");
    }
    PREP(n, "SELECT account_id, balance_paise, held_paise FROM ledger_accounts WHERE allow_negative = 0 "
            "AND (balance_paise < 0 OR held_paise < 0 OR balance_paise < held_paise)");
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, n.step());
      if (!row) break;
      problems.push_back("account " + n.text(0) + ": negative (balance " + std::to_string(n.i64(1)) +
                         ", held " + std::to_string(n.i64(2)) + ")");
    }
    // What a wallet holds equals what its open authorizations hold.
    PREP(h, "SELECT a.account_id, a.held_paise, COALESCE((SELECT SUM(x.held_paise) FROM authorizations x "
            "WHERE x.card_id = substr(a.account_id, 8) AND x.status = 'OPEN'), 0) AS open_holds "
            "FROM ledger_accounts a WHERE a.kind = 'wallet' AND a.held_paise <> open_holds");
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, h.step());
      if (!row) break;
      problems.push_back("account " + h.text(0) + ": held " + std::to_string(h.i64(1)) +
                         " != open authorizations " + std::to_string(h.i64(2)));
    }
    PREP(t, "SELECT COALESCE(SUM(balance_paise), 0) FROM ledger_accounts");
    CC_ASSIGN_OR_RETURN(bool row, t.step());
    if (row && t.i64(0) != 0) problems.push_back("ledger: balances sum to " + std::to_string(t.i64(0)) + ", not zero");
    return problems;
  }

  Result<bool> place_hold(const std::string& account_id, int64_t amount) override {
    PREP(s, "UPDATE ledger_accounts SET held_paise = held_paise + ?2 WHERE account_id = ?1 "
            "AND balance_paise - held_paise >= ?2");
    return changed(s.bind(1, account_id).bind(2, amount));
  }
  Status release_hold(const std::string& account_id, int64_t amount) override {
    PREP(s, "UPDATE ledger_accounts SET held_paise = held_paise - ?2 WHERE account_id = ?1 AND held_paise >= ?2");
    CC_ASSIGN_OR_RETURN(bool ok, changed(s.bind(1, account_id).bind(2, amount)));
    if (!ok) return internal_error("release_hold: less than " + std::to_string(amount) + " held on " + account_id);
    return {};
  }

  Result<std::optional<CardRow>> find_card_by_fingerprint(const std::string& fp) override {
    PREP(s, CARD_SELECT("WHERE c.pan_fingerprint = ?1"));
    return one(s.bind(1, fp), read_card);
  }
  Status insert_authorization(const AuthorizationRow& r) override {
    PREP(s, "INSERT INTO authorizations VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)");
    s.bind(1, r.authorization_id).bind(2, r.partner_id).bind(3, r.card_id).bind(4, r.channel)
        .bind(5, r.international).bind(6, r.mcc).bind(7, r.merchant_name).bind(8, r.merchant_id)
        .bind(9, r.source).bind(10, r.stan).bind(11, r.rrn).bind(12, r.terminal_id)
        .bind(13, r.authorized_paise).bind(14, r.held_paise).bind(15, r.captured_paise).bind(16, r.status)
        .bind(17, r.auth_code).bind(18, r.created_at).bind(19, r.updated_at);
    return exec_ok(s);
  }
  Result<std::optional<AuthorizationRow>> find_authorization(const std::string& id) override {
    PREP(s, AUTH_SELECT("WHERE authorization_id = ?1"));
    return one(s.bind(1, id), read_auth);
  }
  Result<std::optional<AuthorizationRow>> find_authorization_by_message(const std::string& card_id,
                                                                        const std::string& source,
                                                                        const std::string& stan, const std::string& rrn,
                                                                        const std::string& terminal_id) override {
    PREP(s, AUTH_SELECT("WHERE card_id = ?1 AND source = ?2 AND stan = ?3 AND rrn = ?4 AND terminal_id = ?5 "
                        "ORDER BY created_at DESC LIMIT 1"));
    return one(s.bind(1, card_id).bind(2, source).bind(3, stan).bind(4, rrn).bind(5, terminal_id), read_auth);
  }
  Result<bool> update_authorization(const AuthorizationRow& r, int64_t expected_held) override {
    PREP(s, "UPDATE authorizations SET authorized_paise = ?2, held_paise = ?3, captured_paise = ?4, status = ?5, "
            "updated_at = ?6 WHERE authorization_id = ?1 AND held_paise = ?7");
    return changed(s.bind(1, r.authorization_id).bind(2, r.authorized_paise).bind(3, r.held_paise)
                       .bind(4, r.captured_paise).bind(5, r.status).bind(6, r.updated_at).bind(7, expected_held));
  }
  Result<UsageTotals> card_usage(const std::string& card_id, const UsageWindows& w) override {
    PREP(s, "SELECT "
            "COALESCE(SUM(CASE WHEN created_at >= ?2 THEN authorized_paise END), 0), "
            "COALESCE(SUM(CASE WHEN created_at >= ?3 THEN authorized_paise END), 0), "
            "COALESCE(SUM(authorized_paise), 0), "
            "COUNT(CASE WHEN created_at >= ?2 THEN 1 END), COUNT(CASE WHEN created_at >= ?3 THEN 1 END), COUNT(*), "
            "COALESCE(SUM(CASE WHEN created_at >= ?2 AND channel = ?5 THEN authorized_paise END), 0), "
            "COUNT(CASE WHEN created_at >= ?2 AND channel = ?5 THEN 1 END) "
            "FROM authorizations WHERE card_id = ?1 AND created_at >= ?4 AND authorized_paise > 0");
    s.bind(1, card_id).bind(2, w.day_start).bind(3, w.month_start).bind(4, w.year_start).bind(5, w.channel);
    CC_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return UsageTotals{};
    return UsageTotals{s.i64(0), s.i64(1), s.i64(2), s.i64(3), s.i64(4), s.i64(5), s.i64(6), s.i64(7)};
  }
  Result<std::vector<AuthorizationRow>> open_authorizations_before(int64_t before, size_t limit) override {
    PREP(s, AUTH_SELECT("WHERE status = 'OPEN' AND created_at < ?1 ORDER BY created_at LIMIT ?2"));
    return many(s.bind(1, before).bind(2, static_cast<int64_t>(limit)), read_auth);
  }
  Result<std::optional<std::string>> find_message(const std::string& source, const std::string& kind,
                                                  const std::string& stan, const std::string& rrn,
                                                  const std::string& terminal_id) override {
    PREP(s, "SELECT answer_json FROM card_messages WHERE source = ?1 AND kind = ?2 AND stan = ?3 AND rrn = ?4 "
            "AND terminal_id = ?5");
    return one(s.bind(1, source).bind(2, kind).bind(3, stan).bind(4, rrn).bind(5, terminal_id),
               [](const Stmt& s) { return s.text(0); });
  }
  Status insert_message(const std::string& source, const std::string& kind, const std::string& stan,
                        const std::string& rrn, const std::string& terminal_id, const std::string& answer,
                        int64_t now) override {
    PREP(s, "INSERT INTO card_messages VALUES (?1,?2,?3,?4,?5,?6,?7)");
    return exec_ok(s.bind(1, source).bind(2, kind).bind(3, stan).bind(4, rrn).bind(5, terminal_id).bind(6, answer)
                       .bind(7, now));
  }
  Result<int> record_pin_failure(const std::string& card_id) override {
    PREP(s, "UPDATE cards SET pin_failures = pin_failures + 1 WHERE card_id = ?1 RETURNING pin_failures");
    CC_ASSIGN_OR_RETURN(bool row, s.bind(1, card_id).step());
    int n = row ? static_cast<int>(s.i64(0)) : 0;
    CC_RETURN_IF_ERROR(s.exec());
    return n;
  }
  Status reset_pin_failures(const std::string& card_id) override {
    PREP(s, "UPDATE cards SET pin_failures = 0 WHERE card_id = ?1 AND pin_failures <> 0");
    return exec_ok(s.bind(1, card_id));
  }

  // ---- Card transactions ----
  Status insert_transaction(const TransactionRow& r) override {
    PREP(s, "INSERT INTO card_transactions (txn_id, partner_id, company_id, card_account_id, card_id, "
            "entry_id, direction, amount_paise, balance_after_paise, pg_reference, type, status, "
            "description, remarks, created_by, details_json, created_at, modified_at, user_id, card_last4, "
            "holder_name, company_name) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
            "?17,?18,?19,?20,?21,?22)");
    s.bind(1, r.txn_id).bind(2, r.partner_id).bind(3, r.company_id).bind(4, r.card_account_id)
        .bind(5, r.card_id).bind(19, r.user_id).bind(20, r.card_last4).bind(21, r.holder_name)
        .bind(22, r.company_name);
    if (r.entry_id > 0) s.bind(6, r.entry_id); else s.bind_null(6);
    s.bind(7, r.direction).bind(8, r.amount_paise).bind(9, r.balance_after_paise).bind(10, r.pg_reference)
        .bind(11, r.type).bind(12, r.status).bind(13, r.description).bind(14, r.remarks)
        .bind(15, r.created_by).bind(16, r.details_json).bind(17, r.created_at).bind(18, r.modified_at);
    return exec_ok(s);
  }
  Result<std::optional<TransactionRow>> find_transaction(const std::string& partner_id,
                                                         const std::string& txn_id) override {
    PREP(s, TXN_SELECT("WHERE partner_id = ?1 AND txn_id = ?2"));
    return one(s.bind(1, partner_id).bind(2, txn_id), read_txn);
  }
  Result<std::optional<TransactionRow>> find_transaction_by_reference(const std::string& partner_id,
                                                                      const std::string& card_id,
                                                                      const std::string& ref) override {
    PREP(s, TXN_SELECT("WHERE partner_id = ?1 AND pg_reference = ?3 AND (?2 = '' OR card_id = ?2) "
                       "ORDER BY seq DESC LIMIT 1"));
    return one(s.bind(1, partner_id).bind(2, card_id).bind(3, ref), read_txn);
  }
  Result<TransactionPage> list_transactions(const TransactionFilter& f) override {
    // Built from fixed fragments only; every value is a bound parameter.
    // Index choice (measured in bench/txn_page_bench.cc). The account is the partner's (the
    // service checked it), so the partner is not a filter here: the count can then run on the
    // account index alone. A unary "+" keeps SQLite off an index: with reference or id lists
    // the unique lookups beat walking the account; with a card, the card's index does.
    bool by_lists = !f.txn_ids.empty() || !f.pg_references.empty();
    std::string where = by_lists          ? " WHERE partner_id = ? AND +card_account_id = ?"
                        : !f.card_id.empty() ? " WHERE +card_account_id = ?"
                                             : " WHERE card_account_id = ?";
    std::vector<std::variant<std::string, int64_t>> params;
    if (by_lists) params.emplace_back(f.partner_id);
    params.emplace_back(f.card_account_id);
    if (!f.card_id.empty()) { where += " AND card_id = ?"; params.emplace_back(f.card_id); }
    if (!f.status.empty()) { where += " AND status = ?"; params.emplace_back(f.status); }
    if (!f.direction.empty()) { where += " AND direction = ?"; params.emplace_back(f.direction); }
    if (f.amount_from_paise) { where += " AND amount_paise >= ?"; params.emplace_back(*f.amount_from_paise); }
    if (f.amount_to_paise) { where += " AND amount_paise <= ?"; params.emplace_back(*f.amount_to_paise); }
    if (f.from_time) { where += " AND created_at >= ?"; params.emplace_back(*f.from_time); }
    if (f.to_time) { where += " AND created_at <= ?"; params.emplace_back(*f.to_time); }
    auto in_list = [&](const char* col, const std::vector<std::string>& values) {
      if (values.empty()) return;
      where += std::string(" AND ") + col + " IN (";
      for (size_t i = 0; i < values.size(); ++i) {
        where += i ? ",?" : "?";
        params.emplace_back(values[i]);
      }
      where += ")";
    };
    in_list("txn_id", f.txn_ids);
    in_list("pg_reference", f.pg_references);
    auto bind_all = [&](sqlite3_stmt* st) {
      for (size_t i = 0; i < params.size(); ++i) {
        int idx = static_cast<int>(i + 1);
        if (auto* sv = std::get_if<std::string>(&params[i])) {
          sqlite3_bind_text(st, idx, sv->data(), static_cast<int>(sv->size()), SQLITE_TRANSIENT);
        } else {
          sqlite3_bind_int64(st, idx, std::get<int64_t>(params[i]));
        }
      }
    };
    TransactionPage page;
    {
      // The total is counted up to a cap, so a page costs the same at a million rows.
      CC_ASSIGN_OR_RETURN(sqlite::OwnedStmt count,
                          db_.prepare_once("SELECT COUNT(*) FROM (SELECT 1 FROM card_transactions" + where +
                                           " LIMIT " + std::to_string(kMaxCountedTransactions + 1) + ")"));
      bind_all(count.raw());
      CC_ASSIGN_OR_RETURN(bool row, count.stmt().step());
      page.total = row ? count.stmt().i64(0) : 0;
      page.total_capped = page.total > kMaxCountedTransactions;
      if (page.total_capped) page.total = kMaxCountedTransactions;
    }
    CC_ASSIGN_OR_RETURN(sqlite::OwnedStmt q, db_.prepare_once(std::string(TXN_SELECT("")) + where +
                                                               " ORDER BY seq DESC LIMIT ? OFFSET ?"));
    bind_all(q.raw());
    sqlite3_bind_int64(q.raw(), static_cast<int>(params.size() + 1), static_cast<int64_t>(f.limit));
    sqlite3_bind_int64(q.raw(), static_cast<int>(params.size() + 2), static_cast<int64_t>(f.offset));
    CC_ASSIGN_OR_RETURN(page.rows, many(q.stmt(), read_txn));
    return page;
  }

  // ---- Idempotency-Key ----
  Result<IdempotencyClaim> claim_idempotency_key(const std::string& partner_id, const std::string& key,
                                                 const std::string& digest, int64_t now, int64_t ttl,
                                                 int64_t lease) override {
    PREP(q, "SELECT request_digest, state, http_status, response_body, created_at FROM idempotency_keys "
            "WHERE partner_id = ?1 AND idem_key = ?2");
    CC_ASSIGN_OR_RETURN(bool row, q.bind(1, partner_id).bind(2, key).step());
    if (row) {
      std::string stored_digest = q.text(0), state = q.text(1), body = q.text(3);
      int status = static_cast<int>(q.i64(2));
      int64_t created = q.i64(4);
      bool expired = created + ttl <= now;
      bool stale_run = state == "RUNNING" && created + lease <= now;
      if (!expired && !stale_run) {
        if (stored_digest != digest) return IdempotencyClaim{IdempotencyClaim::Kind::kMismatch, 0, ""};
        if (state == "RUNNING") return IdempotencyClaim{IdempotencyClaim::Kind::kRunning, 0, ""};
        return IdempotencyClaim{IdempotencyClaim::Kind::kReplay, status, body};
      }
      PREP(d, "DELETE FROM idempotency_keys WHERE partner_id = ?1 AND idem_key = ?2");
      CC_RETURN_IF_ERROR(exec_ok(d.bind(1, partner_id).bind(2, key)));
    }
    PREP(ins, "INSERT INTO idempotency_keys (partner_id, idem_key, request_digest, state, created_at) "
              "VALUES (?1,?2,?3,'RUNNING',?4)");
    CC_RETURN_IF_ERROR(exec_ok(ins.bind(1, partner_id).bind(2, key).bind(3, digest).bind(4, now)));
    PREP(gc, "DELETE FROM idempotency_keys WHERE created_at < ?1");
    CC_RETURN_IF_ERROR(exec_ok(gc.bind(1, now - ttl)));
    return IdempotencyClaim{};
  }
  Status finish_idempotency_key(const std::string& partner_id, const std::string& key, int http_status,
                                const std::string& body) override {
    PREP(s, "UPDATE idempotency_keys SET state = 'DONE', http_status = ?3, response_body = ?4 "
            "WHERE partner_id = ?1 AND idem_key = ?2");
    return exec_ok(s.bind(1, partner_id).bind(2, key).bind(3, http_status).bind(4, body));
  }
  Status release_idempotency_key(const std::string& partner_id, const std::string& key) override {
    PREP(s, "DELETE FROM idempotency_keys WHERE partner_id = ?1 AND idem_key = ?2 AND state = 'RUNNING'");
    return exec_ok(s.bind(1, partner_id).bind(2, key));
  }

  // ---- Webhook outbox ----
  Status set_partner_webhook_url(const std::string& partner_id, const std::string& url) override {
    PREP(s, "UPDATE partners SET webhook_url = ?2 WHERE partner_id = ?1");
    return exec_ok(s.bind(1, partner_id).bind(2, url));
  }
  Status set_partner_webhook_secret(const std::string& partner_id, const Sealed& secret) override {
    PREP(s, "UPDATE partners SET webhook_secret_key_id = ?2, webhook_secret_blob = ?3 WHERE partner_id = ?1");
    return exec_ok(s.bind(1, partner_id).bind(2, secret.key_id).bind_blob(3, secret.blob));
  }
  Status insert_webhook_event(const WebhookEventRow& r) override {
    PREP(s, "INSERT INTO webhook_events (event_id, partner_id, type, payload_json, created_at, "
            "next_attempt_at, attempts, state, last_error) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    s.bind(1, r.event_id).bind(2, r.partner_id).bind(3, r.type).bind(4, r.payload_json).bind(5, r.created_at)
        .bind(6, r.next_attempt_at).bind(7, r.attempts).bind(8, r.state).bind(9, r.last_error);
    return exec_ok(s);
  }
  Result<std::vector<WebhookEventRow>> claim_due_webhooks(int64_t now, size_t limit, int64_t lease) override {
    PREP(s, WEBHOOK_SELECT("WHERE state = 'PENDING' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, created_at LIMIT ?2"));
    CC_ASSIGN_OR_RETURN(std::vector<WebhookEventRow> due, many(s.bind(1, now).bind(2, static_cast<int64_t>(limit)), read_webhook));
    for (const WebhookEventRow& e : due) {
      PREP(u, "UPDATE webhook_events SET next_attempt_at = ?2 WHERE event_id = ?1");
      CC_RETURN_IF_ERROR(exec_ok(u.bind(1, e.event_id).bind(2, now + lease)));
    }
    return due;
  }
  Status record_webhook_attempt(const std::string& event_id, int attempt, int64_t at, int http_status,
                                const std::string& error, const std::string& new_state,
                                int64_t next_attempt_at) override {
    PREP(a, "INSERT INTO webhook_attempts (event_id, attempt, at, http_status, error) VALUES (?1,?2,?3,?4,?5) "
            "ON CONFLICT(event_id, attempt) DO NOTHING");
    CC_RETURN_IF_ERROR(exec_ok(a.bind(1, event_id).bind(2, attempt).bind(3, at).bind(4, http_status).bind(5, error)));
    PREP(u, "UPDATE webhook_events SET attempts = ?2, state = ?3, next_attempt_at = ?4, last_error = ?5 "
            "WHERE event_id = ?1");
    return exec_ok(u.bind(1, event_id).bind(2, attempt).bind(3, new_state).bind(4, next_attempt_at).bind(5, error));
  }
  Result<std::vector<WebhookEventRow>> list_webhook_events(const std::string& partner_id, size_t limit) override {
    PREP(s, WEBHOOK_SELECT("WHERE partner_id = ?1 ORDER BY rowid DESC LIMIT ?2"));
    return many(s.bind(1, partner_id).bind(2, static_cast<int64_t>(limit)), read_webhook);
  }

  Status insert_status_change(const StatusChangeRow& r) override {
    PREP(s, "INSERT INTO card_status_changes (card_id, old_status, new_status, reason, channel, "
            "actor, at) VALUES (?1,?2,?3,?4,?5,?6,?7)");
    s.bind(1, r.card_id).bind(2, r.old_status).bind(3, r.new_status).bind(4, r.reason)
        .bind(5, r.channel).bind(6, r.actor).bind(7, r.at);
    return exec_ok(s);
  }
  Result<std::vector<StatusChangeRow>> list_status_changes(const std::string& card_id) override {
    PREP(s, "SELECT card_id, old_status, new_status, reason, channel, actor, at "
            "FROM card_status_changes WHERE card_id = ?1 ORDER BY id");
    return many(s.bind(1, card_id), [](const Stmt& s) {
      return StatusChangeRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.i64(6)};
    });
  }
  Status insert_audit(const AuditRow& r) override {
    PREP(s, "INSERT INTO audit (at, partner_id, actor, action, object_id, detail) "
            "VALUES (?1,?2,?3,?4,?5,?6)");
    s.bind(1, r.at).bind(2, r.partner_id).bind(3, r.actor).bind(4, r.action).bind(5, r.object_id)
        .bind(6, r.detail);
    return exec_ok(s);
  }
  Result<std::vector<AuditRow>> list_audit(const std::string& partner_id, const std::string& object_id,
                                           int64_t before_id, size_t limit) override {
    PREP(s, "SELECT id, at, partner_id, actor, action, object_id, detail FROM audit "
            "WHERE (?1 = '' OR partner_id = ?1) AND (?2 = '' OR object_id = ?2) "
            "AND (?3 <= 0 OR id < ?3) ORDER BY id DESC LIMIT ?4");
    s.bind(1, partner_id).bind(2, object_id).bind(3, before_id).bind(4, static_cast<int64_t>(limit));
    return many(s, [](const Stmt& s) {
      return AuditRow{s.i64(0), s.i64(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6)};
    });
  }

  Status insert_otp(const OtpRow& r) override {
    PREP(s, "INSERT INTO otp_requests VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    s.bind(1, r.otp_request_id).bind(2, r.card_id).bind(3, r.partner_id).bind(4, r.action)
        .bind(5, r.code_hash).bind(6, r.expires_at).bind(7, r.wrong_tries).bind(8, r.used)
        .bind(9, r.created_at);
    return exec_ok(s);
  }
  Result<std::optional<OtpRow>> find_otp(const std::string& id) override {
    PREP(s, "SELECT otp_request_id, card_id, partner_id, action, code_hash, expires_at, "
            "wrong_tries, used, created_at FROM otp_requests WHERE otp_request_id = ?1");
    return one(s.bind(1, id), [](const Stmt& s) {
      return OtpRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.i64(5),
                    static_cast<int>(s.i64(6)), s.boolean(7), s.i64(8)};
    });
  }
  Status record_otp_failure(const std::string& id, bool kill) override {
    PREP(s, "UPDATE otp_requests SET wrong_tries = wrong_tries + 1, used = (used OR ?2) "
            "WHERE otp_request_id = ?1");
    return exec_ok(s.bind(1, id).bind(2, kill));
  }
  Result<bool> consume_otp(const std::string& id) override {
    PREP(s, "UPDATE otp_requests SET used = 1 WHERE otp_request_id = ?1 AND used = 0");
    return changed(s.bind(1, id));
  }
  Result<int64_t> count_otps_since(const std::string& card_id, int64_t since) override {
    PREP(s, "SELECT COUNT(*) FROM otp_requests WHERE card_id = ?1 AND created_at >= ?2");
    CC_ASSIGN_OR_RETURN(bool row, s.bind(1, card_id).bind(2, since).step());
    return row ? s.i64(0) : 0;
  }

  Status upsert_usage_controls(const UsageControlsRow& r) override {
    PREP(s, "INSERT INTO usage_controls VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
            "?16,?17,?18,?19,?20,?21,?22,?23) ON CONFLICT(card_id) DO UPDATE SET "
            "pos_allowed=?2, online_allowed=?3, atm_allowed=?4, international_allowed=?5, "
            "contactless_allowed=?6, per_txn_limit_paise=?7, dtd_paise=?8, mtd_paise=?9, "
            "ytd_paise=?10, dtd_count=?11, mtd_count=?12, ytd_count=?13, pos_daily_paise=?14, "
            "pos_daily_count=?15, ecom_daily_paise=?16, ecom_daily_count=?17, "
            "contactless_daily_paise=?18, contactless_daily_count=?19, admin_user=?20, "
            "created_by=?21, modified_on=?23");
    s.bind(1, r.card_id).bind(2, r.pos_allowed).bind(3, r.online_allowed).bind(4, r.atm_allowed)
        .bind(5, r.international_allowed).bind(6, r.contactless_allowed)
        .bind(7, r.per_txn_limit_paise).bind(8, r.dtd_paise).bind(9, r.mtd_paise)
        .bind(10, r.ytd_paise).bind(11, r.dtd_count).bind(12, r.mtd_count).bind(13, r.ytd_count)
        .bind(14, r.pos_daily_paise).bind(15, r.pos_daily_count).bind(16, r.ecom_daily_paise)
        .bind(17, r.ecom_daily_count).bind(18, r.contactless_daily_paise)
        .bind(19, r.contactless_daily_count).bind(20, r.admin_user).bind(21, r.created_by)
        .bind(22, r.created_on).bind(23, r.modified_on);
    return exec_ok(s);
  }
  Result<std::optional<UsageControlsRow>> find_usage_controls(const std::string& id) override {
    PREP(s, USAGE_SELECT("WHERE card_id = ?1"));
    return one(s.bind(1, id), read_usage);
  }

  Status insert_physical_order(const PhysicalOrderRow& r) override {
    PREP(s, "INSERT INTO physical_orders VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
    s.bind(1, r.order_id).bind(2, r.card_id).bind(3, r.partner_id).bind(4, r.address)
        .bind(5, r.address2).bind(6, r.city).bind(7, r.state).bind(8, r.country).bind(9, r.pincode)
        .bind(10, r.status).bind(11, r.created_at).bind(12, r.updated_at);
    return exec_ok(s);
  }
  Result<std::optional<PhysicalOrderRow>> find_physical_order(const std::string& id) override {
    PREP(s, ORDER_SELECT("WHERE order_id = ?1"));
    return one(s.bind(1, id), read_order);
  }
  Result<std::optional<PhysicalOrderRow>> find_physical_order_by_card(const std::string& id) override {
    PREP(s, ORDER_SELECT("WHERE card_id = ?1 ORDER BY rowid DESC LIMIT 1"));
    return one(s.bind(1, id), read_order);
  }
  Result<bool> update_physical_order_status(const std::string& id, const std::string& expected_old,
                                            const std::string& new_status, int64_t now) override {
    PREP(s, "UPDATE physical_orders SET status = ?3, updated_at = ?4 WHERE order_id = ?1 AND status = ?2");
    return changed(s.bind(1, id).bind(2, expected_old).bind(3, new_status).bind(4, now));
  }

 private:
  template <class Read>
  static auto one(Stmt& s, Read read) -> Result<std::optional<decltype(read(s))>> {
    CC_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return std::nullopt;
    return read(s);
  }
  template <class Read>
  static auto many(Stmt& s, Read read) -> Result<std::vector<decltype(read(s))>> {
    std::vector<decltype(read(s))> out;
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) return out;
      out.push_back(read(s));
    }
  }
  static Result<bool> changed(Stmt& s) {
    CC_ASSIGN_OR_RETURN(int n, s.exec());
    return n > 0;
  }

  Db& db_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}

  Status migrate() {
    CC_RETURN_IF_ERROR(db_->exec_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
        "NULL, applied_at INTEGER NOT NULL DEFAULT (unixepoch()))"));
    CC_ASSIGN_OR_RETURN(Stmt q, db_->prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    CC_ASSIGN_OR_RETURN(bool row, q.step());
    int64_t current = row ? q.i64(0) : 0;
    for (const Migration& m : all_migrations()) {
      if (m.engine != "sqlite" || m.version <= current) continue;
      std::string script = "BEGIN IMMEDIATE;\n" + m.sql +
                           "\nINSERT INTO schema_migrations (version, name) VALUES (" +
                           std::to_string(m.version) + ", '" + m.name + "');\nCOMMIT;";
      auto st = db_->exec_script(script);
      if (!st) {
        (void)db_->exec_script("ROLLBACK");
        return fail(code::kFailure, 500, "migration " + m.name + " failed: " + st.error().message);
      }
    }
    return {};
  }

  Status run(const std::function<Status(Tx&)>& unit) override {
    std::lock_guard lock(mu_);
    CC_RETURN_IF_ERROR(db_->exec_script("BEGIN IMMEDIATE"));
    SqliteTx tx(*db_);
    Status st = unit(tx);
    if (!st) {
      (void)db_->exec_script("ROLLBACK");
      return st;
    }
    auto commit = db_->exec_script("COMMIT");
    if (!commit) (void)db_->exec_script("ROLLBACK");
    return commit;
  }

  std::string engine() const override { return "sqlite"; }

 private:
  std::mutex mu_;
  std::unique_ptr<Db> db_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  CC_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::open(path));
  auto store = std::make_unique<SqliteStore>(std::move(db));
  CC_RETURN_IF_ERROR(store->migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace cardcore
