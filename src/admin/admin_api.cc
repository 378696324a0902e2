#include "admin/admin_api.h"

#include <charconv>
#include <map>

#include "api/envelope.h"
#include "service/views.h"
#include "domain/clock.h"
#include "http/json_body.h"
#include "security/crypto.h"
#include "service/admin.h"
#include "service/balances.h"

namespace cardcore::api {
namespace {

using namespace views;  // NOLINT: the JSON shapes

using http::JsonBody;
using nlohmann::json;

#define TRY_FIELD(lhs, expr) CC_ASSIGN_OR_RETURN_IMPL(CC_CONCAT(field_, __LINE__), lhs, expr)

using AdminFn = Result<json> (*)(const Context&, const JsonBody&);

Result<json> create_partner(const Context& ctx, const JsonBody& b) {
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

Result<json> create_company(const Context& ctx, const JsonBody& b) {
  TRY_FIELD(std::string partner_id, b.str("partnerId", 32));
  TRY_FIELD(std::string name, b.str("name", 128));
  TRY_FIELD(CompanyRow c, admin::create_company(ctx, partner_id, name));
  return json{{"companyId", c.company_id}, {"partnerId", c.partner_id}, {"companyName", c.name},
              {"createdOn", clock::format_ist(c.created_at)}};
}

Result<json> create_plan(const Context& ctx, const JsonBody& b) {
  admin::NewPlan r;
  TRY_FIELD(r.partner_id, b.str("partnerId", 32));
  TRY_FIELD(r.name, b.str("name", 128));
  TRY_FIELD(r.bin, b.str("bin", 8, true));
  TRY_FIELD(r.validity_years, b.count("validityYears"));
  TRY_FIELD(r.max_balance_paise, b.amount_paise("maxCardBalance"));
  TRY_FIELD(std::optional<bool> gift, b.boolean("gift"));
  r.gift = gift.value_or(false);
  TRY_FIELD(PlanRow p, admin::create_plan(ctx, r));
  return json{{"planMasterId", p.plan_master_id}, {"partnerId", p.partner_id}, {"name", p.name},
              {"bin", p.bin}, {"validityYears", p.validity_years},
              {"maxCardBalance", rupees_json(p.max_balance_paise)}, {"gift", p.gift}};
}

Result<json> enroll_mfa(const Context& ctx, const JsonBody& b) {
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(admin::MfaEnrollment e, admin::enroll_mfa(ctx, card_id));
  return json{{"enKashCardId", e.card_id}, {"secret", e.secret_base32}, {"otpauthUri", e.otpauth_uri}};
}

Result<json> unlock_login(const Context& ctx, const JsonBody& b) {
  TRY_FIELD(std::string username, b.str("username", 32, true));
  CC_RETURN_IF_ERROR(admin::unlock_login(ctx, username));
  return json("Success");
}

Result<json> advance_order(const Context& ctx, const JsonBody& b) {
  TRY_FIELD(std::string order_id, b.str("orderId", 32));
  TRY_FIELD(std::string status, b.str("status", 16));
  TRY_FIELD(PhysicalOrderRow o, admin::advance_order(ctx, order_id, status));
  return order_json(o);
}

Result<json> card_history(const Context& ctx, const JsonBody& b) {
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(admin::CardHistory h, admin::card_history(ctx, card_id));
  json changes = json::array();
  for (const StatusChangeRow& c : h.changes) {
    changes.push_back({{"from", c.old_status ? status_code(*c.old_status) : ""},
                       {"to", status_code(c.new_status)},
                       {"reason", c.reason},
                       {"channel", channel_code(c.channel)},
                       {"actor", c.actor},
                       {"at", clock::format_ist(c.at)}});
  }
  return json{{"card", card_json(h.card)}, {"statusChanges", changes}};
}

Result<json> audit_trail(const Context& ctx, const JsonBody& b) {
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

Result<json> fund_account(const Context& ctx, const JsonBody& b) {
  TRY_FIELD(std::string company_id, b.str("companyId", 32));
  TRY_FIELD(std::string account_id, b.str("cardAccountId", 32));
  TRY_FIELD(std::optional<int64_t> amount, b.amount_paise("amount"));
  TRY_FIELD(std::string reference, b.str("reference", 64, true));
  TRY_FIELD(balances::FundResult r, balances::fund(ctx, company_id, account_id, amount, reference));
  return json{{"cardAccountId", account_id}, {"reference", reference}, {"entryId", r.entry_id},
              {"availableBalance", rupees_json(r.pool_balance_paise)}};
}

Result<json> webhook_secret(const Context& ctx, const JsonBody& b) {
  TRY_FIELD(std::string partner_id, b.str("partnerId", 32));
  TRY_FIELD(std::optional<bool> rotate, b.boolean("rotate"));
  TRY_FIELD(std::string secret, admin::webhook_secret(ctx, partner_id, rotate.value_or(false)));
  return json{{"partnerId", partner_id}, {"webhookSecret", secret}};
}

Result<json> webhook_url(const Context& ctx, const JsonBody& b) {
  TRY_FIELD(std::string partner_id, b.str("partnerId", 32));
  TRY_FIELD(std::string url, b.str("webhookUrl", 2048));
  CC_RETURN_IF_ERROR(admin::set_webhook_url(ctx, partner_id, url));
  return json{{"partnerId", partner_id}, {"webhookUrl", url}};
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
  };
  return kRoutes;
}

}  // namespace

std::vector<std::string> admin_route_templates() {
  std::vector<std::string> out;
  for (const auto& [path, fn] : routes()) out.push_back(path);
  return out;
}

std::optional<http::Response> handle_admin(const Context& ctx, const std::string& admin_key,
                                           const http::Request& req) {
  if (req.path.rfind("/admin/", 0) != 0) return std::nullopt;
  std::string_view given = req.header("x-admin-key");
  if (given.empty() || !crypto::constant_time_equal(crypto::sha256(given), crypto::sha256(admin_key))) {
    return error(Error{code::kUnauthenticated, "X-Admin-Key: missing or wrong", "X-Admin-Key"});
  }
  auto it = routes().find(req.path);
  if (it == routes().end()) return error(Error{code::kNotFoundPath, "path: no such endpoint " + req.path, "path"});
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
  auto payload = it->second(ctx, *body);
  return payload ? ok(std::move(*payload)) : error(payload.error());
}

}  // namespace cardcore::api
