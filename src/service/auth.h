// Partner authentication: OAuth2 password and refresh grants (EnKash's /oauth/token) and bearer
// token checks. Tokens are 256-bit random, stored only as SHA-256 digests. After
// config.login_lock_after_failures consecutive wrong passwords the login locks until an admin
// unlocks it; a locked login gets no token even with the right password.
#pragma once

#include <string>

#include "service/context.h"

namespace cardcore::auth {

struct TokenGrant {
  std::string access_token;
  std::string refresh_token;
  int64_t expires_in_seconds = 0;
};

// Refusals carry code::kInvalidClient, kInvalidGrant or kInvalidTokenRequest, one per OAuth2
// error name; the token endpoint turns them into the OAuth2 answer.
struct PasswordGrant {
  std::string basic_client_id, basic_client_secret;  // from Authorization: Basic
  std::string username, password, client_id;         // form fields (client_id = companyId)
};
Result<TokenGrant> password_grant(const Context& ctx, const PasswordGrant& g);
Result<TokenGrant> refresh_grant(const Context& ctx, const std::string& basic_client_id,
                                 const std::string& basic_client_secret,
                                 const std::string& refresh_token);

// Bearer check for the partner API: a missing, unknown, expired or refresh token is
// code::kUnauthenticated. The token and its partner are read in one read-only unit: every
// partner request starts here.
struct Caller {
  Principal principal;
  PartnerRow partner;
};
Result<Caller> authenticate(const Context& ctx, const std::string& bearer_token);

}  // namespace cardcore::auth
