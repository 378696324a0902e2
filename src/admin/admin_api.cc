#include "admin/admin_api.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "api/envelope.h"
#include "service/views.h"
#include "domain/clock.h"
#include "http/json_body.h"
#include "security/crypto.h"
#include "service/admin.h"
#include "service/balances.h"
#include "service/kyc.h"
#include "service/operator.h"

namespace cardcore::api {
namespace {

using namespace views;  // NOLINT: the JSON shapes

using http::JsonBody;
using nlohmann::json;

#define TRY_FIELD(lhs, expr) CC_ASSIGN_OR_RETURN_IMPL(CC_CONCAT(field_, __LINE__), lhs, expr)

// `actor`: who acts, for the audit trail ("admin" with the key, "console:…" in a console session).
using AdminFn = Result<json> (*)(const Context&, const std::string& actor, const JsonBody&);

constexpr std::string_view kSessionCookie = "cardcore_session";
constexpr std::string_view kCsrfCookie = "cardcore_csrf";

Result<json> create_partner(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  admin::NewPartner r;
  TRY_FIELD(r.name, b.str("name", 128));
  TRY_FIELD(r.mobile, b.str("mobile", 16, true));
  TRY_FIELD(r.webhook_url, b.str("webhookUrl", 2048));
  TRY_FIELD(r.encryption, b.str("encryption", 16));
  TRY_FIELD(admin::PartnerCredentials c, admin::create_partner(ctx, r));
  return json{{"partnerId", c.partner_id},   {"companyId", c.company_id}, {"companyName", c.company_name},
              {"clientId", c.client_id},     {"clientSecret", c.client_secret},
              {"username", c.username},      {"password", c.password},
              {"planMasterId", c.plan_master_id}, {"webhookSecret", c.webhook_secret}};
}

Result<json> create_company(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string partner_id, b.str("partnerId", 32));
  TRY_FIELD(std::string name, b.str("name", 128));
  TRY_FIELD(CompanyRow c, admin::create_company(ctx, partner_id, name));
  return json{{"companyId", c.company_id}, {"partnerId", c.partner_id}, {"companyName", c.name},
              {"createdOn", clock::format_ist(c.created_at)}};
}

// kycRules of a plan: absent or null = the RBI defaults, "NONE" = outside the PPI directions, or
// {MIN, FULL, GIFT} objects whose fields override the defaults (rupees; null = no limit).
Result<ppi::Program> read_kyc_rules(const JsonBody& b) {
  const json& all = b.json();
  auto it = all.find("kycRules");
  if (it == all.end() || it->is_null()) return ppi::Program{};
  if (it->is_string() && it->get<std::string>() == "NONE") return ppi::Program{false, ppi::rbi_defaults()};
  if (!it->is_object()) return invalid_param("kycRules", "must be \"NONE\" or an object with MIN, FULL and GIFT rules");
  ppi::Program program;
  for (const auto& [level, value] : it->items()) {
    ppi::LevelRules* l = level == "MIN" ? &program.rules.min : level == "FULL" ? &program.rules.full
                       : level == "GIFT" ? &program.rules.gift : nullptr;
    const std::string where = "kycRules." + level.substr(0, 16);
    if (!l) return invalid_param(where, "is not a rule set (MIN, FULL or GIFT)");
    if (!value.is_object()) return invalid_param(where, "must be an object");
    // Field errors name the whole path: "kycRules.MIN.maxBalance: ...".
    auto named = [&](Error e) { return fail(e.code, where + "." + e.message, where + "." + e.field); };
    JsonBody rules(value);
    static constexpr std::pair<const char*, std::optional<int64_t> ppi::LevelRules::*> kAmounts[] = {
        {"maxBalance", &ppi::LevelRules::max_balance},       {"monthlyLoadLimit", &ppi::LevelRules::monthly_load},
        {"yearlyLoadLimit", &ppi::LevelRules::yearly_load},  {"monthlyDebitLimit", &ppi::LevelRules::monthly_debit},
        {"cashPerTxnLimit", &ppi::LevelRules::cash_per_txn}, {"monthlyCashLimit", &ppi::LevelRules::monthly_cash}};
    for (const auto& [key, _] : value.items()) {
      bool known = key == "cashAllowed" || key == "monthlyCashCountLimit";
      for (const auto& [name, member] : kAmounts) known = known || key == name;
      if (!known) return invalid_param(where + "." + key.substr(0, 32), "is not a rule (see docs/api.md, kycRules)");
    }
    for (const auto& [name, member] : kAmounts) {
      auto v = rules.amount_tri(name);
      if (!v) return named(v.error());
      if (*v && **v && ***v < 0) return invalid_param(where + "." + name, "must not be negative");
      if (*v) l->*member = **v;
    }
    auto count = rules.count_tri("monthlyCashCountLimit");
    if (!count) return named(count.error());
    if (*count) l->monthly_cash_count = **count;
    auto cash = rules.boolean("cashAllowed");
    if (!cash) return named(cash.error());
    if (*cash) l->cash_allowed = **cash;
  }
  return program;
}

// fees of a plan: absent or null = none; else {issuance, replacement, physicalCard, atmWithdrawal
// (rupees), load {percent, fixed}, gstPercent (default 18)}; a percentage has at most 2 decimals.
Result<fees::Schedule> read_fees(const JsonBody& b) {
  const json& all = b.json();
  auto it = all.find("fees");
  fees::Schedule s;
  if (it == all.end() || it->is_null()) return s;
  if (!it->is_object()) return invalid_param("fees", "must be an object (issuance, replacement, physicalCard, load, atmWithdrawal, gstPercent)");
  static constexpr std::string_view kKeys[] = {"issuance", "replacement", "physicalCard", "load", "atmWithdrawal", "gstPercent"};
  for (const auto& [key, _] : it->items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return invalid_param("fees." + key.substr(0, 32), "is not a fee (issuance, replacement, physicalCard, load, atmWithdrawal, gstPercent)");
    }
  }
  // A field's error names its whole path ("fees.load.percent: ...").
  auto read = [](const JsonBody& body, const std::string& where, const char* key, bool percent) -> Result<std::optional<int64_t>> {
    auto v = body.amount_paise(key);
    if (!v) return fail(v.error().code, where + v.error().message, where + v.error().field);
    if (*v && **v < 0) return invalid_param(where + key, "must not be negative");
    if (*v && percent && **v > fees::kBasisPoints) return invalid_param(where + key, "must be at most 100 (percent)");
    return *v;
  };
  JsonBody f(*it);
  for (const auto& [key, member] : {std::pair{"issuance", &fees::Schedule::issuance},
                                    std::pair{"replacement", &fees::Schedule::replacement},
                                    std::pair{"physicalCard", &fees::Schedule::physical_card},
                                    std::pair{"atmWithdrawal", &fees::Schedule::atm_withdrawal}}) {
    TRY_FIELD(std::optional<int64_t> v, read(f, "fees.", key, false));
    if (v) s.*member = *v;
  }
  // Percentages read like rupees: 2 decimals, so 18 -> 1800 basis points.
  TRY_FIELD(std::optional<int64_t> gst, read(f, "fees.", "gstPercent", true));
  if (gst) s.gst_bp = *gst;
  auto load = it->find("load");
  if (load != it->end() && !load->is_null()) {
    if (!load->is_object()) return invalid_param("fees.load", "must be an object (percent, fixed)");
    for (const auto& [key, _] : load->items()) {
      if (key != "percent" && key != "fixed") return invalid_param("fees.load." + key.substr(0, 32), "is not a load fee (percent, fixed)");
    }
    JsonBody l(*load);
    TRY_FIELD(std::optional<int64_t> percent, read(l, "fees.load.", "percent", true));
    TRY_FIELD(std::optional<int64_t> fixed, read(l, "fees.load.", "fixed", false));
    s.load_bp = percent.value_or(0);
    s.load_fixed = fixed.value_or(0);
  }
  return s;
}

