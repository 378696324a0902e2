#include "service/authorization.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "domain/authorization.h"
#include "domain/card_status.h"
#include "domain/clock.h"
#include "domain/fees.h"
#include "domain/json_text.h"
#include "domain/ledger.h"
#include "security/crypto.h"
#include "security/secret_hash.h"
#include "service/balances.h"
#include "service/common.h"

namespace cardcore::authorization {
namespace {

using nlohmann::json;

constexpr size_t kExpiryBatch = 100;

// The JSON object earlier builds stored as the answer of a message.
Result<AuthResult> from_stored_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return internal_error("stored answer of an earlier message is not a JSON object");
  AuthResult r;
  r.approved = j.value("approved", false);
  r.response_code = j.value("responseCode", std::string(rc::kSystemError));
  r.reason = j.value("reason", "");
  r.authorization_id = j.value("authorizationId", "");
  r.txn_id = j.value("txnId", "");
  r.auth_code = j.value("authCode", "");
  r.amount_paise = j.value("amountPaise", int64_t{0});
  r.available_paise = j.value("availablePaise", int64_t{0});
  r.duplicate = true;
  return r;
}

// A message without a key (sandbox follow-ups) gets a unique one: never a duplicate.
MessageKey effective_key(const MessageKey& k) {
  if (!k.stan.empty() || !k.rrn.empty()) return k;
  return MessageKey{crypto::random_id_digits(6), crypto::random_id_chars(12), k.terminal_id};
}

// Messages are duplicates only within one sender: the network, or one sandbox partner.
std::string message_scope(const std::string& source, const std::string& partner_id) {
  return partner_id.empty() ? source : source + ":" + partner_id;
}

Result<std::optional<AuthResult>> earlier_answer(Tx& tx, const std::string& source, const char* kind,
                                                 const MessageKey& k) {
  CC_ASSIGN_OR_RETURN(std::optional<std::string> stored, tx.find_message(source, kind, k.stan, k.rrn, k.terminal_id));
  if (!stored) return std::optional<AuthResult>{};
  CC_ASSIGN_OR_RETURN(AuthResult earlier, decode_stored_answer(*stored));
  return std::optional<AuthResult>{std::move(earlier)};
}

Status remember_answer(Tx& tx, const std::string& source, const char* kind, const MessageKey& k, const AuthResult& r,
                       int64_t now) {
  return tx.insert_message(source, kind, k.stan, k.rrn, k.terminal_id, encode_stored_answer(r), now);
}

// The HMAC of the request's card number (empty without one), computed before any unit: the
// writer runs units one after another, so CPU work that needs no data is kept out of them.
std::string request_fingerprint(const Context& ctx, const AuthRequest& r) {
  return r.card_id.empty() && !r.pan.empty() ? svc::pan_fingerprint(ctx, r.pan) : std::string();
}

// The card a request names, with what a decision on it reads (DecisionCard): by id
// (partner-scoped when a partner calls) or by card number (its fingerprint, request_fingerprint).
Result<std::optional<DecisionCard>> locate_card(Tx& tx, const AuthRequest& r, const std::string& fingerprint) {
  std::optional<DecisionCard> found;
  if (!r.card_id.empty()) {
    CC_ASSIGN_OR_RETURN(found, tx.find_decision_card(r.card_id));
  } else if (!fingerprint.empty()) {
    CC_ASSIGN_OR_RETURN(found, tx.find_decision_card_by_fingerprint(fingerprint));
  }
  if (found && !r.partner_id.empty() && found->card.partner_id != r.partner_id) return invalid_id("enKashCardId");
  if (!found && !r.partner_id.empty()) return invalid_id("enKashCardId");
  return found;
}

// The limits a decision on `card` applies: its usage controls, and the RBI PPI rules of its KYC
// level (or GIFT) as its plan's program sets them (domain/ppi.h).
Result<authz::Limits> limits_of(const std::optional<UsageControlsRow>& stored, const CardRow& card);

authz::Limits limits_of(const std::optional<UsageControlsRow>& stored) {
  UsageControlsRow u = stored.value_or(UsageControlsRow{});
  authz::Limits l;
  l.pos_allowed = u.pos_allowed;
  l.online_allowed = u.online_allowed;
  l.atm_allowed = u.atm_allowed;
  l.international_allowed = u.international_allowed;
  l.contactless_allowed = u.contactless_allowed;
  l.per_txn_paise = u.per_txn_limit_paise;
  l.day_paise = u.dtd_paise;
  l.month_paise = u.mtd_paise;
  l.year_paise = u.ytd_paise;
  l.day_count = u.dtd_count;
  l.month_count = u.mtd_count;
  l.year_count = u.ytd_count;
  l.pos_day_paise = u.pos_daily_paise;
  l.pos_day_count = u.pos_daily_count;
  l.ecom_day_paise = u.ecom_daily_paise;
  l.ecom_day_count = u.ecom_daily_count;
  l.contactless_day_paise = u.contactless_daily_paise;
  l.contactless_day_count = u.contactless_daily_count;
  l.merchant = u.merchant;
  return l;
}

Result<authz::Limits> limits_of(const std::optional<UsageControlsRow>& stored, const CardRow& card) {
  authz::Limits l = limits_of(stored);
  CC_ASSIGN_OR_RETURN(ppi::Program program, ppi::decode_program(card.program_rules));
  if (const ppi::LevelRules* rules = ppi::rules_for(program, card.kyc_level, card.gift)) {
    l.ppi = *rules;
    l.ppi_kind = std::string(ppi::kind_name(card.kyc_level, card.gift));
  }
  return l;
}

bool card_expired(const CardRow& c, int64_t now) {
  clock::Date d = clock::ist_date(now);
  return d.year > c.expiry_year || (d.year == c.expiry_year && d.month > c.expiry_month);
}

bool expiry_differs(const CardRow& c, const std::optional<std::string>& yymm) {
  if (!yymm) return false;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d%02d", c.expiry_year % 100, c.expiry_month);
  return *yymm != buf;
}

// Checks done before the unit of work because they are slow (argon2id) or need the vault.
struct Secrets {
  std::string pin_hash_seen;  // the hash the PIN was checked against
  bool pin_ok = false;
  bool cvv_mismatch = false;
};

Result<Secrets> check_secrets(const Context& ctx, const AuthRequest& r) {
  Secrets s;
  if (!r.pin && !r.cvv) return s;
  const std::string fingerprint = request_fingerprint(ctx, r);
  CC_ASSIGN_OR_RETURN(std::optional<DecisionCard> found,
                      transact_read(ctx.store, [&](Tx& tx) { return locate_card(tx, r, fingerprint); }));
  if (!found) return s;
  const CardRow* card = &found->card;
  if (r.pin && !card->pin_hash.empty()) {
    s.pin_hash_seen = card->pin_hash;
    s.pin_ok = secret_hash::verify(card->pin_hash, *r.pin);
  }
  if (r.cvv) {
    CC_ASSIGN_OR_RETURN(std::string cvv, ctx.vault.open(card->cvv, card->card_id));
    s.cvv_mismatch = !crypto::constant_time_equal(cvv, *r.cvv);
  }
  return s;
}

Result<int64_t> available(Tx& tx, const std::string& card_id) {
  CC_ASSIGN_OR_RETURN(LedgerBalance b, tx.ledger_balance(ledger::wallet_account(card_id)));
  return b.available_paise();
}

// Writes the transaction row of a decision and remembers the answer for duplicates.
// `webhook_url`: the partner's, read with the card (find_decision_card).
Status record(Tx& tx, const CardRow& card, const std::string& webhook_url, const AuthRequest& r,
              std::string_view channel, const MessageKey& k, const char* kind, std::string_view txn_type,
              const std::string& direction, int64_t entry_id, AuthResult& out, int64_t now) {
  CC_ASSIGN_OR_RETURN(TransactionRow t,
                      svc::new_transaction(tx, card, direction, std::max<int64_t>(out.amount_paise, 0), entry_id,
                                           out.available_paise, k.rrn, std::string(txn_type), now,
                                           message_details(r, channel, k, out, txn_type)));
  t.status = out.approved ? "APPROVED" : "DECLINED";
  // The decisions to spend (the activity view counts them, as the metrics do), not what follows.
  if (std::string_view(kind) == "AUTH" || std::string_view(kind) == "PURCHASE") t.response_code = out.response_code;
  t.description = out.approved ? std::string(txn_type) : std::string(txn_type) + " declined: " + out.reason;
  out.txn_id = t.txn_id;
  CC_RETURN_IF_ERROR(svc::record_transaction(tx, t, webhook_url));
  return remember_answer(tx, message_scope(r.source, r.partner_id), kind, k, out, now);
}

AuthResult declined(const char* code, std::string reason, int64_t amount, int64_t avail) {
  AuthResult a;
  a.approved = false;
  a.response_code = code;
  a.reason = std::move(reason);
  a.amount_paise = amount;
  a.available_paise = avail;
  return a;
}

// Two identical messages racing on a multi-writer store: the loser's insert of the message
// clashes (duplicate); running its unit again answers it from the winner's stored answer.
template <class Unit>
Result<AuthResult> retry_on_duplicate(Unit unit) {
  Result<AuthResult> r = unit();
  if (!r && r.error().code == code::kDuplicate) r = unit();
  return r;
}

// ---- follow-ups share one frame: load the authorization, check the card, apply, record ----

struct FollowUpFrame {
  AuthorizationRow auth;
  CardRow card;
  std::optional<UsageControlsRow> controls;  // read with the card (DecisionCard)
  std::string webhook_url;                   // likewise
  AuthRequest as_request;  // merchant fields of the original, for the transaction row
};

Result<FollowUpFrame> load_frame(Tx& tx, const FollowUp& f) {
  CC_ASSIGN_OR_RETURN(std::optional<AuthorizationRow> auth, tx.find_authorization(f.authorization_id));
  if (!auth || (!f.partner_id.empty() && auth->partner_id != f.partner_id)) return invalid_id("authorizationId");
  CC_ASSIGN_OR_RETURN(std::optional<DecisionCard> found, tx.find_decision_card(auth->card_id));
  if (!found) return internal_error("authorization without card");
  const CardRow* card = &found->card;
  AuthRequest r;
  r.partner_id = f.partner_id;
  r.card_id = card->card_id;
  r.channel = std::string(authz::channel_name(auth->channel));
  r.international = auth->international;
  r.mcc = auth->mcc;
  r.merchant_name = auth->merchant_name;
  r.merchant_id = auth->merchant_id;
  r.source = f.source;
  return FollowUpFrame{*auth, std::move(found->card), std::move(found->controls), std::move(found->webhook_url), r};
}

template <class Apply>
Result<AuthResult> follow_up(const Context& ctx, const FollowUp& f, const Finish& finish, const char* kind,
                             Apply apply) {
  if (f.authorization_id.empty()) return invalid_param("authorizationId", "is required");
  if (f.amount_paise && *f.amount_paise <= 0) return invalid_param("amount", "must be at least 0.01");
  MessageKey k = effective_key(f.key);
  int64_t now = ctx.now();
  return retry_on_duplicate([&] { return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Result<AuthResult> {
    CC_ASSIGN_OR_RETURN(std::optional<AuthResult> earlier, earlier_answer(tx, message_scope(f.source, f.partner_id), kind, k));
    if (earlier) return *earlier;
    CC_ASSIGN_OR_RETURN(FollowUpFrame frame, load_frame(tx, f));
    return apply(tx, frame, k, now);
  }); });
}

