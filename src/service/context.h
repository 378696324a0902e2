// What every use case needs, wired once by the composition root (cli/) and passed by reference.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "notify/sms.h"
#include "security/vault.h"
#include "store/store.h"

namespace cardcore {

struct ServiceConfig {
  bool sandbox = true;
  int64_t access_token_ttl_seconds = 86399;
  int64_t refresh_token_ttl_seconds = 30 * 86400;
  int login_lock_after_failures = 3;
  int64_t otp_ttl_seconds = 300;
  int otp_max_wrong_tries = 3;
  int otp_max_per_card_per_hour = 20;
  // Card transactions.
  int64_t hold_expiry_days = 7;              // open holds older than this are released
  int64_t over_capture_tolerance_percent = 15;  // clearing may exceed the authorization by this
  bool allow_negative_force_post = false;    // force post beyond the balance books a receivable
  // Defaults for the plan created with a partner.
  std::string default_bin = "652150";
  int default_validity_years = 5;
  int64_t default_max_balance_paise = 200'000'00;  // ₹2,00,000 (RBI full-KYC PPI limit)
  // The operator console: how long a login lasts.
  int64_t console_session_seconds = 8 * 3600;
};

struct Context {
  Store& store;
  const Vault& vault;
  std::string hmac_key;  // server secret for PAN fingerprints and OTP hashes (32 bytes)
  const ServiceConfig& config;
  SmsChannel& sms;
  std::function<int64_t()> now;  // unix seconds; injectable for tests
  // Told of every authorization or purchase decided (not of an answer repeated for a duplicate),
  // after its unit committed: metrics. Optional; must be cheap and never block.
  std::function<void(std::string_view source, bool approved, std::string_view response_code)> on_decision = {};
};

// The authenticated caller of the partner API.
struct Principal {
  std::string partner_id;
  std::string username;
  std::string idempotency_key;  // the request's Idempotency-Key, when it has one
};

// The ids a request uses to name a card; empty company/account ids are not checked.
struct CardRef {
  std::string company_id, card_account_id, card_id;
};

}  // namespace cardcore
