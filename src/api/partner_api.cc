#include "api/partner_api.h"

#include <functional>
#include <map>

#include "api/envelope.h"
#include "service/views.h"
#include "domain/clock.h"
#include "domain/money.h"
#include "domain/validate.h"
#include "http/log.h"
#include "http/json_body.h"
#include "security/crypto.h"
#include "security/payload_crypto.h"
#include "service/auth.h"
#include "service/authorization.h"
#include "service/balances.h"
#include "service/common.h"
#include "service/cards.h"

namespace cardcore::api {
namespace {

using namespace views;  // NOLINT: the JSON shapes

using http::JsonBody;
using nlohmann::json;

constexpr std::string_view kBase = "/api/v0/partner/enKashCard";
constexpr size_t kMaxSearchCards = 10000;  // every card of an account, bounded

#define TRY_FIELD(lhs, expr) CC_ASSIGN_OR_RETURN_IMPL(CC_CONCAT(field_, __LINE__), lhs, expr)

// Each route: body in, payload JSON (or Error) out.
using RouteFn = Result<json> (*)(const Context&, const Principal&, const JsonBody&);
struct Route {
  RouteFn fn;
  Envelope envelope;
};

Result<cards::Proof> read_proof(const JsonBody& b, bool otp_required_mandatory) {
  cards::Proof p;
  TRY_FIELD(std::optional<bool> required, b.boolean("otpRequired"));
  if (!required && otp_required_mandatory) return invalid_param("otpRequired", "is required (true or false)");
  p.otp_required = required.value_or(false);
  TRY_FIELD(p.otp_medium, b.str("otpMedium", 16));
  TRY_FIELD(p.otp_request_id, b.str("otpRequestId", 64));
  TRY_FIELD(p.otp, b.str("otp", 16, true));
  TRY_FIELD(p.mfa_code, b.str("mfaCode", 16, true));
  return p;
}

Result<CardRef> read_ref(const JsonBody& b) {
  CardRef r;
  TRY_FIELD(r.company_id, b.str("companyId", 32));
  TRY_FIELD(r.card_account_id, b.str("cardAccountId", 32));
  TRY_FIELD(r.card_id, b.str("enKashCardId", 32));
  return r;
}

Result<json> create_account(const Context& ctx, const Principal& p, const JsonBody& b) {
  cards::CreateAccount r;
  TRY_FIELD(r.company_id, b.str("companyId", 32));
  TRY_FIELD(r.company_name, b.str("companyName", 128));
  TRY_FIELD(r.user_id, b.str("userId", 32));
  TRY_FIELD(r.plan_master_id, b.str("planMasterId", 32));
  TRY_FIELD(r.email, b.str("email", 254));
  TRY_FIELD(r.mobile, b.str("mobile", 16, true));
  TRY_FIELD(r.account_title, b.str("accountTitle", 128));
  TRY_FIELD(r.account_type, b.str("accountType", 32));
  TRY_FIELD(CardAccountRow acc, cards::create_account(ctx, p, r));
  return account_json(acc);
}

Result<json> get_account(const Context& ctx, const Principal& p, const JsonBody& b) {
  TRY_FIELD(std::string company_id, b.str("companyId", 32));
  TRY_FIELD(std::string account_id, b.str("cardAccountId", 32));
  TRY_FIELD(cards::AccountSummary s, cards::get_account(ctx, p, company_id, account_id));
  json out = account_json(s.account);
  out["availableBalance"] = rupees_json(s.pool_balance_paise);
  out["availableCardBalance"] = rupees_json(s.card_balance_paise);
  out["creditLimit"] = 0;
  out["totalCards"] = s.total_cards;
  out["activeCards"] = s.active_cards;
  out["primaryEnKashCard"] = s.primary_card ? card_json(*s.primary_card) : json(nullptr);
  return out;
}

Result<json> create_card(const Context& ctx, const Principal& p, const JsonBody& b) {
  cards::CreateCard r;
  TRY_FIELD(r.company_id, b.str("companyId", 32));
  TRY_FIELD(r.card_account_id, b.str("cardAccountId", 32));
  TRY_FIELD(r.user_id, b.str("userId", 32));
  TRY_FIELD(r.email, b.str("email", 254));
  TRY_FIELD(r.mobile, b.str("mobile", 16, true));
  TRY_FIELD(r.title, b.str("title", 16));
  TRY_FIELD(r.first_name, b.str("firstName", 64));
  TRY_FIELD(r.middle_name, b.str("middleName", 64));
  TRY_FIELD(r.last_name, b.str("lastName", 64));
  TRY_FIELD(r.gender, b.str("gender", 8));
  TRY_FIELD(r.address, b.str("address", 256));
  TRY_FIELD(r.address2, b.str("address2", 256));
  TRY_FIELD(r.city, b.str("city", 64));
  TRY_FIELD(r.state, b.str("state", 64));
  TRY_FIELD(r.country, b.str("country", 64));
  TRY_FIELD(r.pincode, b.str("pincode", 8, true));
  TRY_FIELD(r.remarks, b.str("remarks", 256));
  TRY_FIELD(r.special_date, b.str("specialDate", 16));
  TRY_FIELD(std::optional<bool> primary, b.boolean("primaryEnKashCard"));
  TRY_FIELD(std::optional<bool> physical, b.boolean("physicalCard"));
  TRY_FIELD(std::optional<bool> flag, b.boolean("physicalDeliveryAddressFlag"));
  r.primary = primary.value_or(false);
  r.physical = physical.value_or(false);
  r.delivery_flag = flag.value_or(false);
  TRY_FIELD(r.delivery_address, b.str("deliveryAddress", 256));
  TRY_FIELD(r.delivery_address2, b.str("deliveryAddress2", 256));
  TRY_FIELD(r.delivery_city, b.str("deliveryCity", 64));
  TRY_FIELD(r.delivery_state, b.str("deliveryState", 64));
  TRY_FIELD(r.delivery_country, b.str("deliveryCountry", 64));
  TRY_FIELD(r.delivery_pincode, b.str("deliveryPincode", 8, true));
  TRY_FIELD(std::vector<JsonBody> docs, b.objects("documents", 10));
  for (const JsonBody& d : docs) {
    cards::Document doc;
    TRY_FIELD(doc.doc_type, d.str("docType", 32));
    TRY_FIELD(doc.doc_no, d.str("docNo", 64));
    r.documents.push_back(doc);
  }
  TRY_FIELD(r.load_amount_paise, b.amount_paise("loadAmount"));
  TRY_FIELD(cards::IssuedCard issued, cards::create_card(ctx, p, r));
  json out = card_json(issued.card);
  if (issued.order) out["physicalOrder"] = order_json(*issued.order);
  return out;
}

Result<json> set_pin(const Context& ctx, const Principal& p, const JsonBody& b) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(std::string pin, b.str("pinBlock", 8, true));
  TRY_FIELD(cards::Proof proof, read_proof(b, true));
  CC_RETURN_IF_ERROR(cards::set_pin(ctx, p, ref, pin, proof));
  return json("Success");
}

Result<json> block(const Context& ctx, const Principal& p, const JsonBody& b) {
  cards::BlockRequest r;
  TRY_FIELD(r.ref, read_ref(b));
  TRY_FIELD(r.block_code, b.str("blockCode", 4));
  TRY_FIELD(r.reason, b.str("reason", 256));
  TRY_FIELD(r.created_by, b.str("createdBy", 64));
  TRY_FIELD(r.proof, read_proof(b, true));
  CC_RETURN_IF_ERROR(cards::block(ctx, p, r));
  return json("Success");
}

Result<json> generate_otp(const Context& ctx, const Principal& p, const JsonBody& b) {
  TRY_FIELD(std::string account_id, b.str("cardAccountId", 32));
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(std::string action, b.str("cardOtpAction", 32));
  TRY_FIELD(cards::OtpIssued issued, cards::generate_otp(ctx, p, account_id, card_id, action));
  return json{{"otpRequestId", issued.otp_request_id},
              {"expiresInSeconds", issued.expires_in_seconds},
              {"maskedMobile", issued.masked_mobile}};
}

Result<json> view_card(const Context& ctx, const Principal& p, const JsonBody& b) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(cards::Proof proof, read_proof(b, false));
  TRY_FIELD(cards::CardSecrets s, cards::view_card(ctx, p, ref, proof));
  json out = card_json(s.card);
  out["cardNumber"] = s.pan;
  out["cvv"] = s.cvv;
  return out;
}

