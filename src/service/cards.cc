#include "service/cards.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "domain/ppi.h"
#include "domain/card_status.h"
#include "domain/clock.h"
#include "domain/ledger.h"
#include "domain/pan.h"
#include "domain/validate.h"
#include "security/crypto.h"
#include "security/secret_hash.h"
#include "security/totp.h"
#include "service/common.h"
#include "service/balances.h"

namespace cardcore::cards {
namespace {

using svc::audit;
using svc::make_id;
using svc::owned_account;
using svc::owned_card;

constexpr size_t kMaxNameLen = 64;
constexpr size_t kMaxAddressLen = 256;
constexpr size_t kMaxTextLen = 256;
constexpr size_t kMaxDocuments = 10;
constexpr size_t kMaxCardsPerUsageUpdate = 100;
constexpr size_t kMaxCardsPerAccountScan = 100000;
constexpr int kMaxMfaFailures = 5;

constexpr std::array<std::string_view, 14> kAccountTypes = {
    "RELOADABLE_GPR", "CORPORATE", "GIFT", "MEAL", "FUEL", "VIRTUAL_ACCOUNT", "INVOICE_DISCOUNTING",
    "EMPLOYEE_REWARDS", "CHANNEL_INCENTIVE", "ENKASH_COIN", "PETTY_CASH", "FREEDOM_REWARDS", "PAYOUT",
    "E_RUPI_VOUCHER"};
constexpr std::array<std::string_view, 5> kOtpActions = {"TRANSACTION_OTP", "SET_PIN", "BLOCK_CARD",
                                                         "VIEW_CARD", "REPLACE_CARD"};

Status require(const std::string& value, const char* field) {
  if (value.empty()) return invalid_param(field, "is required");
  return {};
}
Status optional_text(const std::string& value, const char* field, size_t max_len) {
  if (!value.empty() && !validate::printable(value, max_len)) {
    return invalid_param(field, "must be printable text of at most " + std::to_string(max_len) + " characters");
  }
  return {};
}
Status required_text(const std::string& value, const char* field, size_t max_len) {
  CC_RETURN_IF_ERROR(require(value, field));
  return optional_text(value, field, max_len);
}

std::string otp_digest(const Context& ctx, const std::string& request_id, const std::string& otp) {
  return crypto::to_hex(crypto::hmac_sha256(ctx.hmac_key, "otp:" + request_id + ":" + otp));
}

// ---- OTP / MFA proofs ----

struct ProofTicket {
  std::string otp_request_id;  // MOBILE: consumed in the business unit
  int64_t mfa_step = 0;        // MFA: marked used in the business unit
};

bool action_accepts(const std::string& issued_for, std::string_view action) {
  return issued_for == action || issued_for == "TRANSACTION_OTP";
}

// Checks the proof. A wrong code is counted in its own committed unit (so the count survives the
// refusal); the successful proof is consumed later inside the business unit, atomically with it.
Result<ProofTicket> check_proof(const Context& ctx, const Principal& p, const std::string& card_id,
                                std::string_view action, const Proof& proof) {
  if (!proof.otp_required) return ProofTicket{};
  if (proof.otp_medium != "MOBILE" && proof.otp_medium != "MFA") {
    return invalid_param("otpMedium", "must be MOBILE or MFA when otpRequired is true");
  }
  int64_t now = ctx.now();
  if (proof.otp_medium == "MFA") {
    if (proof.mfa_code.empty()) return fail(code::kOtpInvalid, "mfaCode: missing", "mfaCode");
    CC_ASSIGN_OR_RETURN(std::optional<CardRow> card,
                        transact_read(ctx.store, [&](Tx& tx) { return tx.find_card(card_id); }));
    if (!card || !card->mfa_secret) {
      return fail(code::kMfaNotEnrolled, "mfaCode: no authenticator is enrolled for this card holder",
                  "mfaCode");
    }
    if (card->mfa_failures >= kMaxMfaFailures) {
      return fail(code::kOtpTriesExceeded,
                  "mfaCode: too many wrong authenticator codes; the holder's authenticator must be re-enrolled", "mfaCode");
    }
    CC_ASSIGN_OR_RETURN(std::string secret, ctx.vault.open(*card->mfa_secret, card_id));
    for (int w = -1; w <= 1; ++w) {
      int64_t t = now + w * 30;
      if (crypto::constant_time_equal(totp::code_at(secret, t), proof.mfa_code)) {
        return ProofTicket{"", t / 30};
      }
    }
    // Guessing is bounded: wrong codes are counted in their own unit and lock MFA for the card.
    CC_ASSIGN_OR_RETURN(int failures, transact(ctx.store, [&](Tx& tx) { return tx.record_mfa_failure(card_id); }));
    if (failures >= kMaxMfaFailures) {
      return fail(code::kOtpTriesExceeded,
                  "mfaCode: wrong authenticator code; too many wrong codes, re-enroll the authenticator", "mfaCode");
    }
    return fail(code::kOtpInvalid, "mfaCode: wrong authenticator code", "mfaCode");
  }
  if (proof.otp_request_id.empty()) {
    return fail(code::kOtpInvalid, "otpRequestId: missing", "otpRequestId");
  }
  auto verdict = transact(ctx.store, [&](Tx& tx) -> Result<std::optional<Error>> {
    CC_ASSIGN_OR_RETURN(std::optional<OtpRow> row, tx.find_otp(proof.otp_request_id));
    if (!row || row->partner_id != p.partner_id || row->card_id != card_id) {
      return Error{code::kOtpInvalid, "otpRequestId: unknown OTP request for this card", "otpRequestId"};
    }
    if (row->used) {
      return Error{code::kOtpInvalid, "otp: this OTP request is already used or cancelled", "otp"};
    }
    if (row->expires_at <= now) return Error{code::kOtpExpired, "otp: expired", "otp"};
    if (!action_accepts(row->action, action)) {
      return Error{code::kOtpInvalid,
                   "otpRequestId: issued for " + row->action + ", not " + std::string(action),
                   "otpRequestId"};
    }
    if (!crypto::constant_time_equal(row->code_hash, otp_digest(ctx, row->otp_request_id, proof.otp))) {
      bool kill = row->wrong_tries + 1 >= ctx.config.otp_max_wrong_tries;
      CC_RETURN_IF_ERROR(tx.record_otp_failure(row->otp_request_id, kill));
      if (kill) {
        return Error{code::kOtpTriesExceeded,
                     "otp: wrong OTP; too many wrong tries, request a new OTP", "otp"};
      }
      return Error{code::kOtpInvalid, "otp: wrong OTP", "otp"};
    }
    return std::optional<Error>{};
  });
  if (!verdict) return std::unexpected(verdict.error());
  if (*verdict) return std::unexpected(**verdict);
  return ProofTicket{proof.otp_request_id, 0};
}

Status consume_proof(Tx& tx, const std::string& card_id, const ProofTicket& t) {
  if (!t.otp_request_id.empty()) {
    CC_ASSIGN_OR_RETURN(bool ok, tx.consume_otp(t.otp_request_id));
    if (!ok) return fail(code::kOtpInvalid, "otp: this OTP request is already used", "otp");
  }
  if (t.mfa_step > 0) {
    CC_ASSIGN_OR_RETURN(bool ok, tx.use_mfa_step(card_id, t.mfa_step));
    if (!ok) return fail(code::kOtpInvalid, "mfaCode: this code was already used", "mfaCode");
  }
  return {};
}

// ---- Card minting ----

Result<CardRow> mint_card(const Context& ctx, Tx& tx, const CardAccountRow& acc, const PlanRow& plan,
                          bool physical, int64_t now) {
  CardRow c;
  c.card_id = make_id("EKC", 7);
  c.card_account_id = acc.card_account_id;
  c.partner_id = acc.partner_id;
  c.company_id = acc.company_id;
  c.token = crypto::random_hex(10);
  std::string pan;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 16) return internal_error("could not find a free card number in the plan's BIN");
    pan = pan::compose(plan.bin, crypto::random_digits(15 - plan.bin.size()));
    c.pan_fingerprint = svc::pan_fingerprint(ctx, pan);
    CC_ASSIGN_OR_RETURN(bool taken, tx.pan_fingerprint_exists(c.pan_fingerprint));
    if (!taken) break;
  }
  c.pan = ctx.vault.seal(pan, c.card_id);
  c.pan_last4 = pan.substr(pan.size() - 4);
  c.cvv = ctx.vault.seal(crypto::random_digits(3), c.card_id);
  clock::Date today = clock::ist_date(now);
  c.expiry_month = today.month;
  c.expiry_year = today.year + plan.validity_years;
  c.card_type = physical ? "PHYSICAL" : "VIRTUAL";
  c.status = physical ? CardStatus::kActivationInProgress : CardStatus::kUnlocked;
  c.gift = plan.gift || acc.account_type == "GIFT";
  c.created_at = now;
  c.modified_at = now;
  return c;
}

