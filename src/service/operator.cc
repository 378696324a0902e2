#include "service/operator.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "domain/ledger.h"
#include "domain/pan.h"
#include "domain/validate.h"
#include "security/crypto.h"
#include "service/common.h"

namespace cardcore::admin {
namespace {

constexpr size_t kMaxReasonLen = 256;
constexpr size_t kMaxCardWebhooks = 20;
constexpr size_t kMaxOpenAuthorizations = 100;
constexpr size_t kMaxWebhookProblems = 20;

std::string digest(const std::string& secret) { return crypto::token_digest(secret); }

// The status machine names the partner API's field; the console's is `status`.
Result<bool> check_move(CardStatus current, CardStatus requested) {
  auto r = check_requested_move(current, requested);
  if (!r && r.error().field == "blockCode") {
    Error e = r.error();
    e.field = "status";
    if (e.message.rfind("blockCode:", 0) == 0) e.message = "status:" + e.message.substr(10);
    return std::unexpected(e);
  }
  return r;
}

Status check_reason(const std::string& reason) {
  if (reason.empty()) return invalid_param("reason", "is required");
  if (!validate::printable(reason, kMaxReasonLen)) {
    return invalid_param("reason", "must be printable text of at most " + std::to_string(kMaxReasonLen) + " characters");
  }
  return {};
}

// 13 to 19 digits that pass the Luhn check once spaces and dashes are taken out: a card number,
// which the search never takes (an RRN or a bank reference of 12 digits is searched).
bool looks_like_card_number(const std::string& query) {
  std::string d;
  for (char c : query) {
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9') return false;
    d += c;
  }
  return d.size() >= 13 && d.size() <= 19 && pan::luhn_valid(d);
}

Status require_id(const std::string& value, const char* field) {
  if (value.empty()) return invalid_param(field, "is required");
  return {};
}

Status audit_admin(Tx& tx, const std::string& partner_id, const std::string& actor, const std::string& action,
                   const std::string& object_id, nlohmann::json detail, int64_t now) {
  detail["channel"] = "ADMIN";
  return tx.insert_audit({0, now, partner_id, actor, action, object_id, detail.dump()});
}

Result<CardRow> find_card(Tx& tx, const std::string& card_id) {
  CC_ASSIGN_OR_RETURN(std::optional<CardRow> c, tx.find_card(card_id));
  if (!c) return invalid_id("enKashCardId");
  return *c;
}

Result<AccountLine> account_line(Tx& tx, CardAccountRow account) {
  AccountLine line;
  CC_ASSIGN_OR_RETURN(LedgerBalance pool, tx.ledger_balance(ledger::pool_account(account.card_account_id)));
  line.pool_balance_paise = pool.available_paise();
  CC_ASSIGN_OR_RETURN(line.cards, tx.count_cards(account.card_account_id));
  line.account = std::move(account);
  return line;
}

size_t page_size(size_t limit, size_t max) { return std::clamp<size_t>(limit, 1, max); }

}  // namespace

Result<ConsoleLogin> start_console_session(const Context& ctx) {
  ConsoleLogin out;
  out.token = crypto::random_hex(32);
  out.csrf_token = crypto::random_hex(32);
  int64_t now = ctx.now();
  out.expires_at = now + ctx.config.console_session_seconds;
  out.lifetime_seconds = ctx.config.console_session_seconds;
  CC_RETURN_IF_ERROR(transact(ctx.store, [&](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(tx.delete_expired_console_sessions(now));
    CC_RETURN_IF_ERROR(tx.insert_console_session({digest(out.token), digest(out.csrf_token), now, out.expires_at, std::nullopt}));
    return audit_admin(tx, "", "console:" + digest(out.token).substr(0, 12), "console.login", "", {}, now);
  }));
  return out;
}

Result<std::string> check_console_session(const Context& ctx, const std::string& token, const std::string& csrf_token) {
  if (token.empty()) return fail(code::kUnauthenticated, "session: not logged in", "session");
  const std::string hash = digest(token);
  int64_t now = ctx.now();
  CC_ASSIGN_OR_RETURN(std::optional<ConsoleSessionRow> s,
                      transact_read(ctx.store, [&](Tx& tx) { return tx.find_console_session(hash); }));
  if (!s || s->ended_at || s->expires_at <= now) {
    return fail(code::kUnauthenticated, "session: not logged in, logged out or expired", "session");
  }
  if (csrf_token.empty() || !crypto::constant_time_equal(digest(csrf_token), s->csrf_hash)) {
    return fail(code::kCsrfRejected, "X-CSRF-Token: missing or not this session's", "X-CSRF-Token");
  }
  return "console:" + hash.substr(0, 12);
}

Status end_console_session(const Context& ctx, const std::string& token) {
  if (token.empty()) return {};
  const std::string hash = digest(token);
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Status {
    CC_ASSIGN_OR_RETURN(bool ended, tx.end_console_session(hash, now));
    if (!ended) return {};
    return audit_admin(tx, "", "console:" + hash.substr(0, 12), "console.logout", "", {}, now);
  });
}