Result<json> set_usage(const Context& ctx, const Principal& p, const JsonBody& b) {
  cards::UsageUpdate r;
  TRY_FIELD(r.company_id, b.str("companyId", 32));
  TRY_FIELD(r.card_account_id, b.str("cardAccountId", 32));
  TRY_FIELD(r.card_ids, b.str_list("enKashCardIds", 100, 32));
  TRY_FIELD(r.pos_allowed, b.boolean("posAllowed"));
  TRY_FIELD(r.online_allowed, b.boolean("onlineAllowed"));
  TRY_FIELD(r.atm_allowed, b.boolean("atmAllowed"));
  TRY_FIELD(r.international_allowed, b.boolean("internationalAllowed"));
  TRY_FIELD(r.contactless_allowed, b.boolean("contactlessAllowed"));
  TRY_FIELD(r.admin_user, b.boolean("adminUser"));
  TRY_FIELD(r.per_txn_limit, b.amount_tri("perTxnLimit"));
  TRY_FIELD(r.dtd, b.amount_tri("dtd"));
  TRY_FIELD(r.mtd, b.amount_tri("mtd"));
  TRY_FIELD(r.ytd, b.amount_tri("ytd"));
  TRY_FIELD(r.dtd_count, b.count_tri("dtdCount"));
  TRY_FIELD(r.mtd_count, b.count_tri("mtdCount"));
  TRY_FIELD(r.ytd_count, b.count_tri("ytdCount"));
  TRY_FIELD(r.pos_daily, b.amount_tri("posDailyLimit"));
  TRY_FIELD(r.pos_daily_count, b.count_tri("posDailyLimitCount"));
  TRY_FIELD(r.ecom_daily, b.amount_tri("ecomDailyLimit"));
  TRY_FIELD(r.ecom_daily_count, b.count_tri("ecomDailyLimitCount"));
  TRY_FIELD(r.contactless_daily, b.amount_tri("contactLessDailyLimit"));
  TRY_FIELD(r.contactless_daily_count, b.count_tri("contactLessDailyLimitCount"));
  TRY_FIELD(r.created_by, b.str("createdBy", 64));
  CC_RETURN_IF_ERROR(cards::set_usage_controls(ctx, p, r));
  return json("Success");
}

