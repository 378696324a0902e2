// The operator console's use cases behind the admin API (docs/console.md): its sessions, finding
// a card, the card page and the actions on it, companies and accounts, and the activity view.
// The issuer's operator sees every partner's data; each action is audited with channel ADMIN and
// the session that did it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "service/cards.h"
#include "service/context.h"

namespace cardcore::admin {

// ---- Sessions
// What the browser gets at login: the session token (an HttpOnly cookie) and the CSRF token (a
// cookie the page reads and sends back in X-CSRF-Token). The store keeps their digests only.
struct ConsoleLogin {
  std::string token, csrf_token;
  int64_t expires_at = 0;
  int64_t lifetime_seconds = 0;  // expires_at less the time it started: the cookie's Max-Age
};
// Starts a session; the caller has checked the admin key.
Result<ConsoleLogin> start_console_session(const Context& ctx);
// The session the cookie names, live and matching the CSRF token: the actor name audit rows
// carry ("console:" and a digest prefix that names the session, never its token). Otherwise
// kUnauthenticated (no such session, ended, expired) or kCsrfRejected (CSRF token wrong).
Result<std::string> check_console_session(const Context& ctx, const std::string& token, const std::string& csrf_token);
// Logout: the session ends at once (its cookie is refused from now on).
Status end_console_session(const Context& ctx, const std::string& token);

// ---- Finding cards
// `by` is ANY (every key the query can be: 4 digits the last 4, 10 digits a mobile, and always
// a card, account or company id, a part of a company name, a transaction reference) or one of
// LAST4, MOBILE, CARD, ACCOUNT, COMPANY, REFERENCE.
struct CardSearchPage {
  std::vector<CardRow> cards;
  std::string next;  // the `after` of the next page; empty on the last
};
Result<CardSearchPage> search_cards(const Context& ctx, const std::string& query, const std::string& by,
                                    const std::string& after, size_t limit);

// ---- The card page
struct CardDetail {
  CardRow card;
  CardAccountRow account;
  std::vector<StatusChangeRow> changes;
  std::vector<AuthorizationRow> open_authorizations;
  cards::UsageReport usage;
  std::optional<PhysicalOrderRow> order;
  std::vector<WebhookEventRow> webhooks;  // newest first
};
Result<CardDetail> card_detail(const Context& ctx, const std::string& card_id);
Result<TransactionPage> card_transactions(const Context& ctx, const std::string& card_id, size_t offset, size_t limit);

// Lock (L), unlock (UL) or block for good (BL), by the status machine's rules; the reason is
// required and recorded in the card's history with channel ADMIN.
Result<CardRow> set_card_status(const Context& ctx, const std::string& actor, const std::string& card_id,
                                const std::string& status, const std::string& reason);
// Clears the wrong-PIN count of a card whose PIN is locked (3 wrong tries); refused when it is
// not, or when a wrong PIN is counted meanwhile.
Result<CardRow> unlock_pin(const Context& ctx, const std::string& actor, const std::string& card_id,
                           const std::string& reason);

// ---- Companies and accounts
struct CompanyPage {
  std::vector<CompanyRow> companies;
  std::string next;
};
Result<CompanyPage> list_companies(const Context& ctx, const std::string& after, size_t limit);

struct AccountLine {
  CardAccountRow account;
  int64_t pool_balance_paise = 0;
  int64_t cards = 0;
};
struct CompanyDetail {
  CompanyRow company;
  std::string partner_name;
  std::vector<AccountLine> accounts;
  std::string next;  // more accounts after this id
};
Result<CompanyDetail> company_detail(const Context& ctx, const std::string& company_id, const std::string& after,
                                     size_t limit);

struct AccountDetail {
  AccountLine line;
  std::vector<CardRow> cards;  // oldest first, at most the page
};
Result<AccountDetail> account_detail(const Context& ctx, const std::string& card_account_id, size_t limit);

// ---- Activity
struct Activity {
  int64_t now = 0;
  int64_t hour_from = 0, hour_bucket_seconds = 0, hour_buckets = 0;  // the last hour in buckets
  int64_t day_from = 0, day_bucket_seconds = 0, day_buckets = 0;     // the last day in buckets
  std::vector<DecisionCount> hour, day;
  WebhookBacklog webhooks;
  std::vector<WebhookEventRow> webhook_problems;  // newest first
};
Result<Activity> activity(const Context& ctx);

}  // namespace cardcore::admin
