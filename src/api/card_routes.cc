#include "api/card_routes.h"

#include <functional>
#include <map>

#include "api/decoders.h"
#include "api/dispatch.h"
#include "domain/clock.h"
#include "domain/json_text.h"
#include "service/balances.h"
#include "service/cards.h"
#include "service/kyc.h"
#include "service/views.h"

namespace cardcore::api {
namespace {

using namespace views;  // NOLINT: the JSON shapes

using http::JsonBody;
using nlohmann::json;

constexpr size_t kMaxSearchCards = 10000;  // every card of an account, bounded

// Each route: body in, payload JSON (or Error) out. A route that changes something passes
// `keyed` to its use case through answer_with(), so that a keyed answer is stored in the unit of
// the change; read-only routes ignore it (their answer is stored after them).
using idempotency::Keyed;
// A route answers with a tree (Result<json>) or, where it writes the text itself, a Payload.
using RouteFn = std::function<Result<Payload>(const Context&, const Principal&, const JsonBody&, Keyed*)>;
struct Route {
  RouteFn fn;
  Envelope envelope;
  Storage storage = Storage::kStored;
};

Result<json> create_account(const Context& ctx, const Principal& p, const JsonBody& b, Keyed* keyed) {
  cards::CreateAccount r;
  TRY_FIELD(r.company_id, b.str("companyId", 32));
  TRY_FIELD(r.company_name, b.str("companyName", 128));
  TRY_FIELD(r.user_id, b.str("userId", 32));
  TRY_FIELD(r.plan_master_id, b.str("planMasterId", 32));
  TRY_FIELD(r.email, b.str("email", 254));
  TRY_FIELD(r.mobile, b.str("mobile", 16, true));
  TRY_FIELD(r.account_title, b.str("accountTitle", 128));
  TRY_FIELD(r.account_type, b.str("accountType", 32));
  TRY_FIELD(CardAccountRow acc, cards::create_account(ctx, p, r, answer_with<CardAccountRow>(keyed, account_json)));
  return account_json(acc);
}

Result<json> get_account(const Context& ctx, const Principal& p, const JsonBody& b, Keyed*) {
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
  out["feesThisMonth"] = {{"fees", rupees_json(s.fees_this_month_paise)},
                          {"gst", rupees_json(s.gst_this_month_paise)},
                          {"total", rupees_json(s.fees_this_month_paise + s.gst_this_month_paise)}};
  return out;
}

json issued_json(const cards::IssuedCard& issued) {
  json out = card_json(issued.card);
  if (issued.order) out["physicalOrder"] = order_json(*issued.order);
  return out;
}

Result<json> create_card(const Context& ctx, const Principal& p, const JsonBody& b, Keyed* keyed) {
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
  TRY_FIELD(cards::IssuedCard issued, cards::create_card(ctx, p, r, answer_with<cards::IssuedCard>(keyed, issued_json)));
  return issued_json(issued);
}

Result<json> set_pin(const Context& ctx, const Principal& p, const JsonBody& b, Keyed* keyed) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(std::string pin, b.str("pinBlock", 8, true));
  TRY_FIELD(cards::Proof proof, read_proof(b, true));
  CC_RETURN_IF_ERROR(cards::set_pin(ctx, p, ref, pin, proof, answer_with(keyed, json("Success"))));
  return json("Success");
}

Result<json> block(const Context& ctx, const Principal& p, const JsonBody& b, Keyed* keyed) {
  cards::BlockRequest r;
  TRY_FIELD(r.ref, read_ref(b));
  TRY_FIELD(r.block_code, b.str("blockCode", 4));
  TRY_FIELD(r.reason, b.str("reason", 256));
  TRY_FIELD(r.created_by, b.str("createdBy", 64));
  TRY_FIELD(r.proof, read_proof(b, true));
  CC_RETURN_IF_ERROR(cards::block(ctx, p, r, answer_with(keyed, json("Success"))));
  return json("Success");
}

json otp_json(const cards::OtpIssued& issued) {
  return json{{"otpRequestId", issued.otp_request_id},
              {"expiresInSeconds", issued.expires_in_seconds},
              {"maskedMobile", issued.masked_mobile}};
}

Result<json> generate_otp(const Context& ctx, const Principal& p, const JsonBody& b, Keyed* keyed) {
  TRY_FIELD(std::string account_id, b.str("cardAccountId", 32));
  TRY_FIELD(std::string card_id, b.str("enKashCardId", 32));
  TRY_FIELD(std::string action, b.str("cardOtpAction", 32));
  TRY_FIELD(cards::OtpIssued issued,
            cards::generate_otp(ctx, p, account_id, card_id, action, answer_with<cards::OtpIssued>(keyed, otp_json)));
  return otp_json(issued);
}

Result<json> view_card(const Context& ctx, const Principal& p, const JsonBody& b, Keyed*) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(cards::Proof proof, read_proof(b, false));
  TRY_FIELD(cards::CardSecrets s, cards::view_card(ctx, p, ref, proof));
  json out = card_json(s.card);
  out["cardNumber"] = s.pan;
  out["cvv"] = s.cvv;
  return out;
}

