// A store of the run's engine for tests that drive the store or the service layer directly
// (no HTTP), on SQLite or PostgreSQL as CARDCORE_TEST_ENGINE says (test_engine.h).
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace testsupport {

// A store of the run's engine that owns what it keeps: on SQLite a database file in a fresh
// temp dir, on PostgreSQL a fresh schema; both are removed with it. reopen() closes the store
// and opens the same data again (a restart).
class TestStore {
 public:
  TestStore();
  ~TestStore();
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  cardcore::Store* get() const { return store_.get(); }  // nullptr after a failure (ADD_FAILURE)
  cardcore::Store& operator*() const { return *store_; }
  cardcore::Store* operator->() const { return store_.get(); }
  void reopen();
  void close();
  const std::string& dir() const { return dir_; }  // scratch dir, on either engine

 private:
  std::string dir_, dsn_;
  std::unique_ptr<cardcore::Store> store_;
};

}  // namespace testsupport
