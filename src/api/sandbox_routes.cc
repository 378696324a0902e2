#include "api/sandbox_routes.h"

#include "domain/validate.h"

#include "api/decoders.h"
#include "api/dispatch.h"
#include "service/authorization.h"
#include "service/common.h"
#include "service/kyc.h"
#include "service/views.h"

namespace cardcore::api {
namespace {

using http::JsonBody;
using nlohmann::json;

json decision_json(const authorization::AuthResult& r) {
  return json{{"approved", r.approved},
              {"responseCode", r.response_code},
              {"reason", r.reason},
              {"authorizationId", r.authorization_id.empty() ? json(nullptr) : json(r.authorization_id)},
              {"enKashCardTransactionId", r.txn_id.empty() ? json(nullptr) : json(r.txn_id)},
              {"authCode", r.auth_code.empty() ? json(nullptr) : json(r.auth_code)},
              {"amount", views::rupees_json(r.amount_paise)},
              {"otbBalance", views::rupees_json(r.available_paise)},
              {"duplicate", r.duplicate}};
}

Result<authorization::MessageKey> read_key(const JsonBody& b) {
  authorization::MessageKey k;
  TRY_FIELD(k.stan, b.str("stan", 6, true));
  TRY_FIELD(k.rrn, b.str("rrn", 12, true));
  TRY_FIELD(k.terminal_id, b.str("terminalId", 8));
  return k;
}

// A code of exactly `n` digits (an MCC, a country) as ISO 8583 carries it; a JSON number is
// zero-padded ("742" and 742 are "0742"). "" when absent.
Result<std::string> fixed_digits(const JsonBody& b, std::string_view key, size_t n, const char* what) {
  TRY_FIELD(std::string v, b.str(key, n, true));
  if (!v.empty() && v.size() < n && validate::digits(v, v.size())) v.insert(0, n - v.size(), '0');
  if (!v.empty() && !validate::digits(v, n)) {
    return invalid_param(std::string(key), "must be " + std::to_string(n) + " digits (" + what + ")");
  }
  return v;
}

// A card request of the sandbox: the card must be the caller's (same answer as unknown ids).
Result<authorization::AuthRequest> read_card_request(const Context& ctx, const Principal& p, const JsonBody& b,
                                                     bool amount_required) {
  authorization::AuthRequest r;
  TRY_FIELD(CardRef ref, read_ref(b));
  if (ref.card_id.empty()) return invalid_param("enKashCardId", "is required");
  CC_RETURN_IF_ERROR(transact_read(ctx.store, [&](Tx& tx) { return svc::owned_card(tx, p, ref); }));
  r.partner_id = p.partner_id;
  r.card_id = ref.card_id;
  TRY_FIELD(std::optional<int64_t> amount, b.amount_paise("amount"));
  if (!amount && amount_required) return invalid_param("amount", "is required");
  r.amount_paise = amount.value_or(0);
  TRY_FIELD(r.channel, b.str("channel", 16));
  // The acquirer's country, ISO 3166 numeric as in ISO 8583 field 19: another than India (356)
  // makes the transaction international, as on the network, and `international` may not say
  // otherwise.
  TRY_FIELD(r.country, fixed_digits(b, "country", 3, "ISO 3166 numeric"));
  TRY_FIELD(std::optional<bool> intl, b.boolean("international"));
  if (!r.country.empty()) {
    const bool abroad = r.country != "356";
    if (intl && *intl != abroad) {
      return invalid_param("international", std::string("contradicts country ") + r.country);
    }
    intl = abroad;
  }
  r.international = intl.value_or(false);
  TRY_FIELD(r.mcc, fixed_digits(b, "mcc", 4, "a merchant category code"));
  TRY_FIELD(r.merchant_name, b.str("merchantName", 40));
  TRY_FIELD(r.merchant_id, b.str("merchantId", 15));
  // As field 42 on the network: trailing spaces are padding.
  r.merchant_id.erase(r.merchant_id.find_last_not_of(' ') + 1);
  TRY_FIELD(std::string pin, b.str("pin", 12, true));
  if (!pin.empty()) r.pin = pin;
  TRY_FIELD(std::string cvv, b.str("cvv", 4, true));
  if (!cvv.empty()) r.cvv = cvv;
  TRY_FIELD(std::string expiry, b.str("expiryYYMM", 4, true));
  if (!expiry.empty()) r.expiry_yymm = expiry;
  TRY_FIELD(r.key, read_key(b));
  r.source = "SANDBOX";
  return r;
}

// For a keyed request: the decision's envelope is the answer stored in the decision's unit.
authorization::Finish keyed_answer(idempotency::Keyed* keyed) {
  return answer_with<authorization::AuthResult>(keyed, decision_json);
}

}  // namespace

constexpr const char* kFollowUps[] = {"increment", "capture", "reverse", "expire"};

const std::vector<std::string>& sandbox_route_templates() {
  static const std::vector<std::string> kTemplates = [] {
    std::vector<std::string> t;
    for (const char* p : {"/authorizations", "/purchases", "/refunds", "/clearings"})
      t.push_back(std::string(kSandboxPrefix) + p);
    for (const char* action : kFollowUps)
      t.push_back(std::string(kSandboxPrefix) + "/authorizations/{authorizationId}/" + action);
    t.push_back(std::string(kSandboxPrefix) + "/kyc/complete");
    return t;
  }();
  return kTemplates;
}

http::Response handle_sandbox(const Context& ctx, const http::Request& req) {
  std::string_view rest = std::string_view(req.path).substr(kSandboxPrefix.size());
  if (!ctx.config.sandbox) {
    return error(Error{code::kNotFoundPath, "path: the sandbox simulation exists only in sandbox mode", "path"});
  }
  // Authorization (a hold) and purchase (single message: debited at once) take the same body.
  for (auto [path, fn] : {std::pair{"/authorizations", &authorization::authorize},
                          std::pair{"/purchases", &authorization::purchase}}) {
    if (rest != path) continue;
    return dispatch(ctx, req, Envelope::kA, [&, fn](const Principal& p, const JsonBody& b, idempotency::Keyed* keyed)
                                                -> Result<json> {
      TRY_FIELD(authorization::AuthRequest r, read_card_request(ctx, p, b, true));
      if (r.channel.empty()) return invalid_param("channel", "is required (POS, ECOM, ATM or CONTACTLESS)");
      TRY_FIELD(authorization::AuthResult out, fn(ctx, r, keyed_answer(keyed)));
      return decision_json(out);
    });
  }
  for (auto [path, kind] : {std::pair{"/refunds", 0}, {"/clearings", 1}}) {
    if (rest != path) continue;
    return dispatch(ctx, req, Envelope::kA, [&, kind](const Principal& p, const JsonBody& b, idempotency::Keyed* keyed)
                                                  -> Result<json> {
      TRY_FIELD(authorization::AuthRequest r, read_card_request(ctx, p, b, true));
      TRY_FIELD(authorization::AuthResult out, kind == 0 ? authorization::refund(ctx, r, keyed_answer(keyed))
                                                         : authorization::force_post(ctx, r, keyed_answer(keyed)));
      return decision_json(out);
    });
  }
  // A completed KYC, as the issuer's compliance team records it (POST /admin/v1/cards/kyc).
  if (rest == "/kyc/complete") {
    return dispatch(ctx, req, Envelope::kA, [&](const Principal& p, const JsonBody& b, idempotency::Keyed*) -> Result<json> {
      kyc::Upgrade u;
      TRY_FIELD(u.ref, read_ref(b));
      u.card_id = u.ref.card_id;
      if (u.ref.company_id.empty()) return invalid_param("companyId", "is required");
      if (u.ref.card_account_id.empty()) return invalid_param("cardAccountId", "is required");
      u.level = "FULL";
      TRY_FIELD(u.reference, b.str("reference", 64, true));
      if (u.reference.empty()) u.reference = "SANDBOX";
      u.actor = p.partner_id;
      u.channel = "SANDBOX";
      u.partner = p;
      TRY_FIELD(kyc::UpgradeResult r, kyc::record_full_kyc(ctx, u));
      json out = views::card_json(r.card);
      out["kycReference"] = r.card.kyc_reference;
      out["kycUpdated"] = r.changed;
      return out;
    });
  }
  // /authorizations/{id}/{increment|capture|reverse|expire}
  constexpr std::string_view kAuth = "/authorizations/";
  if (rest.substr(0, kAuth.size()) == kAuth) {
    std::string_view tail = rest.substr(kAuth.size());
    size_t slash = tail.find('/');
    if (slash != std::string_view::npos && slash > 0 && slash <= 32) {
      std::string id(tail.substr(0, slash));
      std::string action(tail.substr(slash + 1));
      using Fn = Result<authorization::AuthResult> (*)(const Context&, const authorization::FollowUp&,
                                                       const authorization::Finish&);
      Fn fn = action == "increment" ? authorization::increment
              : action == "capture" ? authorization::capture
              : action == "reverse" ? authorization::reverse
              : action == "expire"  ? authorization::expire
                                    : nullptr;
      if (fn) {
        http::Response answer = dispatch(ctx, req, Envelope::kA, [&, fn](const Principal& p, const JsonBody& b,
                                                                         idempotency::Keyed* keyed) -> Result<json> {
          authorization::FollowUp f;
          f.partner_id = p.partner_id;
          f.authorization_id = id;
          TRY_FIELD(f.amount_paise, b.amount_paise("amount"));
          TRY_FIELD(std::optional<bool> final_capture, b.boolean("final"));
          f.final_capture = final_capture.value_or(true);
          TRY_FIELD(f.key, read_key(b));
          f.source = "SANDBOX";
          TRY_FIELD(authorization::AuthResult out, fn(ctx, f, keyed_answer(keyed)));
          return decision_json(out);
        });
        for (size_t n = 0; n < std::size(kFollowUps); ++n)
          if (action == kFollowUps[n]) answer.route = sandbox_route_templates()[4 + n];
        return answer;
      }
    }
  }
  return error(Error{code::kNotFoundPath, "path: no such endpoint " + req.path, "path"});
}

}  // namespace cardcore::api
