// The authorization decision: one pure function over facts gathered by the service layer, with
// a fixed order of checks (the table of reasons below). No I/O, no clock: the service passes
// the usage already summed over the Asia/Kolkata calendar windows.
//
//  order  check                                               response code
//  1      amount > 0 and <= money::kMaxAbsPaise               13 invalid amount
//  2      card expired, or expiry given and different         54 expired card
//  3      status L / BL / AP                                   62 / 46 / 78
//  4      CVV given and different (card not present)           05 do not honour
//  5      merchant controls (MCC, merchant, country)           57 not permitted
//  6      channel or international use not allowed; ATM cash  57 not permitted
//         at a KYC level without cash (ppi.h)
//  7      PIN locked (3 wrong in a row) when a PIN is needed   75 PIN tries exceeded
//  8      PIN needed (ATM, or entered at POS) and wrong/unset  55 wrong PIN
//  9      perTxnLimit, dtd, mtd, ytd, channel daily amount;    61 exceeds amount limit
//         the KYC level's monthly debits, cash per withdrawal
//         and cash per month
//  10     dtdCount, mtdCount, ytdCount, channel daily count;   65 exceeds count limit
//         the KYC level's cash withdrawals per month
//  11     available balance < amount                           51 insufficient funds
//  else   approve                                              00
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/card_status.h"
#include "domain/ppi.h"

namespace cardcore::authz {

// The decline reasons of the decision, in the card network's vocabulary (ISO 8583 field 39):
// partners see them in the sandbox and in txnDetails.responseCode, the network in field 39.
// Errors that are not card decisions get their ISO code at the ISO edge
// (iso8583/response_codes.h), never here.
namespace rc {
inline constexpr const char* kApproved = "00";
inline constexpr const char* kDoNotHonour = "05";
inline constexpr const char* kInvalidAmount = "13";
inline constexpr const char* kInvalidCard = "14";
inline constexpr const char* kClosedCard = "46";
inline constexpr const char* kInsufficientFunds = "51";
inline constexpr const char* kExpiredCard = "54";
inline constexpr const char* kWrongPin = "55";
inline constexpr const char* kNotPermitted = "57";
inline constexpr const char* kAmountLimit = "61";
inline constexpr const char* kRestrictedCard = "62";
inline constexpr const char* kCountLimit = "65";
inline constexpr const char* kPinTriesExceeded = "75";
inline constexpr const char* kCardNotActive = "78";
inline constexpr const char* kDuplicate = "94";
inline constexpr const char* kSystemError = "96";
}  // namespace rc
// A decision's response code in words ("insufficient funds"); "" for a code not listed above.
std::string_view response_code_meaning(std::string_view code);

enum class Channel { kPos, kEcom, kAtm, kContactless };
std::optional<Channel> parse_channel(std::string_view s);  // "POS" | "ECOM" | "ATM" | "CONTACTLESS"
std::string_view channel_name(Channel c);

// The life of an authorization: OPEN while money is held; CLOSED once cleared (captured, or a
// purchase/force post cleared at once); REVERSED or EXPIRED when the hold was released with
// nothing cleared.
enum class AuthStatus { kOpen, kClosed, kReversed, kExpired };
std::optional<AuthStatus> parse_auth_status(std::string_view s);  // "OPEN" | "CLOSED" | "REVERSED" | "EXPIRED"
std::string_view auth_status_code(AuthStatus s);

// The merchant controls of Card Usage Controls: where a card works. MCCs are 4 digits,
// countries ISO 3166 numeric (3 digits, as in ISO 8583 field 19).
struct MerchantControls {
  std::vector<std::string> allowed_mccs;  // when not empty, only these MCCs approve
  std::vector<std::string> blocked_mccs, blocked_merchant_ids, blocked_countries;
};
// Where a card is used (ISO 8583 fields 18, 42 and 19); "" when the message does not say.
struct Merchant {
  std::string mcc, merchant_id, country;
};

// Card Usage Controls as the decision needs them (limits in paise; nullopt = no limit).
struct Limits {
  bool pos_allowed = true, online_allowed = true, atm_allowed = false, international_allowed = false,
       contactless_allowed = true;
  std::optional<int64_t> per_txn_paise, day_paise, month_paise, year_paise;
  std::optional<int64_t> day_count, month_count, year_count;
  std::optional<int64_t> pos_day_paise, pos_day_count, ecom_day_paise, ecom_day_count,
      contactless_day_paise, contactless_day_count;
  MerchantControls merchant;
  // The RBI PPI rules the card lives under (its KYC level, or GIFT), named by ppi_kind; none
  // outside the PPI directions. Debits count every channel; cash is the ATM channel.
  std::optional<ppi::LevelRules> ppi;
  std::string ppi_kind;
};

// What was already approved in each window (before this request).
struct Usage {
  int64_t day_paise = 0, month_paise = 0, year_paise = 0;
  int64_t day_count = 0, month_count = 0, year_count = 0;
  int64_t channel_day_paise = 0, channel_day_count = 0;  // for the request's channel
  int64_t channel_month_paise = 0, channel_month_count = 0;  // the same, this IST calendar month
  int64_t txn_paise = 0;  // already authorized in this transaction (an increment's authorization)
};

struct CardFacts {
  CardStatus status = CardStatus::kUnlocked;
  bool expired = false;          // today (IST) is after the card's expiry month
  bool expiry_mismatch = false;  // an expiry was given and differs from the card's
  bool cvv_mismatch = false;     // a CVV was given and differs
  bool pin_entered = false;      // the cardholder entered a PIN
  bool pin_ok = false;           // ... and it matches the card's PIN
  bool pin_set = false;          // the card has a PIN
  int pin_failures = 0;          // consecutive wrong PINs so far
};

inline constexpr int kMaxPinFailures = 3;

struct Decision {
  bool approved = false;
  const char* response_code = rc::kDoNotHonour;
  std::string reason;
  bool wrong_pin = false;  // the service counts it (and resets on a right PIN)
};

// The PPI amount rule (61) that spending `amount` more on `channel` breaks, for clearing beyond
// what was authorized (a capture within the over-capture tolerance); none when it breaks none.
std::optional<Decision> ppi_amount_refusal(const Limits& l, Channel channel, const Usage& u, int64_t amount);

// The order of the checks: amount, expiry, card status, CVV, merchant controls (57), channel
// and international (57), PIN, amount limits (61), count limits (65), funds (51).
Decision decide(int64_t amount_paise, Channel channel, bool international, const CardFacts& card,
                const Limits& limits, const Usage& usage, int64_t available_paise, const Merchant& merchant = {});

}  // namespace cardcore::authz
