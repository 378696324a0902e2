#include "store/programs.h"

#include "store/sql/ops_util.h"

namespace cardcore {
using namespace sql;

namespace {

CompanyRow read_company(const Query& s) { return CompanyRow{s.text(0), s.text(1), s.text(2), s.i64(3)}; }

#define PARTNER_COLUMNS                                                                          \
  "p.partner_id, p.name, p.mobile, p.webhook_url, p.encryption, p.client_id, p.client_secret_hash, " \
  "p.payload_key_id, p.payload_key_blob, p.created_at, p.webhook_secret_key_id, p.webhook_secret_blob"
constexpr int kPartnerColumns = 12;
#define PARTNER_SELECT(where) "SELECT " PARTNER_COLUMNS " FROM partners p " where

PartnerRow read_partner(const Query& s) {
  return PartnerRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
                    Sealed{s.text(7), s.blob(8)}, s.i64(9), Sealed{s.text(10), s.blob(11)}};
}

}  // namespace

Status ProgramOps::insert_partner(const PartnerRow& r) {
  CC_SQL(q, "INSERT INTO partners (partner_id, name, mobile, webhook_url, encryption, client_id, "
            "client_secret_hash, payload_key_id, payload_key_blob, created_at, webhook_secret_key_id, "
            "webhook_secret_blob) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
  q.bind(1, r.partner_id).bind(2, r.name).bind(3, r.mobile).bind(4, r.webhook_url).bind(5, r.encryption)
      .bind(6, r.client_id).bind(7, r.client_secret_hash).bind(8, r.payload_key.key_id)
      .bind(9, Blob{r.payload_key.blob}).bind(10, r.created_at).bind(11, r.webhook_secret.key_id)
      .bind(12, Blob{r.webhook_secret.blob});
  return done(q);
}

Result<std::optional<PartnerRow>> ProgramOps::find_partner(const std::string& id) {
  CC_SQL(q, PARTNER_SELECT("WHERE p.partner_id = ?1"));
  return one(q.bind(1, id), read_partner);
}

Result<std::optional<std::string>> ProgramOps::partner_webhook_url(const std::string& id) {
  CC_SQL(q, "SELECT webhook_url FROM partners WHERE partner_id = ?1");
  return one(q.bind(1, id), [](const Query& s) { return s.text(0); });
}

Result<std::optional<PartnerRow>> ProgramOps::find_partner_by_client_id(const std::string& id) {
  CC_SQL(q, PARTNER_SELECT("WHERE p.client_id = ?1"));
  return one(q.bind(1, id), read_partner);
}

Result<std::optional<TokenWithPartner>> ProgramOps::find_token_with_partner(const std::string& digest) {
  CC_SQL(q, "SELECT " PARTNER_COLUMNS ", t.digest, t.kind, t.partner_id, t.username, t.expires_at "
            "FROM tokens t LEFT JOIN partners p ON p.partner_id = t.partner_id WHERE t.digest = ?1");
  return one(q.bind(1, digest), [](const Query& s) {
    constexpr int t = kPartnerColumns;
    TokenWithPartner r{TokenRow{s.text(t), s.text(t + 1), s.text(t + 2), s.text(t + 3), s.i64(t + 4)}, std::nullopt};
    if (!s.is_null(0)) r.partner = read_partner(s);
    return r;
  });
}

Result<int64_t> ProgramOps::count_partners() {
  CC_SQL(q, "SELECT COUNT(*) FROM partners");
  return scalar(q);
}

Status ProgramOps::set_partner_webhook_url(const std::string& partner_id, const std::string& url) {
  CC_SQL(q, "UPDATE partners SET webhook_url = ?2 WHERE partner_id = ?1");
  return done(q.bind(1, partner_id).bind(2, url));
}

Status ProgramOps::set_partner_webhook_secret(const std::string& partner_id, const Sealed& secret) {
  CC_SQL(q, "UPDATE partners SET webhook_secret_key_id = ?2, webhook_secret_blob = ?3 WHERE partner_id = ?1");
  return done(q.bind(1, partner_id).bind(2, secret.key_id).bind(3, Blob{secret.blob}));
}

Status ProgramOps::insert_company(const CompanyRow& r) {
  CC_SQL(q, "INSERT INTO companies (company_id, partner_id, name, created_at) VALUES (?1,?2,?3,?4)");
  return done(q.bind(1, r.company_id).bind(2, r.partner_id).bind(3, r.name).bind(4, r.created_at));
}

Result<std::optional<CompanyRow>> ProgramOps::find_company(const std::string& id) {
  CC_SQL(q, "SELECT company_id, partner_id, name, created_at FROM companies WHERE company_id = ?1");
  return one(q.bind(1, id), read_company);
}

Status ProgramOps::insert_plan(const PlanRow& r) {
  CC_SQL(q, "INSERT INTO plans (plan_master_id, partner_id, name, bin, validity_years, max_balance_paise, "
            "gift, created_at, kyc_rules, fees) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)");
  q.bind(1, r.plan_master_id).bind(2, r.partner_id).bind(3, r.name).bind(4, r.bin).bind(5, r.validity_years)
      .bind(6, r.max_balance_paise).bind(7, r.gift).bind(8, r.created_at).bind(9, r.kyc_rules)
      .bind(10, r.fees);
  return done(q);
}

Result<std::optional<PlanRow>> ProgramOps::find_plan(const std::string& id) {
  CC_SQL(q, "SELECT plan_master_id, partner_id, name, bin, validity_years, max_balance_paise, gift, "
            "created_at, kyc_rules, fees FROM plans WHERE plan_master_id = ?1");
  return one(q.bind(1, id), [](const Query& s) {
    return PlanRow{s.text(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.i64(4)),
                   s.i64(5), s.boolean(6), s.i64(7), s.text(8), s.text(9)};
  });
}

Result<std::vector<CompanyRow>> ProgramOps::list_companies(const std::string& after, size_t limit) {
  CC_SQL(q, "SELECT company_id, partner_id, name, created_at FROM companies WHERE company_id > ?1 "
            "ORDER BY company_id LIMIT ?2");
  return many(q.bind(1, after).bind(2, limit), read_company);
}

}  // namespace cardcore