Status save_authorization(Tx& tx, const AuthorizationRow& updated, int64_t expected_held) {
  CC_ASSIGN_OR_RETURN(bool written, tx.update_authorization(updated, expected_held));
  if (!written) return fail(code::kStatusTransition, "authorizationId: changed meanwhile; retry", "authorizationId");
  return {};
}


// A message about a card (authorization, purchase, force post, refund): answers a duplicate
// with the stored answer, declines an unknown card with 14, else applies `apply` in the same
// unit. Repeats are rare, so the unit first runs without looking for an earlier answer: every
// path of it ends by storing its answer under the message's unique key, which refuses a
// repeat's (code::kDuplicate), and a refused unit leaves nothing. Then, and after any other
// refusal, the unit runs again looking first, exactly as a repeat always was answered. One
// statement (a round trip on PostgreSQL) fewer for every message that is not a repeat.
template <class Apply>
Result<AuthResult> card_message(const Context& ctx, const AuthRequest& r, const Finish& finish, const char* kind,
                                Apply apply) {
  MessageKey k = effective_key(r.key);
  int64_t now = ctx.now();
  const std::string fingerprint = request_fingerprint(ctx, r);
  bool look_first = false;
  auto unit = [&] { return idempotency::write_unit(ctx, finish, [&](Tx& tx) -> Result<AuthResult> {
    if (look_first) {
      CC_ASSIGN_OR_RETURN(std::optional<AuthResult> earlier,
                          earlier_answer(tx, message_scope(r.source, r.partner_id), kind, k));
      if (earlier) return *earlier;
    }
    CC_ASSIGN_OR_RETURN(std::optional<DecisionCard> card, locate_card(tx, r, fingerprint));
    if (!card) {
      AuthResult out = declined(rc::kInvalidCard, "unknown card", r.amount_paise, 0);
      CC_RETURN_IF_ERROR(remember_answer(tx, message_scope(r.source, r.partner_id), kind, k, out, now));
      return out;
    }
    return apply(tx, *card, k, now);
  }); };
  Result<AuthResult> first = unit();
  if (first || first.error().code == code::kUnavailable) return first;  // not run: nothing to look for
  look_first = true;
  return retry_on_duplicate(unit);
}

}  // namespace

