// Programs: partners, their companies and their card plans.
// Invariants: ids are unique (an insert that clashes is code::kDuplicate and names the key); a
// partner's client id is unique; secrets are stored only sealed (payload key, webhook secret) or
// hashed (client secret).
#pragma once

#include <optional>
#include <string>

#include "domain/error.h"
#include "store/ops.h"
#include "store/records.h"

namespace cardcore {

class ProgramOps : protected StoreOps {
 public:
  Status insert_partner(const PartnerRow& r);
  Result<std::optional<PartnerRow>> find_partner(const std::string& partner_id);
  Result<std::optional<PartnerRow>> find_partner_by_client_id(const std::string& client_id);
  // The token whose digest is `digest`, with its partner, in one statement: what every request
  // with a bearer token reads first (one statement, on PostgreSQL one round trip, fewer than
  // find_token and find_partner). nullopt: no such token.
  Result<std::optional<TokenWithPartner>> find_token_with_partner(const std::string& digest);
  Result<int64_t> count_partners();
  Status set_partner_webhook_secret(const std::string& partner_id, const Sealed& secret);
  Status set_partner_webhook_url(const std::string& partner_id, const std::string& url);
  // The partner's webhook URL alone ("" when it has none; nullopt when there is no such partner):
  // read on every event a unit records, where the whole partner row cost 3× as much (callgrind).
  Result<std::optional<std::string>> partner_webhook_url(const std::string& partner_id);

  Status insert_company(const CompanyRow& r);
  Result<std::optional<CompanyRow>> find_company(const std::string& company_id);
  // Every partner's companies in ascending id order, from after `after`.
  Result<std::vector<CompanyRow>> list_companies(const std::string& after, size_t limit);

  Status insert_plan(const PlanRow& r);
  Result<std::optional<PlanRow>> find_plan(const std::string& plan_master_id);

 protected:
  using StoreOps::StoreOps;
};

}  // namespace cardcore
