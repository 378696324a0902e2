// Credentials: partner logins (with their lockout counter), OAuth tokens and card OTPs.
// Invariants: passwords and OTP codes are stored as argon2id hashes and tokens as SHA-256
// digests, never in clear; counters change by one conditional UPDATE each, so racing failures
// are all counted; an OTP is consumed at most once.
#pragma once

#include <optional>
#include <string>

#include "domain/error.h"
#include "store/ops.h"
#include "store/records.h"

namespace cardcore {

class CredentialOps : protected StoreOps {
 public:
  Status insert_login(const LoginRow& r);
  Result<std::optional<LoginRow>> find_login(const std::string& username);
  // Counts one failed password and locks the login when the count reaches `lock_after`;
  // returns the row as updated.
  Result<LoginRow> record_login_failure(const std::string& username, int lock_after, int64_t now);
  // Sets failed_attempts/locked and stamps updated_at.
  Status update_login(const std::string& username, int failed_attempts, bool locked, int64_t now);

  Status insert_token(const TokenRow& r);
  Result<std::optional<TokenRow>> find_token(const std::string& digest);
  // Deletes the token; false when it was not there (already used or revoked).
  Result<bool> delete_token(const std::string& digest);
  Status delete_expired_tokens(int64_t now);
  // Revokes every token of a login (when it locks).
  Status delete_tokens_of(const std::string& username);

  Status insert_otp(const OtpRow& r);
  Result<std::optional<OtpRow>> find_otp(const std::string& otp_request_id);
  // Records one wrong try; marks the OTP used when `kill` (tries exhausted).
  Status record_otp_failure(const std::string& otp_request_id, bool kill);
  // Consumes an unused OTP; false when it was already used (a racing request won).
  Result<bool> consume_otp(const std::string& otp_request_id);
  // How many OTPs were issued for the card since `since` (rate limit).
  Result<int64_t> count_otps_since(const std::string& card_id, int64_t since);

  // Operator console sessions, by the digest of the cookie's token.
  Status insert_console_session(const ConsoleSessionRow& r);
  Result<std::optional<ConsoleSessionRow>> find_console_session(const std::string& session_hash);
  // Logout: whether a session that had not ended yet ended now.
  Result<bool> end_console_session(const std::string& session_hash, int64_t now);
  // Drops sessions that expired before `now`.
  Status delete_expired_console_sessions(int64_t now);

 protected:
  using StoreOps::StoreOps;
};

}  // namespace cardcore
