// Operator use cases behind the admin API (X-Admin-Key): partners, companies, plans, holder MFA
// enrolment, login unlock, physical card shipping status, the audit trail.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/fees.h"
#include "domain/ppi.h"
#include "service/context.h"

namespace cardcore::admin {

struct NewPartner {
  std::string name, mobile, webhook_url, encryption;  // encryption: "" | "none" | "aes128ecb"
};
// Everything a partner needs to call the API. The secrets appear only in this answer.
struct PartnerCredentials {
  std::string partner_id, company_id, company_name, client_id, client_secret, username, password,
      plan_master_id, webhook_secret;
};
Result<PartnerCredentials> create_partner(const Context& ctx, const NewPartner& r);

Result<CompanyRow> create_company(const Context& ctx, const std::string& partner_id, const std::string& name);

struct NewPlan {
  std::string partner_id, name, bin;
  std::optional<int64_t> validity_years;
  std::optional<int64_t> max_balance_paise;
  bool gift = false;
  ppi::Program program;  // kycRules: the RBI PPI rules of its cards, or none
  fees::Schedule fees;   // what the program charges, with GST
};
Result<PlanRow> create_plan(const Context& ctx, const NewPlan& r);

struct MfaEnrollment { std::string card_id, secret_base32, otpauth_uri; };
Result<MfaEnrollment> enroll_mfa(const Context& ctx, const std::string& card_id);

// Shows the partner's webhook signing secret; `rotate` replaces it first (old signatures stop
// verifying at once).
Result<std::string> webhook_secret(const Context& ctx, const std::string& partner_id, bool rotate);

// Sets (or, with an empty url, clears) where the partner's webhook events are sent.
Status set_webhook_url(const Context& ctx, const std::string& partner_id, const std::string& url);

Status unlock_login(const Context& ctx, const std::string& username);

// `actor` and `reason` go into the audit trail.
Result<PhysicalOrderRow> advance_order(const Context& ctx, const std::string& order_id,
                                       const std::string& new_status, const std::string& actor = "admin",
                                       const std::string& reason = "");

struct CardHistory { CardRow card; std::vector<StatusChangeRow> changes; };
Result<CardHistory> card_history(const Context& ctx, const std::string& card_id);
Result<std::vector<AuditRow>> audit_trail(const Context& ctx, const std::string& partner_id,
                                          const std::string& object_id, int64_t before_id, size_t limit);

}  // namespace cardcore::admin
