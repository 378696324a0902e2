#include "api/idempotency.h"

#include "domain/validate.h"
#include "http/log.h"
#include "security/crypto.h"

namespace cardcore::api {
namespace {

constexpr int64_t kIdempotencyTtlSeconds = 24 * 3600;
constexpr int64_t kIdempotencyLeaseSeconds = 300;

}  // namespace

http::Response run_idempotent(const Context& ctx, const std::string& partner_id, const std::string& key,
                              const std::string& path, const std::string& body, Envelope envelope,
                              const std::function<http::Response()>& run) {
  if (key.size() > 255 || !validate::printable(key, 255)) {
    return error(Error{code::kInvalidParameter, "Idempotency-Key: must be 1..255 printable characters",
                       "Idempotency-Key"}, envelope);
  }
  std::string digest = crypto::to_hex(crypto::sha256(path + "\n" + body));
  auto claim = transact(ctx.store, [&](Tx& tx) {
    return tx.claim_idempotency_key(partner_id, key, digest, ctx.now(), kIdempotencyTtlSeconds,
                                    kIdempotencyLeaseSeconds);
  });
  if (!claim) return error(claim.error(), envelope);
  switch (claim->kind) {
    case IdempotencyClaim::Kind::kReplay: {
      http::Response r;
      r.status = claim->http_status;
      r.body = claim->response_body;
      r.headers.emplace_back("Idempotent-Replayed", "true");
      return r;
    }
    case IdempotencyClaim::Kind::kMismatch:
      return error(Error{code::kIdempotencyMismatch, "Idempotency-Key: already used with a different request",
                         "Idempotency-Key"}, envelope);
    case IdempotencyClaim::Kind::kRunning:
      return error(Error{code::kIdempotencyInProgress,
                         "Idempotency-Key: a request with this key is still being processed", "Idempotency-Key"},
                   envelope);
    case IdempotencyClaim::Kind::kNew:
      break;
  }
  http::Response out = run();
  auto stored = transact(ctx.store, [&](Tx& tx) {
    return out.status >= 500 ? tx.release_idempotency_key(partner_id, key)
                             : tx.finish_idempotency_key(partner_id, key, out.status, out.body);
  });
  if (!stored) logx::error("idempotency key not stored", {{"partnerId", partner_id}, {"error", stored.error().message}});
  return out;
}

}  // namespace cardcore::api