Status validate_address(const std::string& address, const std::string& city, const std::string& state,
                        const std::string& country, const std::string& pincode, const std::string& address2,
                        const char* const names[6], bool required) {
  if (required) {
    CC_RETURN_IF_ERROR(required_text(address, names[0], kMaxAddressLen));
    CC_RETURN_IF_ERROR(required_text(city, names[1], kMaxNameLen));
    CC_RETURN_IF_ERROR(required_text(state, names[2], kMaxNameLen));
    CC_RETURN_IF_ERROR(required_text(country, names[3], kMaxNameLen));
    CC_RETURN_IF_ERROR(require(pincode, names[4]));
  } else {
    CC_RETURN_IF_ERROR(optional_text(address, names[0], kMaxAddressLen));
    CC_RETURN_IF_ERROR(optional_text(city, names[1], kMaxNameLen));
    CC_RETURN_IF_ERROR(optional_text(state, names[2], kMaxNameLen));
    CC_RETURN_IF_ERROR(optional_text(country, names[3], kMaxNameLen));
  }
  if (!pincode.empty() && !validate::pincode(pincode)) return invalid_param(names[4], "must be 6 digits");
  return optional_text(address2, names[5], kMaxAddressLen);
}

constexpr const char* kHolderAddressNames[6] = {"address", "city", "state", "country", "pincode", "address2"};
constexpr const char* kDeliveryNames[6] = {"deliveryAddress", "deliveryCity", "deliveryState",
                                           "deliveryCountry", "deliveryPincode", "deliveryAddress2"};

Status validate_create_card(const CreateCard& r) {
  CC_RETURN_IF_ERROR(require(r.company_id, "companyId"));
  CC_RETURN_IF_ERROR(require(r.card_account_id, "cardAccountId"));
  CC_RETURN_IF_ERROR(optional_text(r.user_id, "userId", 32));
  if (!r.email.empty() && !validate::email(r.email)) return invalid_param("email", "is not a valid email address");
  if (!r.mobile.empty() && !validate::mobile(r.mobile)) return invalid_param("mobile", "must be exactly 10 digits");
  CC_RETURN_IF_ERROR(optional_text(r.title, "title", 16));
  CC_RETURN_IF_ERROR(optional_text(r.first_name, "firstName", kMaxNameLen));
  CC_RETURN_IF_ERROR(optional_text(r.middle_name, "middleName", kMaxNameLen));
  CC_RETURN_IF_ERROR(optional_text(r.last_name, "lastName", kMaxNameLen));
  if (!r.gender.empty() && r.gender != "M" && r.gender != "F" && r.gender != "O") {
    return invalid_param("gender", "must be M, F or O");
  }
  CC_RETURN_IF_ERROR(validate_address(r.address, r.city, r.state, r.country, r.pincode, r.address2,
                                      kHolderAddressNames, r.physical && !r.delivery_flag));
  CC_RETURN_IF_ERROR(validate_address(r.delivery_address, r.delivery_city, r.delivery_state,
                                      r.delivery_country, r.delivery_pincode, r.delivery_address2,
                                      kDeliveryNames, r.physical && r.delivery_flag));
  CC_RETURN_IF_ERROR(optional_text(r.remarks, "remarks", kMaxTextLen));
  if (!r.special_date.empty() && !clock::valid_ddmmyyyy(r.special_date)) {
    return invalid_param("specialDate", "must be a date written dd-MM-yyyy");
  }
  if (r.documents.size() > kMaxDocuments) return invalid_param("documents", "at most 10 documents");
  for (const Document& d : r.documents) {
    CC_RETURN_IF_ERROR(required_text(d.doc_type, "documents.docType", 32));
    CC_RETURN_IF_ERROR(required_text(d.doc_no, "documents.docNo", 64));
  }
  return {};
}

