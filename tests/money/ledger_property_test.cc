// Property: any sequence of fund / load / replace operations keeps every ledger invariant, and
// the system agrees with a simple model of what each operation should do.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "service_env.h"

namespace cardcore::testing {
namespace {

struct Op {
  int kind;          // 0 fund, 1 load, 2 replace, 3 create card
  int card;          // index into the cards made so far
  int64_t paise;
  int ref;           // small range: references repeat on purpose
};

RC_GTEST_PROP(LedgerProperty, RandomOperationsKeepInvariants, ()) {
  constexpr int64_t kMax = 50'000;  // ₹500 plan maximum: loads often hit it
  ServiceEnv env;
  auto t = env.tenant(kMax);
  std::vector<std::string> cards{env.card(t), env.card(t)};
  std::map<std::string, int64_t> model_wallet;
  std::map<std::string, bool> replaced;
  int64_t model_pool = 0;
  std::set<std::string> used_fund_refs, used_load_refs;

  auto ops = *rc::gen::container<std::vector<Op>>(
      rc::gen::construct<Op>(rc::gen::inRange(0, 4), rc::gen::inRange(0, 8), rc::gen::inRange<int64_t>(1, 40'000),
                             rc::gen::inRange(0, 12)));
  for (const Op& op : ops) {
    const std::string& card = cards[static_cast<size_t>(op.card) % cards.size()];
    std::string ref = "R" + std::to_string(op.ref);
    if (op.kind == 0) {
      bool ok = env.fund(t, op.paise, ref).has_value();
      RC_ASSERT(ok == !used_fund_refs.count(ref));
      if (ok) {
        used_fund_refs.insert(ref);
        model_pool += op.paise;
      }
    } else if (op.kind == 1) {
      auto r = env.load(t, card, op.paise, ref);
      bool expect = !used_load_refs.count(ref) && !replaced[card] && model_pool >= op.paise &&
                    model_wallet[card] + op.paise <= kMax;
      RC_ASSERT(r.has_value() == expect);
      if (r) {
        used_load_refs.insert(ref);
        model_pool -= op.paise;
        model_wallet[card] += op.paise;
        RC_ASSERT(r->txn.balance_after_paise == model_wallet[card]);
      }
    } else if (op.kind == 2) {
      cards::ReplaceRequest rr;
      rr.card_id = card;
      rr.card_account_id = t.account_id;
      rr.proof.otp_medium = "MOBILE";
      auto r = cards::replace_card(env.ctx(), t.principal, rr);
      RC_ASSERT(r.has_value() == !replaced[card]);
      if (r) {
        replaced[card] = true;
        model_wallet[r->card_id] = model_wallet[card];
        model_wallet[card] = 0;
        cards.push_back(r->card_id);
      }
    } else if (cards.size() < 8) {
      cards.push_back(env.card(t));
    }
    RC_ASSERT(env.verify().empty());
  }
  RC_ASSERT(env.pool(t) == model_pool);
  for (const std::string& c : cards) RC_ASSERT(env.wallet(c) == model_wallet[c]);
}

}  // namespace
}  // namespace cardcore::testing
