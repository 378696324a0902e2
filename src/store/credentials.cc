#include "store/credentials.h"

#include "store/sql/ops_util.h"

namespace cardcore {
using namespace sql;

namespace {

#define LOGIN_COLUMNS "username, partner_id, password_hash, failed_attempts, locked, updated_at"

LoginRow read_login(const Query& s) {
  return LoginRow{s.text(0), s.text(1), s.text(2), static_cast<int>(s.i64(3)), s.boolean(4), s.i64(5)};
}

}  // namespace

Status CredentialOps::insert_login(const LoginRow& r) {
  CC_SQL(q, "INSERT INTO logins (" LOGIN_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6)");
  q.bind(1, r.username).bind(2, r.partner_id).bind(3, r.password_hash).bind(4, r.failed_attempts)
      .bind(5, r.locked).bind(6, r.updated_at);
  return done(q);
}

Result<std::optional<LoginRow>> CredentialOps::find_login(const std::string& username) {
  CC_SQL(q, "SELECT " LOGIN_COLUMNS " FROM logins WHERE username = ?1");
  return one(q.bind(1, username), read_login);
}

Result<LoginRow> CredentialOps::record_login_failure(const std::string& username, int lock_after, int64_t now) {
  CC_SQL(q, "UPDATE logins SET failed_attempts = failed_attempts + 1, "
            "locked = (locked OR failed_attempts + 1 >= CAST(?2 AS INTEGER)), updated_at = ?3 "
            "WHERE username = ?1 RETURNING " LOGIN_COLUMNS);
  CC_ASSIGN_OR_RETURN(std::optional<LoginRow> row, one(q.bind(1, username).bind(2, lock_after).bind(3, now),
                                                       read_login));
  CC_RETURN_IF_ERROR(q.run());
  if (!row) return internal_error("record_login_failure: no login");
  return *row;
}

Status CredentialOps::update_login(const std::string& username, int failed, bool locked, int64_t now) {
  CC_SQL(q, "UPDATE logins SET failed_attempts = ?2, locked = ?3, updated_at = ?4 WHERE username = ?1");
  return done(q.bind(1, username).bind(2, failed).bind(3, locked).bind(4, now));
}

Status CredentialOps::insert_token(const TokenRow& r) {
  CC_SQL(q, "INSERT INTO tokens (digest, kind, partner_id, username, expires_at) VALUES (?1,?2,?3,?4,?5)");
  return done(q.bind(1, r.digest).bind(2, r.kind).bind(3, r.partner_id).bind(4, r.username).bind(5, r.expires_at));
}

Result<std::optional<TokenRow>> CredentialOps::find_token(const std::string& digest) {
  CC_SQL(q, "SELECT digest, kind, partner_id, username, expires_at FROM tokens WHERE digest = ?1");
  return one(q.bind(1, digest),
             [](const Query& s) { return TokenRow{s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4)}; });
}

Result<bool> CredentialOps::delete_token(const std::string& digest) {
  CC_SQL(q, "DELETE FROM tokens WHERE digest = ?1");
  return changed(q.bind(1, digest));
}

Status CredentialOps::delete_tokens_of(const std::string& username) {
  CC_SQL(q, "DELETE FROM tokens WHERE username = ?1");
  return done(q.bind(1, username));
}

Status CredentialOps::delete_expired_tokens(int64_t now) {
  CC_SQL(q, "DELETE FROM tokens WHERE expires_at < ?1");
  return done(q.bind(1, now));
}

Status CredentialOps::insert_otp(const OtpRow& r) {
  CC_SQL(q, "INSERT INTO otp_requests (otp_request_id, card_id, partner_id, action, code_hash, expires_at, "
            "wrong_tries, used, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
  q.bind(1, r.otp_request_id).bind(2, r.card_id).bind(3, r.partner_id).bind(4, r.action).bind(5, r.code_hash)
      .bind(6, r.expires_at).bind(7, r.wrong_tries).bind(8, r.used).bind(9, r.created_at);
  return done(q);
}

Result<std::optional<OtpRow>> CredentialOps::find_otp(const std::string& id) {
  CC_SQL(q, "SELECT otp_request_id, card_id, partner_id, action, code_hash, expires_at, "
            "wrong_tries, used, created_at FROM otp_requests WHERE otp_request_id = ?1");
  return one(q.bind(1, id), [](const Query& s) {
    return OtpRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.i64(5),
                  static_cast<int>(s.i64(6)), s.boolean(7), s.i64(8)};
  });
}

Status CredentialOps::record_otp_failure(const std::string& id, bool kill) {
  CC_SQL(q, "UPDATE otp_requests SET wrong_tries = wrong_tries + 1, used = (used OR CAST(?2 AS BOOLEAN)) "
            "WHERE otp_request_id = ?1");
  return done(q.bind(1, id).bind(2, kill));
}

Result<bool> CredentialOps::consume_otp(const std::string& id) {
  CC_SQL(q, "UPDATE otp_requests SET used = TRUE WHERE otp_request_id = ?1 AND NOT used");
  return changed(q.bind(1, id));
}

Result<int64_t> CredentialOps::count_otps_since(const std::string& card_id, int64_t since) {
  CC_SQL(q, "SELECT COUNT(*) FROM otp_requests WHERE card_id = ?1 AND created_at >= ?2");
  return scalar(q.bind(1, card_id).bind(2, since));
}

Status CredentialOps::insert_console_session(const ConsoleSessionRow& r) {
  CC_SQL(q, "INSERT INTO console_sessions (session_hash, csrf_hash, created_at, expires_at) VALUES (?1,?2,?3,?4)");
  return done(q.bind(1, r.session_hash).bind(2, r.csrf_hash).bind(3, r.created_at).bind(4, r.expires_at));
}

Result<std::optional<ConsoleSessionRow>> CredentialOps::find_console_session(const std::string& session_hash) {
  CC_SQL(q, "SELECT session_hash, csrf_hash, created_at, expires_at, ended_at FROM console_sessions "
            "WHERE session_hash = ?1");
  return one(q.bind(1, session_hash), [](const Query& s) {
    ConsoleSessionRow r{s.text(0), s.text(1), s.i64(2), s.i64(3), std::nullopt};
    if (!s.is_null(4)) r.ended_at = s.i64(4);
    return r;
  });
}

Result<bool> CredentialOps::end_console_session(const std::string& session_hash, int64_t now) {
  CC_SQL(q, "UPDATE console_sessions SET ended_at = ?2 WHERE session_hash = ?1 AND ended_at IS NULL");
  return changed(q.bind(1, session_hash).bind(2, now));
}

Status CredentialOps::delete_expired_console_sessions(int64_t now) {
  CC_SQL(q, "DELETE FROM console_sessions WHERE expires_at < ?1");
  return done(q.bind(1, now));
}

}  // namespace cardcore
