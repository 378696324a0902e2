// main() of the test binaries that start the real server (API, ISO 8583 server and e2e). The
// engine comes from CARDCORE_TEST_ENGINE (harness.h). The postgres engine without a server to run
// on (CARDCORE_TEST_PG_DSN) runs nothing and exits 77, which CTest reports as Skipped
// (tests/CMakeLists.txt): never a silent pass.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "harness.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  const char* engine = std::getenv("CARDCORE_TEST_ENGINE");
  if (engine && *engine && std::strcmp(engine, "sqlite") != 0 && std::strcmp(engine, "postgres") != 0) {
    std::fprintf(stderr, "CARDCORE_TEST_ENGINE must be sqlite or postgres, not %s\n", engine);
    return 1;
  }
  const char* dsn = std::getenv("CARDCORE_TEST_PG_DSN");
  if (apitest::test_engine() == "postgres" && !(dsn && *dsn)) {
    std::fprintf(stderr, "skipped: CARDCORE_TEST_ENGINE=postgres needs CARDCORE_TEST_PG_DSN (scripts/test starts a server)\n");
    return 77;
  }
  return RUN_ALL_TESTS();
}
