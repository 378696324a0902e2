// The response codes (field 39) the ISO 8583 interface answers with, in one place:
// - a card decision carries its own code, from the decision table (authz::rc,
//   domain/authorization.h), re-exported here;
// - what the interface itself refuses (unsupported MTI, malformed message, unknown original);
// - an Error from the service layer, which is never a card decision: for_error() is the one
//   table from error codes to response codes.
#pragma once

#include "domain/authorization.h"
#include "domain/error.h"

namespace cardcore::iso8583 {

namespace rc {
using namespace authz::rc;  // NOLINT: the decision codes are the interface's codes too
inline constexpr const char* kInvalidTransaction = "12";  // MTI or processing code not supported
inline constexpr const char* kOriginalNotFound = "25";    // reversal: no such authorization
inline constexpr const char* kFormatError = "30";         // missing/invalid field, undecodable message
inline constexpr const char* kIssuerUnavailable = "91";   // not decided in time (overload): try again
}  // namespace rc

// The response code for an error of the service layer: a refused parameter is the sender's
// format error, an unknown card is 14, anything else is ours (96).
const char* for_error(const Error& e);

}  // namespace cardcore::iso8583
