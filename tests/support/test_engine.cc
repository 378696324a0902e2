#include "test_engine.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "security/crypto.h"

namespace testsupport {

std::string test_engine() {
  const char* v = std::getenv("CARDCORE_TEST_ENGINE");
  return v && std::strcmp(v, "postgres") == 0 ? "postgres" : "sqlite";
}

std::string admin_dsn() {
  const char* v = std::getenv("CARDCORE_TEST_PG_DSN");
  return v ? v : "";
}

std::string pg_exec(const std::string& dsn, const std::string& sql) {
  PGconn* c = PQconnectdb(dsn.c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, ("SET client_min_messages = warning; " + sql).c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      error = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  PQfinish(c);
  return error;
}

std::string with_schema(const std::string& dsn, const std::string& schema) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &err);
  if (!options) {
    ADD_FAILURE() << "CARDCORE_TEST_PG_DSN: " << (err ? err : "cannot parse");
    PQfreemem(err);
    return {};
  }
  auto quoted = [](const std::string& v) {
    std::string q = "'";
    for (char ch : v) {
      if (ch == '\'' || ch == '\\') q += '\\';
      q += ch;
    }
    return q + "'";
  };
  std::string out, server_options;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    if (std::strcmp(o->keyword, "options") == 0) server_options = std::string(o->val) + " ";
    else out += std::string(o->keyword) + "=" + quoted(o->val) + " ";
  }
  PQconninfoFree(options);
  return out + "options=" + quoted(server_options + "-c search_path=" + schema);
}

std::string schema_of(const std::string& dsn) {
  const std::string marker = "-c search_path=";
  size_t at = dsn.rfind(marker);
  if (at == std::string::npos) return {};
  std::string name = dsn.substr(at + marker.size());
  return name.substr(0, name.find_first_of("' "));
}

std::string create_test_schema() {
  const std::string admin = admin_dsn();
  if (admin.empty()) {
    ADD_FAILURE() << "CARDCORE_TEST_ENGINE=postgres needs CARDCORE_TEST_PG_DSN (scripts/test starts a server)";
    return {};
  }
  static std::atomic<int> counter{0};
  const std::string name = "cc_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                           cardcore::crypto::random_hex(4);
  if (std::string e = pg_exec(admin, "CREATE SCHEMA " + name); !e.empty()) {
    ADD_FAILURE() << "CREATE SCHEMA " << name << ": " << e;
    return {};
  }
  return with_schema(admin, name);
}

void drop_test_schema(const std::string& dsn) {
  const std::string name = schema_of(dsn);
  if (name.rfind("cc_test_", 0) != 0) return;  // only what create_test_schema made
  if (std::string e = pg_exec(admin_dsn(), "DROP SCHEMA IF EXISTS " + name + " CASCADE"); !e.empty()) {
    ADD_FAILURE() << "DROP SCHEMA " << name << ": " << e;
  }
}

int engine_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  const char* engine = std::getenv("CARDCORE_TEST_ENGINE");
  if (engine && *engine && std::strcmp(engine, "sqlite") != 0 && std::strcmp(engine, "postgres") != 0) {
    std::fprintf(stderr, "CARDCORE_TEST_ENGINE must be sqlite or postgres, not %s\n", engine);
    return 1;
  }
  if (test_engine() == "postgres" && admin_dsn().empty()) {
    std::fprintf(stderr, "skipped: CARDCORE_TEST_ENGINE=postgres needs CARDCORE_TEST_PG_DSN (scripts/test starts a server)\n");
    return 77;
  }
  return RUN_ALL_TESTS();
}

}  // namespace testsupport