std::string holder_name(const CreateCard& r) {
  std::string name;
  for (const std::string* part : {&r.first_name, &r.middle_name, &r.last_name}) {
    if (part->empty()) continue;
    if (!name.empty()) name += ' ';
    name += *part;
  }
  return name;
}

nlohmann::json profile_of(const CreateCard& r) {
  nlohmann::json docs = nlohmann::json::array();
  for (const Document& d : r.documents) docs.push_back({{"docType", d.doc_type}, {"docNo", d.doc_no}});
  return {{"title", r.title}, {"firstName", r.first_name}, {"middleName", r.middle_name},
          {"lastName", r.last_name}, {"gender", r.gender}, {"address", r.address},
          {"address2", r.address2}, {"city", r.city}, {"state", r.state}, {"country", r.country},
          {"pincode", r.pincode}, {"remarks", r.remarks}, {"specialDate", r.special_date},
          {"documents", docs}};
}

std::string mask_mobile(const std::string& m) {
  if (m.size() < 4) return "XXXXXX";
  return std::string(m.size() - 4, 'X') + m.substr(m.size() - 4);
}

Status validate_order_address(const OrderRequest& r) {
  return validate_address(r.address, r.city, r.state, r.country, r.pincode, r.address2, kDeliveryNames, true);
}

PhysicalOrderRow new_order(const CardRow& card, const std::string& address, const std::string& address2,
                           const std::string& city, const std::string& state, const std::string& country,
                           const std::string& pincode, int64_t now) {
  return PhysicalOrderRow{make_id("PCO", 8), card.card_id, card.partner_id, address, address2, city,
                          state, country, pincode, OrderStatus::kOrdered, now, now};
}

// Applies one UsageUpdate field onto a stored limit.
void apply_limit(const UsageUpdate::Limit& in, std::optional<int64_t>& out) {
  if (in) out = *in;
}

// A merchant control's items: `digits` digits each (an MCC: 4, a country: 3), or, with
// digits 0, a merchant id (ISO 8583 field 42: 1 to 15 printable characters, no comma).
Status check_merchant_list(const UsageUpdate::List& list, const char* field, size_t digits) {
  if (!list) return {};
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string& item = (*list)[i];
    bool ok = digits ? validate::digits(item, digits)
                     : validate::printable(item, 15) && item.find(',') == std::string::npos && item.front() != ' ' &&
                           item.back() != ' ';
    if (!ok) {
      return invalid_param(field, digits ? "items must be " + std::to_string(digits) + " digits; '" + item + "' is not"
                                         : "items must be 1 to 15 printable characters, without a comma or "
                                           "spaces at either end");
    }
    if (std::find(list->begin(), list->begin() + static_cast<std::ptrdiff_t>(i), item) != list->begin() + static_cast<std::ptrdiff_t>(i)) {
      return invalid_param(field, "'" + item + "' is listed twice");
    }
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Result<CardAccountRow> create_account(const Context& ctx, const Principal& p, const CreateAccount& r,
                                      const idempotency::Finish<CardAccountRow>& finish) {
  CC_RETURN_IF_ERROR(require(r.company_id, "companyId"));
  CC_RETURN_IF_ERROR(required_text(r.company_name, "companyName", 128));
  CC_RETURN_IF_ERROR(require(r.plan_master_id, "planMasterId"));
  CC_RETURN_IF_ERROR(require(r.email, "email"));
  if (!validate::email(r.email)) return invalid_param("email", "is not a valid email address");
  CC_RETURN_IF_ERROR(require(r.mobile, "mobile"));
  if (!validate::mobile(r.mobile)) return invalid_param("mobile", "must be exactly 10 digits");
  CC_RETURN_IF_ERROR(required_text(r.account_title, "accountTitle", 128));
  CC_RETURN_IF_ERROR(require(r.account_type, "accountType"));
  if (std::find(kAccountTypes.begin(), kAccountTypes.end(), r.account_type) == kAccountTypes.end()) {
    return invalid_param("accountType", "unknown account type '" + r.account_type + "'");
  }
  CC_RETURN_IF_ERROR(optional_text(r.user_id, "userId", 32));
  int64_t now = ctx.now();
  return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Result<CardAccountRow> {
    CC_ASSIGN_OR_RETURN(std::optional<CompanyRow> company, tx.find_company(r.company_id));
    if (!company || company->partner_id != p.partner_id) return invalid_id("companyId");
    CC_ASSIGN_OR_RETURN(std::optional<PlanRow> plan, tx.find_plan(r.plan_master_id));
    if (!plan || plan->partner_id != p.partner_id) return invalid_id("planMasterId");
    if (plan->gift != (r.account_type == "GIFT")) {
      return invalid_param("accountType", plan->gift ? "plan " + plan->plan_master_id + " is a gift plan: use GIFT"
                                                     : "GIFT needs a gift plan; " + plan->plan_master_id + " is reloadable");
    }
    CardAccountRow acc{make_id("CA", 7), p.partner_id, r.company_id, r.company_name, r.plan_master_id,
                       r.user_id.empty() ? make_id("EK", 6) : r.user_id, r.email, r.mobile,
                       r.account_title, r.account_type, now};
    CC_RETURN_IF_ERROR(tx.insert_card_account(acc));
    CC_RETURN_IF_ERROR(audit(tx, p, "card_account.create", acc.card_account_id,
                             {{"companyId", acc.company_id}, {"accountType", acc.account_type}}, now));
    return acc;
  });
}

