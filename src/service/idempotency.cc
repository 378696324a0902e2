#include "service/idempotency.h"

#include "domain/validate.h"
#include "security/crypto.h"

namespace cardcore::idempotency {
namespace {

constexpr int64_t kTtlSeconds = 24 * 3600;  // how long an answer is replayed
constexpr int64_t kLeaseSeconds = 300;      // a RUNNING claim older than this is taken over
constexpr size_t kMaxKeyLength = 255;

Result<IdempotencyClaim> claim_in(const Context& ctx, Tx& tx, const Keyed& k) {
  return tx.claim_idempotency_key(k.request().partner_id, k.request().key, k.digest(), ctx.now(), kTtlSeconds,
                                  kLeaseSeconds);
}

// What the key's owner says, when it is not ours to run: the stored answer, or a refusal.
std::optional<Outcome> answer_of_claim(const IdempotencyClaim& c,
                                       const std::function<Answer(const Error&)>& render_error) {
  switch (c.kind) {
    case IdempotencyClaim::Kind::kReplay:
      return Outcome{Answer{c.http_status, c.response_body, true}, true};
    case IdempotencyClaim::Kind::kMismatch:
      return Outcome{render_error(Error{code::kIdempotencyMismatch,
                                        "Idempotency-Key: already used with a different request", "Idempotency-Key"}),
                     false};
    case IdempotencyClaim::Kind::kRunning:
      return Outcome{render_error(Error{code::kIdempotencyInProgress,
                                        "Idempotency-Key: a request with this key is still being processed",
                                        "Idempotency-Key"}),
                     false};
    case IdempotencyClaim::Kind::kNew:
      break;
  }
  return std::nullopt;
}

// Reads the key's state without keeping a claim: the claim is made and rolled back (the write
// unit claims for real), because the store offers no read-only look at a key.
Result<IdempotencyClaim> look(const Context& ctx, const Keyed& k) {
  std::optional<IdempotencyClaim> seen;
  Status st = ctx.store.run([&](Tx& tx) -> Status {
    CC_ASSIGN_OR_RETURN(seen, claim_in(ctx, tx, k));
    return internal_error("idempotency: look only, rolled back");
  });
  if (seen) return *seen;
  return std::unexpected(st.error());
}

}  // namespace

Keyed::Keyed(const Context& ctx, Request request, std::string digest)
    : ctx_(ctx), request_(std::move(request)), digest_(std::move(digest)) {}

Status Keyed::claim(Tx& tx) {
  lost_to_.reset();
  pending_.reset();
  CC_ASSIGN_OR_RETURN(IdempotencyClaim c, claim_in(ctx_, tx, *this));
  if (c.kind == IdempotencyClaim::Kind::kNew) return {};
  lost_to_ = std::move(c);
  return internal_error("Idempotency-Key: held by another request");  // rolls the unit back
}

Status Keyed::store(Tx& tx, const Answer& answer) {
  CC_RETURN_IF_ERROR(tx.finish_idempotency_key(request_.partner_id, request_.key, answer.status, answer.body));
  pending_ = answer;
  return {};
}

Outcome run(const Context& ctx, const std::optional<Request>& request, const std::function<Answer(Keyed*)>& handle,
            const std::function<Answer(const Error&)>& render_error) {
  if (!request) return Outcome{handle(nullptr), false};
  if (request->key.size() > kMaxKeyLength || !validate::printable(request->key, kMaxKeyLength)) {
    return Outcome{render_error(invalid_param("Idempotency-Key", "must be 1..255 printable characters").error()),
                   false};
  }
  Keyed keyed(ctx, *request, crypto::to_hex(crypto::sha256(request->route + "\n" + request->body)));
  // A stored answer is replayed without running anything: a replay must not fail on, say, the
  // OTP that its first run consumed.
  Result<IdempotencyClaim> seen = look(ctx, keyed);
  if (!seen) return Outcome{render_error(seen.error()), false};
  if (auto o = answer_of_claim(*seen, render_error)) return *o;

  Answer answer = handle(&keyed);
  // Another request took the key meanwhile: its answer (or refusal) is ours.
  if (keyed.lost_to()) {
    if (auto o = answer_of_claim(*keyed.lost_to(), render_error)) return *o;
  }
  if (const std::optional<Answer>& stored = keyed.stored()) {
    if (answer.status == stored->status && answer.body == stored->body) return Outcome{answer, false};
    // The use case failed after its write unit (e.g. the SMS of an OTP did not go out): the
    // stored answer is not what the client got, so the key is freed for a retry.
    Status released = transact(ctx.store, [&](Tx& tx) {
      return tx.release_idempotency_key(request->partner_id, request->key);
    });
    if (!released) return Outcome{render_error(released.error()), false};
    return Outcome{answer, false};
  }
  if (!answer.storable) return Outcome{answer, false};
  // Nothing was changed (a refusal, a read): the answer gets a unit of its own.
  Status st = transact(ctx.store, [&](Tx& tx) -> Status {
    CC_RETURN_IF_ERROR(keyed.claim(tx));
    return keyed.store(tx, answer);
  });
  if (!st) {
    if (keyed.lost_to()) {
      if (auto o = answer_of_claim(*keyed.lost_to(), render_error)) return *o;
    }
    return Outcome{render_error(st.error()), false};
  }
  return Outcome{answer, false};
}

}  // namespace cardcore::idempotency