// A merchant control of /velocity/rule: absent or null leaves it, a list (an empty one clears)
// replaces it; at most 100 items.
Result<cards::UsageUpdate::List> merchant_list(const JsonBody& b, std::string_view key) {
  if (!b.has(key)) return std::nullopt;
  TRY_FIELD(std::vector<std::string> items, b.str_list(key, 100, 64));
  return items;
}

Result<json> set_usage(const Context& ctx, const Principal& p, const JsonBody& b, Keyed* keyed) {
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
  TRY_FIELD(r.allowed_mccs, merchant_list(b, "allowedMccs"));
  TRY_FIELD(r.blocked_mccs, merchant_list(b, "blockedMccs"));
  TRY_FIELD(r.blocked_merchant_ids, merchant_list(b, "blockedMerchantIds"));
  TRY_FIELD(r.blocked_countries, merchant_list(b, "blockedCountries"));
  TRY_FIELD(r.created_by, b.str("createdBy", 64));
  CC_RETURN_IF_ERROR(cards::set_usage_controls(ctx, p, r, answer_with(keyed, json("Success"))));
  return json("Success");
}

Result<json> get_usage(const Context& ctx, const Principal& p, const JsonBody& b, Keyed*) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(cards::UsageReport u, cards::get_usage_controls(ctx, p, ref));
  json out = usage_json(u.controls);
  out["usedSoFar"] = {{"dtd", rupees_json(u.used.day_paise)},     {"mtd", rupees_json(u.used.month_paise)},
                      {"ytd", rupees_json(u.used.year_paise)},    {"dtdCount", u.used.day_count},
                      {"mtdCount", u.used.month_count},           {"ytdCount", u.used.year_count}};
  return out;
}

Result<json> replace_card(const Context& ctx, const Principal& p, const JsonBody& b, Keyed* keyed) {
  cards::ReplaceRequest r;
  TRY_FIELD(r.card_id, b.str("enKashCardId", 32));
  TRY_FIELD(r.card_account_id, b.str("cardAccountId", 32));
  TRY_FIELD(r.reason, b.str("reason", 256));
  TRY_FIELD(r.proof, read_proof(b, true));
  auto payload = [old_id = r.card_id](const CardRow& fresh) {
    json out = card_json(fresh);
    out["replacedEnKashCardId"] = old_id;
    return out;
  };
  TRY_FIELD(CardRow fresh, cards::replace_card(ctx, p, r, answer_with<CardRow>(keyed, payload)));
  return payload(fresh);
}

Result<json> order_physical(const Context& ctx, const Principal& p, const JsonBody& b, Keyed* keyed) {
  cards::OrderRequest r;
  TRY_FIELD(r.ref, read_ref(b));
  TRY_FIELD(r.address, b.str("deliveryAddress", 256));
  TRY_FIELD(r.address2, b.str("deliveryAddress2", 256));
  TRY_FIELD(r.city, b.str("deliveryCity", 64));
  TRY_FIELD(r.state, b.str("deliveryState", 64));
  TRY_FIELD(r.country, b.str("deliveryCountry", 64));
  TRY_FIELD(r.pincode, b.str("deliveryPincode", 8, true));
  TRY_FIELD(PhysicalOrderRow o, cards::order_physical(ctx, p, r, answer_with<PhysicalOrderRow>(keyed, order_json)));
  return order_json(o);
}

// Written as text (views::card_json_text): the card is the whole answer, on every request.
Result<Payload> search(const Context& ctx, const Principal& p, const JsonBody& b, Keyed*) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(cards::SearchResult found, cards::search(ctx, p, ref.company_id, ref.card_account_id, ref.card_id,
                                                      kMaxSearchCards));
  if (!ref.card_id.empty()) return Payload::text(card_json_text(found.cards.front()));
  std::string list = "[";
  for (const CardRow& c : found.cards) {
    if (list.size() > 1) list += ',';
    list += card_json_text(c);
  }
  list += ']';
  return Payload::text(json_text::object({{"cardAccountId", json_text::quote(ref.card_account_id)},
                                          {"cards", std::move(list)},
                                          {"totalCards", std::to_string(found.total_cards)}}));
}

// Written as text, as the transaction in it (the tree was an eighth of a load's instructions:
// callgrind, bench/instructions.sh).
Payload load_json(const balances::LoadResult& out) {
  return Payload::text(json_text::object(
      {{"enKashCardId", json_text::quote(out.card.card_id)},
       {"enkashCardTxnId", json_text::quote(out.txn.txn_id)},
       {"pgReferenceNumber", json_text::quote(out.txn.pg_reference)},
       {"otbBalance", rupees_text(out.card.balance_paise - out.card.held_paise)},
       {"maskedNumber", json_text::quote(masked_number(out.card.pan_last4))},
       {"transaction", transaction_json_text(out.txn)}}));
}

