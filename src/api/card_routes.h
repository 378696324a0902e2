// The EnKash card routes, POST /api/v0/partner/enKashCard[/...] (docs/api.md, one section per
// route): one decoder per route that turns the JSON body into the use case's request, calls the
// use case, and shapes its result into the payload. To add an endpoint: a decoder here, its row
// in routes(), its use case in service/, its section in docs/api.md.
#pragma once

#include <optional>
#include <string_view>

#include "http/server.h"
#include "service/context.h"

namespace cardcore::api {

inline constexpr std::string_view kCardBase = "/api/v0/partner/enKashCard";

// Answers a path under kCardBase; nullopt when the path only shares the prefix
// (e.g. /enKashCardX), so that it falls through to a 404 elsewhere.
std::optional<http::Response> handle_card_route(const Context& ctx, const http::Request& req);

// Every path handle_card_route answers (metrics label requests by these).
std::vector<std::string> card_route_templates();

}  // namespace cardcore::api
