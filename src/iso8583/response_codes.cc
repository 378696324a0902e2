#include "iso8583/response_codes.h"

namespace cardcore::iso8583 {
namespace {

struct Row {
  int code;
  const char* response_code;
};

constexpr Row kErrors[] = {
    {code::kInvalidParameter, rc::kFormatError},
    {code::kMalformedRequest, rc::kFormatError},
    {code::kInvalidId, rc::kInvalidCard},
    // The store could not start the unit in time (no connection free before the decision
    // budget ran out, domain/deadline.h): the issuer is unavailable, nothing was decided.
    {code::kUnavailable, rc::kIssuerUnavailable},
};

}  // namespace

const char* for_error(const Error& e) {
  for (const Row& row : kErrors) {
    if (row.code == e.code) return row.response_code;
  }
  return rc::kSystemError;
}

}  // namespace cardcore::iso8583
