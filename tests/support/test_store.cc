#include "test_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "test_engine.h"

namespace testsupport {

TestStore::TestStore() {
  char tmpl[] = "/tmp/cardcore-store-XXXXXX";
  if (!mkdtemp(tmpl)) {
    ADD_FAILURE() << "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  if (test_engine() == "postgres") dsn_ = create_test_schema();
  reopen();
}

TestStore::~TestStore() {
  close();
  if (!dsn_.empty()) drop_test_schema(dsn_);
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void TestStore::close() { store_.reset(); }

void TestStore::reopen() {
  store_.reset();
  if (dir_.empty() || (test_engine() == "postgres" && dsn_.empty())) return;
  auto s = test_engine() == "postgres" ? cardcore::open_postgres_store(dsn_)
                                       : cardcore::open_sqlite_store(dir_ + "/cardcore.db");
  if (!s) {
    ADD_FAILURE() << "opening the " << test_engine() << " store: " << s.error().message;
    return;
  }
  store_ = std::move(*s);
}

}  // namespace testsupport