namespace {

// The program's fee (and GST) on a cash withdrawal of `card`; none for other channels.
Result<fees::Charge> atm_fee_of(const CardRow& card, authz::Channel channel) {
  if (channel != authz::Channel::kAtm) return fees::Charge{};
  CC_ASSIGN_OR_RETURN(fees::Schedule schedule, balances::fee_schedule(card.program_fees));
  return fees::with_gst(schedule, schedule.atm_withdrawal);
}

// Whether a decision under `l` on `channel` reads the card's use over a window (day, month,
// year): only the limits that apply to the channel count (authz::decide: the cash rules to
// ATM, a channel's daily limits to that channel). When none does, the unit reads no usage and
// takes no lock on the wallet: the conditional hold alone keeps the balance (two statements
// fewer, e.g. a POS authorization on a full-KYC card without usage controls).
bool uses_windows(const authz::Limits& l, authz::Channel channel) {
  using authz::Channel;
  const bool cash = channel == Channel::kAtm;
  const bool ppi = l.ppi && (l.ppi->monthly_debit || (cash && (l.ppi->monthly_cash || l.ppi->monthly_cash_count)));
  const bool pos = channel == Channel::kPos && (l.pos_day_paise || l.pos_day_count);
  const bool ecom = channel == Channel::kEcom && (l.ecom_day_paise || l.ecom_day_count);
  const bool contactless = channel == Channel::kContactless && (l.contactless_day_paise || l.contactless_day_count);
  return ppi || pos || ecom || contactless || l.day_paise || l.month_paise || l.year_paise || l.day_count ||
         l.month_count || l.year_count;
}

// The decision on a message that spends (authorization, purchase), inside its unit: the card's
// facts, its usage controls, what it used in the IST windows and its available balance. A wrong
// PIN is counted, a right one resets the count. Approved means "may be held"; the caller then
// takes the money with a conditional hold.
Result<AuthResult> decide_spend(Tx& tx, const DecisionCard& found, const AuthRequest& r, authz::Channel channel,
                                const Secrets& secrets, int64_t now) {
  const CardRow& card = found.card;
  CC_ASSIGN_OR_RETURN(authz::Limits limits, limits_of(found.controls, card));
  // The card row carries its wallet's balance and held amount (read with it, in this unit). The
  // decision only says "may be held": the conditional hold that follows is what takes the money.
  int64_t avail = card.balance_paise - card.held_paise;
  UsageTotals used;  // read only when a limit of this channel needs it (uses_windows)
  if (uses_windows(limits, channel)) {
    // A limit over the month (or day, or year) is only as good as the usage it reads: racing
    // authorizations of the card (PostgreSQL) wait here on the wallet's row, which every hold
    // updates, so each reads the usage its predecessor left.
    CC_ASSIGN_OR_RETURN(LedgerBalance wallet, tx.lock_ledger_account(ledger::wallet_account(card.card_id)));
    avail = wallet.available_paise();
    CC_ASSIGN_OR_RETURN(used, tx.card_usage(card.card_id, svc::usage_windows(now, channel)));
  }
  // Cash leaves room for the program's ATM fee and its GST, charged at clearing.
  CC_ASSIGN_OR_RETURN(fees::Charge atm_fee, atm_fee_of(card, channel));
  authz::CardFacts facts;
  facts.status = card.status;
  facts.expired = card_expired(card, now);
  facts.expiry_mismatch = expiry_differs(card, r.expiry_yymm);
  facts.cvv_mismatch = secrets.cvv_mismatch;
  facts.pin_entered = r.pin.has_value();
  facts.pin_set = !card.pin_hash.empty();
  // A PIN changed between the check and this unit is treated as not verified.
  facts.pin_ok = secrets.pin_ok && secrets.pin_hash_seen == card.pin_hash;
  facts.pin_failures = card.pin_failures;
  authz::Usage usage{used.day_paise,         used.month_paise,       used.year_paise,
                     used.day_count,          used.month_count,       used.year_count,
                     used.channel_day_paise,  used.channel_day_count, used.channel_month_paise,
                     used.channel_month_count};
  authz::Decision d = authz::decide(r.amount_paise, channel, r.international, facts, limits, usage, avail - atm_fee.total(),
                                    authz::Merchant{r.mcc, r.merchant_id, r.country});
  if (d.wrong_pin) CC_RETURN_IF_ERROR(tx.record_pin_failure(card.card_id));
  if (facts.pin_entered && facts.pin_ok && card.pin_failures > 0 && card.pin_failures < authz::kMaxPinFailures) {
    CC_RETURN_IF_ERROR(tx.reset_pin_failures(card.card_id));
  }
  AuthResult out = declined(d.response_code, d.reason, r.amount_paise, avail);
  if (d.approved) {
    out.approved = true;
    out.response_code = rc::kApproved;
    out.reason = "approved";
  }
  return out;
}

// The authorization row of an approved spending message.
AuthorizationRow new_authorization(const CardRow& card, const AuthRequest& r, authz::Channel channel,
                                   const MessageKey& k, const AuthResult& out, int64_t held_paise,
                                   int64_t captured_paise, authz::AuthStatus status, int64_t now) {
  return AuthorizationRow{out.authorization_id, card.partner_id, card.card_id, channel,
                          r.international, r.mcc, r.merchant_name, r.merchant_id, r.source, k.stan, k.rrn,
                          k.terminal_id, r.amount_paise, held_paise, captured_paise, status, out.auth_code, now, now};
}

// Checks shared by the spending messages, before any unit runs.
Result<authz::Channel> spend_channel(const AuthRequest& r) {
  auto channel = authz::parse_channel(r.channel);
  if (!channel) return invalid_param("channel", "must be POS, ECOM, ATM or CONTACTLESS");
  if (r.card_id.empty() && r.pan.empty()) return invalid_param("enKashCardId", "is required");
  return *channel;
}

}  // namespace

