#include "api/dispatch.h"

#include "api/payload_encryption.h"
#include "service/auth.h"

namespace cardcore::api {

idempotency::Answer answer_of(const http::Response& r) { return {r.status, r.body, r.status < 500}; }

http::Response dispatch(const Context& ctx, const http::Request& req, Envelope envelope, const RouteHandler& handler,
                        Storage storage) {
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
  auto caller = auth::authenticate(ctx, token);
  if (!caller) {
    // A store failure is the server's, answered in the route's envelope; the rest are OAuth's.
    if (caller.error().code == code::kFailure) return error(caller.error(), envelope);
    return oauth_error(caller.error());
  }
  Principal* principal = &caller->principal;
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
  auto decoded = decode_body(ctx, caller->partner, req.body);
  if (!decoded) return error(decoded.error(), envelope);

  std::optional<idempotency::Request> keyed_request;
  std::string_view idem_key = req.header("idempotency-key");
  if (!idem_key.empty()) {
    principal->idempotency_key = std::string(idem_key);
    keyed_request = idempotency::Request{principal->partner_id, std::string(idem_key), req.path, decoded->json_text};
  }
  auto handle = [&](idempotency::Keyed* keyed) -> idempotency::Answer {
    auto body = http::JsonBody::parse(decoded->json_text);
    if (!body) return answer_of(error(body.error(), envelope));
    auto payload = handler(*principal, *body, keyed);
    idempotency::Answer a = answer_of(payload ? ok(std::move(*payload), envelope) : error(payload.error(), envelope));
    if (storage == Storage::kNeverStored) a.storable = false;
    return a;
  };
  auto render_error = [&](const Error& e) { return answer_of(error(e, envelope)); };
  idempotency::Outcome outcome = idempotency::run(ctx, keyed_request, handle, render_error);
  http::Response out;
  out.status = outcome.answer.status;
  out.body = std::move(outcome.answer.body);
  if (outcome.replayed) out.headers.emplace_back("Idempotent-Replayed", "true");
  if (decoded->response_key) return encrypt_response(std::move(out), *decoded->response_key);
  return out;
}

}  // namespace cardcore::api