json fees_json(const fees::Schedule& s) {
  auto percent = [](int64_t bp) { return rupees_json(bp); };  // basis points print as a percentage
  return {{"issuance", rupees_json(s.issuance)},
          {"replacement", rupees_json(s.replacement)},
          {"physicalCard", rupees_json(s.physical_card)},
          {"load", {{"percent", percent(s.load_bp)}, {"fixed", rupees_json(s.load_fixed)}}},
          {"atmWithdrawal", rupees_json(s.atm_withdrawal)},
          {"gstPercent", percent(s.gst_bp)}};
}

Result<json> create_plan(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  admin::NewPlan r;
  TRY_FIELD(r.partner_id, b.str("partnerId", 32));
  TRY_FIELD(r.name, b.str("name", 128));
  TRY_FIELD(r.bin, b.str("bin", 8, true));
  TRY_FIELD(r.validity_years, b.count("validityYears"));
  TRY_FIELD(r.max_balance_paise, b.amount_paise("maxCardBalance"));
  TRY_FIELD(std::optional<bool> gift, b.boolean("gift"));
  r.gift = gift.value_or(false);
  TRY_FIELD(r.program, read_kyc_rules(b));
  TRY_FIELD(r.fees, read_fees(b));
  TRY_FIELD(PlanRow p, admin::create_plan(ctx, r));
  return json{{"planMasterId", p.plan_master_id}, {"partnerId", p.partner_id}, {"name", p.name},
              {"bin", p.bin}, {"validityYears", p.validity_years},
              {"maxCardBalance", rupees_json(p.max_balance_paise)}, {"gift", p.gift},
              {"kycRules", program_json(r.program)}, {"fees", fees_json(r.fees)}};
}