namespace {
constexpr std::string_view kStoredAnswerTag = "A1";
constexpr size_t kStoredAnswerFields = 9;  // the tag, 7 fields, the reason
}  // namespace

std::string encode_stored_answer(const AuthResult& r) {
  std::string out;
  out.reserve(64 + r.reason.size());
  for (std::string_view f : {kStoredAnswerTag, std::string_view(r.approved ? "1" : "0"),
                             std::string_view(r.response_code), std::string_view(r.authorization_id),
                             std::string_view(r.txn_id), std::string_view(r.auth_code)}) {
    out.append(f).push_back('\t');
  }
  out.append(std::to_string(r.amount_paise)).push_back('\t');
  out.append(std::to_string(r.available_paise)).push_back('\t');
  // A reason is one line of text; a tab in it would still be read back whole (it is last).
  out.append(r.reason);
  return out;
}

Result<AuthResult> decode_stored_answer(std::string_view text) {
  if (text.starts_with('{')) return from_stored_json(text);
  std::vector<std::string_view> f;
  size_t at = 0;
  while (f.size() + 1 < kStoredAnswerFields) {
    size_t tab = text.find('\t', at);
    if (tab == std::string_view::npos) break;
    f.push_back(text.substr(at, tab - at));
    at = tab + 1;
  }
  f.push_back(text.substr(at));
  auto number = [](std::string_view v, int64_t& out) {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return ec == std::errc() && end == v.data() + v.size() && !v.empty();
  };
  AuthResult r;
  if (f.size() != kStoredAnswerFields || f[0] != kStoredAnswerTag || (f[1] != "0" && f[1] != "1") ||
      f[2].empty() || !number(f[6], r.amount_paise) || !number(f[7], r.available_paise)) {
    return internal_error("stored answer of an earlier message is not readable");
  }
  r.approved = f[1] == "1";
  r.response_code = std::string(f[2]);
  r.authorization_id = std::string(f[3]);
  r.txn_id = std::string(f[4]);
  r.auth_code = std::string(f[5]);
  r.reason = std::string(f[8]);
  r.duplicate = true;
  return r;
}

