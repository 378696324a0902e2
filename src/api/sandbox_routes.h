// The sandbox simulation under /api/v0/sandbox (sandbox mode only, partner-authenticated, the
// same prelude as the card routes): authorizations and their follow-ups, purchases (single
// message, debited at once: the 0200 of ISO 8583), clearings (force post)
// and refunds. Each route decodes its body and calls the authorization service the ISO 8583
// side calls too, so the two can never disagree.
#pragma once

#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "http/server.h"
#include "service/context.h"

namespace cardcore::api {

inline constexpr std::string_view kSandboxPrefix = "/api/v0/sandbox";

// Answers every path under kSandboxPrefix (404 outside sandbox mode).
http::Response handle_sandbox(const Context& ctx, const http::Request& req);

// Every route handle_sandbox answers, as templates ({authorizationId} for the follow-ups).
const std::vector<std::string>& sandbox_route_templates();

}  // namespace cardcore::api
