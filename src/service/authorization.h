// Card transaction use cases: authorization (with a ledger hold), purchase (single message:
// decided and cleared at once), incremental authorization, clearing (capture: partial, several,
// over-capture within a tolerance; force post without an authorization), reversal, refund and
// expiry of old holds. The ISO 8583 server and the sandbox HTTP simulation both call exactly
// these functions; nothing is implemented twice.
//
// Each call is ONE unit of work: the decision, the ledger postings, the authorization row, the
// card transaction row (visible in /transaction/all and sent as a webhook) and the stored answer
// for duplicates commit together or not at all. A message repeated with the same (stan, rrn,
// terminal_id) gets the original answer and posts nothing. `finish` stores a keyed request's
// answer in that same unit (service/idempotency.h).
#pragma once

#include <optional>
#include <string>

#include "domain/authorization.h"
#include "service/context.h"
#include "service/idempotency.h"

namespace cardcore::authorization {

// The response codes of card decisions (domain/authorization.h).
namespace rc = authz::rc;

// Where a message came from; the duplicate key is (source, stan, rrn, terminal_id).
struct MessageKey {
  std::string stan;         // ISO 8583 field 11 (6 digits); sandbox: generated
  std::string rrn;          // field 37 (12 characters)
  std::string terminal_id;  // field 41
};

struct AuthRequest {
  // The card: by id (sandbox, partner-scoped) or by card number (network).
  std::string partner_id;  // sandbox: the caller; empty on the network side
  std::string card_id;
  std::string pan;
  std::optional<std::string> expiry_yymm;  // network: field 14; checked when present
  std::optional<std::string> cvv;          // card-not-present: checked when present
  int64_t amount_paise = 0;
  std::string channel;     // "POS" | "ECOM" | "ATM" | "CONTACTLESS"
  bool international = false;
  std::optional<std::string> pin;  // clear PIN digits, when the cardholder entered one
  std::string mcc, merchant_name, merchant_id;
  std::string country;     // ISO 3166 numeric of the acquirer (field 19); "" when not sent
  MessageKey key;
  std::string source;      // "SANDBOX" | "ISO8583"
};

struct AuthResult {
  bool approved = false;
  std::string response_code;     // rc::*
  std::string reason;            // human text for the decline (never a secret)
  std::string authorization_id;  // the hold; empty when declined
  std::string txn_id;            // the card transaction row (ECTR...)
  std::string auth_code;         // 6 characters when approved (field 38)
  int64_t amount_paise = 0;      // what was approved/posted by this message
  int64_t available_paise = 0;   // otbBalance after the message
  bool duplicate = false;        // the answer is the stored one of an earlier identical message
};

using Finish = idempotency::Finish<AuthResult>;

// The answer kept for a duplicate of a message (card_messages.answer_json), written in the unit
// that decides the message: one line, "A1" and the fields tab-separated, the free-text reason
// last. It is no JSON document because every authorization writes one and few are ever read.
// decode_stored_answer also reads the JSON objects that earlier builds stored; anything else is
// a storage fault (code::kFailure), never a made-up decline. A decoded answer is a duplicate.
std::string encode_stored_answer(const AuthResult& r);
Result<AuthResult> decode_stored_answer(std::string_view text);

// The txnDetails of the transaction row a message about a card writes, as JSON text (keys
// sorted, as nlohmann::json writes them): the merchant, the message's keys (`k`), the
// network and the answer.
std::string message_details(const AuthRequest& r, std::string_view channel, const MessageKey& k,
                            const AuthResult& out, std::string_view transaction_type);

// Authorization (0100): decides, and on approval places a hold.
Result<AuthResult> authorize(const Context& ctx, const AuthRequest& r, const Finish& finish = {});

// Purchase (0200, a sale that is its own clearing): decides like an authorization and, on
// approval, debits the card at once; no hold stays open. Transaction type PURCHASE.
Result<AuthResult> purchase(const Context& ctx, const AuthRequest& r, const Finish& finish = {});

// Follow-ups on an authorization. `partner_id` scopes the sandbox (empty on the network side).
struct FollowUp {
  std::string partner_id;
  std::string authorization_id;
  std::optional<int64_t> amount_paise;  // capture/reverse: omitted = the whole open hold
  bool final_capture = true;            // capture: release what is left of the hold
  MessageKey key;
  std::string source;
};
Result<AuthResult> increment(const Context& ctx, const FollowUp& f, const Finish& finish = {});  // amount required
Result<AuthResult> capture(const Context& ctx, const FollowUp& f, const Finish& finish = {});
Result<AuthResult> reverse(const Context& ctx, const FollowUp& f, const Finish& finish = {});
Result<AuthResult> expire(const Context& ctx, const FollowUp& f, const Finish& finish = {});  // release now (sandbox)

// Clearing without an authorization (force post) and refunds (credits) for a card.
Result<AuthResult> force_post(const Context& ctx, const AuthRequest& r, const Finish& finish = {});
Result<AuthResult> refund(const Context& ctx, const AuthRequest& r, const Finish& finish = {});

// Background job: releases open holds older than config.hold_expiry_days. Returns how many.
Result<int> expire_old_holds(const Context& ctx);

// For the network side: finds the authorization a reversal (0400) refers to by the original
// message's key, scoped to the card number.
Result<std::optional<std::string>> find_authorization(const Context& ctx, const std::string& pan,
                                                      const MessageKey& original);

}  // namespace cardcore::authorization