Result<CardSearchPage> search_cards(const Context& ctx, const std::string& query, const std::string& by,
                                    const std::string& after, size_t limit) {
  if (query.empty()) return invalid_param("query", "is required");
  if (!validate::printable(query, 128)) return invalid_param("query", "must be printable text of at most 128 characters");
  CardSearch s;
  s.query = query;
  s.after = after;
  s.limit = page_size(limit, 100) + 1;  // one more tells whether there is a next page
  const bool digits = std::all_of(query.begin(), query.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (looks_like_card_number(query)) {
    return invalid_param("query", "a card number is never searched (nor kept); use its last 4 digits");
  }
  if (by.empty() || by == "ANY") {
    s.by_last4 = digits && query.size() == 4;
    s.by_mobile = digits && query.size() == 10;
    s.by_card = s.by_account = s.by_company = s.by_reference = true;
  } else if (by == "LAST4") {
    if (!digits || query.size() != 4) return invalid_param("query", "must be the last 4 digits of a card number");
    s.by_last4 = true;
  } else if (by == "MOBILE") {
    if (!validate::mobile(query)) return invalid_param("query", "must be a 10-digit mobile number");
    s.by_mobile = true;
  } else if (by == "CARD") {
    s.by_card = true;
  } else if (by == "ACCOUNT") {
    s.by_account = true;
  } else if (by == "COMPANY") {
    s.by_company = true;
  } else if (by == "REFERENCE") {
    s.by_reference = true;
  } else {
    return invalid_param("by", "must be ANY, LAST4, MOBILE, CARD, ACCOUNT, COMPANY or REFERENCE");
  }
  CC_ASSIGN_OR_RETURN(std::vector<CardRow> rows, transact_read(ctx.store, [&](Tx& tx) { return tx.search_cards(s); }));
  CardSearchPage page;
  if (rows.size() == s.limit) {
    rows.pop_back();
    page.next = rows.back().card_id;
  }
  page.cards = std::move(rows);
  return page;
}

Result<CardDetail> card_detail(const Context& ctx, const std::string& card_id) {
  CC_RETURN_IF_ERROR(require_id(card_id, "enKashCardId"));
  CC_ASSIGN_OR_RETURN(CardDetail d, transact_read(ctx.store, [&](Tx& tx) -> Result<CardDetail> {
    CardDetail d;
    CC_ASSIGN_OR_RETURN(d.card, find_card(tx, card_id));
    CC_ASSIGN_OR_RETURN(std::optional<CardAccountRow> acc, tx.find_card_account(d.card.card_account_id));
    if (!acc) return internal_error("card " + card_id + " without its card account");
    d.account = *acc;
    CC_ASSIGN_OR_RETURN(d.changes, tx.list_status_changes(card_id));
    CC_ASSIGN_OR_RETURN(d.open_authorizations, tx.list_open_authorizations(card_id, kMaxOpenAuthorizations));
    CC_ASSIGN_OR_RETURN(d.order, tx.find_physical_order_by_card(card_id));
    CC_ASSIGN_OR_RETURN(d.webhooks, tx.list_card_webhook_events(card_id, kMaxCardWebhooks));
    return d;
  }));
  // The controls and the use of the IST windows, as the card's partner sees them.
  CC_ASSIGN_OR_RETURN(d.usage, cards::get_usage_controls(ctx, Principal{d.card.partner_id, "admin", ""},
                                                         CardRef{d.card.company_id, d.card.card_account_id, card_id}));
  return d;
}

Result<TransactionPage> card_transactions(const Context& ctx, const std::string& card_id, size_t offset, size_t limit) {
  CC_RETURN_IF_ERROR(require_id(card_id, "enKashCardId"));
  return transact_read(ctx.store, [&](Tx& tx) -> Result<TransactionPage> {
    CC_ASSIGN_OR_RETURN(CardRow card, find_card(tx, card_id));
    TransactionFilter f;
    f.partner_id = card.partner_id;
    f.card_account_id = card.card_account_id;
    f.card_id = card_id;
    f.offset = offset;
    f.limit = page_size(limit, 100);
    return tx.list_transactions(f);
  });
}

Result<CardRow> set_card_status(const Context& ctx, const std::string& actor, const std::string& card_id,
                                const std::string& status, const std::string& reason) {
  CC_RETURN_IF_ERROR(require_id(card_id, "enKashCardId"));
  std::optional<CardStatus> to = parse_status_code(status);
  if (!to || *to == CardStatus::kActivationInProgress) return invalid_param("status", "must be L, UL or BL");
  CC_RETURN_IF_ERROR(check_reason(reason));
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Result<CardRow> {
    CC_ASSIGN_OR_RETURN(CardRow card, find_card(tx, card_id));
    CC_ASSIGN_OR_RETURN(bool changes, check_move(card.status, *to));
    if (changes) {
      CC_ASSIGN_OR_RETURN(bool moved, tx.update_card_status(card_id, card.status, *to, now));
      if (!moved) {
        // A racing change came first (PostgreSQL's READ COMMITTED read the old status, then
        // waited on the row): when it left the card as asked, this request succeeds unchanged.
        CC_ASSIGN_OR_RETURN(CardRow latest, find_card(tx, card_id));
        CC_ASSIGN_OR_RETURN(bool still_changes, check_move(latest.status, *to));
        if (still_changes) return fail(code::kStatusTransition, "status: the card's status changed meanwhile; retry", "status");
        changes = false;
        card = latest;
      } else {
        CC_RETURN_IF_ERROR(svc::record_status_change(tx, card, card.status, *to, reason, ChangeChannel::kAdmin, actor, now));
      }
    }
    CC_RETURN_IF_ERROR(audit_admin(tx, card.partner_id, actor, "card.status", card_id,
                                   {{"from", status_code(card.status)}, {"to", status_code(*to)}, {"reason", reason},
                                    {"changed", changes}},
                                   now));
    card.status = *to;
    return card;
  });
}

