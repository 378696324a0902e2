#include "iso8583/processor.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <initializer_list>

#include "service/authorization.h"

namespace cardcore::iso8583 {
namespace {

constexpr const char* kSource = "ISO8583";
constexpr const char* kInr = "356";
// A reversal that lost a race on the same authorization (error kStatusTransition) is retried.
constexpr int kMaxFollowUpAttempts = 3;

// Fields echoed from a request into its answer when present.
constexpr int kEchoed[] = {f::kPan,        f::kProcessingCode, f::kAmount,     f::kTransmissionTime,
                           f::kStan,       f::kLocalTime,      f::kLocalDate,  f::kAcquirerId,
                           f::kRrn,        f::kTerminalId,     f::kMerchantId, f::kCurrency};

Message answer_to(const Message& req) {
  Message a{response_mti(req.mti), {}};
  for (int bit : kEchoed) {
    if (req.has(bit)) a.set(bit, req.get(bit));
  }
  return a;
}

Message respond(Message a, const char* code) {
  a.set(f::kResponseCode, code);
  return a;
}

std::string trim_right(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

int64_t to_paise(std::string_view digits) {
  int64_t v = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), v);  // at most 12 digits: fits
  return v;
}

// Field 54: account type 00, amount type 02 (available balance), currency, C/D, 12 digits.
std::string available_balance_field(int64_t paise) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0002%s%c%012lld", kInr, paise < 0 ? 'D' : 'C',
                static_cast<long long>(paise < 0 ? -paise : paise));
  return buf;
}

bool missing_any(const Message& req, std::initializer_list<int> bits) {
  for (int b : bits) {
    if (!req.has(b)) return true;
  }
  return false;
}

bool is_alnum6(const std::string& s) {
  if (s.size() != 6) return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c)) return false;
  }
  return true;
}

// The answer fields of an authorization engine result.
Message with_result(Message a, const authorization::AuthResult& r) {
  a.set(f::kResponseCode, r.response_code.size() == 2 ? r.response_code : rc::kSystemError);
  if (r.approved && is_alnum6(r.auth_code)) a.set(f::kAuthCode, r.auth_code);
  const std::string& c = a.get(f::kResponseCode);
  if (c != rc::kInvalidCard && c != rc::kSystemError) a.set(f::kAdditionalAmounts, available_balance_field(r.available_paise));
  return a;
}

authorization::MessageKey key_of(const Message& req) {
  return {req.get(f::kStan), trim_right(req.get(f::kRrn)), trim_right(req.get(f::kTerminalId))};
}

// Card acceptance environment -> channel (README.md, "Channel").
std::string channel_of(const Message& req) {
  const std::string& pc = req.get(f::kProcessingCode);
  if (pc.rfind("01", 0) == 0) return "ATM";
  const std::string& entry = req.get(f::kPosEntryMode);
  std::string pan_entry = entry.substr(0, 2);
  if (pan_entry == "07" || pan_entry == "91") return "CONTACTLESS";
  if (pan_entry == "81" || req.get(f::kPosCondition) == "59") return "ECOM";
  return "POS";
}

}  // namespace

Message unavailable_answer(const Message& req) { return respond(answer_to(req), rc::kIssuerUnavailable); }

Message format_error_answer(std::string_view request_mti) {
  return Message{response_mti(request_mti), {{f::kResponseCode, rc::kFormatError}}};
}

std::optional<Message> Processor::handle(const Message& req) const {
  try {
    if (req.mti == "0100") return authorization(req, false);
    if (req.mti == "0200") return authorization(req, true);
    if (req.mti == "0120") return advice(req);
    if (req.mti == "0400" || req.mti == "0420") return reversal(req);
    if (req.mti == "0800") return network(req);
    if (req.mti.size() == 4 && (req.mti[2] == '0' || req.mti[2] == '2')) {
      return respond(answer_to(req), rc::kInvalidTransaction);
    }
    return std::nullopt;  // a response, a repeat indicator we do not speak, …: not ours to answer
  } catch (const std::exception&) {
    return respond(answer_to(req), rc::kSystemError);
  }
}

