// argon2id through libsodium's self-describing string format, so that a later change of cost
// leaves old hashes verifiable: the parameters travel inside each stored string.
#include "security/secret_hash.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace cardcore::secret_hash {
namespace {

std::atomic<unsigned long long> g_ops{Cost{}.ops};
std::atomic<size_t> g_mem_bytes{Cost{}.mem_bytes};

// sodium_init is idempotent, but a function-local static also orders it before any use from
// any thread (C++ guarantees one initialisation).
void ensure_sodium() {
  static const bool ready = [] { return sodium_init() >= 0; }();
  if (!ready) {
    std::fprintf(stderr, "cardcore: fatal: sodium_init failed\n");
    std::abort();
  }
}

}  // namespace

void set_cost(Cost c) {
  // Below libsodium's minimums crypto_pwhash_str refuses to run; raise to them instead.
  g_ops.store(std::max<unsigned long long>(c.ops, crypto_pwhash_argon2id_OPSLIMIT_MIN));
  g_mem_bytes.store(std::max<size_t>(c.mem_bytes, crypto_pwhash_argon2id_MEMLIMIT_MIN));
}

std::string hash(std::string_view secret) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, secret.data(), secret.size(), g_ops.load(), g_mem_bytes.load(),
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    std::fprintf(stderr, "cardcore: fatal: crypto_pwhash_str_alg failed (out of memory)\n");
    std::abort();
  }
  return std::string(out);
}

bool verify(std::string_view stored_hash, std::string_view secret) {
  ensure_sodium();
  // libsodium reads the stored hash as a C string: bound it and give it its NUL.
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string stored(stored_hash);
  return crypto_pwhash_str_verify(stored.c_str(), secret.data(), secret.size()) == 0;
}

}  // namespace cardcore::secret_hash