Result<CardRow> unlock_pin(const Context& ctx, const std::string& actor, const std::string& card_id,
                           const std::string& reason) {
  CC_RETURN_IF_ERROR(require_id(card_id, "enKashCardId"));
  CC_RETURN_IF_ERROR(check_reason(reason));
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Result<CardRow> {
    CC_ASSIGN_OR_RETURN(CardRow card, find_card(tx, card_id));
    if (card.status == CardStatus::kBlocked) {
      return fail(code::kCardBlocked, "enKashCardId: card is permanently blocked", "enKashCardId");
    }
    if (card.pin_failures < authz::kMaxPinFailures) {
      return fail(code::kStatusTransition,
                  "enKashCardId: the PIN is not locked (" + std::to_string(card.pin_failures) + " wrong tries)",
                  "enKashCardId");
    }
    CC_ASSIGN_OR_RETURN(bool cleared, tx.clear_pin_failures(card_id, card.pin_failures, now));
    if (!cleared) return fail(code::kStatusTransition, "enKashCardId: wrong PINs were counted meanwhile; retry", "enKashCardId");
    CC_RETURN_IF_ERROR(audit_admin(tx, card.partner_id, actor, "card.pin_unlock", card_id,
                                   {{"wrongPinsBefore", card.pin_failures}, {"reason", reason}}, now));
    card.pin_failures = 0;
    return card;
  });
}