Result<AccountSummary> get_account(const Context& ctx, const Principal& p, const std::string& company_id,
                                   const std::string& card_account_id) {
  CC_RETURN_IF_ERROR(require(company_id, "companyId"));
  CC_RETURN_IF_ERROR(require(card_account_id, "cardAccountId"));
  return transact_read(ctx.store, [&](Tx& tx) -> Result<AccountSummary> {
    AccountSummary s;
    CC_ASSIGN_OR_RETURN(s.account, owned_account(tx, p, company_id, card_account_id));
    CC_ASSIGN_OR_RETURN(LedgerBalance pool, tx.ledger_balance(ledger::pool_account(card_account_id)));
    s.pool_balance_paise = pool.available_paise();
    CC_ASSIGN_OR_RETURN(std::vector<CardRow> cards, tx.list_cards(card_account_id, kMaxCardsPerAccountScan));
    for (const CardRow& c : cards) {
      s.card_balance_paise += c.balance_paise - c.held_paise;
      ++s.total_cards;
      if (c.status == CardStatus::kUnlocked) ++s.active_cards;
      if (c.primary_card && !s.primary_card) s.primary_card = c;
    }
    CC_ASSIGN_OR_RETURN(TransactionOps::FeeTotals charged, tx.account_fees_since(card_account_id, clock::ist_month_start(ctx.now())));
    s.fees_this_month_paise = charged.fees;
    s.gst_this_month_paise = charged.gst;
    return s;
  });
}

Result<IssuedCard> create_card(const Context& ctx, const Principal& p, const CreateCard& r,
                               const idempotency::Finish<IssuedCard>& finish) {
  CC_RETURN_IF_ERROR(validate_create_card(r));
  int64_t now = ctx.now();
  return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Result<IssuedCard> {
    CC_ASSIGN_OR_RETURN(CardAccountRow acc, owned_account(tx, p, r.company_id, r.card_account_id));
    CC_ASSIGN_OR_RETURN(std::optional<PlanRow> plan, tx.find_plan(acc.plan_master_id));
    if (!plan) return internal_error("card account without plan");
    bool gift = plan->gift || acc.account_type == "GIFT";
    if (gift && !r.load_amount_paise) {
      return invalid_param("loadAmount", "is required for a gift card");
    }
    if (r.load_amount_paise && *r.load_amount_paise < 1) {
      return invalid_param("loadAmount", "must be at least 0.01");
    }
    IssuedCard out;
    CC_ASSIGN_OR_RETURN(out.card, mint_card(ctx, tx, acc, *plan, r.physical, now));
    CardRow& c = out.card;
    c.user_id = r.user_id.empty() ? make_id("EK", 6) : r.user_id;
    c.holder_name = holder_name(r);
    c.mobile = r.mobile.empty() ? acc.mobile : r.mobile;
    c.email = r.email;
    c.profile_json = profile_of(r).dump();
    CC_ASSIGN_OR_RETURN(std::vector<CardRow> existing, tx.list_cards(acc.card_account_id, kMaxCardsPerAccountScan));
    bool has_primary = std::any_of(existing.begin(), existing.end(), [](const CardRow& x) { return x.primary_card; });
    c.primary_card = !has_primary && (r.primary || existing.empty());
    CC_RETURN_IF_ERROR(tx.insert_card(c));
    CC_RETURN_IF_ERROR(svc::record_status_change(tx, c, std::nullopt, c.status, "issued", ChangeChannel::kApi, p.partner_id, now));
    if (r.physical) {
      PhysicalOrderRow order =
          r.delivery_flag
              ? new_order(c, r.delivery_address, r.delivery_address2, r.delivery_city, r.delivery_state,
                          r.delivery_country, r.delivery_pincode, now)
              : new_order(c, r.address, r.address2, r.city, r.state, r.country, r.pincode, now);
      CC_RETURN_IF_ERROR(tx.insert_physical_order(order));
      out.order = order;
    }
    // The program's fees for the card (and its plastic), from the pool, in the unit.
    CC_ASSIGN_OR_RETURN(fees::Schedule schedule, balances::fee_schedule(plan->fees));
    CC_RETURN_IF_ERROR(balances::charge_fee_in_unit(tx, c, false, fees::with_gst(schedule, schedule.issuance), "FEE_ISSUANCE",
                                                    "ISSUANCE-" + c.card_id, "issuance", "cardAccountId", now));
    if (out.order) {
      CC_RETURN_IF_ERROR(balances::charge_fee_in_unit(tx, c, false, fees::with_gst(schedule, schedule.physical_card), "FEE_PHYSICAL",
                                                      "PHYSICAL-" + out.order->order_id, "physical card", "cardAccountId", now));
    }
    if (r.load_amount_paise) {
      // Issue and first load are one unit: a refused load leaves no card behind.
      CC_RETURN_IF_ERROR(balances::load_in_unit(tx, acc, *plan, c, *r.load_amount_paise, "ISSUE-" + c.card_id,
                                                gift ? "GIFT_CARD_LOAD" : "LOAD_MONEY", "load at issue",
                                                r.remarks, p.username, now, "loadAmount"));
      CC_ASSIGN_OR_RETURN(std::optional<CardRow> loaded, tx.find_card(c.card_id));
      out.card = *loaded;
    }
    CC_RETURN_IF_ERROR(audit(tx, p, "card.create", out.card.card_id,
                             {{"cardAccountId", out.card.card_account_id}, {"cardType", out.card.card_type}}, now));
    return out;
  });
}