// The issuer's compliance team records a completed KYC (MIN -> FULL).
Result<json> card_kyc(const Context& ctx, const std::string& actor, const JsonBody& b) {
  kyc::Upgrade u;
  TRY_FIELD(u.card_id, b.str("enKashCardId", 32));
  TRY_FIELD(u.level, b.str("kycLevel", 16));
  TRY_FIELD(u.reference, b.str("reference", 64, true));
  u.actor = actor;
  u.channel = "ADMIN";
  TRY_FIELD(kyc::UpgradeResult r, kyc::record_full_kyc(ctx, u));
  json out = card_json(r.card);
  out["kycReference"] = r.card.kyc_reference;
  out["kycUpdated"] = r.changed;
  return out;
}

Result<json> enroll_mfa(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(admin::MfaEnrollment e, admin::enroll_mfa(ctx, card_id));
  return json{{"enKashCardId", e.card_id}, {"secret", e.secret_base32}, {"otpauthUri", e.otpauth_uri}};
}

Result<json> unlock_login(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string username, b.str("username", 32, true));
  CC_RETURN_IF_ERROR(admin::unlock_login(ctx, username));
  return json("Success");
}

Result<json> advance_order(const Context& ctx, const std::string& actor, const JsonBody& b) {
  TRY_FIELD(std::string order_id, b.str("orderId", 32));
  TRY_FIELD(std::string status, b.str("status", 16));
  TRY_FIELD(std::string reason, b.str("reason", 256));
  TRY_FIELD(PhysicalOrderRow o, admin::advance_order(ctx, order_id, status, actor, reason));
  return order_json(o);
}

json status_changes_json(const std::vector<StatusChangeRow>& rows) {
  json changes = json::array();
  for (const StatusChangeRow& c : rows) {
    changes.push_back({{"from", c.old_status ? status_code(*c.old_status) : ""},
                       {"to", status_code(c.new_status)},
                       {"reason", c.reason},
                       {"channel", channel_code(c.channel)},
                       {"actor", c.actor},
                       {"at", clock::format_ist(c.at)}});
  }
  return changes;
}

Result<json> card_history(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(admin::CardHistory h, admin::card_history(ctx, card_id));
  return json{{"card", card_json(h.card)}, {"statusChanges", status_changes_json(h.changes)}};
}

Result<json> audit_trail(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string partner_id, b.str("partnerId", 32));
  TRY_FIELD(std::string object_id, b.str("objectId", 32));
  TRY_FIELD(std::optional<int64_t> before, b.count("beforeId"));
  TRY_FIELD(std::optional<int64_t> limit, b.count("limit"));
  int64_t n = std::clamp<int64_t>(limit.value_or(100), 1, 500);
  TRY_FIELD(std::vector<AuditRow> rows, admin::audit_trail(ctx, partner_id, object_id, before.value_or(0),
                                                            static_cast<size_t>(n)));
  json out = json::array();
  for (const AuditRow& r : rows) {
    out.push_back({{"id", r.id}, {"at", clock::format_ist(r.at)}, {"partnerId", r.partner_id},
                   {"actor", r.actor}, {"action", r.action}, {"objectId", r.object_id},
                   {"detail", json::parse(r.detail, nullptr, false)}});
  }
  return json{{"entries", out}};
}

