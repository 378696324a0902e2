// Schema migrations compiled into the binary (see cmake/embed_migrations.cmake). A store applies,
// in order, every migration of its engine whose version is above the database's recorded one.
#pragma once

#include <climits>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cardcore {

struct Migration {
  std::string engine;   // "sqlite" | "postgres"
  int version;          // NNN of NNN_name.sql
  std::string name;
  std::string sql;
};

const std::vector<Migration>& all_migrations();

// The highest version among `engine`'s migrations: what this build needs the schema to be at.
int latest_migration_version(std::string_view engine);

// How a store treats the migrations when it opens.
struct MigrateOptions {
  bool apply = true;                // false: open as found (`serve --no-migrate`, readiness checks)
  int to_version = INT_MAX;         // apply those up to this version only (`cardcore migrate --to`)
  std::function<void(const Migration&)> on_applied;  // told of each one once committed
};

}  // namespace cardcore
