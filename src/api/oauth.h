// POST /oauth/token (docs/api.md, "Authentication"): EnKash's OAuth2 password grant and the
// refresh grant. Reads Basic client credentials and the form (body or query string), calls
// service/auth.h, and answers in the OAuth2 shape ({"access_token", ...} or {"error",
// "error_description"}); statuses and error names come from the error table.
#pragma once

#include "http/server.h"
#include "service/context.h"

namespace cardcore::api {

inline constexpr std::string_view kTokenPath = "/oauth/token";

http::Response token_endpoint(const Context& ctx, const http::Request& req);

}  // namespace cardcore::api
