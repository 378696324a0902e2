// The prelude every partner and sandbox route shares, in this order: POST only, bearer token
// (401 in the OAuth shape), partnerId header equal to the token's partner, JSON content type,
// payload decryption for partners configured for it, Idempotency-Key; then the route's handler,
// whose payload or error becomes the envelope. A route only decodes its body and calls its use
// case.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "api/envelope.h"
#include "http/json_body.h"
#include "http/server.h"
#include "service/context.h"

namespace cardcore::api {

using RouteHandler = std::function<Result<nlohmann::json>(const Principal&, const http::JsonBody&)>;

http::Response dispatch(const Context& ctx, const http::Request& req, Envelope envelope, const RouteHandler& handler);

}  // namespace cardcore::api
