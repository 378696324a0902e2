// Column lists and row readers shared by the SQLite and PostgreSQL stores, so the two engines
// read every row the same way. A reader takes any row type with text/blob/i64/boolean/opt_i64/
// is_null by column index (sqlite::Stmt, pg::Row). Only the WHERE clauses (placeholder syntax)
// differ between engines.
#pragma once

#include "store/records.h"

namespace cardcore::rows {

// Cards read their balance from their ledger wallet (no wallet yet: zero).
#define CARD_SELECT(where)                                                                      \
  "SELECT c.card_id, c.card_account_id, c.partner_id, c.company_id, c.user_id, c.token, "       \
  "c.pan_key_id, c.pan_blob, c.pan_last4, c.pan_fingerprint, c.cvv_key_id, c.cvv_blob, "        \
  "c.expiry_month, c.expiry_year, c.status, c.card_type, c.gift, c.primary_card, "              \
  "COALESCE(w.balance_paise, 0), c.holder_name, c.mobile, c.email, c.profile_json, c.pin_hash, " \
  "c.pin_failures, c.mfa_key_id, c.mfa_blob, c.replaced_by, c.created_at, c.modified_at, "      \
  "COALESCE(w.held_paise, 0), c.mfa_failures FROM cards c LEFT JOIN ledger_accounts w "                         \
  "ON w.account_id = 'wallet:' || c.card_id " where

template <class R>
CardRow read_card(const R& s) {
  CardRow r;
  r.card_id = s.text(0); r.card_account_id = s.text(1); r.partner_id = s.text(2);
  r.company_id = s.text(3); r.user_id = s.text(4); r.token = s.text(5);
  r.pan = {s.text(6), s.blob(7)}; r.pan_last4 = s.text(8); r.pan_fingerprint = s.text(9);
  r.cvv = {s.text(10), s.blob(11)}; r.expiry_month = static_cast<int>(s.i64(12));
  r.expiry_year = static_cast<int>(s.i64(13)); r.status = s.text(14); r.card_type = s.text(15);
  r.gift = s.boolean(16); r.primary_card = s.boolean(17); r.balance_paise = s.i64(18);
  r.holder_name = s.text(19); r.mobile = s.text(20); r.email = s.text(21);
  r.profile_json = s.text(22); r.pin_hash = s.text(23);
  r.pin_failures = static_cast<int>(s.i64(24));
  if (!s.is_null(25)) r.mfa_secret = Sealed{s.text(25), s.blob(26)};
  r.replaced_by = s.text(27); r.created_at = s.i64(28); r.modified_at = s.i64(29);
  r.held_paise = s.i64(30);
  r.mfa_failures = static_cast<int>(s.i64(31));
  return r;
}

#define PARTNER_SELECT(where)                                                                    \
  "SELECT partner_id, name, mobile, webhook_url, encryption, client_id, client_secret_hash, "   \
  "payload_key_id, payload_key_blob, created_at, webhook_secret_key_id, webhook_secret_blob "     \
  "FROM partners " where

template <class R>
PartnerRow read_partner(const R& s) {
  return PartnerRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
                    Sealed{s.text(7), s.blob(8)}, s.i64(9), Sealed{s.text(10), s.blob(11)}};
}

#define USAGE_SELECT(where)                                                                      \
  "SELECT card_id, pos_allowed, online_allowed, atm_allowed, international_allowed, "           \
  "contactless_allowed, per_txn_limit_paise, dtd_paise, mtd_paise, ytd_paise, dtd_count, "      \
  "mtd_count, ytd_count, pos_daily_paise, pos_daily_count, ecom_daily_paise, ecom_daily_count, " \
  "contactless_daily_paise, contactless_daily_count, admin_user, created_by, created_on, "      \
  "modified_on FROM usage_controls " where