Status set_pin(const Context& ctx, const Principal& p, const CardRef& ref, const std::string& pin,
               const Proof& proof, const idempotency::Finish<void>& finish) {
  CC_RETURN_IF_ERROR(require(ref.company_id, "companyId"));
  CC_RETURN_IF_ERROR(require(ref.card_account_id, "cardAccountId"));
  CC_RETURN_IF_ERROR(require(ref.card_id, "enKashCardId"));
  CC_RETURN_IF_ERROR(require(pin, "pinBlock"));
  if (!validate::pin4(pin)) return invalid_param("pinBlock", "must be exactly 4 digits");
  // Ownership before the OTP check, so another partner's card id answers "no such id".
  CC_RETURN_IF_ERROR(transact_read(ctx.store, [&](Tx& tx) { return owned_card(tx, p, ref); }));
  CC_ASSIGN_OR_RETURN(ProofTicket ticket, check_proof(ctx, p, ref.card_id, "SET_PIN", proof));
  std::string pin_hash = secret_hash::hash(pin);
  int64_t now = ctx.now();
  return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Status {
    CC_ASSIGN_OR_RETURN(CardRow card, owned_card(tx, p, ref));
    CardStatus current = card.status;
    if (current == CardStatus::kBlocked) {
      return fail(code::kCardBlocked, "enKashCardId: card is permanently blocked", "enKashCardId");
    }
    CC_RETURN_IF_ERROR(consume_proof(tx, card.card_id, ticket));
    CC_RETURN_IF_ERROR(tx.set_card_pin(card.card_id, pin_hash, now));
    CardStatus next = status_after_pin_set(current);
    if (next != current) {
      CC_ASSIGN_OR_RETURN(bool moved, tx.update_card_status(card.card_id, card.status, next, now));
      if (!moved) return fail(code::kStatusTransition, "enKashCardId: card status changed meanwhile; retry");
      CC_RETURN_IF_ERROR(svc::record_status_change(tx, card, card.status, next, "activated by PIN set",
                                                   ChangeChannel::kApi, p.partner_id, now));
    }
    return audit(tx, p, "card.pin_set", card.card_id, {{"otpRequired", proof.otp_required}}, now);
  });
}

Status block(const Context& ctx, const Principal& p, const BlockRequest& r, const idempotency::Finish<void>& finish) {
  CC_RETURN_IF_ERROR(require(r.ref.company_id, "companyId"));
  CC_RETURN_IF_ERROR(require(r.ref.card_account_id, "cardAccountId"));
  CC_RETURN_IF_ERROR(require(r.ref.card_id, "enKashCardId"));
  CC_RETURN_IF_ERROR(require(r.block_code, "blockCode"));
  std::optional<CardStatus> requested = parse_status_code(r.block_code);
  if (!requested) return invalid_param("blockCode", "must be one of L, UL, BL, AP");
  CC_RETURN_IF_ERROR(require(r.proof.otp_medium, "otpMedium"));
  if (r.proof.otp_medium != "MOBILE" && r.proof.otp_medium != "MFA") {
    return invalid_param("otpMedium", "must be MOBILE or MFA");
  }
  CC_RETURN_IF_ERROR(optional_text(r.reason, "reason", kMaxTextLen));
  CC_RETURN_IF_ERROR(optional_text(r.created_by, "createdBy", kMaxNameLen));
  CC_ASSIGN_OR_RETURN(CardRow card, transact_read(ctx.store, [&](Tx& tx) { return owned_card(tx, p, r.ref); }));
  // Refuse impossible moves before spending the holder's OTP.
  CC_RETURN_IF_ERROR(check_requested_move(card.status, *requested));
  CC_ASSIGN_OR_RETURN(ProofTicket ticket, check_proof(ctx, p, r.ref.card_id, "BLOCK_CARD", r.proof));
  int64_t now = ctx.now();
  return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Status {
    CC_ASSIGN_OR_RETURN(CardRow c, owned_card(tx, p, r.ref));
    CC_ASSIGN_OR_RETURN(bool changes, check_requested_move(c.status, *requested));
    CC_RETURN_IF_ERROR(consume_proof(tx, c.card_id, ticket));
    if (!changes) return {};
    CardStatus to = *requested;
    CC_ASSIGN_OR_RETURN(bool moved, tx.update_card_status(c.card_id, c.status, to, now));
    if (!moved) {
      // A racing request moved the card first (PostgreSQL's READ COMMITTED lets this unit read
      // the old status, then wait on the row). Read it again: if it already is what was asked,
      // this request succeeds without a second change, as it would have one moment later.
      CC_ASSIGN_OR_RETURN(CardRow latest, owned_card(tx, p, r.ref));
      CC_ASSIGN_OR_RETURN(bool still_changes, check_requested_move(latest.status, *requested));
      if (!still_changes) return {};
      return fail(code::kStatusTransition, "enKashCardId: card status changed meanwhile; retry");
    }
    CC_RETURN_IF_ERROR(svc::record_status_change(tx, c, c.status, to, r.reason, ChangeChannel::kApi,
                                                 r.created_by.empty() ? p.partner_id : r.created_by, now));
    return audit(tx, p, "card.block", c.card_id, {{"from", status_code(c.status)}, {"to", status_code(to)}, {"otpRequired", r.proof.otp_required}}, now);
  });
}

