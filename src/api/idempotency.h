// The Idempotency-Key header at the HTTP edge (as Stripe does it): the first answer for
// (partner, key) is stored and replayed for 24 hours to a request with the same path and body;
// the same key with another body is refused (1050); while the first request runs, a second one
// with the key is refused (1051), so the two never both execute. Answers of 5xx are not stored:
// the key is released so the client can retry.
#pragma once

#include <functional>
#include <string>

#include "api/envelope.h"
#include "service/context.h"

namespace cardcore::api {

http::Response run_idempotent(const Context& ctx, const std::string& partner_id, const std::string& key,
                              const std::string& path, const std::string& body, Envelope envelope,
                              const std::function<http::Response()>& run);

}  // namespace cardcore::api