template <class R>
UsageControlsRow read_usage(const R& s) {
  UsageControlsRow r;
  r.card_id = s.text(0); r.pos_allowed = s.boolean(1); r.online_allowed = s.boolean(2);
  r.atm_allowed = s.boolean(3); r.international_allowed = s.boolean(4);
  r.contactless_allowed = s.boolean(5); r.per_txn_limit_paise = s.opt_i64(6);
  r.dtd_paise = s.opt_i64(7); r.mtd_paise = s.opt_i64(8); r.ytd_paise = s.opt_i64(9);
  r.dtd_count = s.opt_i64(10); r.mtd_count = s.opt_i64(11); r.ytd_count = s.opt_i64(12);
  r.pos_daily_paise = s.opt_i64(13); r.pos_daily_count = s.opt_i64(14);
  r.ecom_daily_paise = s.opt_i64(15); r.ecom_daily_count = s.opt_i64(16);
  r.contactless_daily_paise = s.opt_i64(17); r.contactless_daily_count = s.opt_i64(18);
  r.admin_user = s.boolean(19); r.created_by = s.text(20); r.created_on = s.i64(21);
  r.modified_on = s.i64(22);
  return r;
}

#define ORDER_SELECT(where)                                                                      \
  "SELECT order_id, card_id, partner_id, address, address2, city, state, country, pincode, "    \
  "status, created_at, updated_at FROM physical_orders " where

template <class R>
PhysicalOrderRow read_order(const R& s) {
  return PhysicalOrderRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                          s.text(6), s.text(7), s.text(8), s.text(9), s.i64(10), s.i64(11)};
}

#define TXN_SELECT(where)                                                                        \
  "SELECT txn_id, partner_id, company_id, card_account_id, card_id, COALESCE(entry_id, 0), "   \
  "direction, amount_paise, balance_after_paise, pg_reference, type, status, description, "    \
  "remarks, created_by, details_json, created_at, modified_at, user_id, card_last4, holder_name, " \
  "company_name FROM card_transactions " where

template <class R>
TransactionRow read_txn(const R& s) {
  TransactionRow t;
  t.txn_id = s.text(0); t.partner_id = s.text(1); t.company_id = s.text(2);
  t.card_account_id = s.text(3); t.card_id = s.text(4); t.entry_id = s.i64(5);
  t.direction = s.text(6); t.amount_paise = s.i64(7); t.balance_after_paise = s.i64(8);
  t.pg_reference = s.text(9); t.type = s.text(10); t.status = s.text(11);
  t.description = s.text(12); t.remarks = s.text(13); t.created_by = s.text(14);
  t.details_json = s.text(15); t.created_at = s.i64(16); t.modified_at = s.i64(17);
  t.user_id = s.text(18); t.card_last4 = s.text(19); t.holder_name = s.text(20);
  t.company_name = s.text(21);
  return t;
}

#define AUTH_SELECT(where)                                                                        \
  "SELECT authorization_id, partner_id, card_id, channel, international, mcc, merchant_name, "  \
  "merchant_id, source, stan, rrn, terminal_id, authorized_paise, held_paise, captured_paise, "  \
  "status, auth_code, created_at, updated_at FROM authorizations " where

template <class R>
AuthorizationRow read_auth(const R& s) {
  AuthorizationRow a;
  a.authorization_id = s.text(0); a.partner_id = s.text(1); a.card_id = s.text(2); a.channel = s.text(3);
  a.international = s.boolean(4); a.mcc = s.text(5); a.merchant_name = s.text(6); a.merchant_id = s.text(7);
  a.source = s.text(8); a.stan = s.text(9); a.rrn = s.text(10); a.terminal_id = s.text(11);
  a.authorized_paise = s.i64(12); a.held_paise = s.i64(13); a.captured_paise = s.i64(14);
  a.status = s.text(15); a.auth_code = s.text(16); a.created_at = s.i64(17); a.updated_at = s.i64(18);
  return a;
}

}  // namespace cardcore::rows