Result<OtpIssued> generate_otp(const Context& ctx, const Principal& p, const std::string& card_account_id,
                               const std::string& card_id, const std::string& action,
                               const idempotency::Finish<OtpIssued>& finish) {
  CC_RETURN_IF_ERROR(require(card_account_id, "cardAccountId"));
  CC_RETURN_IF_ERROR(require(card_id, "enKashCardId"));
  CC_RETURN_IF_ERROR(require(action, "cardOtpAction"));
  if (std::find(kOtpActions.begin(), kOtpActions.end(), action) == kOtpActions.end()) {
    return invalid_param("cardOtpAction", "must be one of TRANSACTION_OTP, SET_PIN, BLOCK_CARD, VIEW_CARD, REPLACE_CARD");
  }
  int64_t now = ctx.now();
  std::string code = crypto::random_digits(6);
  OtpRow row;
  row.otp_request_id = make_id("OTP", 10);
  row.code_hash = otp_digest(ctx, row.otp_request_id, code);
  CardRow card;
  CC_ASSIGN_OR_RETURN(OtpIssued issued, idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Result<OtpIssued> {
    CC_ASSIGN_OR_RETURN(CardRow c, owned_card(tx, p, CardRef{"", card_account_id, card_id}));
    CC_ASSIGN_OR_RETURN(int64_t recent, tx.count_otps_since(c.card_id, now - 3600));
    if (recent >= ctx.config.otp_max_per_card_per_hour) {
      return fail(code::kRateLimited, "enKashCardId: too many OTP requests for this card; try later");
    }
    // A blocked card needs no OTP any more, except to be replaced (once).
    if (c.status == CardStatus::kBlocked && (action != "REPLACE_CARD" || !c.replaced_by.empty())) {
      return fail(code::kCardBlocked, "enKashCardId: card is permanently blocked", "enKashCardId");
    }
    if (c.mobile.empty()) return invalid_param("enKashCardId", "the card holder has no mobile number");
    row.card_id = c.card_id;
    row.partner_id = p.partner_id;
    row.action = action;
    row.expires_at = now + ctx.config.otp_ttl_seconds;
    row.created_at = now;
    CC_RETURN_IF_ERROR(tx.insert_otp(row));
    card = c;
    return OtpIssued{row.otp_request_id, ctx.config.otp_ttl_seconds, mask_mobile(c.mobile)};
  }));
  // Sent after commit: an SMS never carries a code the store does not know.
  int64_t ttl = ctx.config.otp_ttl_seconds;
  std::string validity = ttl % 60 == 0 ? std::to_string(ttl / 60) + (ttl == 60 ? " minute" : " minutes")
                                       : std::to_string(ttl) + " seconds";
  std::string text = code + " is your OTP for card XX" + card.pan_last4 + " (" + action +
                     "). Valid for " + validity + ". Do not share it with anyone.";
  CC_RETURN_IF_ERROR(ctx.sms.send(card.mobile, text, row.otp_request_id));
  return issued;
}

Result<CardSecrets> view_card(const Context& ctx, const Principal& p, const CardRef& ref, const Proof& proof_in) {
  CC_RETURN_IF_ERROR(require(ref.company_id, "companyId"));
  CC_RETURN_IF_ERROR(require(ref.card_account_id, "cardAccountId"));
  CC_RETURN_IF_ERROR(require(ref.card_id, "enKashCardId"));
  CC_RETURN_IF_ERROR(require(proof_in.otp_medium, "otpMedium"));
  // Viewing the full card number always needs a proof (ours): otpRequired cannot switch it off.
  Proof proof = proof_in;
  proof.otp_required = true;
  CC_RETURN_IF_ERROR(transact_read(ctx.store, [&](Tx& tx) { return owned_card(tx, p, ref); }));
  CC_ASSIGN_OR_RETURN(ProofTicket ticket, check_proof(ctx, p, ref.card_id, "VIEW_CARD", proof));
  int64_t now = ctx.now();
  CC_ASSIGN_OR_RETURN(CardRow card, transact(ctx.store, [&](Tx& tx) -> Result<CardRow> {
    CC_ASSIGN_OR_RETURN(CardRow c, owned_card(tx, p, ref));
    if (c.status == CardStatus::kBlocked) {
      return fail(code::kCardBlocked, "enKashCardId: card is permanently blocked", "enKashCardId");
    }
    CC_RETURN_IF_ERROR(consume_proof(tx, c.card_id, ticket));
    CC_RETURN_IF_ERROR(audit(tx, p, "card.view", c.card_id, {{"otpMedium", proof.otp_medium}}, now));
    return c;
  }));
  CardSecrets out;
  CC_ASSIGN_OR_RETURN(out.pan, ctx.vault.open(card.pan, card.card_id));
  CC_ASSIGN_OR_RETURN(out.cvv, ctx.vault.open(card.cvv, card.card_id));
  out.card = std::move(card);
  return out;
}

Status set_usage_controls(const Context& ctx, const Principal& p, const UsageUpdate& r,
                          const idempotency::Finish<void>& finish) {
  CC_RETURN_IF_ERROR(require(r.company_id, "companyId"));
  CC_RETURN_IF_ERROR(require(r.card_account_id, "cardAccountId"));
  if (r.card_ids.empty()) return invalid_param("enKashCardIds", "at least one card id is required");
  if (r.card_ids.size() > kMaxCardsPerUsageUpdate) return invalid_param("enKashCardIds", "at most 100 card ids");
  CC_RETURN_IF_ERROR(optional_text(r.created_by, "createdBy", kMaxNameLen));
  CC_RETURN_IF_ERROR(check_merchant_list(r.allowed_mccs, "allowedMccs", 4));
  CC_RETURN_IF_ERROR(check_merchant_list(r.blocked_mccs, "blockedMccs", 4));
  CC_RETURN_IF_ERROR(check_merchant_list(r.blocked_merchant_ids, "blockedMerchantIds", 0));
  CC_RETURN_IF_ERROR(check_merchant_list(r.blocked_countries, "blockedCountries", 3));
  int64_t now = ctx.now();
  return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(owned_account(tx, p, r.company_id, r.card_account_id));
    for (const std::string& id : r.card_ids) {
      auto card = owned_card(tx, p, CardRef{r.company_id, r.card_account_id, id});
      if (!card) return fail(code::kInvalidId, "enKashCardIds: no such id " + id, "enKashCardIds");
      if (card->status == CardStatus::kBlocked) {
        return fail(code::kCardBlocked, "enKashCardIds: card " + id + " is permanently blocked", "enKashCardIds");
      }
      CC_ASSIGN_OR_RETURN(std::optional<UsageControlsRow> stored, tx.find_usage_controls(id));
      UsageControlsRow u = stored.value_or(UsageControlsRow{});
      if (!stored) {
        u.card_id = id;
        u.created_on = now;
      }
      if (r.pos_allowed) u.pos_allowed = *r.pos_allowed;
      if (r.online_allowed) u.online_allowed = *r.online_allowed;
      if (r.atm_allowed) u.atm_allowed = *r.atm_allowed;
      if (r.international_allowed) u.international_allowed = *r.international_allowed;
      if (r.contactless_allowed) u.contactless_allowed = *r.contactless_allowed;
      if (r.admin_user) u.admin_user = *r.admin_user;
      apply_limit(r.per_txn_limit, u.per_txn_limit_paise);
      apply_limit(r.dtd, u.dtd_paise);
      apply_limit(r.mtd, u.mtd_paise);
      apply_limit(r.ytd, u.ytd_paise);
      apply_limit(r.dtd_count, u.dtd_count);
      apply_limit(r.mtd_count, u.mtd_count);
      apply_limit(r.ytd_count, u.ytd_count);
      apply_limit(r.pos_daily, u.pos_daily_paise);
      apply_limit(r.pos_daily_count, u.pos_daily_count);
      apply_limit(r.ecom_daily, u.ecom_daily_paise);
      apply_limit(r.ecom_daily_count, u.ecom_daily_count);
      apply_limit(r.contactless_daily, u.contactless_daily_paise);
      apply_limit(r.contactless_daily_count, u.contactless_daily_count);
      if (r.allowed_mccs) u.merchant.allowed_mccs = *r.allowed_mccs;
      if (r.blocked_mccs) u.merchant.blocked_mccs = *r.blocked_mccs;
      if (r.blocked_merchant_ids) u.merchant.blocked_merchant_ids = *r.blocked_merchant_ids;
      if (r.blocked_countries) u.merchant.blocked_countries = *r.blocked_countries;
      u.created_by = r.created_by.empty() ? p.username : r.created_by;
      u.modified_on = now;
      CC_RETURN_IF_ERROR(tx.upsert_usage_controls(u));
      CC_RETURN_IF_ERROR(audit(tx, p, "card.usage_controls", id, {{"createdBy", u.created_by}}, now));
    }
    return {};
  });
}

