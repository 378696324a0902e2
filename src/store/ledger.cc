#include "store/ledger.h"

#include <algorithm>

#include "store/sql/ops_util.h"

namespace cardcore {
using namespace sql;

Result<int64_t> LedgerOps::post_entry(const ledger::Entry& e, const std::string& scope, int64_t now) {
  CC_RETURN_IF_ERROR(ledger::validate(e));
  int64_t entry_id = 0;
  {
    CC_SQL(ins, "INSERT INTO journal_entries (kind, scope, reference, created_at) VALUES (?1,?2,?3,?4) "
                "RETURNING entry_id");
    auto id = scalar(ins.bind(1, e.kind).bind(2, scope).bind(3, e.reference).bind(4, now));
    if (!id) {
      if (id.error().code == code::kDuplicate) {
        return fail(code::kDuplicate, "reference '" + e.reference + "' was already used", "reference");
      }
      return std::unexpected(id.error());
    }
    entry_id = *id;
  }
  // Row locks are taken in one order, so two entries over the same accounts never deadlock on
  // each other (PostgreSQL; SQLite has one writer): the accounts of money being moved (pools,
  // wallets, …) in account-id order, then the fee revenue and GST accounts. A unit that posts a
  // load and then its fee thus locks pool, wallet, fees, gst, as a fee posted alone does.
  auto rank = [](const std::string& id) {
    auto kind = ledger::kind_of(id);
    return kind && (*kind == ledger::AccountKind::kFeeRevenue || *kind == ledger::AccountKind::kGstPayable) ? 1 : 0;
  };
  std::vector<const ledger::Posting*> order;
  for (const ledger::Posting& p : e.postings) order.push_back(&p);
  std::sort(order.begin(), order.end(), [&](const ledger::Posting* a, const ledger::Posting* b) {
    return std::pair(rank(a->account_id), a->account_id) < std::pair(rank(b->account_id), b->account_id);
  });
  for (const ledger::Posting* pp : order) {
    const ledger::Posting& p = *pp;
    CC_ASSIGN_OR_RETURN(ledger::AccountKind kind, ledger::kind_of(p.account_id));
    CC_SQL(acc, "INSERT INTO ledger_accounts (account_id, kind, allow_negative, created_at) "
                "VALUES (?1,?2,?3,?4) ON CONFLICT (account_id) DO NOTHING");
    CC_RETURN_IF_ERROR(done(acc.bind(1, p.account_id).bind(2, ledger::kind_name(kind))
                                .bind(3, ledger::may_go_negative(kind)).bind(4, now)));
    // The one concurrency rule for money: a conditional update, never read-modify-write.
    CC_SQL(upd, "UPDATE ledger_accounts SET balance_paise = balance_paise + CAST(?2 AS BIGINT) "
                "WHERE account_id = ?1 "
                "AND (allow_negative OR balance_paise + CAST(?2 AS BIGINT) - held_paise >= 0) "
                "AND (CAST(?3 AS BIGINT) IS NULL OR balance_paise + CAST(?2 AS BIGINT) <= CAST(?3 AS BIGINT))");
    CC_ASSIGN_OR_RETURN(bool applied, changed(upd.bind(1, p.account_id).bind(2, p.amount_paise)
                                                  .bind(3, p.ceiling_paise)));
    if (!applied) {
      CC_ASSIGN_OR_RETURN(LedgerBalance b, ledger_balance(p.account_id));
      if (p.ceiling_paise && b.balance_paise + p.amount_paise > *p.ceiling_paise) {
        return fail(code::kMaxBalanceExceeded,
                    "amount: would take " + p.account_id + " above its maximum balance", "amount");
      }
      return fail(code::kInsufficientFunds, "amount: insufficient balance in " + p.account_id, "amount");
    }
    CC_SQL(post, "INSERT INTO postings (entry_id, account_id, amount_paise) VALUES (?1,?2,?3)");
    CC_RETURN_IF_ERROR(done(post.bind(1, entry_id).bind(2, p.account_id).bind(3, p.amount_paise)));
  }
  return entry_id;
}

namespace {
// The balance an account's row holds (no row yet: zero).
Result<LedgerBalance> balance_row(Query& q, const std::string& account_id) {
  CC_ASSIGN_OR_RETURN(std::optional<LedgerBalance> b, one(q.bind(1, account_id), [](const Query& s) {
                        return LedgerBalance{s.i64(0), s.i64(1)};
                      }));
  return b.value_or(LedgerBalance{});
}
}  // namespace

Result<LedgerBalance> LedgerOps::lock_ledger_account(const std::string& account_id) {
  CC_SQL(q, "SELECT balance_paise, held_paise FROM ledger_accounts WHERE account_id = ?1 {FOR UPDATE}");
  return balance_row(q, account_id);
}

Result<LedgerBalance> LedgerOps::ledger_balance(const std::string& account_id) {
  CC_SQL(q, "SELECT balance_paise, held_paise FROM ledger_accounts WHERE account_id = ?1");
  return balance_row(q, account_id);
}

Result<std::vector<std::string>> LedgerOps::verify_ledger(const std::function<void(int i, int n)>& on_check) {
  constexpr int kChecks = 5;
  int check = 0;
  auto next = [&] {
    if (on_check) on_check(check++, kChecks);
  };
  std::vector<std::string> problems;
  auto report = [&](Query& q, auto line) -> Status {
    for (;;) {
      CC_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) return {};
      problems.push_back(line(q));
    }
  };
  next();
  {
    CC_SQL(q, "SELECT a.account_id, a.balance_paise, COALESCE(SUM(p.amount_paise), 0) "
              "FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.account_id "
              "GROUP BY a.account_id, a.balance_paise HAVING a.balance_paise <> COALESCE(SUM(p.amount_paise), 0)");
    CC_RETURN_IF_ERROR(report(q, [](const Query& s) {
      return "account " + s.text(0) + ": stored balance " + std::to_string(s.i64(1)) + " != sum of postings " +
             std::to_string(s.i64(2));
    }));
  }
  next();
  {
    CC_SQL(q, "SELECT j.entry_id, COALESCE(SUM(p.amount_paise), 0), COUNT(p.account_id) FROM journal_entries j "
              "LEFT JOIN postings p ON p.entry_id = j.entry_id GROUP BY j.entry_id "
              "HAVING COALESCE(SUM(p.amount_paise), 0) <> 0 OR COUNT(p.account_id) < 2");
    CC_RETURN_IF_ERROR(report(q, [](const Query& s) {
      return "entry " + std::to_string(s.i64(0)) + ": postings sum to " + std::to_string(s.i64(1)) + " over " +
             std::to_string(s.i64(2)) + " postings";
    }));
  }
  next();
  {
    CC_SQL(q, "SELECT account_id, balance_paise, held_paise FROM ledger_accounts WHERE NOT allow_negative "
              "AND (balance_paise < 0 OR held_paise < 0 OR balance_paise < held_paise)");
    CC_RETURN_IF_ERROR(report(q, [](const Query& s) {
      return "account " + s.text(0) + ": negative (balance " + std::to_string(s.i64(1)) + ", held " +
             std::to_string(s.i64(2)) + ")";
    }));
  }
  next();
  {
    // What a wallet holds equals what its open authorizations hold.
    CC_SQL(q, "SELECT account_id, held_paise, open_holds FROM (SELECT a.account_id, a.held_paise, "
              "COALESCE((SELECT SUM(x.held_paise) FROM authorizations x "
              "WHERE x.card_id = substr(a.account_id, 8) AND x.status = 'OPEN'), 0) AS open_holds "
              "FROM ledger_accounts a WHERE a.kind = 'wallet') AS w WHERE held_paise <> open_holds");
    CC_RETURN_IF_ERROR(report(q, [](const Query& s) {
      return "account " + s.text(0) + ": held " + std::to_string(s.i64(1)) + " != open authorizations " +
             std::to_string(s.i64(2));
    }));
  }
  next();
  CC_SQL(t, "SELECT COALESCE(SUM(balance_paise), 0) FROM ledger_accounts");
  CC_ASSIGN_OR_RETURN(int64_t total, scalar(t));
  if (on_check) on_check(kChecks, kChecks);
  if (total != 0) problems.push_back("ledger: balances sum to " + std::to_string(total) + ", not zero");
  return problems;
}