Result<Payload> load_balance(const Context& ctx, const Principal& p, const JsonBody& b, Keyed* keyed) {
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
  TRY_FIELD(balances::LoadResult out, balances::load(ctx, p, r, answer_with<balances::LoadResult>(keyed, load_json)));
  return load_json(out);
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

// Written as text (views::transaction_json_text): a page is up to 500 transactions, and the tree
// cost more than the page's query (perf, bench/scale.sh).
Result<Payload> transactions(const Context& ctx, const Principal& p, const JsonBody& b, Keyed*) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(std::string pg_reference, b.str("pgReferenceNumber", 64, true));
  TRY_FIELD(std::string txn_id, b.str("enKashTransactionId", 32));
  if (!pg_reference.empty() || !txn_id.empty()) {
    TRY_FIELD(TransactionRow t, balances::get_transaction(ctx, p, ref, pg_reference, txn_id));
    return Payload::text(transaction_json_text(t));
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
  std::string list = "[";
  for (const TransactionRow& t : page.rows) {
    if (list.size() > 1) list += ',';
    list += transaction_json_text(t);
  }
  list += ']';
  return Payload::text(json_text::object({{"transactions", std::move(list)},
                                          {"totalCount", std::to_string(page.total)},
                                          {"totalCountCapped", page.total_capped ? "true" : "false"},
                                          {"pageNumber", std::to_string(number)},
                                          {"pageSize", std::to_string(size)}}));
}

// Get KYC Status: the level, and each RBI PPI limit of it (rupees; null: no limit) with what
// is used of it.
Result<json> kyc_status(const Context& ctx, const Principal& p, const JsonBody& b, Keyed*) {
  TRY_FIELD(CardRef ref, read_ref(b));
  TRY_FIELD(kyc::KycStatus s, kyc::status(ctx, p, ref));
  ppi::LevelRules none;  // outside the PPI directions: no limit, cash as the usage controls allow
  none.cash_allowed = true;
  json limits = level_rules_json(s.level.value_or(none));
  limits["maxBalance"] = rupees_json(s.max_balance_paise);
  limits["monthlyLoadUsed"] = rupees_json(s.month_loaded_paise);
  limits["yearlyLoadUsed"] = rupees_json(s.year_loaded_paise);
  limits["monthlyDebitUsed"] = rupees_json(s.month_debit_paise);
  limits["monthlyCashUsed"] = rupees_json(s.month_cash_paise);
  limits["monthlyCashCountUsed"] = s.month_cash_count;
  return json{{"enKashCardId", s.card.card_id}, {"kycLevel", ppi::kyc_level_code(s.card.kyc_level)},
              {"rules", s.rules}, {"limits", std::move(limits)}};
}

const std::map<std::string, Route, std::less<>>& routes() {
  static const std::map<std::string, Route, std::less<>> kRoutes = {
      {"", {create_card, Envelope::kA}},
      {"/cardAccount/create", {create_account, Envelope::kA}},
      {"/cardAccount/get", {get_account, Envelope::kB}},
      {"/setPin", {set_pin, Envelope::kA}},
      {"/block", {block, Envelope::kA}},
      {"/otp", {generate_otp, Envelope::kA}},
      {"/viewCard", {view_card, Envelope::kA, Storage::kNeverStored}},  // the answer holds PAN and CVV
      {"/velocity/rule", {set_usage, Envelope::kA}},
      {"/velocity/rule/get", {get_usage, Envelope::kA}},
      {"/replaceCard", {replace_card, Envelope::kA}},
      {"/orderPhysicalCard", {order_physical, Envelope::kA}},
      {"/search", {search, Envelope::kB}},
      {"/balance", {load_balance, Envelope::kA}},
      {"/transaction/all", {transactions, Envelope::kA}},
      {"/kyc/status", {kyc_status, Envelope::kA}},
  };
  return kRoutes;
}

}  // namespace

std::vector<std::string> card_route_templates() {
  std::vector<std::string> out;
  for (const auto& [rest, route] : routes()) out.push_back(std::string(kCardBase) + rest);
  return out;
}

std::optional<http::Response> handle_card_route(const Context& ctx, const http::Request& req) {
  if (req.path.compare(0, kCardBase.size(), kCardBase) != 0) return std::nullopt;
  std::string_view rest = std::string_view(req.path).substr(kCardBase.size());
  if (rest == "/") rest = "";
  auto it = routes().find(rest);
  if (it == routes().end()) {
    if (!rest.empty() && rest[0] != '/') return std::nullopt;  // e.g. /enKashCardX is not ours
    return error(Error{code::kNotFoundPath, "path: no such endpoint " + req.path, "path"});
  }
  const Route& route = it->second;
  return dispatch(
      ctx, req, route.envelope,
      [&](const Principal& p, const JsonBody& b, Keyed* keyed) { return route.fn(ctx, p, b, keyed); }, route.storage);
}

}  // namespace cardcore::api
