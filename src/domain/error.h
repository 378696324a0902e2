// Errors are values: every layer returns Result<T>; adapters map an Error to a wire envelope in
// exactly one place (api/envelope.cc). `code` is the stable code partners see (docs/api.md lists
// them all), `http_status` the HTTP status that goes with it, `field` the request field at fault.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace cardcore {

// Stable codes. 0..422 follow EnKash's published table; 1000+ are ours (domain refusals).
namespace code {
inline constexpr int kSuccess = 0;
inline constexpr int kFailure = 1;               // internal failure
inline constexpr int kNotPermitted = 403;        // not enabled / not permitted
inline constexpr int kNotFoundPath = 404;        // unknown path
inline constexpr int kMethodNotAllowed = 405;
inline constexpr int kDuplicate = 409;           // duplicate reference / already exists
inline constexpr int kInvalidId = 412;           // invalid company / account / card id
inline constexpr int kPayloadTooLarge = 413;
inline constexpr int kUnsupportedMediaType = 415;
inline constexpr int kInvalidParameter = 422;    // invalid or missing parameter, bad JSON
inline constexpr int kUnauthenticated = 401;     // missing/invalid admin key
inline constexpr int kOtpInvalid = 1001;         // wrong, missing, reused OTP or MFA code
inline constexpr int kOtpExpired = 1002;
inline constexpr int kOtpTriesExceeded = 1003;   // 3 wrong tries killed the OTP request
inline constexpr int kMfaNotEnrolled = 1004;
inline constexpr int kCardBlocked = 1010;        // card is BL: permanent, nothing changes it
inline constexpr int kStatusTransition = 1011;   // move not allowed by the status machine
inline constexpr int kCardNotActive = 1012;      // operation needs an active (UL) card
inline constexpr int kOrderExists = 1020;        // physical card already ordered
inline constexpr int kOrderTransition = 1021;    // shipping status move not allowed
inline constexpr int kRateLimited = 1030;        // too many OTP requests
inline constexpr int kInsufficientFunds = 1040;  // pool or wallet balance too low
inline constexpr int kMaxBalanceExceeded = 1041; // load would pass the plan's max card balance
inline constexpr int kNotReloadable = 1042;      // gift cards are never loaded after issue
inline constexpr int kIdempotencyMismatch = 1050;   // Idempotency-Key reused with another body
inline constexpr int kIdempotencyInProgress = 1051; // the first request with the key still runs
}  // namespace code

struct Error {
  int code = code::kFailure;
  int http_status = 500;
  std::string message;
  std::string field;  // empty when no single field is at fault
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(int code, int http_status, std::string message,
                                   std::string field = {}) {
  return std::unexpected(Error{code, http_status, std::move(message), std::move(field)});
}
// The common refusals, so that messages stay uniform.
inline std::unexpected<Error> invalid_param(const std::string& field, const std::string& what) {
  return fail(code::kInvalidParameter, 422, field + ": " + what, field);
}
inline std::unexpected<Error> invalid_id(const std::string& field) {
  return fail(code::kInvalidId, 404, field + ": no such id", field);
}
inline std::unexpected<Error> internal_error(std::string message) {
  return fail(code::kFailure, 500, std::move(message));
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