Result<UsageReport> get_usage_controls(const Context& ctx, const Principal& p, const CardRef& ref) {
  CC_RETURN_IF_ERROR(require(ref.company_id, "companyId"));
  CC_RETURN_IF_ERROR(require(ref.card_account_id, "cardAccountId"));
  CC_RETURN_IF_ERROR(require(ref.card_id, "enKashCardId"));
  int64_t now = ctx.now();
  return transact_read(ctx.store, [&](Tx& tx) -> Result<UsageReport> {
    CC_ASSIGN_OR_RETURN(CardRow card, owned_card(tx, p, ref));
    UsageReport out;
    CC_ASSIGN_OR_RETURN(out.used, tx.card_usage(card.card_id, svc::usage_windows(now, std::nullopt)));
    CC_ASSIGN_OR_RETURN(std::optional<UsageControlsRow> u, tx.find_usage_controls(card.card_id));
    if (u) {
      out.controls = *u;
      return out;
    }
    out.controls.card_id = card.card_id;  // never configured: the defaults that apply
    out.controls.created_by = "system";
    out.controls.created_on = card.created_at;
    out.controls.modified_on = card.created_at;
    return out;
  });
}

Result<CardRow> replace_card(const Context& ctx, const Principal& p, const ReplaceRequest& r,
                             const idempotency::Finish<CardRow>& finish) {
  CC_RETURN_IF_ERROR(require(r.card_id, "enKashCardId"));
  CC_RETURN_IF_ERROR(require(r.proof.otp_medium, "otpMedium"));
  if (r.proof.otp_medium != "MOBILE" && r.proof.otp_medium != "MFA") {
    return invalid_param("otpMedium", "must be MOBILE or MFA");
  }
  CardRef ref{"", r.card_account_id, r.card_id};
  CC_ASSIGN_OR_RETURN(CardRow old_card, transact_read(ctx.store, [&](Tx& tx) { return owned_card(tx, p, ref); }));
  if (!old_card.replaced_by.empty()) {
    return fail(code::kCardBlocked, "enKashCardId: card was already replaced by " + old_card.replaced_by,
                "enKashCardId");
  }
  CC_ASSIGN_OR_RETURN(ProofTicket ticket, check_proof(ctx, p, r.card_id, "REPLACE_CARD", r.proof));
  int64_t now = ctx.now();
  return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Result<CardRow> {
    CC_ASSIGN_OR_RETURN(CardRow old, owned_card(tx, p, ref));
    if (!old.replaced_by.empty()) {
      return fail(code::kCardBlocked, "enKashCardId: card was already replaced by " + old.replaced_by,
                  "enKashCardId");
    }
    CC_RETURN_IF_ERROR(consume_proof(tx, old.card_id, ticket));
    CC_ASSIGN_OR_RETURN(std::optional<CardAccountRow> acc, tx.find_card_account(old.card_account_id));
    if (!acc) return internal_error("card without account");
    CC_ASSIGN_OR_RETURN(std::optional<PlanRow> plan, tx.find_plan(acc->plan_master_id));
    if (!plan) return internal_error("card account without plan");
    CC_ASSIGN_OR_RETURN(CardRow fresh, mint_card(ctx, tx, *acc, *plan, old.card_type == "PHYSICAL", now));
    fresh.user_id = old.user_id;
    fresh.holder_name = old.holder_name;
    fresh.mobile = old.mobile;
    fresh.email = old.email;
    fresh.profile_json = old.profile_json;
    fresh.gift = old.gift;
    fresh.primary_card = old.primary_card;
    fresh.kyc_level = old.kyc_level;  // the holder's KYC does not change with the plastic
    fresh.kyc_reference = old.kyc_reference;
    if (old.mfa_secret) {
      CC_ASSIGN_OR_RETURN(std::string secret, ctx.vault.open(*old.mfa_secret, old.card_id));
      fresh.mfa_secret = ctx.vault.seal(secret, fresh.card_id);
    }
    CC_RETURN_IF_ERROR(tx.insert_card(fresh));
    CC_RETURN_IF_ERROR(svc::record_status_change(tx, fresh, std::nullopt, fresh.status,
                                                 "issued as replacement of " + old.card_id, ChangeChannel::kApi,
                                                 p.partner_id, now));
    // The fee first: the pool's row is locked before the wallets', as a load locks it (PostgreSQL).
    CC_ASSIGN_OR_RETURN(fees::Schedule schedule, balances::fee_schedule(plan->fees));
    CC_RETURN_IF_ERROR(balances::charge_fee_in_unit(tx, fresh, false, fees::with_gst(schedule, schedule.replacement), "FEE_REPLACEMENT",
                                                    "REPLACE-" + old.card_id, "replacement", "enKashCardId", now));
    CC_ASSIGN_OR_RETURN(int64_t moved_paise, balances::move_card_balance_in_unit(tx, *plan, old, fresh, now));
    fresh.balance_paise = moved_paise;
    CC_ASSIGN_OR_RETURN(std::optional<UsageControlsRow> controls, tx.find_usage_controls(old.card_id));
    if (controls) {
      controls->card_id = fresh.card_id;
      controls->created_on = now;
      controls->modified_on = now;
      CC_RETURN_IF_ERROR(tx.upsert_usage_controls(*controls));
    }
    if (old.status != CardStatus::kBlocked) {
      CC_ASSIGN_OR_RETURN(bool blocked, tx.update_card_status(old.card_id, old.status, CardStatus::kBlocked, now));
      if (!blocked) return fail(code::kStatusTransition, "enKashCardId: card status changed meanwhile; retry");
      CC_RETURN_IF_ERROR(svc::record_status_change(tx, old, old.status, CardStatus::kBlocked,
                                                   r.reason.empty() ? "replaced by " + fresh.card_id : r.reason,
                                                   ChangeChannel::kApi, p.partner_id, now));
    }
    CC_RETURN_IF_ERROR(tx.set_card_replaced_by(old.card_id, fresh.card_id, now));
    // A KYC upgrade of the old card that committed after it was read above (PostgreSQL) is
    // carried over: the old card's row is locked now, and an upgrade never applies to a
    // replaced card (kyc::record_full_kyc).
    CC_ASSIGN_OR_RETURN(std::optional<CardRow> old_now, tx.find_card(old.card_id));
    if (old_now && old_now->kyc_level != fresh.kyc_level) {
      CC_ASSIGN_OR_RETURN(bool carried, tx.set_card_kyc_level(fresh.card_id, fresh.kyc_level, old_now->kyc_level,
                                                               old_now->kyc_reference, now));
      if (!carried) return internal_error("replacement card " + fresh.card_id + " changed inside its own unit");
      fresh.kyc_level = old_now->kyc_level;
      fresh.kyc_reference = old_now->kyc_reference;
    }
    if (old.primary_card) CC_RETURN_IF_ERROR(tx.set_card_primary(old.card_id, false, now));
    CC_RETURN_IF_ERROR(audit(tx, p, "card.replace", old.card_id,
                             {{"newEnKashCardId", fresh.card_id}, {"movedPaise", moved_paise}}, now));
    return fresh;
  });
}

