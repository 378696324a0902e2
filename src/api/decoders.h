// Request decoders shared by the partner card routes and the sandbox routes: the card reference
// (companyId, cardAccountId, enKashCardId) and the OTP/MFA proof fields. Each refusal names the
// field (http::JsonBody's errors); nothing here decides whether a request is allowed.
#pragma once

#include "http/json_body.h"
#include "service/cards.h"
#include "service/context.h"

// Assigns a decoded field or returns its error, as CC_ASSIGN_OR_RETURN does.
#define TRY_FIELD(lhs, expr) CC_ASSIGN_OR_RETURN_IMPL(CC_CONCAT(field_, __LINE__), lhs, expr)

namespace cardcore::api {

// companyId, cardAccountId, enKashCardId (each optional here; use cases say which they need).
Result<CardRef> read_ref(const http::JsonBody& b);

// otpRequired (mandatory when `otp_required_mandatory`), otpMedium, otpRequestId, otp, mfaCode.
Result<cards::Proof> read_proof(const http::JsonBody& b, bool otp_required_mandatory);

}  // namespace cardcore::api
