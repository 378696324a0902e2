// Moving an embedded installation to PostgreSQL (`cardcore migrate-data --from DIR --to DSN`):
// every table of the SQLite database copied into an empty PostgreSQL database that carries the
// same schema version, in batches, each batch one PostgreSQL transaction together with the
// progress it makes, so that an interrupted move goes on where it stopped when run again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "domain/error.h"

namespace cardcore {

struct TransferOptions {
  size_t batch_rows = 1000;  // rows per PostgreSQL transaction (capped so a batch stays under 60,000 values)
  int64_t max_batches = -1;  // stop (kStopped) after this many batches in this run; -1: no limit
  std::function<void(uint64_t rows_done, uint64_t rows_total)> progress;  // rows of all tables
};

struct TableTransfer {
  std::string table;
  int64_t source_rows = 0, target_rows = 0;
};

struct TransferResult {
  bool stopped = false;  // max_batches reached before the end: run again to go on
  bool resumed = false;  // an earlier run had begun this move
  std::vector<TableTransfer> tables;
  // After a complete move: accounts whose balance or held amount differ between source and
  // target (and accounts missing on either side), as lines.
  std::vector<std::string> balance_differences;
  int64_t accounts_compared = 0;
};

// Copies the SQLite database at `sqlite_path` (whose schema must be current and which no server
// may be writing) into the PostgreSQL database `dsn` (migrated to the same version first). A
// target that holds data and no unfinished move of its own is refused (code::kDuplicate). When
// every table is copied: the identity sequences are moved past the copied values, the row counts
// and every ledger account's balance and held amount are compared, and the move's bookkeeping
// table is dropped.
Result<TransferResult> copy_sqlite_to_postgres(const std::string& sqlite_path, const std::string& dsn,
                                               const TransferOptions& options);

}  // namespace cardcore
