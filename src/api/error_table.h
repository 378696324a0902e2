// The one table from an error code to what the HTTP edge answers: the code partners see in the
// envelope, the HTTP status, and for /oauth/token and bearer failures the OAuth2 error name.
// Nothing else in the program chooses an HTTP status for an error. To add a code: declare it in
// domain/error.h, add its row in error_table.cc (docs/api.md lists the table, printed by
// `cardcore error-codes`). A code without a row is answered as an internal failure (500).
#pragma once

#include <span>
#include <string_view>

namespace cardcore::api {

struct ErrorAnswer {
  int code;                 // code:: constant (domain/error.h)
  int wire_code;            // "code" / "response_code" in the envelope
  int http_status;
  const char* oauth_error;  // OAuth2 "error" when answered in the OAuth shape; nullptr: never is
  const char* meaning;      // one line for the docs
};

// The row of `code`; the kFailure row for a code without one.
const ErrorAnswer& answer_for(int code);

// Every row, in the order of the docs.
std::span<const ErrorAnswer> error_table();

// The code of a failure the HTTP server detects before any handler runs (it reports a status:
// 400 malformed request, 413 body too large, 431 headers too large, 500 handler failure).
int code_for_transport_status(int http_status);

}  // namespace cardcore::api
