#include "service/admin.h"

#include "domain/physical_order.h"

#include "domain/pan.h"
#include "domain/validate.h"
#include "security/crypto.h"
#include "security/payload_crypto.h"
#include "security/secret_hash.h"
#include "security/totp.h"
#include "service/common.h"

namespace cardcore::admin {
namespace {

using svc::make_id;

// A 10-digit mobile-like username starting 6..9, for partners created without a mobile.
std::string generated_mobile() {
  return std::to_string(6 + crypto::random_digits(1)[0] % 4) + crypto::random_digits(9);
}

// 16 characters from letters, digits and symbols, always containing each class.
std::string generated_password() {
  return crypto::random_upper_alnum(6) + "a" + crypto::to_hex(crypto::random_bytes(4)) + "@" +
         crypto::random_digits(1);
}

Status check_webhook_url(const std::string& url) {
  if (url.empty()) return {};
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return invalid_param("webhookUrl", "must be an http:// or https:// URL");
  }
  if (!validate::printable(url, 2048)) return invalid_param("webhookUrl", "must be printable text of at most 2048 characters");
  return {};
}

}  // namespace

Result<PartnerCredentials> create_partner(const Context& ctx, const NewPartner& r) {
  if (r.name.empty()) return invalid_param("name", "is required");
  if (!validate::printable(r.name, 128)) return invalid_param("name", "must be printable text of at most 128 characters");
  if (!r.mobile.empty() && !validate::mobile(r.mobile)) return invalid_param("mobile", "must be exactly 10 digits");
  CC_RETURN_IF_ERROR(check_webhook_url(r.webhook_url));
  std::string encryption = r.encryption.empty() ? "none" : r.encryption;
  if (encryption != "none" && encryption != "aes128ecb") return invalid_param("encryption", "must be none or aes128ecb");

  PartnerCredentials out;
  out.partner_id = make_id("CR", 7);
  out.company_id = make_id("CEK", 7);
  out.company_name = r.name;
  out.client_id = out.company_id;
  out.client_secret = crypto::random_hex(20);
  out.username = r.mobile.empty() ? generated_mobile() : r.mobile;
  out.password = generated_password();
  out.plan_master_id = make_id("PM", 7);
  out.webhook_secret = "whsec_" + crypto::random_hex(24);
  // The slow hashes are computed before the unit of work, not while holding the write lock.
  std::string secret_hash = secret_hash::hash(out.client_secret);
  std::string password_hash = secret_hash::hash(out.password);
  int64_t now = ctx.now();
  CC_RETURN_IF_ERROR(transact(ctx.store, [&](Tx& tx) -> Status {
    CC_ASSIGN_OR_RETURN(std::optional<LoginRow> existing, tx.find_login(out.username));
    if (existing) return fail(code::kDuplicate, "mobile: a partner login with this mobile already exists", "mobile");
    PartnerRow p{out.partner_id, r.name, out.username, r.webhook_url, encryption, out.client_id, secret_hash,
                 ctx.vault.seal(payload_crypto::derive_key(out.client_secret), out.partner_id), now,
                 ctx.vault.seal(out.webhook_secret, out.partner_id)};
    CC_RETURN_IF_ERROR(tx.insert_partner(p));
    CC_RETURN_IF_ERROR(tx.insert_company({out.company_id, out.partner_id, r.name, now}));
    CC_RETURN_IF_ERROR(tx.insert_plan({out.plan_master_id, out.partner_id, "Default prepaid", ctx.config.default_bin,
                                       ctx.config.default_validity_years, ctx.config.default_max_balance_paise,
                                       false, now, "", ""}));
    CC_RETURN_IF_ERROR(tx.insert_login({out.username, out.partner_id, password_hash, 0, false, now}));
    return tx.insert_audit({0, now, out.partner_id, "admin", "partner.create", out.partner_id, "{}"});
  }));
  return out;
}