Result<json> fund_account(const Context& ctx, const std::string& actor, const JsonBody& b) {
  TRY_FIELD(std::string company_id, b.str("companyId", 32));
  TRY_FIELD(std::string account_id, b.str("cardAccountId", 32));
  TRY_FIELD(std::optional<int64_t> amount, b.amount_paise("amount"));
  TRY_FIELD(std::string reference, b.str("reference", 64, true));
  TRY_FIELD(balances::FundResult r, balances::fund(ctx, company_id, account_id, amount, reference, actor));
  return json{{"cardAccountId", account_id}, {"reference", reference}, {"entryId", r.entry_id},
              {"availableBalance", rupees_json(r.pool_balance_paise)}};
}

Result<json> webhook_secret(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string partner_id, b.str("partnerId", 32));
  TRY_FIELD(std::optional<bool> rotate, b.boolean("rotate"));
  TRY_FIELD(std::string secret, admin::webhook_secret(ctx, partner_id, rotate.value_or(false)));
  return json{{"partnerId", partner_id}, {"webhookSecret", secret}};
}

Result<json> webhook_url(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string partner_id, b.str("partnerId", 32));
  TRY_FIELD(std::string url, b.str("webhookUrl", 2048));
  CC_RETURN_IF_ERROR(admin::set_webhook_url(ctx, partner_id, url));
  return json{{"partnerId", partner_id}, {"webhookUrl", url}};
}

// ---- The operator console's reads and card actions (service/operator.h).

// A page size from the body: `limit`, 1..max, else `fallback`.
Result<size_t> page_limit(const JsonBody& b, int64_t fallback, int64_t max) {
  TRY_FIELD(std::optional<int64_t> limit, b.count("limit"));
  if (limit && (*limit < 1 || *limit > max)) return invalid_param("limit", "must be 1 to " + std::to_string(max));
  return static_cast<size_t>(limit.value_or(fallback));
}

json operator_card_json(const CardRow& c) {
  json j = card_json(c);
  j["balance"] = rupees_json(c.balance_paise);
  j["heldAmount"] = rupees_json(c.held_paise);
  j["availableBalance"] = rupees_json(c.balance_paise - c.held_paise);
  j["mobile"] = c.mobile;
  j["wrongPinCount"] = c.pin_failures;
  j["pinLocked"] = c.pin_failures >= authz::kMaxPinFailures;
  return j;
}

json cards_json(const std::vector<CardRow>& cards) {
  json out = json::array();
  for (const CardRow& c : cards) out.push_back(operator_card_json(c));
  return out;
}

json next_json(const std::string& next) { return next.empty() ? json(nullptr) : json(next); }

Result<json> search(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string query, b.str("query", 128));
  TRY_FIELD(std::string by, b.str("by", 16));
  TRY_FIELD(std::string after, b.str("after", 32));
  TRY_FIELD(size_t limit, page_limit(b, 20, 100));
  TRY_FIELD(admin::CardSearchPage page, admin::search_cards(ctx, query, by, after, limit));
  return json{{"cards", cards_json(page.cards)}, {"next", next_json(page.next)}};
}

json webhook_event_json(const WebhookEventRow& e) {
  return {{"eventId", e.event_id},     {"type", e.type},
          {"partnerId", e.partner_id}, {"enKashCardId", e.card_id},
          {"state", e.state},          {"attempts", e.attempts},
          {"lastError", e.last_error}, {"createdOn", clock::format_ist(e.created_at)},
          {"nextAttemptOn", e.state == "PENDING" ? json(clock::format_ist(e.next_attempt_at)) : json(nullptr)}};
}

Result<json> card_detail(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(admin::CardDetail d, admin::card_detail(ctx, card_id));
  const int64_t now = ctx.now();
  json holds = json::array();
  for (const AuthorizationRow& a : d.open_authorizations) {
    holds.push_back({{"authorizationId", a.authorization_id},
                     {"heldAmount", rupees_json(a.held_paise)},
                     {"authorizedAmount", rupees_json(a.authorized_paise)},
                     {"merchantName", a.merchant_name},
                     {"mcc", a.mcc},
                     {"channel", authz::channel_name(a.channel)},
                     {"source", a.source},
                     {"createdOn", clock::format_ist(a.created_at)},
                     {"ageSeconds", std::max<int64_t>(0, now - a.created_at)}});
  }
  json webhooks = json::array();
  for (const WebhookEventRow& e : d.webhooks) webhooks.push_back(webhook_event_json(e));
  const UsageTotals& u = d.usage.used;
  return json{{"card", operator_card_json(d.card)},
              {"account", account_json(d.account)},
              {"statusChanges", status_changes_json(d.changes)},
              {"openAuthorizations", holds},
              {"usageControls", usage_json(d.usage.controls)},
              {"used", {{"today", {{"amount", rupees_json(u.day_paise)}, {"count", u.day_count}}},
                        {"thisMonth", {{"amount", rupees_json(u.month_paise)}, {"count", u.month_count}}},
                        {"thisYear", {{"amount", rupees_json(u.year_paise)}, {"count", u.year_count}}}}},
              {"physicalOrder", d.order ? order_json(*d.order) : json(nullptr)},
              {"webhookDeliveries", webhooks}};
}

