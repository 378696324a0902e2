// The partner HTTP API (EnKash compatible, CONTRACT.md): /oauth/token and every
// POST /api/v0/partner/enKashCard[/...] route. Turns HTTP + JSON into service calls and service
// results into envelopes; holds no business rule of its own.
#pragma once

#include <optional>

#include "http/server.h"
#include "service/context.h"

namespace cardcore::api {

// Answers the request when its path belongs to the partner API, else nullopt.
std::optional<http::Response> handle_partner(const Context& ctx, const http::Request& req);

}  // namespace cardcore::api