Result<CompanyRow> create_company(const Context& ctx, const std::string& partner_id, const std::string& name) {
  if (partner_id.empty()) return invalid_param("partnerId", "is required");
  if (name.empty()) return invalid_param("name", "is required");
  if (!validate::printable(name, 128)) return invalid_param("name", "must be printable text of at most 128 characters");
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Result<CompanyRow> {
    CC_ASSIGN_OR_RETURN(std::optional<PartnerRow> p, tx.find_partner(partner_id));
    if (!p) return invalid_id("partnerId");
    CompanyRow c{make_id("CEK", 7), partner_id, name, now};
    CC_RETURN_IF_ERROR(tx.insert_company(c));
    CC_RETURN_IF_ERROR(tx.insert_audit({0, now, partner_id, "admin", "company.create", c.company_id, "{}"}));
    return c;
  });
}

Result<PlanRow> create_plan(const Context& ctx, const NewPlan& r) {
  if (r.partner_id.empty()) return invalid_param("partnerId", "is required");
  if (r.name.empty() || !validate::printable(r.name, 128)) return invalid_param("name", "is required (printable, at most 128 characters)");
  if (!pan::valid_bin(r.bin)) return invalid_param("bin", "must be 6 to 8 digits");
  int64_t years = r.validity_years.value_or(ctx.config.default_validity_years);
  if (years < 1 || years > 10) return invalid_param("validityYears", "must be 1 to 10");
  int64_t max_balance = r.max_balance_paise.value_or(ctx.config.default_max_balance_paise);
  if (max_balance <= 0) return invalid_param("maxCardBalance", "must be greater than 0");
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Result<PlanRow> {
    CC_ASSIGN_OR_RETURN(std::optional<PartnerRow> p, tx.find_partner(r.partner_id));
    if (!p) return invalid_id("partnerId");
    PlanRow plan{make_id("PM", 7), r.partner_id, r.name, r.bin, static_cast<int>(years), max_balance, r.gift, now,
                 ppi::encode_program(r.program), fees::encode(r.fees)};
    CC_RETURN_IF_ERROR(tx.insert_plan(plan));
    CC_RETURN_IF_ERROR(tx.insert_audit({0, now, r.partner_id, "admin", "plan.create", plan.plan_master_id, "{}"}));
    return plan;
  });
}

Result<MfaEnrollment> enroll_mfa(const Context& ctx, const std::string& card_id) {
  if (card_id.empty()) return invalid_param("enKashCardId", "is required");
  std::string secret = crypto::random_bytes(20);
  int64_t now = ctx.now();
  CC_ASSIGN_OR_RETURN(CardRow card, transact(ctx.store, [&](Tx& tx) -> Result<CardRow> {
    CC_ASSIGN_OR_RETURN(std::optional<CardRow> c, tx.find_card(card_id));
    if (!c) return invalid_id("enKashCardId");
    CC_RETURN_IF_ERROR(tx.set_card_mfa_secret(card_id, ctx.vault.seal(secret, card_id), now));
    CC_RETURN_IF_ERROR(tx.insert_audit({0, now, c->partner_id, "admin", "card.mfa_enroll", card_id, "{}"}));
    return *c;
  }));
  std::string account = card.user_id + "-XX" + card.pan_last4;
  return MfaEnrollment{card_id, totp::base32_encode(secret), totp::otpauth_uri("cardcore", account, secret)};
}

Result<std::string> webhook_secret(const Context& ctx, const std::string& partner_id, bool rotate) {
  if (partner_id.empty()) return invalid_param("partnerId", "is required");
  std::string fresh = "whsec_" + crypto::random_hex(24);
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Result<std::string> {
    CC_ASSIGN_OR_RETURN(std::optional<PartnerRow> p, tx.find_partner(partner_id));
    if (!p) return invalid_id("partnerId");
    if (!rotate && !p->webhook_secret.blob.empty()) return ctx.vault.open(p->webhook_secret, partner_id);
    CC_RETURN_IF_ERROR(tx.set_partner_webhook_secret(partner_id, ctx.vault.seal(fresh, partner_id)));
    CC_RETURN_IF_ERROR(tx.insert_audit({0, now, partner_id, "admin", "partner.webhook_secret_rotate", partner_id, "{}"}));
    return fresh;
  });
}