Result<json> get_usage(const Context& ctx, const Principal& p, const JsonBody& b) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(cards::UsageReport u, cards::get_usage_controls(ctx, p, ref));
  json out = usage_json(u.controls);
  out["usedSoFar"] = {{"dtd", rupees_json(u.used.day_paise)},     {"mtd", rupees_json(u.used.month_paise)},
                      {"ytd", rupees_json(u.used.year_paise)},    {"dtdCount", u.used.day_count},
                      {"mtdCount", u.used.month_count},           {"ytdCount", u.used.year_count}};
  return out;
}

Result<json> replace_card(const Context& ctx, const Principal& p, const JsonBody& b) {
  cards::ReplaceRequest r;
  TRY_FIELD(r.card_id, b.str("enKashCardId", 32));
  TRY_FIELD(r.card_account_id, b.str("cardAccountId", 32));
  TRY_FIELD(r.reason, b.str("reason", 256));
  TRY_FIELD(r.proof, read_proof(b, true));
  TRY_FIELD(CardRow fresh, cards::replace_card(ctx, p, r));
  json out = card_json(fresh);
  out["replacedEnKashCardId"] = r.card_id;
  return out;
}

Result<json> order_physical(const Context& ctx, const Principal& p, const JsonBody& b) {
  cards::OrderRequest r;
  TRY_FIELD(r.ref, read_ref(b));
  TRY_FIELD(r.address, b.str("deliveryAddress", 256));
  TRY_FIELD(r.address2, b.str("deliveryAddress2", 256));
  TRY_FIELD(r.city, b.str("deliveryCity", 64));
  TRY_FIELD(r.state, b.str("deliveryState", 64));
  TRY_FIELD(r.country, b.str("deliveryCountry", 64));
  TRY_FIELD(r.pincode, b.str("deliveryPincode", 8, true));
  TRY_FIELD(PhysicalOrderRow o, cards::order_physical(ctx, p, r));
  return order_json(o);
}