// 0100 and 0200: purchase (00), cash (01) and, for 0200 only, refund (20).
Message Processor::authorization(const Message& req, bool financial) const {
  Message a = answer_to(req);
  if (missing_any(req, {f::kPan, f::kProcessingCode, f::kAmount, f::kStan, f::kTerminalId})) {
    return respond(a, rc::kFormatError);
  }
  const std::string type = req.get(f::kProcessingCode).substr(0, 2);
  const bool refund = financial && type == "20";
  if (type != "00" && type != "01" && !refund) return respond(a, rc::kInvalidTransaction);
  if (req.has(f::kCurrency) && req.get(f::kCurrency) != kInr) return respond(a, rc::kInvalidAmount);

  authorization::AuthRequest r;
  r.pan = req.get(f::kPan);
  r.amount_paise = to_paise(req.get(f::kAmount));
  r.channel = channel_of(req);
  r.international = req.has(f::kAcquirerCountry) && req.get(f::kAcquirerCountry) != kInr;
  if (req.has(f::kAcquirerCountry)) r.country = req.get(f::kAcquirerCountry);
  if (req.has(f::kExpiry)) r.expiry_yymm = req.get(f::kExpiry);
  if (req.has(f::kAdditionalData)) {
    // Field 48 "CV2" + 3 or 4 digits: the card verification value of a card-not-present sale.
    const std::string& d = req.get(f::kAdditionalData);
    bool ok = d.size() >= 6 && d.size() <= 7 && d.rfind("CV2", 0) == 0 &&
              std::all_of(d.begin() + 3, d.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) return respond(a, rc::kFormatError);
    r.cvv = d.substr(3);
  }
  if (req.has(f::kPinData)) {
    auto pin = zpk_.decrypt_pin(req.get(f::kPinData), r.pan);
    // A block that does not open as format 0 under our key and this PAN is a wrong PIN.
    if (!pin) return respond(a, rc::kWrongPin);
    r.pin = *pin;
  }
  r.mcc = req.get(f::kMcc);
  r.merchant_name = trim_right(req.get(f::kMerchantNameLocation));
  r.merchant_id = trim_right(req.get(f::kMerchantId));
  r.key = key_of(req);
  r.source = kSource;

  // 0200 is a purchase that is its own clearing: one service call, one unit of work.
  auto res = refund      ? authorization::refund(ctx_, r)
             : financial ? authorization::purchase(ctx_, r)
                         : authorization::authorize(ctx_, r);
  return res ? with_result(a, *res) : respond(a, for_error(res.error()));
}

// 0120: an authorization advice, i.e. a sale the acquirer completed without us (stand-in, floor
// limit): posted as a force post.
Message Processor::advice(const Message& req) const {
  Message a = answer_to(req);
  if (missing_any(req, {f::kPan, f::kAmount, f::kStan, f::kTerminalId})) return respond(a, rc::kFormatError);
  if (req.has(f::kCurrency) && req.get(f::kCurrency) != kInr) return respond(a, rc::kInvalidAmount);
  authorization::AuthRequest r;
  r.pan = req.get(f::kPan);
  r.amount_paise = to_paise(req.get(f::kAmount));
  r.channel = channel_of(req);
  r.international = req.has(f::kAcquirerCountry) && req.get(f::kAcquirerCountry) != kInr;
  if (req.has(f::kAcquirerCountry)) r.country = req.get(f::kAcquirerCountry);
  r.mcc = req.get(f::kMcc);
  r.merchant_name = trim_right(req.get(f::kMerchantNameLocation));
  r.merchant_id = trim_right(req.get(f::kMerchantId));
  r.key = key_of(req);
  r.source = kSource;
  auto res = authorization::force_post(ctx_, r);
  return res ? with_result(a, *res) : respond(a, for_error(res.error()));
}

// 0400 reversal / 0420 reversal advice. The original is named by field 90 (original MTI, STAN,
// …) with this message's RRN and terminal, or else by this message's own 11/37/41. Field 95's
// first 12 digits are the actual (final) amount of a partial reversal: what is released is
// field 4 minus that; without field 95 (or with 0 there) the whole open hold is released.
Message Processor::reversal(const Message& req) const {
  Message a = answer_to(req);
  if (missing_any(req, {f::kPan, f::kAmount, f::kStan, f::kTerminalId})) return respond(a, rc::kFormatError);
  authorization::MessageKey original = key_of(req);
  if (req.has(f::kOriginalData)) original.stan = req.get(f::kOriginalData).substr(4, 6);

  auto found = authorization::find_authorization(ctx_, req.get(f::kPan), original);
  if (!found) return respond(a, for_error(found.error()));
  if (!*found) {
    // Nothing of ours to release (never approved, or unknown). An advice is acknowledged so that
    // the acquirer stops repeating it; a request is told that the original is unknown.
    return respond(a, req.mti == "0420" ? rc::kApproved : rc::kOriginalNotFound);
  }
  authorization::FollowUp rev;
  rev.authorization_id = **found;
  rev.key = key_of(req);
  rev.source = kSource;
  if (req.has(f::kReplacementAmounts)) {
    const std::string actual_text = req.get(f::kReplacementAmounts).substr(0, 12);
    if (!std::all_of(actual_text.begin(), actual_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return respond(a, rc::kFormatError);
    }
    int64_t original_paise = to_paise(req.get(f::kAmount));
    int64_t actual_paise = to_paise(actual_text);
    if (actual_paise >= original_paise) return respond(a, rc::kInvalidAmount);
    if (actual_paise > 0) rev.amount_paise = original_paise - actual_paise;
  }
  Result<authorization::AuthResult> res = internal_error("not tried");
  for (int i = 0; i < kMaxFollowUpAttempts; ++i) {
    res = authorization::reverse(ctx_, rev);
    if (res || res.error().code != code::kStatusTransition) break;
  }
  return res ? with_result(a, *res) : respond(a, for_error(res.error()));
}

// 0800: sign-on (001), sign-off (002), echo test (301), key change notices: acknowledged.
Message Processor::network(const Message& req) const {
  Message a{response_mti(req.mti), {}};
  for (int bit : {f::kTransmissionTime, f::kStan, f::kNetworkMgmtCode}) {
    if (req.has(bit)) a.set(bit, req.get(bit));
  }
  return respond(a, rc::kApproved);
}

}  // namespace cardcore::iso8583
