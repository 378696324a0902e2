// Hashing of low-entropy secrets (passwords, PINs, OTP codes) with libsodium's argon2id.
// The stored string is libsodium's self-describing "$argon2id$..." format.
#pragma once

#include <string>
#include <string_view>

namespace cardcore::secret_hash {

// Cost parameters; tests may lower them through set_cost() to keep the suite fast.
struct Cost {
  unsigned long long ops = 2;
  size_t mem_bytes = 19 * 1024 * 1024;
};
void set_cost(Cost c);  // process-wide, call before serving

std::string hash(std::string_view secret);              // aborts only on out-of-memory
bool verify(std::string_view stored_hash, std::string_view secret);  // constant time

}  // namespace cardcore::secret_hash
