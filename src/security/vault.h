// The card-data vault: AES-256-GCM encryption of card numbers, CVVs and TOTP secrets at rest.
// Several keys may be loaded, each with an id; new data is sealed under the active key and the id
// is stored beside the ciphertext, so old data stays readable after a rotation.
//
// Key source, first that exists: env CARDCORE_VAULT_KEYS, else the key file (DIR/vault.keys),
// else a new file with one fresh key is created (mode 0600). Format of both: entries
// "<key_id>:<base64 of 32 bytes>" separated by newlines or ';', '#' starts a comment line; the
// LAST entry is the active key (rotate by appending). key_id: 1..32 chars [A-Za-z0-9_-].
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace cardcore {

struct Sealed {
  std::string key_id;
  std::string blob;  // 12-byte nonce || ciphertext || 16-byte tag
};

class Vault {
 public:
  // Parses the key text format above.
  static Result<Vault> from_text(std::string_view text);
  // env CARDCORE_VAULT_KEYS, else `key_file`, else creates `key_file` with one new key.
  static Result<Vault> load_or_create(const std::string& key_file);
  // One new random key in the text format, id "k" + yyyymmddHHMMSS-free random suffix.
  static std::string new_key_entry();

  // `aad` binds the ciphertext to its context (e.g. the card id) so blobs cannot be swapped.
  Sealed seal(std::string_view plaintext, std::string_view aad) const;
  Result<std::string> open(const Sealed& sealed, std::string_view aad) const;

  const std::string& active_key_id() const { return active_; }
  size_t key_count() const { return keys_.size(); }

 private:
  std::map<std::string, std::string> keys_;  // id -> 32 raw bytes
  std::string active_;
};

}  // namespace cardcore
