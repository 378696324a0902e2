// Schema migrations compiled into the binary (see cmake/embed_migrations.cmake). A store applies,
// in order, every migration of its engine whose version is above the database's recorded one.
#pragma once

#include <string>
#include <vector>

namespace cardcore {

struct Migration {
  std::string engine;   // "sqlite" | "postgres"
  int version;          // NNN of NNN_name.sql
  std::string name;
  std::string sql;
};

const std::vector<Migration>& all_migrations();

}  // namespace cardcore