Result<CompanyPage> list_companies(const Context& ctx, const std::string& after, size_t limit) {
  size_t n = page_size(limit, 100);
  CC_ASSIGN_OR_RETURN(std::vector<CompanyRow> rows,
                      transact_read(ctx.store, [&](Tx& tx) { return tx.list_companies(after, n + 1); }));
  CompanyPage page;
  if (rows.size() > n) {
    rows.pop_back();
    page.next = rows.back().company_id;
  }
  page.companies = std::move(rows);
  return page;
}

Result<CompanyDetail> company_detail(const Context& ctx, const std::string& company_id, const std::string& after,
                                     size_t limit) {
  CC_RETURN_IF_ERROR(require_id(company_id, "companyId"));
  size_t n = page_size(limit, 100);
  return transact_read(ctx.store, [&](Tx& tx) -> Result<CompanyDetail> {
    CompanyDetail d;
    CC_ASSIGN_OR_RETURN(std::optional<CompanyRow> c, tx.find_company(company_id));
    if (!c) return invalid_id("companyId");
    d.company = *c;
    CC_ASSIGN_OR_RETURN(std::optional<PartnerRow> p, tx.find_partner(c->partner_id));
    if (p) d.partner_name = p->name;
    CC_ASSIGN_OR_RETURN(std::vector<CardAccountRow> accounts, tx.list_company_accounts(company_id, after, n + 1));
    if (accounts.size() > n) {
      accounts.pop_back();
      d.next = accounts.back().card_account_id;
    }
    for (CardAccountRow& a : accounts) {
      CC_ASSIGN_OR_RETURN(AccountLine line, account_line(tx, std::move(a)));
      d.accounts.push_back(std::move(line));
    }
    return d;
  });
}

Result<AccountDetail> account_detail(const Context& ctx, const std::string& card_account_id, size_t limit) {
  CC_RETURN_IF_ERROR(require_id(card_account_id, "cardAccountId"));
  return transact_read(ctx.store, [&](Tx& tx) -> Result<AccountDetail> {
    CC_ASSIGN_OR_RETURN(std::optional<CardAccountRow> acc, tx.find_card_account(card_account_id));
    if (!acc) return invalid_id("cardAccountId");
    AccountDetail d;
    CC_ASSIGN_OR_RETURN(d.line, account_line(tx, *acc));
    CC_ASSIGN_OR_RETURN(d.cards, tx.list_cards(card_account_id, page_size(limit, 500)));
    return d;
  });
}

Result<Activity> activity(const Context& ctx) {
  Activity a;
  a.now = ctx.now();
  a.hour_bucket_seconds = 300;   // 12 buckets of 5 minutes
  a.hour_buckets = 12;
  a.day_bucket_seconds = 3600;   // 24 buckets of an hour
  a.day_buckets = 24;
  a.hour_from = a.now - 3600 + 1;
  a.day_from = a.now - 86400 + 1;
  return transact_read(ctx.store, [&](Tx& tx) -> Result<Activity> {
    CC_ASSIGN_OR_RETURN(a.hour, tx.count_decisions(a.hour_from, a.hour_bucket_seconds, a.hour_buckets));
    CC_ASSIGN_OR_RETURN(a.day, tx.count_decisions(a.day_from, a.day_bucket_seconds, a.day_buckets));
    CC_ASSIGN_OR_RETURN(a.webhooks, tx.webhook_backlog());
    CC_ASSIGN_OR_RETURN(a.webhook_problems, tx.list_webhook_problems(kMaxWebhookProblems));
    return a;
  });
}

}  // namespace cardcore::admin