// On every authorization: one statement where RETURNING is cheap, else the update and a read
// of the row it changed, in the same unit (sql::Connection::returning_is_cheap).
Result<std::optional<int64_t>> LedgerOps::place_hold(const std::string& account_id, int64_t amount) {
  if (c_.returning_is_cheap()) {
    CC_SQL(q, "UPDATE ledger_accounts SET held_paise = held_paise + CAST(?2 AS BIGINT) WHERE account_id = ?1 "
              "AND balance_paise - held_paise >= CAST(?2 AS BIGINT) RETURNING balance_paise - held_paise");
    return one(q.bind(1, account_id).bind(2, amount), [](const Query& s) { return s.i64(0); });
  }
  CC_SQL(q, "UPDATE ledger_accounts SET held_paise = held_paise + CAST(?2 AS BIGINT) WHERE account_id = ?1 "
            "AND balance_paise - held_paise >= CAST(?2 AS BIGINT)");
  CC_ASSIGN_OR_RETURN(bool held, changed(q.bind(1, account_id).bind(2, amount)));
  if (!held) return std::optional<int64_t>{};
  CC_SQL(r, "SELECT balance_paise - held_paise FROM ledger_accounts WHERE account_id = ?1");
  return one(r.bind(1, account_id), [](const Query& s) { return s.i64(0); });
}

Status LedgerOps::release_hold(const std::string& account_id, int64_t amount) {
  CC_SQL(q, "UPDATE ledger_accounts SET held_paise = held_paise - CAST(?2 AS BIGINT) WHERE account_id = ?1 "
            "AND held_paise >= CAST(?2 AS BIGINT)");
  CC_ASSIGN_OR_RETURN(bool ok, changed(q.bind(1, account_id).bind(2, amount)));
  if (!ok) return internal_error("release_hold: less than " + std::to_string(amount) + " held on " + account_id);
  return {};
}

}  // namespace cardcore
