// A real service stack for money tests without HTTP: a store of the run's engine (SQLite in a
// temp dir, or a fresh PostgreSQL schema: test_store.h), a vault with a fresh key, the file SMS
// outbox, and a clock the test controls.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "security/crypto.h"
#include "security/secret_hash.h"
#include "service/admin.h"
#include "service/balances.h"
#include "service/cards.h"
#include "service/kyc.h"
#include "test_store.h"

namespace cardcore::testing {

class ServiceEnv {
 public:
  ServiceEnv() : vault_(*Vault::from_text(Vault::new_key_entry())) {
    secret_hash::set_cost({1, 8 * 1024});
    if (!store_.get()) std::abort();  // the failure is already reported (ADD_FAILURE)
    sms_ = make_outbox_file_sms(store_.dir() + "/sms-outbox.jsonl");
    ctx_ = std::make_unique<Context>(Context{*store_, vault_, crypto::random_bytes(32), config_, *sms_,
                                             [this] { return now_.load(); }});
  }
  ~ServiceEnv() { ctx_.reset(); }

  const Context& ctx() const { return *ctx_; }
  Store& store() { return *store_; }
  ServiceConfig& config() { return config_; }
  void advance(int64_t seconds) { now_ += seconds; }
  void set_now(int64_t unix_seconds) { now_ = unix_seconds; }
  int64_t now() const { return now_.load(); }

  // A partner with a card account (plan max balance `max_paise`) and its principal.
  struct Tenant {
    admin::PartnerCredentials creds;
    Principal principal;
    std::string account_id;
  };
  Tenant tenant(int64_t max_paise = 200'000'00) {
    config_.default_max_balance_paise = max_paise;
    Tenant t;
    t.creds = *admin::create_partner(*ctx_, {"Test Partner", "", "", "none"});
    t.principal = Principal{t.creds.partner_id, t.creds.username, ""};
    cards::CreateAccount a{t.creds.company_id, "Co", "", t.creds.plan_master_id, "a@b.co", "9876543210", "Acct", "MEAL"};
    t.account_id = cards::create_account(*ctx_, t.principal, a)->card_account_id;
    return t;
  }
  std::string card(const Tenant& t) {
    cards::CreateCard c;
    c.company_id = t.creds.company_id;
    c.card_account_id = t.account_id;
    c.first_name = "Holder";
    c.mobile = "9123456789";
    return cards::create_card(*ctx_, t.principal, c)->card.card_id;
  }
  // Records a completed KYC (FULL: the RBI PPI limits of a small PPI no longer apply).
  Status full_kyc(const std::string& card_id) {
    auto r = kyc::record_full_kyc(*ctx_, {card_id, "FULL", "KYC-" + card_id, "admin", "ADMIN", std::nullopt, {}});
    if (!r) return std::unexpected(r.error());
    return {};
  }
  Status fund(const Tenant& t, int64_t paise, const std::string& ref) {
    auto r = balances::fund(*ctx_, t.creds.company_id, t.account_id, paise, ref);
    if (!r) return std::unexpected(r.error());
    return {};
  }
  Result<balances::LoadResult> load(const Tenant& t, const std::string& card_id, int64_t paise, const std::string& ref) {
    balances::LoadRequest r;
    r.ref = CardRef{t.creds.company_id, t.account_id, card_id};
    r.amount_paise = paise;
    r.transaction_type = "CR";
    r.reference = ref;
    return balances::load(*ctx_, t.principal, r);
  }
  int64_t wallet(const std::string& card_id) {
    return transact(*store_, [&](Tx& tx) { return tx.ledger_balance(ledger::wallet_account(card_id)); })->balance_paise;
  }
  // What the card can spend: wallet balance minus open holds (the otbBalance).
  int64_t available(const std::string& card_id) {
    return transact(*store_, [&](Tx& tx) { return tx.ledger_balance(ledger::wallet_account(card_id)); })
        ->available_paise();
  }
  int64_t pool(const Tenant& t) {
    return transact(*store_, [&](Tx& tx) { return tx.ledger_balance(ledger::pool_account(t.account_id)); })->balance_paise;
  }
  std::vector<std::string> verify() { return *transact(*store_, [](Tx& tx) { return tx.verify_ledger(); }); }

 private:
  testsupport::TestStore store_;
  Vault vault_;
  ServiceConfig config_;
  std::unique_ptr<SmsChannel> sms_;
  std::unique_ptr<Context> ctx_;
  std::atomic<int64_t> now_{1'780'000'000};
};

}  // namespace cardcore::testing