std::string message_details(const AuthRequest& r, std::string_view channel, const MessageKey& k,
                            const AuthResult& out, std::string_view transaction_type) {
  using json_text::quote;
  return json_text::object({{"txnRefNo", quote(k.rrn)},
                            {"merchantName", quote(r.merchant_name)},
                            {"merchantId", quote(r.merchant_id)},
                            {"transactionType", quote(transaction_type)},
                            {"mcc", quote(r.mcc)},
                            {"channel", quote(channel)},
                            {"international", r.international ? "true" : "false"},
                            {"retrievalRefNo", quote(k.rrn)},
                            {"traceNo", quote(k.stan)},
                            {"terminalId", quote(k.terminal_id)},
                            {"txnCurrency", quote("356")},
                            {"network", quote(r.source)},
                            {"authCode", quote(out.auth_code)},
                            {"responseCode", quote(out.response_code)},
                            {"authorizationId", quote(out.authorization_id)}});
}

// Tells ctx.on_decision of a decision this call made (a repeated answer was counted before).
static Result<AuthResult> observed(const Context& ctx, const AuthRequest& r, Result<AuthResult> out) {
  if (out && !out->duplicate && ctx.on_decision) ctx.on_decision(r.source, out->approved, out->response_code);
  return out;
}

Result<AuthResult> authorize(const Context& ctx, const AuthRequest& r, const Finish& finish) {
  CC_ASSIGN_OR_RETURN(authz::Channel channel, spend_channel(r));
  CC_ASSIGN_OR_RETURN(Secrets secrets, check_secrets(ctx, r));
  const std::string authorization_id = svc::make_time_ordered_id("AUTH"), auth_code = crypto::random_id_digits(6);
  return observed(ctx, r, card_message(ctx, r, finish, "AUTH", [&](Tx& tx, const DecisionCard& found, const MessageKey& k,
                                                  int64_t now) -> Result<AuthResult> {
    const CardRow& card = found.card;
    CC_ASSIGN_OR_RETURN(AuthResult out, decide_spend(tx, found, r, channel, secrets, now));
    if (out.approved) {
      // The hold is a conditional update: two racing authorizations cannot both take the money.
      // What it answers is the available balance after it, read from the row this unit now
      // holds: exact even if racing authorizations (PostgreSQL, READ COMMITTED) took holds
      // since the first read.
      CC_ASSIGN_OR_RETURN(std::optional<int64_t> after, tx.place_hold(ledger::wallet_account(card.card_id), r.amount_paise));
      if (!after) {
        out = declined(rc::kInsufficientFunds, "insufficient funds", r.amount_paise, out.available_paise);
      } else {
        out.authorization_id = authorization_id;
        out.auth_code = auth_code;
        out.available_paise = *after;
        CC_RETURN_IF_ERROR(tx.insert_authorization(
            new_authorization(card, r, channel, k, out, r.amount_paise, 0, authz::AuthStatus::kOpen, now)));
      }
    }
    CC_RETURN_IF_ERROR(record(tx, card, found.webhook_url, r, authz::channel_name(channel), k, "AUTH", "AUTHORIZATION",
                              "DR", 0, out, now));
    return out;
  }));
}

Result<AuthResult> purchase(const Context& ctx, const AuthRequest& r, const Finish& finish) {
  CC_ASSIGN_OR_RETURN(authz::Channel channel, spend_channel(r));
  CC_ASSIGN_OR_RETURN(Secrets secrets, check_secrets(ctx, r));
  return observed(ctx, r, card_message(ctx, r, finish, "PURCHASE", [&](Tx& tx, const DecisionCard& found, const MessageKey& k,
                                                      int64_t now) -> Result<AuthResult> {
    const CardRow& card = found.card;
    CC_ASSIGN_OR_RETURN(AuthResult out, decide_spend(tx, found, r, channel, secrets, now));
    int64_t entry_id = 0;
    if (out.approved) {
      // Taken like an authorization (the conditional hold keeps held money out of reach), then
      // cleared in the same unit: released and posted, so no hold is ever visible.
      const std::string wallet = ledger::wallet_account(card.card_id);
      CC_ASSIGN_OR_RETURN(std::optional<int64_t> held, tx.place_hold(wallet, r.amount_paise));
      if (!held) {
        out = declined(rc::kInsufficientFunds, "insufficient funds", r.amount_paise, out.available_paise);
      } else {
        CC_RETURN_IF_ERROR(tx.release_hold(wallet, r.amount_paise));
        std::string reference = "PUR-" + svc::make_id("", 12);
        CC_ASSIGN_OR_RETURN(entry_id, tx.post_entry(ledger::clearing(card.card_id, r.amount_paise, 0, reference),
                                                    card.partner_id, now));
        out.authorization_id = svc::make_time_ordered_id("AUTH");
        out.auth_code = crypto::random_id_digits(6);
        // Counts toward the limits like an authorization cleared at once.
        CC_RETURN_IF_ERROR(tx.insert_authorization(
            new_authorization(card, r, channel, k, out, 0, r.amount_paise, authz::AuthStatus::kClosed, now)));
        // A cash withdrawal cleared at once pays the ATM fee now (the decision left room for it).
        CC_ASSIGN_OR_RETURN(fees::Charge atm_fee, atm_fee_of(card, channel));
        CC_RETURN_IF_ERROR(balances::charge_fee_in_unit(tx, card, true, atm_fee, "FEE_ATM", "ATM-" + out.authorization_id,
                                                        "ATM withdrawal", "amount", now));
        CC_ASSIGN_OR_RETURN(out.available_paise, available(tx, card.card_id));
      }
    }
    CC_RETURN_IF_ERROR(record(tx, card, found.webhook_url, r, authz::channel_name(channel), k, "PURCHASE", "PURCHASE",
                              "DR", entry_id, out, now));
    return out;
  }));
}

