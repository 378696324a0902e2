#include "store/cards.h"

#include "store/sql/ops_util.h"

namespace cardcore {
using namespace sql;

namespace {

// A card reads its balance from its ledger wallet (no wallet yet: zero), and its program's PPI
// rules from its plan.
#define CARD_COLUMNS                                                                             \
  "c.card_id, c.card_account_id, c.partner_id, c.company_id, c.user_id, c.token, "               \
  "c.pan_key_id, c.pan_blob, c.pan_last4, c.pan_fingerprint, c.cvv_key_id, c.cvv_blob, "         \
  "c.expiry_month, c.expiry_year, c.status, c.card_type, c.gift, c.primary_card, "               \
  "COALESCE(w.balance_paise, 0), c.holder_name, c.mobile, c.email, c.profile_json, c.pin_hash, " \
  "c.pin_failures, c.mfa_key_id, c.mfa_blob, c.replaced_by, c.created_at, c.modified_at, "       \
  "COALESCE(w.held_paise, 0), c.mfa_failures, c.kyc_level, c.kyc_reference, "                    \
  "COALESCE(pl.kyc_rules, ''), COALESCE(pl.fees, ''), ca.company_name"
constexpr int kCardColumns = 37;
#define CARD_FROM                                                                                \
  " FROM cards c LEFT JOIN ledger_accounts w ON w.account_id = 'wallet:' || c.card_id "          \
  "LEFT JOIN card_accounts ca ON ca.card_account_id = c.card_account_id "                        \
  "LEFT JOIN plans pl ON pl.plan_master_id = ca.plan_master_id "
#define CARD_SELECT(where) "SELECT " CARD_COLUMNS CARD_FROM where

Result<CardRow> read_card(const Query& s) {
  CardRow r;
  r.card_id = s.text(0); r.card_account_id = s.text(1); r.partner_id = s.text(2);
  r.company_id = s.text(3); r.user_id = s.text(4); r.token = s.text(5);
  r.pan = {s.text(6), s.blob(7)}; r.pan_last4 = s.text(8); r.pan_fingerprint = s.text(9);
  r.cvv = {s.text(10), s.blob(11)}; r.expiry_month = static_cast<int>(s.i64(12));
  r.expiry_year = static_cast<int>(s.i64(13)); r.card_type = s.text(15);
  CC_ASSIGN_OR_RETURN(r.status, parse_column(parse_status_code, s.text(14), "cards", r.card_id, "status"));
  r.gift = s.boolean(16); r.primary_card = s.boolean(17); r.balance_paise = s.i64(18);
  r.holder_name = s.text(19); r.mobile = s.text(20); r.email = s.text(21);
  r.profile_json = s.text(22); r.pin_hash = s.text(23);
  r.pin_failures = static_cast<int>(s.i64(24));
  if (!s.is_null(25)) r.mfa_secret = Sealed{s.text(25), s.blob(26)};
  r.replaced_by = s.text(27); r.created_at = s.i64(28); r.modified_at = s.i64(29);
  r.held_paise = s.i64(30);
  r.mfa_failures = static_cast<int>(s.i64(31));
  CC_ASSIGN_OR_RETURN(r.kyc_level, parse_column(ppi::parse_kyc_level, s.text(32), "cards", r.card_id, "kyc_level"));
  r.kyc_reference = s.text(33);
  r.program_rules = s.text(34);
  r.program_fees = s.text(35);
  if (!s.is_null(36)) r.account_company_name = s.text(36);
  return r;
}

#define ACCOUNT_SELECT(where)                                                                   \
  "SELECT card_account_id, partner_id, company_id, company_name, plan_master_id, user_id, email, " \
  "mobile, account_title, account_type, created_at FROM card_accounts " where

CardAccountRow read_account(const Query& s) {
  return CardAccountRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                        s.text(6), s.text(7), s.text(8), s.text(9), s.i64(10)};
}

// `text` as a LIKE pattern (ESCAPE with a backslash) that matches it literally anywhere, case aside.
std::string contains_pattern(const std::string& text) {
  std::string out = "%";
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out + "%";
}

#define USAGE_COLUMNS                                                                            \
  "card_id, pos_allowed, online_allowed, atm_allowed, international_allowed, "                   \
  "contactless_allowed, per_txn_limit_paise, dtd_paise, mtd_paise, ytd_paise, dtd_count, "       \
  "mtd_count, ytd_count, pos_daily_paise, pos_daily_count, ecom_daily_paise, ecom_daily_count, " \
  "contactless_daily_paise, contactless_daily_count, admin_user, created_by, created_on, modified_on, " \
  "allowed_mccs, blocked_mccs, blocked_merchant_ids, blocked_countries"

// A list column: items joined by commas ('' for none), split again when read.
std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = 0; at < text.size();) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    if (comma > at) out.push_back(text.substr(at, comma - at));  // no empty item, whatever is stored
    at = comma + 1;
  }
  return out;
}

