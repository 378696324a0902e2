#include "api/partner_api.h"

#include "api/card_routes.h"
#include "api/oauth.h"
#include "api/sandbox_routes.h"

namespace cardcore::api {

std::vector<std::string> partner_route_templates() {
  std::vector<std::string> out = card_route_templates();
  out.push_back(std::string(kTokenPath));
  for (const std::string& t : sandbox_route_templates()) out.push_back(t);
  return out;
}

std::optional<http::Response> handle_partner(const Context& ctx, const http::Request& req) {
  if (req.path == kTokenPath) return token_endpoint(ctx, req);
  if (req.path.compare(0, kSandboxPrefix.size(), kSandboxPrefix) == 0 &&
      (req.path.size() == kSandboxPrefix.size() || req.path[kSandboxPrefix.size()] == '/')) {
    return handle_sandbox(ctx, req);
  }
  return handle_card_route(ctx, req);
}

}  // namespace cardcore::api