Result<AuthResult> increment(const Context& ctx, const FollowUp& f, const Finish& finish) {
  if (!f.amount_paise) return invalid_param("amount", "is required");
  return follow_up(ctx, f, finish, "INCR", [&](Tx& tx, FollowUpFrame& fr, const MessageKey& k, int64_t now) -> Result<AuthResult> {
    int64_t amount = *f.amount_paise;
    CC_ASSIGN_OR_RETURN(int64_t avail, available(tx, fr.card.card_id));
    AuthResult out = declined(rc::kDoNotHonour, "authorization is not open", amount, avail);
    out.authorization_id = fr.auth.authorization_id;
    if (fr.auth.status == authz::AuthStatus::kOpen) {
      CC_ASSIGN_OR_RETURN(authz::Limits limits, limits_of(fr.controls, fr.card));
      UsageTotals used;
      if (uses_windows(limits, fr.auth.channel)) {  // as in decide_spend: the usage read cannot be overtaken
        CC_ASSIGN_OR_RETURN(LedgerBalance wallet, tx.lock_ledger_account(ledger::wallet_account(fr.card.card_id)));
        avail = wallet.available_paise();
        CC_ASSIGN_OR_RETURN(used, tx.card_usage(fr.card.card_id, svc::usage_windows(now, fr.auth.channel)));
      }
      authz::CardFacts facts;
      facts.status = fr.card.status;
      facts.expired = card_expired(fr.card, now);
      // The cardholder's PIN (if any) was verified by the authorization being incremented.
      facts.pin_entered = facts.pin_set = facts.pin_ok = fr.auth.channel == authz::Channel::kAtm;
      // Count limits apply to authorizations, not to increments of one.
      limits.day_count = limits.month_count = limits.year_count = std::nullopt;
      if (limits.ppi) limits.ppi->monthly_cash_count.reset();
      limits.pos_day_count = limits.ecom_day_count = limits.contactless_day_count = std::nullopt;
      if (fr.auth.channel == authz::Channel::kAtm) limits.atm_allowed = true;  // allowed when it was authorized
      limits.merchant = {};  // the merchant was allowed when the authorization was
      // Per-transaction limits hold the whole transaction: what it authorized plus the increment.
      authz::Usage usage{used.day_paise, used.month_paise, used.year_paise, 0, 0, 0, used.channel_day_paise, 0,
                         used.channel_month_paise, 0, fr.auth.authorized_paise};
      authz::Decision d = authz::decide(amount, fr.auth.channel, fr.auth.international, facts,
                                        limits, usage, avail);
      out = declined(d.response_code, d.reason, amount, avail);
      out.authorization_id = fr.auth.authorization_id;
      if (d.approved) {
        CC_ASSIGN_OR_RETURN(std::optional<int64_t> after, tx.place_hold(ledger::wallet_account(fr.card.card_id), amount));
        if (!after) {
          out.response_code = rc::kInsufficientFunds;
          out.reason = "insufficient funds";
        } else {
          AuthorizationRow updated = fr.auth;
          updated.authorized_paise += amount;
          updated.held_paise += amount;
          updated.updated_at = now;
          CC_RETURN_IF_ERROR(save_authorization(tx, updated, fr.auth.held_paise));
          out.approved = true;
          out.response_code = rc::kApproved;
          out.reason = "approved";
          out.auth_code = fr.auth.auth_code;
          out.available_paise = *after;
        }
      }
    }
    CC_RETURN_IF_ERROR(record(tx, fr.card, fr.webhook_url, fr.as_request, authz::channel_name(fr.auth.channel), k, "INCR", "INCREMENTAL_AUTHORIZATION", "DR",
                              0, out, now));
    return out;
  });
}