Result<json> search(const Context& ctx, const Principal& p, const JsonBody& b) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(cards::SearchResult found, cards::search(ctx, p, ref.company_id, ref.card_account_id, ref.card_id,
                                                      kMaxSearchCards));
  if (!ref.card_id.empty()) return card_json(found.cards.front());
  json list = json::array();
  for (const CardRow& c : found.cards) list.push_back(card_json(c));
  return json{{"cardAccountId", ref.card_account_id}, {"cards", list}, {"totalCards", found.total_cards}};
}

Result<json> load_balance(const Context& ctx, const Principal& p, const JsonBody& b) {
  balances::LoadRequest r;
  TRY_FIELD(r.ref, read_ref(b));
  TRY_FIELD(r.amount_paise, b.amount_paise("amount"));
  TRY_FIELD(r.transaction_type, b.str("transactionType", 8));
  TRY_FIELD(r.type, b.str("type", 64));
  TRY_FIELD(r.transaction_code, b.str("transactionCode", 64));
  TRY_FIELD(r.description, b.str("description", 256));
  TRY_FIELD(r.reference, b.str("uniqueReferenceNumber", 64, true));
  TRY_FIELD(r.remarks, b.str("remarks", 256));
  TRY_FIELD(r.created_by, b.str("createdBy", 64));
  TRY_FIELD(balances::LoadResult out, balances::load(ctx, p, r));
  return json{{"enKashCardId", out.card.card_id},
              {"enkashCardTxnId", out.txn.txn_id},
              {"pgReferenceNumber", out.txn.pg_reference},
              {"otbBalance", rupees_json(out.card.balance_paise - out.card.held_paise)},
              {"maskedNumber", masked_number(out.card.pan_last4)},
              {"transaction", transaction_json(out.txn)}};
}

// Parses "2025-01-24T08:47:01.505Z", "2025-01-24T14:17:01+05:30", "2025-01-24" (IST midnight) or
// unix seconds.
Result<std::optional<int64_t>> read_time(const JsonBody& b, const char* field) {
  TRY_FIELD(std::string text, b.str(field, 40, true));
  if (text.empty()) return std::nullopt;
  auto t = clock::parse_iso8601(text);
  if (!t) return invalid_param(field, "must be an ISO 8601 date or date-time");
  return *t;
}

Result<json> transactions(const Context& ctx, const Principal& p, const JsonBody& b) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(std::string pg_reference, b.str("pgReferenceNumber", 64, true));
  TRY_FIELD(std::string txn_id, b.str("enKashTransactionId", 32));
  if (!pg_reference.empty() || !txn_id.empty()) {
    TRY_FIELD(TransactionRow t, balances::get_transaction(ctx, p, ref, pg_reference, txn_id));
    return transaction_json(t);
  }
  TransactionFilter f;
  f.card_account_id = ref.card_account_id;
  f.card_id = ref.card_id;
  TRY_FIELD(f.status, b.str("status", 32));
  TRY_FIELD(f.direction, b.str("cardTransactionType", 4));
  TRY_FIELD(f.txn_ids, b.str_list("enKashTransactionIds", 100, 32));
  TRY_FIELD(f.pg_references, b.str_list("pgReferenceNumbers", 100, 64));
  TRY_FIELD(f.amount_from_paise, b.amount_paise("amountFrom"));
  TRY_FIELD(f.amount_to_paise, b.amount_paise("amountTo"));
  TRY_FIELD(f.from_time, read_time(b, "txnDateFrom"));
  TRY_FIELD(f.to_time, read_time(b, "txnDateTo"));
  TRY_FIELD(std::optional<int64_t> page_number, b.count("pageNumber"));
  TRY_FIELD(std::optional<int64_t> page_size, b.count("pageSize"));
  // EnKash clients send amountFrom/amountTo = 0 to mean "no bound".
  if (f.amount_from_paise && *f.amount_from_paise == 0) f.amount_from_paise.reset();
  if (f.amount_to_paise && *f.amount_to_paise == 0) f.amount_to_paise.reset();
  int64_t size = page_size.value_or(50);
  if (size < 1 || size > 500) return invalid_param("pageSize", "must be 1 to 500");
  int64_t number = page_number.value_or(0);
  if (number > 1'000'000) return invalid_param("pageNumber", "must be at most 1000000");
  f.limit = static_cast<size_t>(size);
  f.offset = static_cast<size_t>(number * size);
  TRY_FIELD(TransactionPage page, balances::list_transactions(ctx, p, ref.company_id, f));
  json list = json::array();
  for (const TransactionRow& t : page.rows) list.push_back(transaction_json(t));
  return json{{"transactions", list}, {"totalCount", page.total}, {"totalCountCapped", page.total_capped},
              {"pageNumber", number}, {"pageSize", size}};
}