Result<PhysicalOrderRow> order_physical(const Context& ctx, const Principal& p, const OrderRequest& r,
                                        const idempotency::Finish<PhysicalOrderRow>& finish) {
  CC_RETURN_IF_ERROR(require(r.ref.company_id, "companyId"));
  CC_RETURN_IF_ERROR(require(r.ref.card_account_id, "cardAccountId"));
  CC_RETURN_IF_ERROR(require(r.ref.card_id, "enKashCardId"));
  CC_RETURN_IF_ERROR(validate_order_address(r));
  int64_t now = ctx.now();
  return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Result<PhysicalOrderRow> {
    CC_ASSIGN_OR_RETURN(CardRow card, owned_card(tx, p, r.ref));
    if (card.status == CardStatus::kBlocked) {
      return fail(code::kCardBlocked, "enKashCardId: card is permanently blocked", "enKashCardId");
    }
    CC_ASSIGN_OR_RETURN(std::optional<PhysicalOrderRow> last, tx.find_physical_order_by_card(card.card_id));
    if (last && last->status != OrderStatus::kReturned) {
      return fail(code::kOrderExists,
                  "enKashCardId: a physical card is already ordered (" + last->order_id + ", " + std::string(order_status_code(last->status)) + ")",
                  "enKashCardId");
    }
    PhysicalOrderRow order = new_order(card, r.address, r.address2, r.city, r.state, r.country, r.pincode, now);
    CC_RETURN_IF_ERROR(tx.insert_physical_order(order));
    if (card.card_type != "PHYSICAL") CC_RETURN_IF_ERROR(tx.set_card_type(card.card_id, "PHYSICAL", now));
    CC_ASSIGN_OR_RETURN(fees::Schedule schedule, balances::fee_schedule(card.program_fees));
    CC_RETURN_IF_ERROR(balances::charge_fee_in_unit(tx, card, false, fees::with_gst(schedule, schedule.physical_card), "FEE_PHYSICAL",
                                                    "PHYSICAL-" + order.order_id, "physical card", "enKashCardId", now));
    CC_RETURN_IF_ERROR(audit(tx, p, "card.order_physical", card.card_id, {{"orderId", order.order_id}}, now));
    return order;
  });
}

Result<SearchResult> search(const Context& ctx, const Principal& p, const std::string& company_id,
                            const std::string& card_account_id, const std::string& card_id, size_t limit) {
  CC_RETURN_IF_ERROR(require(company_id, "companyId"));
  CC_RETURN_IF_ERROR(require(card_account_id, "cardAccountId"));
  return transact_read(ctx.store, [&](Tx& tx) -> Result<SearchResult> {
    SearchResult out;
    if (!card_id.empty()) {
      // owned_card checks the company and the account first, with the same errors.
      CC_ASSIGN_OR_RETURN(CardRow card, owned_card(tx, p, CardRef{company_id, card_account_id, card_id}));
      out.cards.push_back(std::move(card));
      out.total_cards = 1;
      return out;
    }
    CC_RETURN_IF_ERROR(owned_account(tx, p, company_id, card_account_id));
    CC_ASSIGN_OR_RETURN(out.cards, tx.list_cards(card_account_id, limit));
    CC_ASSIGN_OR_RETURN(out.total_cards, tx.count_cards(card_account_id));
    return out;
  });
}

}  // namespace cardcore::cards