Result<AuthResult> capture(const Context& ctx, const FollowUp& f, const Finish& finish) {
  return follow_up(ctx, f, finish, "CAPTURE", [&](Tx& tx, FollowUpFrame& fr, const MessageKey& k, int64_t now) -> Result<AuthResult> {
    const AuthorizationRow& a = fr.auth;
    int64_t amount = f.amount_paise.value_or(a.held_paise);
    CC_ASSIGN_OR_RETURN(int64_t avail, available(tx, fr.card.card_id));
    AuthResult out = declined(rc::kDoNotHonour, "authorization is not open", amount, avail);
    out.authorization_id = a.authorization_id;
    int64_t tolerance = a.authorized_paise * ctx.config.over_capture_tolerance_percent / 100;
    int64_t release = std::min(amount, a.held_paise);
    int64_t extra = amount - release;  // beyond what is held: must be free balance
    // The clearing that closes a cash withdrawal pays the program's ATM fee from the wallet.
    const bool closes = f.final_capture || a.held_paise == release;
    CC_ASSIGN_OR_RETURN(fees::Charge atm_fee, atm_fee_of(fr.card, closes ? a.channel : authz::Channel::kPos));
    // Clearing beyond what was authorized (the tolerance) is more spending: the month's PPI
    // debits and cash, and cash per withdrawal, hold it as they held the authorization.
    const int64_t beyond = std::max<int64_t>(0, a.captured_paise + amount - a.authorized_paise);
    std::optional<authz::Decision> beyond_ppi;
    if (beyond > 0 && a.status == authz::AuthStatus::kOpen) {
      CC_ASSIGN_OR_RETURN(authz::Limits limits, limits_of(std::nullopt, fr.card));
      if (limits.ppi) {
        CC_ASSIGN_OR_RETURN(LedgerBalance wallet, tx.lock_ledger_account(ledger::wallet_account(fr.card.card_id)));
        avail = wallet.available_paise();
        CC_ASSIGN_OR_RETURN(UsageTotals used, tx.card_usage(fr.card.card_id, svc::usage_windows(now, a.channel)));
        authz::Usage usage;
        usage.month_paise = used.month_paise;
        usage.channel_month_paise = used.channel_month_paise;
        usage.txn_paise = a.authorized_paise;
        beyond_ppi = authz::ppi_amount_refusal(limits, a.channel, usage, beyond);
      }
    }
    if (a.status != authz::AuthStatus::kOpen) {
      // keep the decline above
    } else if (amount <= 0) {
      out = declined(rc::kInvalidAmount, "nothing to capture", amount, avail);
    } else if (a.captured_paise + amount > a.authorized_paise + tolerance) {
      out = declined(rc::kInvalidAmount, "capture exceeds the authorization beyond the tolerance", amount, avail);
    } else if (extra > avail) {
      out = declined(rc::kInsufficientFunds, "insufficient funds for the amount above the authorization", amount, avail);
    } else if (beyond_ppi) {
      out = declined(rc::kAmountLimit, beyond_ppi->reason, amount, avail);
    } else if (extra + atm_fee.total() > avail + (a.held_paise - release)) {
      out = declined(rc::kInsufficientFunds, "insufficient funds for the ATM fee", amount, avail);
    } else {
      std::string wallet = ledger::wallet_account(fr.card.card_id);
      CC_RETURN_IF_ERROR(tx.release_hold(wallet, release));
      std::string reference = "CAP-" + svc::make_id("", 12);
      CC_ASSIGN_OR_RETURN(int64_t entry_id,
                          tx.post_entry(ledger::clearing(fr.card.card_id, amount, 0, reference), fr.card.partner_id, now));
      AuthorizationRow updated = a;
      updated.captured_paise += amount;
      updated.held_paise -= release;
      updated.authorized_paise = std::max(updated.authorized_paise, updated.captured_paise);
      if (f.final_capture && updated.held_paise > 0) {
        CC_RETURN_IF_ERROR(tx.release_hold(wallet, updated.held_paise));
        updated.authorized_paise -= updated.held_paise;  // what was never cleared stops counting
        updated.held_paise = 0;
      }
      if (updated.held_paise == 0) updated.status = authz::AuthStatus::kClosed;
      updated.updated_at = now;
      CC_RETURN_IF_ERROR(save_authorization(tx, updated, a.held_paise));
      if (updated.status == authz::AuthStatus::kClosed) {
        CC_RETURN_IF_ERROR(balances::charge_fee_in_unit(tx, fr.card, true, atm_fee, "FEE_ATM", "ATM-" + a.authorization_id,
                                                        "ATM withdrawal", "amount", now));
      }
      CC_ASSIGN_OR_RETURN(int64_t after, available(tx, fr.card.card_id));
      out = AuthResult{true, rc::kApproved, "cleared", a.authorization_id, "", a.auth_code, amount, after, false};
      CC_RETURN_IF_ERROR(record(tx, fr.card, fr.webhook_url, fr.as_request, authz::channel_name(a.channel), k, "CAPTURE", "CLEARING", "DR", entry_id, out, now));
      return out;
    }
    CC_RETURN_IF_ERROR(record(tx, fr.card, fr.webhook_url, fr.as_request, authz::channel_name(a.channel), k, "CAPTURE", "CLEARING", "DR", 0, out, now));
    return out;
  });
}

namespace {

// Releases `amount` of an open hold; reversal and expiry differ only in the final status.
Result<AuthResult> release(const Context& ctx, const FollowUp& f, const Finish& finish, const char* kind,
                           const char* txn_type, authz::AuthStatus final_status) {
  return follow_up(ctx, f, finish, kind, [&](Tx& tx, FollowUpFrame& fr, const MessageKey& k, int64_t now) -> Result<AuthResult> {
    const AuthorizationRow& a = fr.auth;
    int64_t amount = f.amount_paise.value_or(a.held_paise);
    CC_ASSIGN_OR_RETURN(int64_t avail, available(tx, fr.card.card_id));
    AuthResult out = declined(rc::kDoNotHonour, "authorization is not open", amount, avail);
    out.authorization_id = a.authorization_id;
    if (a.status == authz::AuthStatus::kOpen && (amount <= 0 || amount > a.held_paise)) {
      out = declined(rc::kInvalidAmount, "amount exceeds what is held", amount, avail);
      out.authorization_id = a.authorization_id;
    } else if (a.status == authz::AuthStatus::kOpen) {
      CC_RETURN_IF_ERROR(tx.release_hold(ledger::wallet_account(fr.card.card_id), amount));
      AuthorizationRow updated = a;
      updated.held_paise -= amount;
      updated.authorized_paise -= amount;  // released money does not count toward limits
      if (updated.held_paise == 0) updated.status = updated.captured_paise > 0 ? authz::AuthStatus::kClosed : final_status;
      updated.updated_at = now;
      CC_RETURN_IF_ERROR(save_authorization(tx, updated, a.held_paise));
      out = AuthResult{true, rc::kApproved, "released", a.authorization_id, "", a.auth_code, amount, avail + amount, false};
    }
    CC_RETURN_IF_ERROR(record(tx, fr.card, fr.webhook_url, fr.as_request, authz::channel_name(a.channel), k, kind, txn_type, "CR", 0, out, now));
    return out;
  });
}

}  // namespace

Result<AuthResult> reverse(const Context& ctx, const FollowUp& f, const Finish& finish) {
  return release(ctx, f, finish, "REVERSE", "REVERSAL", authz::AuthStatus::kReversed);
}

