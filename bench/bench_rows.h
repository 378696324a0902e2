// Generated rows for the store-level benchmarks (txn_page_bench, scale_fill): cards and card
// transactions of a given partner and account, with ids that are unique per index `n`.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "store/store.h"

namespace cardcore::bench {

inline std::string pad(const char* prefix, int64_t n, int width) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%0*lld", prefix, width, static_cast<long long>(n));
  return buf;
}

struct Owner {
  std::string partner_id, company_id, company_name, user_id;
};

// A card whose number is not real (the sealed blobs are placeholders): enough for lists, lookups
// by id and the space the table takes; n makes token and fingerprint unique.
inline CardRow make_card(const Owner& o, const std::string& id, const std::string& account, int64_t n,
                         int64_t created_at) {
  CardRow c;
  c.card_id = id;
  c.card_account_id = account;
  c.partner_id = o.partner_id;
  c.company_id = o.company_id;
  c.user_id = o.user_id;
  c.token = pad("tok", n, 17);
  c.pan = {"k1", "panblob"};
  c.pan_last4 = "1234";
  c.pan_fingerprint = pad("fp", n, 12);
  c.cvv = {"k1", "cvvblob"};
  c.expiry_month = 11;
  c.expiry_year = 2031;
  c.status = CardStatus::kUnlocked;
  c.card_type = "VIRTUAL";
  c.holder_name = "Asha Rao";
  c.profile_json = "{}";
  c.created_at = c.modified_at = created_at;
  return c;
}

// A card transaction without a ledger entry (a history row); `id_prefix` keeps txn and
// reference ids apart from other generators' in the same store.
inline TransactionRow make_txn(const Owner& o, const char* id_prefix, int64_t i, const std::string& account,
                               const std::string& card, int64_t amount, bool credit, int64_t created_at) {
  TransactionRow t;
  t.txn_id = pad(id_prefix, i, 9);
  t.partner_id = o.partner_id;
  t.company_id = o.company_id;
  t.card_account_id = account;
  t.card_id = card;
  t.user_id = o.user_id;
  t.card_last4 = "1234";
  t.holder_name = "Asha Rao";
  t.company_name = o.company_name;
  t.direction = credit ? "CR" : "DR";
  t.amount_paise = amount;
  t.balance_after_paise = amount;
  t.pg_reference = pad("PGR", i, 10);
  t.type = credit ? "LOAD_MONEY" : "PURCHASE";
  t.status = "SUCCESS";
  t.description = "bench row";
  t.created_by = "9000000001";
  t.details_json = "{\"txnRefNo\":\"" + t.pg_reference +
                   "\",\"transactionType\":\"LOAD\",\"channel\":\"API\",\"txnCurrency\":\"356\"}";
  t.created_at = t.modified_at = created_at;
  return t;
}

}  // namespace cardcore::bench
