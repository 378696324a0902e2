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
};

}  // namespace

const char* for_error(const Error& e) {
  for (const Row& row : kErrors) {
    if (row.code == e.code) return row.response_code;
  }
  return rc::kSystemError;
}

}  // namespace cardcore::iso8583