Result<AuthResult> expire(const Context& ctx, const FollowUp& f, const Finish& finish) {
  FollowUp all = f;
  all.amount_paise.reset();  // expiry releases the whole open hold
  return release(ctx, all, finish, "EXPIRE", "HOLD_EXPIRY", authz::AuthStatus::kExpired);
}

Result<AuthResult> force_post(const Context& ctx, const AuthRequest& r, const Finish& finish) {
  auto channel = authz::parse_channel(r.channel.empty() ? "POS" : r.channel);
  if (!channel) return invalid_param("channel", "must be POS, ECOM, ATM or CONTACTLESS");
  if (r.amount_paise <= 0) return invalid_param("amount", "must be at least 0.01");
  return card_message(ctx, r, finish, "FORCE", [&](Tx& tx, const DecisionCard& found, const MessageKey& k, int64_t now) -> Result<AuthResult> {
    const CardRow* card = &found.card;
    CC_ASSIGN_OR_RETURN(int64_t avail, available(tx, card->card_id));
    int64_t overdraft = std::max<int64_t>(0, r.amount_paise - std::max<int64_t>(avail, 0));
    AuthResult out = declined(rc::kInsufficientFunds, "insufficient funds for the force post", r.amount_paise, avail);
    int64_t entry_id = 0;
    if (overdraft == 0 || ctx.config.allow_negative_force_post) {
      std::string reference = "FP-" + svc::make_id("", 12);
      CC_ASSIGN_OR_RETURN(entry_id, tx.post_entry(ledger::clearing(card->card_id, r.amount_paise, overdraft, reference),
                                                  card->partner_id, now));
      // A force post counts toward the limits like an authorization that was cleared at once.
      AuthorizationRow a{svc::make_time_ordered_id("AUTH"), card->partner_id, card->card_id,
                         *channel, r.international, r.mcc, r.merchant_name,
                         r.merchant_id, r.source, k.stan, k.rrn, k.terminal_id, r.amount_paise, 0, r.amount_paise,
                         authz::AuthStatus::kClosed, "", now, now};
      CC_RETURN_IF_ERROR(tx.insert_authorization(a));
      CC_ASSIGN_OR_RETURN(int64_t after, available(tx, card->card_id));
      out = AuthResult{true, rc::kApproved, overdraft > 0 ? "posted; balance overdrawn" : "posted", a.authorization_id,
                       "", "", r.amount_paise, after, false};
    }
    CC_RETURN_IF_ERROR(record(tx, *card, found.webhook_url, r, authz::channel_name(*channel), k, "FORCE", "FORCE_POST",
                              "DR", entry_id, out, now));
    return out;
  });
}

Result<AuthResult> refund(const Context& ctx, const AuthRequest& r, const Finish& finish) {
  if (r.amount_paise <= 0) return invalid_param("amount", "must be at least 0.01");
  // The channel is optional on a refund (POS when absent), never free text.
  if (!r.channel.empty() && !authz::parse_channel(r.channel)) {
    return invalid_param("channel", "must be POS, ECOM, ATM or CONTACTLESS");
  }
  return card_message(ctx, r, finish, "REFUND", [&](Tx& tx, const DecisionCard& found, const MessageKey& k, int64_t now) -> Result<AuthResult> {
    const CardRow* card = &found.card;
    std::string reference = "RF-" + svc::make_id("", 12);
    CC_ASSIGN_OR_RETURN(int64_t entry_id,
                        tx.post_entry(ledger::refund(card->card_id, r.amount_paise, reference), card->partner_id, now));
    CC_ASSIGN_OR_RETURN(int64_t after, available(tx, card->card_id));
    AuthResult out{true, rc::kApproved, "refunded", "", "", "", r.amount_paise, after, false};
    CC_RETURN_IF_ERROR(record(tx, *card, found.webhook_url, r, r.channel.empty() ? "POS" : r.channel, k, "REFUND",
                              "REFUND", "CR", entry_id, out, now));
    return out;
  });
}

Result<int> expire_old_holds(const Context& ctx) {
  int64_t cutoff = ctx.now() - ctx.config.hold_expiry_days * 86400;
  int expired = 0;
  for (;;) {
    CC_ASSIGN_OR_RETURN(std::vector<AuthorizationRow> due, transact(ctx.store, [&](Tx& tx) {
      return tx.open_authorizations_before(cutoff, kExpiryBatch);
    }));
    if (due.empty()) return expired;
    int released = 0;
    for (const AuthorizationRow& a : due) {
      FollowUp f;
      f.authorization_id = a.authorization_id;
      f.source = "SYSTEM";
      CC_ASSIGN_OR_RETURN(AuthResult r, expire(ctx, f));
      if (r.approved) ++released;
    }
    expired += released;
    if (due.size() < kExpiryBatch || released == 0) return expired;
  }
}

Result<std::optional<std::string>> find_authorization(const Context& ctx, const std::string& pan,
                                                      const MessageKey& original) {
  return transact_read(ctx.store, [&](Tx& tx) -> Result<std::optional<std::string>> {
    CC_ASSIGN_OR_RETURN(std::optional<CardRow> card, tx.find_card_by_fingerprint(svc::pan_fingerprint(ctx, pan)));
    if (!card) return std::optional<std::string>{};
    CC_ASSIGN_OR_RETURN(std::optional<AuthorizationRow> a,
                        tx.find_authorization_by_message(card->card_id, "ISO8583", original.stan, original.rrn,
                                                         original.terminal_id));
    if (!a) return std::optional<std::string>{};
    return std::optional<std::string>{a->authorization_id};
  });
}

}  // namespace cardcore::authorization
