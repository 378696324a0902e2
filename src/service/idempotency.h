// The Idempotency-Key protocol (as Stripe does it), for every partner and sandbox route. The
// first answer for (partner, key) is stored and replayed for 24 hours to a request with the same
// route and body; the same key with another request is refused (kIdempotencyMismatch); a claim
// still RUNNING (left by an older build) is refused with kIdempotencyInProgress.
//
// Invariant: the answer of a request that changes anything is stored in the SAME unit of work as
// the change: the use case's write unit claims the key first and stores the answer last
// (write_unit below), so a crash keeps both or neither, and a retry after a crash replays rather
// than running the change twice. A request that changed nothing (a refusal, a read) has its
// answer stored in a unit of its own. An answer marked not storable (a 5xx, card secrets) is
// never stored: the key stays free and a retry runs again.
//
// The service never looks inside an answer: `status` and `body` are the adapter's (HTTP).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <type_traits>

#include "service/context.h"

namespace cardcore::idempotency {

struct Answer {
  int status = 0;
  std::string body;
  bool storable = true;  // false: never stored (the adapter's 5xx, answers with card secrets)
};

struct Request {
  std::string partner_id;
  std::string key;    // the Idempotency-Key header
  std::string route;  // what is asked (the path); with the body, the request digest
  std::string body;   // as decoded (after payload decryption)
};

// One keyed request on its way through its use case (made by run(); use cases get it in Finish).
class Keyed {
 public:
  Keyed(const Context& ctx, Request request, std::string digest);

  const std::string& key() const { return request_.key; }

  // First thing in the write unit: claims the key. When another request holds it (its answer is
  // stored, it runs, or it is another request), fails so that the unit rolls back; run() then
  // answers as that claim says.
  Status claim(Tx& tx);
  // Last thing in the write unit: stores `answer` as the key's answer.
  Status store(Tx& tx, const Answer& answer);
  // After the write unit committed.
  void committed() { stored_ = std::move(pending_); }

  // The claim that won when another request held the key (set by claim()).
  const std::optional<IdempotencyClaim>& lost_to() const { return lost_to_; }
  // The answer stored by a committed write unit, if any.
  const std::optional<Answer>& stored() const { return stored_; }
  const Request& request() const { return request_; }
  const std::string& digest() const { return digest_; }

 private:
  const Context& ctx_;
  Request request_;
  std::string digest_;
  std::optional<IdempotencyClaim> lost_to_;  // the claim that won, when another request holds the key
  std::optional<Answer> pending_, stored_;
};

// What a use case takes to store its answer inside its write unit: the keyed request (nullptr
// without a key) and the adapter's rendering of the use case's result.
template <class T>
struct Finish {
  Keyed* keyed = nullptr;
  std::function<Answer(const T&)> render;
};
template <>
struct Finish<void> {
  Keyed* keyed = nullptr;
  std::function<Answer()> render;
};

// The write unit of a use case: `unit(tx) -> Result<T>` (or Status) run by transact(); for a
// keyed request, the key is claimed first and the rendered answer stored last, in that unit.
template <class T, class Unit>
Result<T> write_unit(const Context& ctx, const Finish<T>& finish, Unit&& unit) {
  if (!finish.keyed) return transact(ctx.store, unit);
  Result<T> out = transact(ctx.store, [&](Tx& tx) -> Result<T> {
    CC_RETURN_IF_ERROR(finish.keyed->claim(tx));
    if constexpr (std::is_void_v<T>) {
      CC_RETURN_IF_ERROR(unit(tx));
      CC_RETURN_IF_ERROR(finish.keyed->store(tx, finish.render()));
      return {};
    } else {
      CC_ASSIGN_OR_RETURN(T value, unit(tx));
      CC_RETURN_IF_ERROR(finish.keyed->store(tx, finish.render(value)));
      return value;
    }
  });
  if (out) finish.keyed->committed();
  return out;
}

struct Outcome {
  Answer answer;
  bool replayed = false;  // the stored answer of an earlier request with the key
};

// Runs one request. Without a key: handle(nullptr). With one: an earlier answer is replayed; a
// mismatch, a running claim or a bad key is refused (answered by render_error); else
// handle(&keyed) runs the request (its use case stores the answer in its write unit) and an
// answer it did not store is stored now, unless it is not storable.
Outcome run(const Context& ctx, const std::optional<Request>& request,
            const std::function<Answer(Keyed*)>& handle, const std::function<Answer(const Error&)>& render_error);

}  // namespace cardcore::idempotency
