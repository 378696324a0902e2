// The WAL-gathering VFS of the SQLite engine (src/store/sqlite/wal_coalesce.h), through SQLite's
// own API: every commit is in the file before another connection can see it, whatever the sync
// setting; a transaction larger than the page cache reads its own spilled frames back; rows come
// through checkpoints and WAL restarts whole; and the writes are in fact gathered. (SQLite only:
// the VFS is SQLite's I/O layer. The conformance suite runs the store through it on every test,
// and the money suite's SIGKILL test kills a server that writes through it.)
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/sqlite/wal_coalesce.h"

namespace cardcore {
namespace {

namespace fs = std::filesystem;

class Db {
 public:
  Db(const std::string& path, const char* vfs, int flags) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, flags, vfs), SQLITE_OK);
  }
  ~Db() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "");
    sqlite3_free(err);
  }
  // The first column of the first row, as text.
  std::string one(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    std::string out;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      out = t ? reinterpret_cast<const char*>(t) : "NULL";
    } else {
      out = std::string("error: ") + sqlite3_errmsg(db_);
    }
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class WalCoalesce : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cardcore-walc-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "db.sqlite").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  // A writer through the gathering VFS, in WAL mode with the parameter's synchronous setting.
  std::unique_ptr<Db> writer() {
    auto db = std::make_unique<Db>(path_, sqlite_wal::coalescing_vfs(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db->exec(std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + GetParam() + ";");
    return db;
  }
  // A reader through the default VFS: it sees only what is in the files.
  std::unique_ptr<Db> reader() { return std::make_unique<Db>(path_, nullptr, SQLITE_OPEN_READONLY); }

  fs::path dir_;
  std::string path_;
};

TEST_P(WalCoalesce, EveryCommitIsInTheFileBeforeAnotherConnectionCanSeeIt) {
  auto w = writer();
  w->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
  auto r = reader();
  const sqlite_wal::Counts before = sqlite_wal::counts();
  long long bytes = 0;
  for (int i = 1; i <= 200; ++i) {
    // A row over several pages, and a random-key index entry: a commit of several frames.
    w->exec("INSERT INTO t (id, b) VALUES (" + std::to_string(i) + ", randomblob(" + std::to_string(1000 + 37 * i) + "))");
    bytes += 1000 + 37 * i;
    ASSERT_EQ(r->one("SELECT count(*) || ' ' || sum(length(b)) FROM t"), std::to_string(i) + " " + std::to_string(bytes))
        << "commit " << i;
  }
  const sqlite_wal::Counts after = sqlite_wal::counts();
  // Two writes per frame were asked for; far fewer were handed on.
  EXPECT_GT(after.asked - before.asked, 3 * (after.handed_on - before.handed_on));
}

TEST_P(WalCoalesce, ATransactionLargerThanThePageCacheReadsItsSpilledFramesBack) {
  auto w = writer();
  w->exec("PRAGMA cache_size=20; CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, b BLOB NOT NULL)");
  w->exec("BEGIN");
  for (int i = 0; i < 2000; ++i) {
    w->exec("INSERT INTO t (id, n, b) VALUES (" + std::to_string(i) + ", 1, zeroblob(900))");
  }
  // Pages spilled to the WAL are changed again in the same transaction: rewritten in place.
  w->exec("UPDATE t SET n = n + 1");
  w->exec("UPDATE t SET n = n * 3 WHERE id % 2 = 0");
  EXPECT_EQ(w->one("SELECT sum(n) FROM t"), std::to_string(1000 * 2 + 1000 * 6));
  w->exec("COMMIT");
  auto r = reader();
  EXPECT_EQ(r->one("SELECT sum(n) || ' ' || sum(length(b)) FROM t"), std::to_string(8000) + " " + std::to_string(2000 * 900));
  EXPECT_EQ(r->one("PRAGMA integrity_check"), "ok");
}

TEST_P(WalCoalesce, RowsComeThroughCheckpointsAndWalRestartsWhole) {
  {
    auto w = writer();
    w->exec("PRAGMA wal_autocheckpoint=8; CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    auto r = reader();
    for (int i = 1; i <= 300; ++i) {
      w->exec("INSERT INTO t (id, b) VALUES (" + std::to_string(i * 7919 % 100003) + ", randomblob(700))");
      if (i % 25 == 0) {
        ASSERT_EQ(r->one("SELECT count(*) FROM t"), std::to_string(i));
        r.reset();  // no reader holds the WAL, so the next checkpoint can restart it
        r = reader();
      }
    }
    w->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  // Reopened through the default VFS, from the files alone.
  Db again(path_, nullptr, SQLITE_OPEN_READWRITE);
  EXPECT_EQ(again.one("SELECT count(*) || ' ' || sum(length(b)) FROM t"), "300 " + std::to_string(300 * 700));
  EXPECT_EQ(again.one("PRAGMA integrity_check"), "ok");
}

INSTANTIATE_TEST_SUITE_P(Synchronous, WalCoalesce, ::testing::Values("FULL", "NORMAL", "OFF"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace cardcore
