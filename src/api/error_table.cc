#include "api/error_table.h"

#include "domain/error.h"

namespace cardcore::api {
namespace {

constexpr ErrorAnswer kTable[] = {
    {code::kFailure, 1, 500, nullptr, "internal failure; nothing was changed unless the answer says so"},
    {code::kUpstreamFailure, 1, 502, nullptr, "a service cardcore calls (the SMS gateway) failed"},
    {code::kUnavailable, 1, 503, nullptr, "no storage connection is free right now, the server is shedding load, or it is still starting (Retry-After); retry"},
    {code::kUnauthenticated, 401, 401, "invalid_token", "bearer token missing, unknown or expired; admin key wrong"},
    {code::kNotPermitted, 403, 403, nullptr, "not enabled or not permitted (e.g. transactionType DR)"},
    {code::kNotFoundPath, 404, 404, nullptr, "no such endpoint (or the sandbox outside sandbox mode)"},
    {code::kMethodNotAllowed, 405, 405, "invalid_request", "only POST is served"},
    {code::kDuplicate, 409, 409, nullptr, "duplicate reference or an object that already exists"},
    {code::kInvalidId, 412, 404, nullptr, "no such company, account, card, authorization or partner id"},
    {code::kPayloadTooLarge, 413, 413, nullptr, "request body larger than the server's limit"},
    {code::kUnsupportedMediaType, 415, 415, nullptr, "Content-Type is not application/json"},
    {code::kInvalidParameter, 422, 422, nullptr, "invalid or missing parameter; invalid encrypted request"},
    {code::kMalformedRequest, 422, 400, "invalid_request", "the request is not well-formed HTTP, or the body is not a JSON object"},
    {code::kHeadersTooLarge, 422, 431, nullptr, "request headers larger than the server's limit"},
    {code::kOtpInvalid, 1001, 403, nullptr, "wrong, missing or reused OTP or MFA code"},
    {code::kOtpExpired, 1002, 403, nullptr, "the OTP expired"},
    {code::kOtpTriesExceeded, 1003, 403, nullptr, "too many wrong tries; request a new OTP (or re-enroll MFA)"},
    {code::kMfaNotEnrolled, 1004, 409, nullptr, "no authenticator enrolled for the card holder"},
    {code::kCardBlocked, 1010, 409, nullptr, "the card is permanently blocked (or already replaced)"},
    {code::kStatusTransition, 1011, 409, nullptr, "status move not allowed, or the object changed meanwhile; retry"},
    {code::kCardNotActive, 1012, 409, nullptr, "reserved, not produced (an authorization of an inactive card is declined 78)"},
    {code::kOrderExists, 1020, 409, nullptr, "a physical card is already ordered for the card"},
    {code::kOrderTransition, 1021, 409, nullptr, "shipping status move not allowed"},
    {code::kRateLimited, 1030, 429, nullptr, "too many OTP requests for the card; try later"},
    {code::kInsufficientFunds, 1040, 422, nullptr, "funding pool or card balance too low"},
    {code::kMaxBalanceExceeded, 1041, 422, nullptr, "the load would pass the plan's maximum card balance"},
    {code::kNotReloadable, 1042, 422, nullptr, "gift cards are never loaded after issue"},
    {code::kKycBalanceLimit, 1043, 422, nullptr, "the card's balance would pass its KYC level's maximum (RBI PPI limit)"},
    {code::kKycMonthlyLoadLimit, 1044, 422, nullptr, "the loads of this calendar month would pass the KYC level's limit"},
    {code::kKycYearlyLoadLimit, 1045, 422, nullptr, "the loads of this financial year (1 April IST) would pass the KYC level's limit"},
    {code::kKycLevelChange, 1046, 409, nullptr, "a KYC downgrade, or a KYC change of a gift card, is refused"},
    {code::kIdempotencyMismatch, 1050, 422, nullptr, "Idempotency-Key already used with another request"},
    {code::kIdempotencyInProgress, 1051, 409, nullptr, "the first request with this Idempotency-Key is still running"},
    {code::kInvalidClient, 401, 401, "invalid_client", "/oauth/token: wrong Basic client credentials"},
    {code::kInvalidGrant, 422, 400, "invalid_grant", "/oauth/token: wrong login, locked login or bad refresh token"},
    {code::kInvalidTokenRequest, 422, 400, "invalid_request", "/oauth/token: a form field is missing or malformed"},
    {code::kUnsupportedGrantType, 422, 400, "unsupported_grant_type", "/oauth/token: grant_type is neither password nor refresh_token"},
    {code::kCsrfRejected, 403, 403, nullptr, "console session: the X-CSRF-Token header is missing or not the session's"},
};

}  // namespace

const ErrorAnswer& answer_for(int c) {
  for (const ErrorAnswer& row : kTable) {
    if (row.code == c) return row;
  }
  return kTable[0];
}

std::span<const ErrorAnswer> error_table() { return kTable; }

int code_for_transport_status(int http_status) {
  switch (http_status) {
    case 413: return code::kPayloadTooLarge;
    case 431: return code::kHeadersTooLarge;
    case 400: return code::kMalformedRequest;
    case 503: return code::kUnavailable;
    default: return code::kFailure;
  }
}

}  // namespace cardcore::api