const std::map<std::string, Route, std::less<>>& routes() {
  static const std::map<std::string, Route, std::less<>> kRoutes = {
      {"", {create_card, Envelope::kA}},
      {"/cardAccount/create", {create_account, Envelope::kA}},
      {"/cardAccount/get", {get_account, Envelope::kB}},
      {"/setPin", {set_pin, Envelope::kA}},
      {"/block", {block, Envelope::kA}},
      {"/otp", {generate_otp, Envelope::kA}},
      {"/viewCard", {view_card, Envelope::kA}},
      {"/velocity/rule", {set_usage, Envelope::kA}},
      {"/velocity/rule/get", {get_usage, Envelope::kA}},
      {"/replaceCard", {replace_card, Envelope::kA}},
      {"/orderPhysicalCard", {order_physical, Envelope::kA}},
      {"/search", {search, Envelope::kB}},
      {"/balance", {load_balance, Envelope::kA}},
      {"/transaction/all", {transactions, Envelope::kA}},
  };
  return kRoutes;
}

// ---- /oauth/token ----

std::string url_decode(std::string_view s, bool& ok) {
  std::string out;
  ok = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        ok = false;
        return {};
      }
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= body.size() && !body.empty()) {
    size_t amp = body.find('&', pos);
    std::string_view pair = body.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      bool ok1 = true, ok2 = true;
      std::string k = url_decode(pair.substr(0, eq), ok1);
      std::string v = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1), ok2);
      if (!ok1 || !ok2) return std::nullopt;
      out[k] = v;
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

