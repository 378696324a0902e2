// What the tests that run once per engine share: which engine this run is on, and on
// PostgreSQL a brand-new schema of its own per store (test_store.h opens one).
//
// tests/CMakeLists.txt registers such a binary twice (cardcore_discover_on_each_engine): as
// "sqlite.<Suite>.<Test>" and "postgres.<Suite>.<Test>", with CARDCORE_TEST_ENGINE set to the
// engine. On PostgreSQL each store gets a schema of its own on the server named by
// CARDCORE_TEST_PG_DSN, selected through the connection's search_path: it isolates a store as
// well as a database would (the store names no schema and keys its migration lock by
// current_schema()), and is created in milliseconds where CREATE DATABASE takes most of a
// second.
#pragma once

#include <string>

namespace testsupport {

// "postgres" when CARDCORE_TEST_ENGINE says so, else "sqlite".
std::string test_engine();

// CARDCORE_TEST_PG_DSN, or "".
std::string admin_dsn();

// Runs one statement on its own connection; "" on success, else the error message.
std::string pg_exec(const std::string& dsn, const std::string& sql);

// `dsn` (key=value or URI) as a key=value string whose connections use `schema` only.
std::string with_schema(const std::string& dsn, const std::string& schema);

// The schema a DSN made by with_schema() uses ("" for any other).
std::string schema_of(const std::string& dsn);

// CREATE SCHEMA cc_test_<pid>_<n>_<random>; the DSN that uses it, or "" after ADD_FAILURE.
std::string create_test_schema();

// Drops a schema that create_test_schema() made (any other DSN is left alone).
void drop_test_schema(const std::string& dsn);

// main() of a per-engine test binary: the postgres engine without a server to run on
// (CARDCORE_TEST_PG_DSN) runs nothing and exits 77, which CTest reports as Skipped, never as a
// silent pass.
int engine_main(int argc, char** argv);

}  // namespace testsupport
