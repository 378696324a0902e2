// The prelude every partner and sandbox route shares, in this order: POST only, bearer token
// (401 in the OAuth shape), partnerId header equal to the token's partner, JSON content type,
// payload decryption for partners configured for it; then the route's handler under the
// Idempotency-Key protocol of the service layer (service/idempotency.h), whose payload or error
// becomes the envelope. A route only decodes its body and calls its use case; a route that
// changes something hands `keyed` to its use case (answer_with below), so that a keyed answer
// is stored in the unit of the change.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "api/envelope.h"
#include "http/json_body.h"
#include "http/server.h"
#include "service/context.h"
#include "service/idempotency.h"

namespace cardcore::api {

using RouteHandler =
    std::function<Result<Payload>(const Principal&, const http::JsonBody&, idempotency::Keyed* keyed)>;

// What a route's answers may be: kStored (the default), or kNeverStored for answers that carry
// card secrets (an Idempotency-Key then stores nothing, and a retry runs again).
enum class Storage { kStored, kNeverStored };

http::Response dispatch(const Context& ctx, const http::Request& req, Envelope envelope, const RouteHandler& handler,
                        Storage storage = Storage::kStored);

// The answer as the protocol stores and replays it.
idempotency::Answer answer_of(const http::Response& r);

// A use case's Finish: for a keyed request, the success envelope (A) of payload(result) is the
// answer stored in the use case's write unit.
template <class T, class Payload>
idempotency::Finish<T> answer_with(idempotency::Keyed* keyed, Payload payload) {
  if (!keyed) return {};
  return {keyed, [payload](const T& result) { return answer_of(ok(payload(result))); }};
}
inline idempotency::Finish<void> answer_with(idempotency::Keyed* keyed, const nlohmann::json& payload) {
  if (!keyed) return {};
  return {keyed, [payload] { return answer_of(ok(payload)); }};
}

}  // namespace cardcore::api