// USAGE_COLUMNS read from column `at` on.
UsageControlsRow read_usage_at(const Query& s, int at) {
  auto col = [at](int i) { return at + i; };
  UsageControlsRow r;
  r.card_id = s.text(col(0)); r.pos_allowed = s.boolean(col(1)); r.online_allowed = s.boolean(col(2));
  r.atm_allowed = s.boolean(col(3)); r.international_allowed = s.boolean(col(4));
  r.contactless_allowed = s.boolean(col(5)); r.per_txn_limit_paise = s.opt_i64(col(6));
  r.dtd_paise = s.opt_i64(col(7)); r.mtd_paise = s.opt_i64(col(8)); r.ytd_paise = s.opt_i64(col(9));
  r.dtd_count = s.opt_i64(col(10)); r.mtd_count = s.opt_i64(col(11)); r.ytd_count = s.opt_i64(col(12));
  r.pos_daily_paise = s.opt_i64(col(13)); r.pos_daily_count = s.opt_i64(col(14));
  r.ecom_daily_paise = s.opt_i64(col(15)); r.ecom_daily_count = s.opt_i64(col(16));
  r.contactless_daily_paise = s.opt_i64(col(17)); r.contactless_daily_count = s.opt_i64(col(18));
  r.admin_user = s.boolean(col(19)); r.created_by = s.text(col(20)); r.created_on = s.i64(col(21));
  r.modified_on = s.i64(col(22));
  r.merchant = {split_list(s.text(col(23))), split_list(s.text(col(24))), split_list(s.text(col(25))),
                split_list(s.text(col(26)))};
  return r;
}
UsageControlsRow read_usage(const Query& s) { return read_usage_at(s, 0); }

// USAGE_COLUMNS of usage_controls u, in the same order (read_usage_at).
#define USAGE_SELECT                                                                             \
  "u.card_id, u.pos_allowed, u.online_allowed, u.atm_allowed, u.international_allowed, "         \
  "u.contactless_allowed, u.per_txn_limit_paise, u.dtd_paise, u.mtd_paise, u.ytd_paise, "        \
  "u.dtd_count, u.mtd_count, u.ytd_count, u.pos_daily_paise, u.pos_daily_count, "                \
  "u.ecom_daily_paise, u.ecom_daily_count, u.contactless_daily_paise, u.contactless_daily_count, " \
  "u.admin_user, u.created_by, u.created_on, u.modified_on, u.allowed_mccs, u.blocked_mccs, "    \
  "u.blocked_merchant_ids, u.blocked_countries"
constexpr int kUsageColumns = 27;

// A card, then its usage controls (all NULL when it has none), then its partner's webhook address.
#define DECISION_CARD_SELECT(where)                                                             \
  "SELECT " CARD_COLUMNS ", " USAGE_SELECT ", COALESCE(p.webhook_url, '')" CARD_FROM            \
  "LEFT JOIN usage_controls u ON u.card_id = c.card_id "                                        \
  "LEFT JOIN partners p ON p.partner_id = c.partner_id " where