http::Response token_endpoint(const Context& ctx, const http::Request& req) {
  if (req.method != "POST") return oauth_error(Error{code::kMethodNotAllowed, "method: use POST", "method"});
  std::string client_id, client_secret;
  std::string_view authz = req.header("authorization");
  if (authz.size() > 6 && (authz.substr(0, 6) == "Basic " || authz.substr(0, 6) == "basic ")) {
    auto decoded = crypto::base64_decode(trim(authz.substr(6)));
    if (decoded) {
      size_t colon = decoded->find(':');
      if (colon != std::string::npos) {
        client_id = decoded->substr(0, colon);
        client_secret = decoded->substr(colon + 1);
      }
    }
  }
  // Form fields may also come in the query string (Spring accepts both).
  std::string_view query = req.target.find('?') == std::string::npos
                               ? std::string_view()
                               : std::string_view(req.target).substr(req.target.find('?') + 1);
  auto form = parse_form(req.body);
  auto qform = parse_form(query);
  if (!form || !qform) return oauth_error(Error{code::kInvalidTokenRequest, "body: malformed form encoding", "body"});
  for (auto& [k, v] : *qform) form->emplace(k, v);
  auto field = [&](const char* k) { auto it = form->find(k); return it == form->end() ? std::string() : it->second; };
  std::string grant = field("grant_type");
  Result<auth::TokenGrant> granted;
  if (grant == "password") {
    granted = auth::password_grant(ctx, {client_id, client_secret, field("username"), field("password"), field("clientId")});
  } else if (grant == "refresh_token") {
    granted = auth::refresh_grant(ctx, client_id, client_secret, field("refresh_token"));
  } else if (grant.empty()) {
    return oauth_error(Error{code::kInvalidTokenRequest, "grant_type: missing", "grant_type"});
  } else {
    return oauth_error(Error{code::kUnsupportedGrantType, "grant_type: must be password or refresh_token", "grant_type"});
  }
  if (!granted) return oauth_error(granted.error());
  http::Response r = json_response(200, {{"access_token", granted->access_token},
                                         {"token_type", "bearer"},
                                         {"refresh_token", granted->refresh_token},
                                         {"expires_in", granted->expires_in_seconds},
                                         {"scope", "read write trust"}});
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// ---- encrypted payloads ----

struct Decoded {
  std::string json_text;
  std::optional<std::string> response_key;  // set when the answer must be encrypted
};

Result<Decoded> decode_body(const Context& ctx, const PartnerRow& partner, const std::string& body) {
  if (partner.encryption != "aes128ecb") return Decoded{body, std::nullopt};
  // Encrypted partners may still send plain JSON; {"request": "<b64>"} alone means ciphertext.
  auto probe = nlohmann::json::parse(body, nullptr, false);
  if (probe.is_discarded() || !probe.is_object() || probe.size() != 1 || !probe.contains("request") ||
      !probe["request"].is_string()) {
    return Decoded{body, std::nullopt};
  }
  CC_ASSIGN_OR_RETURN(std::string key, ctx.vault.open(partner.payload_key, partner.partner_id));
  auto plain = payload_crypto::decrypt_from_base64(key, probe["request"].get<std::string>());
  if (!plain) return fail(code::kInvalidParameter, "Invalid encrypted request", "request");
  return Decoded{*plain, key};
}

http::Response encrypt_response(http::Response r, const std::string& key) {
  r.body = json{{"request", payload_crypto::encrypt_to_base64(key, r.body)}}.dump();
  return r;
}

// Idempotency-Key (as Stripe does it): the first answer for (partner, key) is stored and replayed
// for 24 hours to a request with the same path and body; the same key with another body is
// refused; while the first request runs, a second one with the key is refused, so the two never
// both execute. Answers of 5xx are not stored: the key is released so the client can retry.
constexpr int64_t kIdempotencyTtlSeconds = 24 * 3600;
constexpr int64_t kIdempotencyLeaseSeconds = 300;

http::Response run_idempotent(const Context& ctx, const std::string& partner_id, const std::string& key,
                              const std::string& path, const std::string& body, Envelope envelope,
                              const std::function<http::Response()>& run) {
  if (key.size() > 255 || !validate::printable(key, 255)) {
    return error(Error{code::kInvalidParameter, "Idempotency-Key: must be 1..255 printable characters",
                       "Idempotency-Key"}, envelope);
  }
  std::string digest = crypto::to_hex(crypto::sha256(path + "\n" + body));
  auto claim = transact(ctx.store, [&](Tx& tx) {
    return tx.claim_idempotency_key(partner_id, key, digest, ctx.now(), kIdempotencyTtlSeconds,
                                    kIdempotencyLeaseSeconds);
  });
  if (!claim) return error(claim.error(), envelope);
  switch (claim->kind) {
    case IdempotencyClaim::Kind::kReplay: {
      http::Response r;
      r.status = claim->http_status;
      r.body = claim->response_body;
      r.headers.emplace_back("Idempotent-Replayed", "true");
      return r;
    }
    case IdempotencyClaim::Kind::kMismatch:
      return error(Error{code::kIdempotencyMismatch,
                         "Idempotency-Key: already used with a different request", "Idempotency-Key"}, envelope);
    case IdempotencyClaim::Kind::kRunning:
      return error(Error{code::kIdempotencyInProgress,
                         "Idempotency-Key: a request with this key is still being processed", "Idempotency-Key"},
                   envelope);
    case IdempotencyClaim::Kind::kNew:
      break;
  }
  http::Response out = run();
  auto stored = transact(ctx.store, [&](Tx& tx) {
    return out.status >= 500 ? tx.release_idempotency_key(partner_id, key)
                             : tx.finish_idempotency_key(partner_id, key, out.status, out.body);
  });
  if (!stored) logx::error("idempotency key not stored", {{"partnerId", partner_id}, {"error", stored.error().message}});
  return out;
}

}  // namespace

