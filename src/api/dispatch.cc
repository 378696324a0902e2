#include "api/dispatch.h"

#include "api/idempotency.h"
#include "api/payload_encryption.h"
#include "service/auth.h"

namespace cardcore::api {

http::Response dispatch(const Context& ctx, const http::Request& req, Envelope envelope, const RouteHandler& handler) {
  if (req.method != "POST") {
    http::Response r = error(Error{code::kMethodNotAllowed, "method: use POST", "method"}, envelope);
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  std::string_view authz = req.header("authorization");
  std::string token;
  if (authz.size() > 7 && (authz.substr(0, 7) == "Bearer " || authz.substr(0, 7) == "bearer ")) {
    token = trim(authz.substr(7));
  }
  auto principal = auth::authenticate(ctx, token);
  if (!principal) return oauth_error(principal.error());
  std::string partner_header = trim(req.header("partnerid"));
  if (partner_header.empty()) {
    return error(Error{code::kInvalidParameter, "partnerId: header is required", "partnerId"}, envelope);
  }
  if (partner_header != principal->partner_id) {
    return error(Error{code::kInvalidId, "partnerId: no such id", "partnerId"}, envelope);
  }
  if (!is_json_content_type(req.header("content-type"))) {
    return error(Error{code::kUnsupportedMediaType, "Content-Type: must be application/json", "Content-Type"},
                 envelope);
  }
  auto partner = transact(ctx.store, [&](Tx& tx) { return tx.find_partner(principal->partner_id); });
  if (!partner) return error(partner.error(), envelope);
  if (!*partner) return error(Error{code::kFailure, "partner of a valid token not found", ""}, envelope);
  auto decoded = decode_body(ctx, **partner, req.body);
  if (!decoded) return error(decoded.error(), envelope);
  principal->idempotency_key = std::string(req.header("idempotency-key"));
  auto run = [&]() -> http::Response {
    auto body = http::JsonBody::parse(decoded->json_text);
    if (!body) return error(body.error(), envelope);
    auto payload = handler(*principal, *body);
    return payload ? ok(*payload, envelope) : error(payload.error(), envelope);
  };
  http::Response out;
  std::string_view idem_key = req.header("idempotency-key");
  if (idem_key.empty()) {
    out = run();
  } else {
    out = run_idempotent(ctx, principal->partner_id, std::string(idem_key), req.path, decoded->json_text, envelope,
                         run);
  }
  if (decoded->response_key) return encrypt_response(std::move(out), *decoded->response_key);
  return out;
}

}  // namespace cardcore::api