Result<json> card_transactions(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(std::optional<int64_t> offset, b.count("offset"));
  TRY_FIELD(size_t limit, page_limit(b, 20, 100));
  TRY_FIELD(TransactionPage page, admin::card_transactions(ctx, card_id, static_cast<size_t>(offset.value_or(0)), limit));
  json rows = json::array();
  for (const TransactionRow& t : page.rows) {
    json j = transaction_json(t);
    j["responseCode"] = t.response_code.empty() ? json(nullptr) : json(t.response_code);
    j["responseMeaning"] = t.response_code.empty() ? json(nullptr) : json(authz::response_code_meaning(t.response_code));
    rows.push_back(std::move(j));
  }
  return json{{"transactions", rows}, {"total", page.total}, {"totalCapped", page.total_capped}};
}

Result<json> card_status(const Context& ctx, const std::string& actor, const JsonBody& b) {
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(std::string status, b.str("status", 4));
  TRY_FIELD(std::string reason, b.str("reason", 256));
  TRY_FIELD(CardRow c, admin::set_card_status(ctx, actor, card_id, status, reason));
  return json{{"card", operator_card_json(c)}};
}

Result<json> pin_unlock(const Context& ctx, const std::string& actor, const JsonBody& b) {
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(std::string reason, b.str("reason", 256));
  TRY_FIELD(CardRow c, admin::unlock_pin(ctx, actor, card_id, reason));
  return json{{"card", operator_card_json(c)}};
}

Result<json> list_companies(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string after, b.str("after", 32));
  TRY_FIELD(size_t limit, page_limit(b, 50, 100));
  TRY_FIELD(admin::CompanyPage page, admin::list_companies(ctx, after, limit));
  json out = json::array();
  for (const CompanyRow& c : page.companies) {
    out.push_back({{"companyId", c.company_id}, {"partnerId", c.partner_id}, {"companyName", c.name},
                   {"createdOn", clock::format_ist(c.created_at)}});
  }
  return json{{"companies", out}, {"next", next_json(page.next)}};
}

json account_line_json(const admin::AccountLine& l) {
  json j = account_json(l.account);
  j["poolBalance"] = rupees_json(l.pool_balance_paise);
  j["cards"] = l.cards;
  return j;
}

Result<json> company_detail(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string company_id, b.str("companyId", 32));
  TRY_FIELD(std::string after, b.str("after", 32));
  TRY_FIELD(size_t limit, page_limit(b, 50, 100));
  TRY_FIELD(admin::CompanyDetail d, admin::company_detail(ctx, company_id, after, limit));
  json accounts = json::array();
  for (const admin::AccountLine& l : d.accounts) accounts.push_back(account_line_json(l));
  return json{{"companyId", d.company.company_id}, {"companyName", d.company.name},
              {"partnerId", d.company.partner_id}, {"partnerName", d.partner_name},
              {"createdOn", clock::format_ist(d.company.created_at)},
              {"cardAccounts", accounts}, {"next", next_json(d.next)}};
}

Result<json> account_detail(const Context& ctx, const std::string& /*actor*/, const JsonBody& b) {
  TRY_FIELD(std::string account_id, b.str("cardAccountId", 32));
  TRY_FIELD(size_t limit, page_limit(b, 100, 500));
  TRY_FIELD(admin::AccountDetail d, admin::account_detail(ctx, account_id, limit));
  return json{{"cardAccount", account_line_json(d.line)}, {"cards", cards_json(d.cards)}};
}