namespace {

using Handler = std::function<Result<json>(const Principal&, const JsonBody&)>;

// The prelude every partner route shares: POST only, bearer token, partnerId header, JSON
// content type, optional payload decryption and Idempotency-Key; then the handler.
http::Response dispatch(const Context& ctx, const http::Request& req, Envelope envelope, const Handler& handler) {
  if (req.method != "POST") {
    http::Response r = error(Error{code::kMethodNotAllowed, "method: use POST", "method"}, envelope);
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  std::string_view authz = req.header("authorization");
  std::string token;
  if (authz.size() > 7 && (authz.substr(0, 7) == "Bearer " || authz.substr(0, 7) == "bearer ")) {
    token = trim(authz.substr(7));
  }
  auto principal = auth::authenticate(ctx, token);
  if (!principal) return oauth_error(principal.error());
  std::string partner_header = trim(req.header("partnerid"));
  if (partner_header.empty()) {
    return error(Error{code::kInvalidParameter, "partnerId: header is required", "partnerId"}, envelope);
  }
  if (partner_header != principal->partner_id) {
    return error(Error{code::kInvalidId, "partnerId: no such id", "partnerId"}, envelope);
  }
  if (!is_json_content_type(req.header("content-type"))) {
    return error(Error{code::kUnsupportedMediaType, "Content-Type: must be application/json", "Content-Type"},
                 envelope);
  }
  auto partner = transact(ctx.store, [&](Tx& tx) { return tx.find_partner(principal->partner_id); });
  if (!partner) return error(partner.error(), envelope);
  if (!*partner) return error(Error{code::kFailure, "partner of a valid token not found", ""}, envelope);
  auto decoded = decode_body(ctx, **partner, req.body);
  if (!decoded) return error(decoded.error(), envelope);
  principal->idempotency_key = std::string(req.header("idempotency-key"));
  auto run = [&]() -> http::Response {
    auto body = JsonBody::parse(decoded->json_text);
    if (!body) return error(body.error(), envelope);
    auto payload = handler(*principal, *body);
    return payload ? ok(*payload, envelope) : error(payload.error(), envelope);
  };
  http::Response out;
  std::string_view idem_key = req.header("idempotency-key");
  if (idem_key.empty()) {
    out = run();
  } else {
    out = run_idempotent(ctx, principal->partner_id, std::string(idem_key), req.path, decoded->json_text, envelope,
                         run);
  }
  if (decoded->response_key) return encrypt_response(std::move(out), *decoded->response_key);
  return out;
}

// ---- sandbox simulation (sandbox mode only): the same engine the ISO 8583 side calls ----

constexpr std::string_view kSandbox = "/api/v0/sandbox";

json decision_json(const authorization::AuthResult& r) {
  return json{{"approved", r.approved},
              {"responseCode", r.response_code},
              {"reason", r.reason},
              {"authorizationId", r.authorization_id.empty() ? json(nullptr) : json(r.authorization_id)},
              {"enKashCardTransactionId", r.txn_id.empty() ? json(nullptr) : json(r.txn_id)},
              {"authCode", r.auth_code.empty() ? json(nullptr) : json(r.auth_code)},
              {"amount", rupees_json(r.amount_paise)},
              {"otbBalance", rupees_json(r.available_paise)},
              {"duplicate", r.duplicate}};
}

Result<authorization::MessageKey> read_key(const JsonBody& b) {
  authorization::MessageKey k;
  TRY_FIELD(k.stan, b.str("stan", 6, true));
  TRY_FIELD(k.rrn, b.str("rrn", 12, true));
  TRY_FIELD(k.terminal_id, b.str("terminalId", 8));
  return k;
}

// A card request of the sandbox: the card must be the caller's (same answer as unknown ids).
Result<authorization::AuthRequest> read_card_request(const Context& ctx, const Principal& p, const JsonBody& b,
                                                     bool amount_required) {
  authorization::AuthRequest r;
  TRY_FIELD(CardRef ref, read_ref(b));
  if (ref.card_id.empty()) return invalid_param("enKashCardId", "is required");
  CC_RETURN_IF_ERROR(transact(ctx.store, [&](Tx& tx) { return svc::owned_card(tx, p, ref); }));
  r.partner_id = p.partner_id;
  r.card_id = ref.card_id;
  TRY_FIELD(std::optional<int64_t> amount, b.amount_paise("amount"));
  if (!amount && amount_required) return invalid_param("amount", "is required");
  r.amount_paise = amount.value_or(0);
  TRY_FIELD(r.channel, b.str("channel", 16));
  TRY_FIELD(std::optional<bool> intl, b.boolean("international"));
  r.international = intl.value_or(false);
  TRY_FIELD(r.mcc, b.str("mcc", 4, true));
  TRY_FIELD(r.merchant_name, b.str("merchantName", 40));
  TRY_FIELD(r.merchant_id, b.str("merchantId", 15));
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

std::optional<http::Response> handle_sandbox(const Context& ctx, const http::Request& req) {
  std::string_view rest = std::string_view(req.path).substr(kSandbox.size());
  if (!ctx.config.sandbox) {
    return error(Error{code::kNotFoundPath, "path: the sandbox simulation exists only in sandbox mode", "path"});
  }
  if (rest == "/authorizations") {
    return dispatch(ctx, req, Envelope::kA, [&](const Principal& p, const JsonBody& b) -> Result<json> {
      TRY_FIELD(authorization::AuthRequest r, read_card_request(ctx, p, b, true));
      if (r.channel.empty()) return invalid_param("channel", "is required (POS, ECOM, ATM or CONTACTLESS)");
      TRY_FIELD(authorization::AuthResult out, authorization::authorize(ctx, r));
      return decision_json(out);
    });
  }
  for (auto [path, kind] : {std::pair{"/refunds", 0}, {"/clearings", 1}}) {
    if (rest != path) continue;
    return dispatch(ctx, req, Envelope::kA, [&, kind](const Principal& p, const JsonBody& b) -> Result<json> {
      TRY_FIELD(authorization::AuthRequest r, read_card_request(ctx, p, b, true));
      TRY_FIELD(authorization::AuthResult out,
                kind == 0 ? authorization::refund(ctx, r) : authorization::force_post(ctx, r));
      return decision_json(out);
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
      using Fn = Result<authorization::AuthResult> (*)(const Context&, const authorization::FollowUp&);
      Fn fn = action == "increment" ? authorization::increment
              : action == "capture" ? authorization::capture
              : action == "reverse" ? authorization::reverse
              : action == "expire"  ? authorization::expire
                                    : nullptr;
      if (fn) {
        return dispatch(ctx, req, Envelope::kA, [&, fn](const Principal& p, const JsonBody& b) -> Result<json> {
          authorization::FollowUp f;
          f.partner_id = p.partner_id;
          f.authorization_id = id;
          TRY_FIELD(f.amount_paise, b.amount_paise("amount"));
          TRY_FIELD(std::optional<bool> final_capture, b.boolean("final"));
          f.final_capture = final_capture.value_or(true);
          TRY_FIELD(f.key, read_key(b));
          f.source = "SANDBOX";
          TRY_FIELD(authorization::AuthResult out, fn(ctx, f));
          return decision_json(out);
        });
      }
    }
  }
  return error(Error{code::kNotFoundPath, "path: no such endpoint " + req.path, "path"});
}

}  // namespace

std::optional<http::Response> handle_partner(const Context& ctx, const http::Request& req) {
  if (req.path == "/oauth/token") return token_endpoint(ctx, req);
  if (req.path.compare(0, kSandbox.size(), kSandbox) == 0 &&
      (req.path.size() == kSandbox.size() || req.path[kSandbox.size()] == '/')) {
    return handle_sandbox(ctx, req);
  }
  if (req.path.compare(0, kBase.size(), kBase) != 0) return std::nullopt;
  std::string_view rest = std::string_view(req.path).substr(kBase.size());
  if (rest == "/") rest = "";
  auto it = routes().find(rest);
  if (it == routes().end()) {
    if (!rest.empty() && rest[0] != '/') return std::nullopt;  // e.g. /enKashCardX is not ours
    return error(Error{code::kNotFoundPath, "path: no such endpoint " + req.path, "path"});
  }
  const Route& route = it->second;
  return dispatch(ctx, req, route.envelope, [&](const Principal& p, const JsonBody& b) { return route.fn(ctx, p, b); });
}

}  // namespace cardcore::api
