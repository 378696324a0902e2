// The operator API under /admin/v1, guarded by the X-Admin-Key header (constant-time compare).
#pragma once

#include <optional>
#include <string>

#include "http/server.h"
#include "service/context.h"

namespace cardcore::api {

// Answers the request when its path is under /admin/, else nullopt.
// Every route handle_admin answers.
std::vector<std::string> admin_route_templates();

std::optional<http::Response> handle_admin(const Context& ctx, const std::string& admin_key,
                                           const http::Request& req);

}  // namespace cardcore::api