Status set_webhook_url(const Context& ctx, const std::string& partner_id, const std::string& url) {
  if (partner_id.empty()) return invalid_param("partnerId", "is required");
  CC_RETURN_IF_ERROR(check_webhook_url(url));
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Status {
    CC_ASSIGN_OR_RETURN(std::optional<PartnerRow> p, tx.find_partner(partner_id));
    if (!p) return invalid_id("partnerId");
    CC_RETURN_IF_ERROR(tx.set_partner_webhook_url(partner_id, url));
    return tx.insert_audit({0, now, partner_id, "admin", "partner.webhook_url", partner_id, "{}"});
  });
}

Status unlock_login(const Context& ctx, const std::string& username) {
  if (username.empty()) return invalid_param("username", "is required");
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Status {
    CC_ASSIGN_OR_RETURN(std::optional<LoginRow> login, tx.find_login(username));
    if (!login) return fail(code::kInvalidId, "username: no such login", "username");
    CC_RETURN_IF_ERROR(tx.update_login(username, 0, false, now));
    return tx.insert_audit({0, now, login->partner_id, "admin", "login.unlock", username, "{}"});
  });
}

Result<PhysicalOrderRow> advance_order(const Context& ctx, const std::string& order_id, const std::string& to_code,
                                       const std::string& actor, const std::string& reason) {
  if (order_id.empty()) return invalid_param("orderId", "is required");
  if (!reason.empty() && !validate::printable(reason, 256)) {
    return invalid_param("reason", "must be printable text of at most 256 characters");
  }
  std::optional<OrderStatus> to = parse_order_status(to_code);
  if (!to || *to == OrderStatus::kOrdered) return invalid_param("status", "must be DISPATCHED, DELIVERED or RETURNED");
  int64_t now = ctx.now();
  return transact(ctx.store, [&](Tx& tx) -> Result<PhysicalOrderRow> {
    CC_ASSIGN_OR_RETURN(std::optional<PhysicalOrderRow> o, tx.find_physical_order(order_id));
    if (!o) return invalid_id("orderId");
    if (!order_move_allowed(o->status, *to)) {
      return fail(code::kOrderTransition,
                  "status: cannot move an order from " + std::string(order_status_code(o->status)) + " to " + to_code,
                  "status");
    }
    CC_ASSIGN_OR_RETURN(bool moved, tx.update_physical_order_status(order_id, o->status, *to, now));
    if (!moved) return fail(code::kOrderTransition, "status: order changed meanwhile; retry", "status");
    CC_RETURN_IF_ERROR(tx.insert_audit({0, now, o->partner_id, actor, "order." + to_code, order_id,
                                        nlohmann::json{{"reason", reason}, {"channel", "ADMIN"}}.dump()}));
    o->status = *to;
    o->updated_at = now;
    return *o;
  });
}

Result<CardHistory> card_history(const Context& ctx, const std::string& card_id) {
  return transact_read(ctx.store, [&](Tx& tx) -> Result<CardHistory> {
    CC_ASSIGN_OR_RETURN(std::optional<CardRow> c, tx.find_card(card_id));
    if (!c) return invalid_id("enKashCardId");
    CC_ASSIGN_OR_RETURN(std::vector<StatusChangeRow> changes, tx.list_status_changes(card_id));
    return CardHistory{*c, std::move(changes)};
  });
}

Result<std::vector<AuditRow>> audit_trail(const Context& ctx, const std::string& partner_id,
                                          const std::string& object_id, int64_t before_id, size_t limit) {
  return transact_read(ctx.store, [&](Tx& tx) { return tx.list_audit(partner_id, object_id, before_id, limit); });
}

}  // namespace cardcore::admin