Result<DecisionCard> read_decision_card(const Query& s) {
  DecisionCard d;
  CC_ASSIGN_OR_RETURN(d.card, read_card(s));
  if (!s.is_null(kCardColumns)) d.controls = read_usage_at(s, kCardColumns);
  d.webhook_url = s.text(kCardColumns + kUsageColumns);
  return d;
}

#define ORDER_COLUMNS \
  "order_id, card_id, partner_id, address, address2, city, state, country, pincode, status, created_at, updated_at"

Result<PhysicalOrderRow> read_order(const Query& s) {
  PhysicalOrderRow o{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                     s.text(6), s.text(7), s.text(8), OrderStatus::kOrdered, s.i64(10), s.i64(11)};
  CC_ASSIGN_OR_RETURN(o.status, parse_column(parse_order_status, s.text(9), "physical_orders", o.order_id, "status"));
  return o;
}

}  // namespace

Status CardOps::insert_card_account(const CardAccountRow& r) {
  CC_SQL(q, "INSERT INTO card_accounts (card_account_id, partner_id, company_id, company_name, plan_master_id, "
            "user_id, email, mobile, account_title, account_type, created_at) "
            "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
  q.bind(1, r.card_account_id).bind(2, r.partner_id).bind(3, r.company_id).bind(4, r.company_name)
      .bind(5, r.plan_master_id).bind(6, r.user_id).bind(7, r.email).bind(8, r.mobile).bind(9, r.account_title)
      .bind(10, r.account_type).bind(11, r.created_at);
  return done(q);
}

Result<std::optional<CardAccountRow>> CardOps::find_card_account(const std::string& id) {
  CC_SQL(q, ACCOUNT_SELECT("WHERE card_account_id = ?1"));
  return one(q.bind(1, id), read_account);
}

Status CardOps::insert_card(const CardRow& r) {
  CC_SQL(q, "INSERT INTO cards (card_id, card_account_id, partner_id, company_id, user_id, token, "
            "pan_key_id, pan_blob, pan_last4, pan_fingerprint, cvv_key_id, cvv_blob, expiry_month, "
            "expiry_year, status, card_type, gift, primary_card, holder_name, mobile, "
            "email, profile_json, pin_hash, pin_failures, mfa_key_id, mfa_blob, replaced_by, "
            "created_at, modified_at, kyc_level, kyc_reference) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,"
            "?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30,?31)");
  q.bind(1, r.card_id).bind(2, r.card_account_id).bind(3, r.partner_id).bind(4, r.company_id)
      .bind(5, r.user_id).bind(6, r.token).bind(7, r.pan.key_id).bind(8, Blob{r.pan.blob})
      .bind(9, r.pan_last4).bind(10, r.pan_fingerprint).bind(11, r.cvv.key_id).bind(12, Blob{r.cvv.blob})
      .bind(13, r.expiry_month).bind(14, r.expiry_year).bind(15, status_code(r.status)).bind(16, r.card_type)
      .bind(17, r.gift).bind(18, r.primary_card).bind(19, r.holder_name).bind(20, r.mobile).bind(21, r.email)
      .bind(22, r.profile_json).bind(23, r.pin_hash).bind(24, r.pin_failures);
  if (r.mfa_secret) q.bind(25, r.mfa_secret->key_id).bind(26, Blob{r.mfa_secret->blob});
  else q.bind_null(25).bind_null(26);
  q.bind(27, r.replaced_by).bind(28, r.created_at).bind(29, r.modified_at)
      .bind(30, ppi::kyc_level_code(r.kyc_level)).bind(31, r.kyc_reference);
  return done(q);
}

Result<std::optional<CardRow>> CardOps::find_card(const std::string& id) {
  CC_SQL(q, CARD_SELECT("WHERE c.card_id = ?1"));
  return one(q.bind(1, id), read_card);
}

Result<std::optional<CardRow>> CardOps::find_card_by_fingerprint(const std::string& fp) {
  CC_SQL(q, CARD_SELECT("WHERE c.pan_fingerprint = ?1"));
  return one(q.bind(1, fp), read_card);
}

Result<std::optional<DecisionCard>> CardOps::find_decision_card(const std::string& id) {
  CC_SQL(q, DECISION_CARD_SELECT("WHERE c.card_id = ?1"));
  return one(q.bind(1, id), read_decision_card);
}

Result<std::optional<DecisionCard>> CardOps::find_decision_card_by_fingerprint(const std::string& fp) {
  CC_SQL(q, DECISION_CARD_SELECT("WHERE c.pan_fingerprint = ?1"));
  return one(q.bind(1, fp), read_decision_card);
}

Result<std::vector<CardRow>> CardOps::list_cards(const std::string& account_id, size_t limit) {
  CC_SQL(q, CARD_SELECT("WHERE c.card_account_id = ?1 ORDER BY c.created_at, c.card_id LIMIT ?2"));
  return many(q.bind(1, account_id).bind(2, limit), read_card);
}

Result<int64_t> CardOps::count_cards(const std::string& account_id) {
  CC_SQL(q, "SELECT COUNT(*) FROM cards WHERE card_account_id = ?1");
  return scalar(q.bind(1, account_id));
}

Result<std::vector<CardRow>> CardOps::search_cards(const CardSearch& s) {
  // Each key is a branch of a UNION served by an index of its own (006_console.sql); the page
  // is then read by primary key. A reference is looked up per partner, the index's first column.
  std::vector<std::string> branches;
  if (s.by_last4) branches.emplace_back("SELECT card_id FROM cards WHERE pan_last4 = ?1");
  if (s.by_mobile) branches.emplace_back("SELECT card_id FROM cards WHERE mobile = ?1");
  if (s.by_card) branches.emplace_back("SELECT card_id FROM cards WHERE card_id = ?1");
  if (s.by_account) branches.emplace_back("SELECT card_id FROM cards WHERE card_account_id = ?1");
  if (s.by_company) {
    branches.emplace_back("SELECT card_id FROM cards WHERE company_id = ?1");
    branches.emplace_back("SELECT card_id FROM cards WHERE company_id IN "
                          "(SELECT company_id FROM companies WHERE lower(name) LIKE ?4 ESCAPE '\\')");
  }
  if (s.by_reference) {
    branches.emplace_back("SELECT card_id FROM card_transactions WHERE partner_id IN (SELECT partner_id FROM partners) "
                          "AND pg_reference = ?1");
  }
  if (branches.empty() || s.query.empty()) return std::vector<CardRow>{};
  std::string keys;
  for (const std::string& b : branches) keys += (keys.empty() ? "" : " UNION ") + b;
  CC_ASSIGN_OR_RETURN(Query q, dynamic_query(c_, std::string(CARD_SELECT("WHERE c.card_id IN (")) + keys +
                                                     ") AND c.card_id > ?2 ORDER BY c.card_id LIMIT ?3"));
  q.bind(1, s.query).bind(2, s.after).bind(3, s.limit);
  if (s.by_company) q.bind(4, contains_pattern(s.query));
  return many(q, read_card);
}

Result<std::vector<CardAccountRow>> CardOps::list_company_accounts(const std::string& company_id,
                                                                   const std::string& after, size_t limit) {
  CC_SQL(q, ACCOUNT_SELECT("WHERE company_id = ?1 AND card_account_id > ?2 ORDER BY card_account_id LIMIT ?3"));
  return many(q.bind(1, company_id).bind(2, after).bind(3, limit), read_account);
}

Result<bool> CardOps::pan_fingerprint_exists(const std::string& fp) {
  CC_SQL(q, "SELECT COUNT(*) FROM cards WHERE pan_fingerprint = ?1");
  CC_ASSIGN_OR_RETURN(int64_t n, scalar(q.bind(1, fp)));
  return n > 0;
}

Result<bool> CardOps::update_card_status(const std::string& id, CardStatus expected_old, CardStatus new_status,
                                         int64_t now) {
  CC_SQL(q, "UPDATE cards SET status = ?3, modified_at = ?4 WHERE card_id = ?1 AND status = ?2");
  return changed(q.bind(1, id).bind(2, status_code(expected_old)).bind(3, status_code(new_status)).bind(4, now));
}

Status CardOps::set_card_pin(const std::string& id, const std::string& pin_hash, int64_t now) {
  CC_SQL(q, "UPDATE cards SET pin_hash = ?2, pin_failures = 0, modified_at = ?3 WHERE card_id = ?1");
  return done(q.bind(1, id).bind(2, pin_hash).bind(3, now));
}

Result<int> CardOps::record_pin_failure(const std::string& id) {
  CC_SQL(q, "UPDATE cards SET pin_failures = pin_failures + 1 WHERE card_id = ?1 RETURNING pin_failures");
  CC_ASSIGN_OR_RETURN(int64_t n, scalar(q.bind(1, id)));
  return static_cast<int>(n);
}

Result<bool> CardOps::clear_pin_failures(const std::string& card_id, int expected, int64_t now) {
  CC_SQL(q, "UPDATE cards SET pin_failures = 0, modified_at = ?3 WHERE card_id = ?1 AND pin_failures = ?2");
  return changed(q.bind(1, card_id).bind(2, expected).bind(3, now));
}

Status CardOps::reset_pin_failures(const std::string& id) {
  CC_SQL(q, "UPDATE cards SET pin_failures = 0 WHERE card_id = ?1 AND pin_failures <> 0");
  return done(q.bind(1, id));
}

Status CardOps::set_card_mfa_secret(const std::string& id, const Sealed& sec, int64_t now) {
  CC_SQL(q, "UPDATE cards SET mfa_key_id = ?2, mfa_blob = ?3, mfa_failures = 0, modified_at = ?4 WHERE card_id = ?1");
  return done(q.bind(1, id).bind(2, sec.key_id).bind(3, Blob{sec.blob}).bind(4, now));
}

Result<bool> CardOps::use_mfa_step(const std::string& id, int64_t step) {
  CC_SQL(q, "UPDATE cards SET mfa_last_step = ?2, mfa_failures = 0 WHERE card_id = ?1 AND mfa_last_step < ?2");
  return changed(q.bind(1, id).bind(2, step));
}

Result<int> CardOps::record_mfa_failure(const std::string& id) {
  CC_SQL(q, "UPDATE cards SET mfa_failures = mfa_failures + 1 WHERE card_id = ?1 RETURNING mfa_failures");
  CC_ASSIGN_OR_RETURN(int64_t n, scalar(q.bind(1, id)));
  return static_cast<int>(n);
}

Status CardOps::set_card_primary(const std::string& id, bool primary, int64_t now) {
  CC_SQL(q, "UPDATE cards SET primary_card = ?2, modified_at = ?3 WHERE card_id = ?1");
  return done(q.bind(1, id).bind(2, primary).bind(3, now));
}

Status CardOps::set_card_replaced_by(const std::string& id, const std::string& new_id, int64_t now) {
  CC_SQL(q, "UPDATE cards SET replaced_by = ?2, modified_at = ?3 WHERE card_id = ?1");
  return done(q.bind(1, id).bind(2, new_id).bind(3, now));
}

Status CardOps::set_card_type(const std::string& id, const std::string& type, int64_t now) {
  CC_SQL(q, "UPDATE cards SET card_type = ?2, modified_at = ?3 WHERE card_id = ?1");
  return done(q.bind(1, id).bind(2, type).bind(3, now));
}

Result<bool> CardOps::set_card_kyc_level(const std::string& id, ppi::KycLevel expected, ppi::KycLevel level,
                                         const std::string& reference, int64_t now) {
  CC_SQL(q, "UPDATE cards SET kyc_level = ?3, kyc_reference = ?4, modified_at = ?5 "
            "WHERE card_id = ?1 AND kyc_level = ?2 AND replaced_by = ''");
  return changed(q.bind(1, id).bind(2, ppi::kyc_level_code(expected)).bind(3, ppi::kyc_level_code(level))
                     .bind(4, reference).bind(5, now));
}

Result<CardOps::LoadTotals> CardOps::card_loads(const std::string& id, int64_t month_start, int64_t year_start) {
  CC_SQL(q, "SELECT COALESCE(SUM(CASE WHEN period = 'M' THEN paise END), 0), "
            "COALESCE(SUM(CASE WHEN period = 'Y' THEN paise END), 0) FROM card_load_periods "
            "WHERE card_id = ?1 AND ((period = 'M' AND period_start = ?2) OR (period = 'Y' AND period_start = ?3))");
  CC_ASSIGN_OR_RETURN(std::optional<LoadTotals> t, one(q.bind(1, id).bind(2, month_start).bind(3, year_start),
                                                       [](const Query& s) { return LoadTotals{s.i64(0), s.i64(1)}; }));
  return t.value_or(LoadTotals{});
}

Result<bool> CardOps::add_card_load(const std::string& id, int64_t month_start, int64_t year_start, int64_t paise,
                                    std::optional<int64_t> month_limit, std::optional<int64_t> year_limit) {
  // No limit: a bound no sum of loads reaches (each is at most money::kMaxAbsPaise).
  constexpr int64_t kNoLimit = int64_t{1} << 62;
  if (paise > month_limit.value_or(kNoLimit) || paise > year_limit.value_or(kNoLimit)) return false;
  // Both rows in one statement (one round trip on PostgreSQL); a row that exists grows only
  // within its limit, checked on the row as it is when updated (racing loads on PostgreSQL).
  CC_SQL(q, "INSERT INTO card_load_periods (card_id, period, period_start, paise) VALUES (?1,'M',?2,?4), (?1,'Y',?3,?4) "
            "ON CONFLICT (card_id, period, period_start) DO UPDATE SET paise = card_load_periods.paise + excluded.paise "
            "WHERE card_load_periods.paise + excluded.paise <= "
            "CASE card_load_periods.period WHEN 'M' THEN CAST(?5 AS BIGINT) ELSE CAST(?6 AS BIGINT) END");
  q.bind(1, id).bind(2, month_start).bind(3, year_start).bind(4, paise).bind(5, month_limit.value_or(kNoLimit))
      .bind(6, year_limit.value_or(kNoLimit));
  CC_ASSIGN_OR_RETURN(int64_t rows, q.run());
  return rows == 2;
}

Status CardOps::copy_card_loads(const std::string& from, const std::string& to, int64_t month_start,
                                int64_t year_start) {
  CC_SQL(q, "INSERT INTO card_load_periods (card_id, period, period_start, paise) "
            "SELECT ?2, period, period_start, paise FROM card_load_periods WHERE card_id = ?1 AND "
            "((period = 'M' AND period_start = ?3) OR (period = 'Y' AND period_start = ?4)) "
            "ON CONFLICT (card_id, period, period_start) DO UPDATE SET paise = card_load_periods.paise + excluded.paise");
  return done(q.bind(1, from).bind(2, to).bind(3, month_start).bind(4, year_start));
}

Status CardOps::upsert_usage_controls(const UsageControlsRow& r) {
  CC_SQL(q, "INSERT INTO usage_controls (" USAGE_COLUMNS ") "
            "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27) "
            "ON CONFLICT (card_id) DO UPDATE SET "
            "pos_allowed = excluded.pos_allowed, online_allowed = excluded.online_allowed, "
            "atm_allowed = excluded.atm_allowed, international_allowed = excluded.international_allowed, "
            "contactless_allowed = excluded.contactless_allowed, per_txn_limit_paise = excluded.per_txn_limit_paise, "
            "dtd_paise = excluded.dtd_paise, mtd_paise = excluded.mtd_paise, ytd_paise = excluded.ytd_paise, "
            "dtd_count = excluded.dtd_count, mtd_count = excluded.mtd_count, ytd_count = excluded.ytd_count, "
            "pos_daily_paise = excluded.pos_daily_paise, pos_daily_count = excluded.pos_daily_count, "
            "ecom_daily_paise = excluded.ecom_daily_paise, ecom_daily_count = excluded.ecom_daily_count, "
            "contactless_daily_paise = excluded.contactless_daily_paise, "
            "contactless_daily_count = excluded.contactless_daily_count, admin_user = excluded.admin_user, "
            "created_by = excluded.created_by, modified_on = excluded.modified_on, "
            "allowed_mccs = excluded.allowed_mccs, blocked_mccs = excluded.blocked_mccs, "
            "blocked_merchant_ids = excluded.blocked_merchant_ids, blocked_countries = excluded.blocked_countries");
  q.bind(1, r.card_id).bind(2, r.pos_allowed).bind(3, r.online_allowed).bind(4, r.atm_allowed)
      .bind(5, r.international_allowed).bind(6, r.contactless_allowed).bind(7, r.per_txn_limit_paise)
      .bind(8, r.dtd_paise).bind(9, r.mtd_paise).bind(10, r.ytd_paise).bind(11, r.dtd_count)
      .bind(12, r.mtd_count).bind(13, r.ytd_count).bind(14, r.pos_daily_paise).bind(15, r.pos_daily_count)
      .bind(16, r.ecom_daily_paise).bind(17, r.ecom_daily_count).bind(18, r.contactless_daily_paise)
      .bind(19, r.contactless_daily_count).bind(20, r.admin_user).bind(21, r.created_by)
      .bind(22, r.created_on).bind(23, r.modified_on).bind(24, join_list(r.merchant.allowed_mccs))
      .bind(25, join_list(r.merchant.blocked_mccs)).bind(26, join_list(r.merchant.blocked_merchant_ids))
      .bind(27, join_list(r.merchant.blocked_countries));
  return done(q);
}

Result<std::optional<UsageControlsRow>> CardOps::find_usage_controls(const std::string& id) {
  CC_SQL(q, "SELECT " USAGE_SELECT " FROM usage_controls u WHERE u.card_id = ?1");
  return one(q.bind(1, id), read_usage);
}

Status CardOps::insert_physical_order(const PhysicalOrderRow& r) {
  CC_SQL(q, "INSERT INTO physical_orders (" ORDER_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
  q.bind(1, r.order_id).bind(2, r.card_id).bind(3, r.partner_id).bind(4, r.address).bind(5, r.address2)
      .bind(6, r.city).bind(7, r.state).bind(8, r.country).bind(9, r.pincode).bind(10, order_status_code(r.status))
      .bind(11, r.created_at).bind(12, r.updated_at);
  return done(q);
}

Result<std::optional<PhysicalOrderRow>> CardOps::find_physical_order(const std::string& id) {
  CC_SQL(q, "SELECT " ORDER_COLUMNS " FROM physical_orders WHERE order_id = ?1");
  return one(q.bind(1, id), read_order);
}

Result<std::optional<PhysicalOrderRow>> CardOps::find_physical_order_by_card(const std::string& id) {
  CC_SQL(q, "SELECT " ORDER_COLUMNS " FROM physical_orders WHERE card_id = ?1 ORDER BY {seq} DESC LIMIT 1");
  return one(q.bind(1, id), read_order);
}

Result<bool> CardOps::update_physical_order_status(const std::string& id, OrderStatus expected_old,
                                                   OrderStatus new_status, int64_t now) {
  CC_SQL(q, "UPDATE physical_orders SET status = ?3, updated_at = ?4 WHERE order_id = ?1 AND status = ?2");
  return changed(q.bind(1, id).bind(2, order_status_code(expected_old)).bind(3, order_status_code(new_status))
                     .bind(4, now));
}

}  // namespace cardcore