json decisions_json(const std::vector<DecisionCount>& counts, int64_t from, int64_t bucket_seconds, int64_t buckets) {
  json rows = json::array();
  for (const DecisionCount& c : counts) {
    rows.push_back({{"bucket", c.bucket}, {"responseCode", c.response_code}, {"count", c.count}});
  }
  return {{"from", from}, {"bucketSeconds", bucket_seconds}, {"buckets", buckets}, {"counts", rows}};
}

Result<json> activity(const Context& ctx, const std::string& /*actor*/, const JsonBody& /*b*/) {
  TRY_FIELD(admin::Activity a, admin::activity(ctx));
  json meanings = json::object();
  for (const auto* counts : {&a.hour, &a.day}) {
    for (const DecisionCount& c : *counts) meanings[c.response_code] = authz::response_code_meaning(c.response_code);
  }
  json problems = json::array();
  for (const WebhookEventRow& e : a.webhook_problems) problems.push_back(webhook_event_json(e));
  return json{{"now", a.now},
              {"lastHour", decisions_json(a.hour, a.hour_from, a.hour_bucket_seconds, a.hour_buckets)},
              {"lastDay", decisions_json(a.day, a.day_from, a.day_bucket_seconds, a.day_buckets)},
              {"responseCodes", meanings},
              {"webhooks", {{"pending", a.webhooks.pending}, {"retrying", a.webhooks.retrying},
                            {"failed", a.webhooks.failed}, {"problems", problems}}}};
}

const std::map<std::string, AdminFn, std::less<>>& routes() {
  static const std::map<std::string, AdminFn, std::less<>> kRoutes = {
      {"/admin/v1/partners", create_partner},
      {"/admin/v1/companies", create_company},
      {"/admin/v1/plans", create_plan},
      {"/admin/v1/cardholders/mfa", enroll_mfa},
      {"/admin/v1/logins/unlock", unlock_login},
      {"/admin/v1/physicalOrders/status", advance_order},
      {"/admin/v1/cards/history", card_history},
      {"/admin/v1/audit", audit_trail},
      {"/admin/v1/cardAccounts/fund", fund_account},
      {"/admin/v1/partners/webhookSecret", webhook_secret},
      {"/admin/v1/partners/webhookUrl", webhook_url},
      {"/admin/v1/search", search},
      {"/admin/v1/cards/detail", card_detail},
      {"/admin/v1/cards/transactions", card_transactions},
      {"/admin/v1/cards/status", card_status},
      {"/admin/v1/cards/pin/unlock", pin_unlock},
      {"/admin/v1/cards/kyc", card_kyc},
      {"/admin/v1/companies/list", list_companies},
      {"/admin/v1/companies/detail", company_detail},
      {"/admin/v1/cardAccounts/detail", account_detail},
      {"/admin/v1/activity", activity},
  };
  return kRoutes;
}

constexpr std::string_view kLoginPath = "/admin/v1/session";
constexpr std::string_view kLogoutPath = "/admin/v1/session/logout";

// What a console session may do: find and read, act on cards and orders, fund accounts. The
// routes that show or change partner secrets and logins (partners, webhook secret and URL,
// holder MFA enrolment, login unlock, companies and plans) take the admin key alone.
bool console_may_call(std::string_view path) {
  static constexpr std::string_view kAllowed[] = {
      kLogoutPath, "/admin/v1/search", "/admin/v1/cards/detail", "/admin/v1/cards/transactions",
      "/admin/v1/cards/status", "/admin/v1/cards/pin/unlock", "/admin/v1/cards/history", "/admin/v1/companies/list",
      "/admin/v1/companies/detail", "/admin/v1/cardAccounts/detail", "/admin/v1/cardAccounts/fund",
      "/admin/v1/physicalOrders/status", "/admin/v1/activity", "/admin/v1/audit"};
  return std::find(std::begin(kAllowed), std::end(kAllowed), path) != std::end(kAllowed);
}

bool key_matches(std::string_view given, const std::string& admin_key) {
  return !given.empty() && crypto::constant_time_equal(crypto::sha256(given), crypto::sha256(admin_key));
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"); empty when absent. Hand-written:
// Boost.Beast parses no cookies, and the console's two need nothing more than this.
std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
  }
  return {};
}

