#include "api/decoders.h"

namespace cardcore::api {

Result<CardRef> read_ref(const http::JsonBody& b) {
  CardRef r;
  TRY_FIELD(r.company_id, b.str("companyId", 32));
  TRY_FIELD(r.card_account_id, b.str("cardAccountId", 32));
  TRY_FIELD(r.card_id, b.str("enKashCardId", 32));
  return r;
}

Result<cards::Proof> read_proof(const http::JsonBody& b, bool otp_required_mandatory) {
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

}  // namespace cardcore::api
