// Errors are values: every layer returns Result<T>. An Error names WHAT went wrong (`code`), in
// words (`message`, which names the field) and where (`field`). It never says how a transport
// answers it: the HTTP status (and the code on the wire) of each code is in one table at the HTTP
// edge (api/error_table.cc), the ISO 8583 response code in one table at the ISO edge
// (iso8583/response_codes.cc). Code that raises an error picks the code, nothing else.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace cardcore {

// Stable codes. 0..422 follow EnKash's published table; 1000+ are ours (domain refusals).
// 2000+ are refinements that partners see under an older wire code (api/error_table.cc says
// which), kept distinct because they are answered with another HTTP status.
namespace code {
inline constexpr int kSuccess = 0;
inline constexpr int kFailure = 1;               // internal failure
inline constexpr int kUnauthenticated = 401;     // missing/invalid bearer token or admin key
inline constexpr int kNotPermitted = 403;        // not enabled / not permitted
inline constexpr int kNotFoundPath = 404;        // unknown path
inline constexpr int kMethodNotAllowed = 405;
inline constexpr int kDuplicate = 409;           // duplicate reference / already exists
inline constexpr int kInvalidId = 412;           // invalid company / account / card id
inline constexpr int kPayloadTooLarge = 413;
inline constexpr int kUnsupportedMediaType = 415;
inline constexpr int kInvalidParameter = 422;    // invalid or missing parameter
inline constexpr int kOtpInvalid = 1001;         // wrong, missing, reused OTP or MFA code
inline constexpr int kOtpExpired = 1002;
inline constexpr int kOtpTriesExceeded = 1003;   // 3 wrong tries killed the OTP request
inline constexpr int kMfaNotEnrolled = 1004;
inline constexpr int kCardBlocked = 1010;        // card is BL: permanent, nothing changes it
inline constexpr int kStatusTransition = 1011;   // move not allowed, or the row changed meanwhile
inline constexpr int kCardNotActive = 1012;      // operation needs an active (UL) card
inline constexpr int kOrderExists = 1020;        // physical card already ordered
inline constexpr int kOrderTransition = 1021;    // shipping status move not allowed
inline constexpr int kRateLimited = 1030;        // too many OTP requests
inline constexpr int kInsufficientFunds = 1040;  // pool or wallet balance too low
inline constexpr int kMaxBalanceExceeded = 1041; // load would pass the plan's max card balance
inline constexpr int kNotReloadable = 1042;      // gift cards are never loaded after issue
inline constexpr int kKycBalanceLimit = 1043;    // balance would pass the KYC level's maximum (PPI)
inline constexpr int kKycMonthlyLoadLimit = 1044;  // loads this month would pass the level's limit
inline constexpr int kKycYearlyLoadLimit = 1045;   // loads this financial year would pass the limit
inline constexpr int kKycLevelChange = 1046;     // a KYC downgrade, or a change a gift card never takes
inline constexpr int kIdempotencyMismatch = 1050;   // Idempotency-Key reused with another body
inline constexpr int kIdempotencyInProgress = 1051; // the first request with the key still runs
// Refinements (wire code in parentheses).
inline constexpr int kMalformedRequest = 2001;   // (422) the request or body is not HTTP/JSON at all
inline constexpr int kHeadersTooLarge = 2002;    // (422) request headers beyond the server's limit
inline constexpr int kUpstreamFailure = 2003;    // (1) a service we call (SMS gateway, webhook) failed
inline constexpr int kUnavailable = 2004;        // (1) no storage connection free right now
inline constexpr int kInvalidClient = 2010;      // OAuth invalid_client: bad Basic client credentials
inline constexpr int kInvalidGrant = 2011;       // OAuth invalid_grant: bad login, locked, bad refresh token
inline constexpr int kInvalidTokenRequest = 2012;  // OAuth invalid_request: a form field is missing
inline constexpr int kUnsupportedGrantType = 2013; // OAuth unsupported_grant_type
inline constexpr int kCsrfRejected = 2020;       // (403) console session without its CSRF token
}  // namespace code

struct Error {
  int code = code::kFailure;
  std::string message;
  std::string field;  // empty when no single field is at fault
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(int code, std::string message, std::string field = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(field)});
}
// The common refusals, so that messages stay uniform.
inline std::unexpected<Error> invalid_param(const std::string& field, const std::string& what) {
  return fail(code::kInvalidParameter, field + ": " + what, field);
}
inline std::unexpected<Error> invalid_id(const std::string& field) {
  return fail(code::kInvalidId, field + ": no such id", field);
}
inline std::unexpected<Error> internal_error(std::string message) {
  return fail(code::kFailure, std::move(message));
}

}  // namespace cardcore

// Early return on error, as Abseil's RETURN_IF_ERROR / ASSIGN_OR_RETURN.
#define CC_CONCAT_INNER(a, b) a##b
#define CC_CONCAT(a, b) CC_CONCAT_INNER(a, b)
#define CC_RETURN_IF_ERROR(expr)                                          \
  do {                                                                    \
    auto cc_status_ = (expr);                                             \
    if (!cc_status_) return std::unexpected(std::move(cc_status_).error()); \
  } while (0)
#define CC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)         \
  auto tmp = (expr);                                     \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
#define CC_ASSIGN_OR_RETURN(lhs, expr) CC_ASSIGN_OR_RETURN_IMPL(CC_CONCAT(cc_result_, __LINE__), lhs, expr)
