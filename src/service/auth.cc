#include "service/auth.h"

#include "security/crypto.h"
#include "security/secret_hash.h"

namespace cardcore::auth {
namespace {

// OAuth2 refusals (RFC 6749 section 5.2): the code names the OAuth error; the adapter answers it.
std::unexpected<Error> invalid_client(std::string description) {
  return fail(code::kInvalidClient, std::move(description));
}
std::unexpected<Error> invalid_grant(std::string description) {
  return fail(code::kInvalidGrant, std::move(description));
}
std::unexpected<Error> invalid_request(const char* field, std::string description) {
  return fail(code::kInvalidTokenRequest, std::move(description), field);
}

// Verifies Basic client credentials against the partner's client id/secret.
Result<PartnerRow> check_client(const Context& ctx, const std::string& client_id,
                                const std::string& client_secret) {
  if (client_id.empty()) return invalid_client("Full authentication is required");
  CC_ASSIGN_OR_RETURN(std::optional<PartnerRow> partner,
                      transact_read(ctx.store, [&](Tx& tx) { return tx.find_partner_by_client_id(client_id); }));
  // Verify a hash even for unknown clients, so timing does not reveal which client ids exist.
  static const std::string kDummy = secret_hash::hash("dummy-secret-for-timing");
  bool ok = secret_hash::verify(partner ? partner->client_secret_hash : kDummy, client_secret);
  if (!partner || !ok) return invalid_client("Bad client credentials");
  return *partner;
}

Result<TokenGrant> issue_pair(const Context& ctx, Tx& tx, const std::string& partner_id,
                              const std::string& username) {
  TokenGrant g;
  g.access_token = crypto::random_hex(32);
  g.refresh_token = crypto::random_hex(32);
  g.expires_in_seconds = ctx.config.access_token_ttl_seconds;
  int64_t now = ctx.now();
  CC_RETURN_IF_ERROR(tx.delete_expired_tokens(now));
  CC_RETURN_IF_ERROR(tx.insert_token({crypto::token_digest(g.access_token), "access", partner_id,
                                      username, now + ctx.config.access_token_ttl_seconds}));
  CC_RETURN_IF_ERROR(tx.insert_token({crypto::token_digest(g.refresh_token), "refresh", partner_id,
                                      username, now + ctx.config.refresh_token_ttl_seconds}));
  return g;
}

}  // namespace

Result<TokenGrant> password_grant(const Context& ctx, const PasswordGrant& g) {
  CC_ASSIGN_OR_RETURN(PartnerRow partner, check_client(ctx, g.basic_client_id, g.basic_client_secret));
  if (g.username.empty()) return invalid_request("username", "username: missing");
  if (g.password.empty()) return invalid_request("password", "password: missing");
  if (!g.client_id.empty() && g.client_id != partner.client_id) {
    return invalid_grant("clientId: does not match the client credentials");
  }
  CC_ASSIGN_OR_RETURN(std::optional<LoginRow> login,
                      transact_read(ctx.store, [&](Tx& tx) { return tx.find_login(g.username); }));
  if (!login || login->partner_id != partner.partner_id) {
    return invalid_grant("Bad credentials");
  }
  if (login->locked) return invalid_grant("User account is locked");
  // The slow argon2id check runs outside any transaction; the failure count is one atomic update.
  if (!secret_hash::verify(login->password_hash, g.password)) {
    CC_ASSIGN_OR_RETURN(LoginRow after, transact(ctx.store, [&](Tx& tx) {
      return tx.record_login_failure(g.username, ctx.config.login_lock_after_failures, ctx.now());
    }));
    if (after.locked) {
      // A locked login keeps no live session either.
      CC_RETURN_IF_ERROR(transact(ctx.store, [&](Tx& tx) { return tx.delete_tokens_of(g.username); }));
      return invalid_grant("User account is locked");
    }
    return invalid_grant("Bad credentials");
  }
  return transact(ctx.store, [&](Tx& tx) -> Result<TokenGrant> {
    // Re-check inside the unit: a racing wrong attempt may have locked the login meanwhile.
    CC_ASSIGN_OR_RETURN(std::optional<LoginRow> now_login, tx.find_login(g.username));
    if (!now_login || now_login->locked) {
      return invalid_grant("User account is locked");
    }
    if (now_login->failed_attempts != 0) {
      CC_RETURN_IF_ERROR(tx.update_login(g.username, 0, false, ctx.now()));
    }
    return issue_pair(ctx, tx, partner.partner_id, g.username);
  });
}

Result<TokenGrant> refresh_grant(const Context& ctx, const std::string& basic_client_id,
                                 const std::string& basic_client_secret,
                                 const std::string& refresh_token) {
  CC_ASSIGN_OR_RETURN(PartnerRow partner, check_client(ctx, basic_client_id, basic_client_secret));
  if (refresh_token.empty()) return invalid_request("refresh_token", "refresh_token: missing");
  std::string digest = crypto::token_digest(refresh_token);
  return transact(ctx.store, [&](Tx& tx) -> Result<TokenGrant> {
    CC_ASSIGN_OR_RETURN(std::optional<TokenRow> row, tx.find_token(digest));
    if (!row || row->kind != "refresh" || row->partner_id != partner.partner_id ||
        row->expires_at <= ctx.now()) {
      return invalid_grant("Invalid refresh token");
    }
    CC_ASSIGN_OR_RETURN(std::optional<LoginRow> login, tx.find_login(row->username));
    if (!login || login->locked) return invalid_grant("User account is locked");
    // Rotation: a refresh token works once.
    CC_ASSIGN_OR_RETURN(bool deleted, tx.delete_token(digest));
    if (!deleted) return invalid_grant("Invalid refresh token");
    return issue_pair(ctx, tx, partner.partner_id, row->username);
  });
}

Result<Caller> authenticate(const Context& ctx, const std::string& bearer_token) {
  if (bearer_token.empty()) {
    return fail(code::kUnauthenticated, "Full authentication is required to access this resource");
  }
  std::string digest = crypto::token_digest(bearer_token);
  const int64_t now = ctx.now();
  return transact_read(ctx.store, [&](Tx& tx) -> Result<Caller> {
    CC_ASSIGN_OR_RETURN(std::optional<TokenWithPartner> found, tx.find_token_with_partner(digest));
    if (!found || found->token.kind != "access") {
      return fail(code::kUnauthenticated, "Invalid access token");
    }
    const TokenRow& row = found->token;
    if (row.expires_at <= now) {
      return fail(code::kUnauthenticated, "Access token expired");
    }
    if (!found->partner) return internal_error("partner of a valid token not found");
    return Caller{Principal{row.partner_id, row.username, ""}, std::move(*found->partner)};
  });
}

}  // namespace cardcore::auth
