// The base of every aggregate's operations (programs.h, cards.h, ledger.h, ...): the connection
// of the unit of work they run in. The operations are written once, in the shared SQL of
// store/sql/seam.h, for both engines.
#pragma once

namespace cardcore {
namespace sql {
class Connection;
}

class StoreOps {
 protected:
  explicit StoreOps(sql::Connection& c) : c_(c) {}
  sql::Connection& c_;
};

}  // namespace cardcore