// The session cookie (HttpOnly: the page's scripts never see the token) and the CSRF cookie
// (read by the page, sent back in X-CSRF-Token), both SameSite=Strict, Secure behind TLS. A
// max_age of 0 clears them.
void add_session_cookies(http::Response& r, const http::Request& req, const std::string& token,
                         const std::string& csrf, int64_t max_age) {
  const bool secure = req.header("x-forwarded-proto") == "https";
  auto cookie = [&](std::string_view name, const std::string& value, bool http_only) {
    std::string c = std::string(name) + "=" + value + "; Path=/; Max-Age=" + std::to_string(max_age) +
                    "; SameSite=Strict";
    if (http_only) c += "; HttpOnly";
    if (secure) c += "; Secure";
    r.headers.emplace_back("Set-Cookie", c);
  };
  cookie(kSessionCookie, token, true);
  cookie(kCsrfCookie, csrf, false);
  r.headers.emplace_back("Cache-Control", "no-store");
}

http::Response console_login(const Context& ctx, const std::string& admin_key, const http::Request& req,
                             const JsonBody& b) {
  auto given = b.str("adminKey", 256);
  if (!given) return error(given.error());
  if (given->empty()) return error(Error{code::kInvalidParameter, "adminKey: is required", "adminKey"});
  if (!key_matches(*given, admin_key)) return error(Error{code::kUnauthenticated, "adminKey: wrong", "adminKey"});
  // A session cookie the browser still sends ends now: a login always starts a session of its
  // own, so a cookie planted before the login is never the one that acts.
  if (auto st = admin::end_console_session(ctx, cookie_value(req.header("cookie"), kSessionCookie)); !st) {
    return error(st.error());
  }
  auto login = admin::start_console_session(ctx);
  if (!login) return error(login.error());
  // From the session's own start, not a second reading of the clock, which may have ticked.
  const int64_t ttl = login->lifetime_seconds;
  http::Response r = ok(json{{"csrfToken", login->csrf_token},
                             {"expiresOn", clock::format_ist(login->expires_at)},
                             {"expiresInSeconds", ttl}});
  add_session_cookies(r, req, login->token, login->csrf_token, ttl);
  return r;
}

}  // namespace

std::vector<std::string> admin_route_templates() {
  std::vector<std::string> out{std::string(kLoginPath), std::string(kLogoutPath)};
  for (const auto& [path, fn] : routes()) out.push_back(path);
  return out;
}

std::optional<http::Response> handle_admin(const Context& ctx, const std::string& admin_key,
                                           const http::Request& req) {
  if (req.path.rfind("/admin/", 0) != 0) return std::nullopt;
  const bool login = req.path == kLoginPath;
  auto it = routes().find(req.path);
  const bool known = login || req.path == kLogoutPath || it != routes().end();
  // Who calls: the admin key, else a console session (its cookie and its CSRF token).
  std::string actor;
  std::string session_token;
  if (!login) {
    std::string_view given = req.header("x-admin-key");
    session_token = cookie_value(req.header("cookie"), kSessionCookie);
    if (!given.empty() || session_token.empty()) {
      if (!key_matches(given, admin_key)) {
        return error(Error{code::kUnauthenticated, "X-Admin-Key: missing or wrong (or log in to the console)", "X-Admin-Key"});
      }
      actor = "admin";
      session_token.clear();
    } else {
      auto who = admin::check_console_session(ctx, session_token, std::string(req.header("x-csrf-token")));
      if (!who) return error(who.error());
      if (known && !console_may_call(req.path)) {
        return error(Error{code::kNotPermitted, "X-Admin-Key: " + req.path + " needs the admin key, not a console session",
                           "X-Admin-Key"});
      }
      actor = *who;
    }
  }
  if (!known) return error(Error{code::kNotFoundPath, "path: no such endpoint " + req.path, "path"});
  if (req.method != "POST") {
    http::Response r = error(Error{code::kMethodNotAllowed, "method: use POST", "method"});
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (!is_json_content_type(req.header("content-type"))) {
    return error(Error{code::kUnsupportedMediaType, "Content-Type: must be application/json", "Content-Type"});
  }
  auto body = JsonBody::parse(req.body);
  if (!body) return error(body.error());
  if (login) return console_login(ctx, admin_key, req, *body);
  if (req.path == kLogoutPath) {
    if (auto st = admin::end_console_session(ctx, session_token); !st) return error(st.error());
    http::Response r = ok(json("Success"));
    add_session_cookies(r, req, "", "", 0);
    return r;
  }
  auto payload = it->second(ctx, actor, *body);
  return payload ? ok(std::move(*payload)) : error(payload.error());
}

}  // namespace cardcore::api
