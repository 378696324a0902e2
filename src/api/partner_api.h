// The partner HTTP API (EnKash compatible, docs/api.md): the one entry point cli/ wires. It only
// routes by path; each job has its own file:
//   oauth.*               POST /oauth/token
//   card_routes.*         POST /api/v0/partner/enKashCard[/...]: routes and request decoders
//   sandbox_routes.*      /api/v0/sandbox/... (sandbox mode only)
//   dispatch.*            the prelude every partner route shares (auth, headers, body, and the
//                         Idempotency-Key protocol of service/idempotency.h)
//   payload_encryption.*  EnKash AES payload wrapping
//   envelope.*, error_table.*  results and errors as wire envelopes and statuses
// Holds no business rule of its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "http/server.h"
#include "service/context.h"

namespace cardcore::api {

// Every route the partner API answers (the token endpoint, the card routes, the sandbox).
std::vector<std::string> partner_route_templates();

// Answers the request when its path belongs to the partner API, else nullopt.
std::optional<http::Response> handle_partner(const Context& ctx, const http::Request& req);

}  // namespace cardcore::api
