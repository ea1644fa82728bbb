// Migrations: numbered SQL files (NNN_name.sql) applied in order, each inside its own transaction, recorded in
// schema_migrations. Applying twice is a no-op. Concurrent runners (several nodes starting at once) serialize
// on an advisory lock, so each migration runs exactly once.
#pragma once

#include <string>
#include <vector>

#include "store/pg.h"

namespace canon::store {

struct MigrationReport {
  std::vector<std::string> applied;  // names applied by this run
  int already = 0;                   // how many were already there
};

Result<MigrationReport> Migrate(PgConn& conn, const std::string& migrations_dir);

// The versions in schemas/ that the database has not applied yet (empty when up to date).
Result<std::vector<std::string>> PendingMigrations(PgConn& conn, const std::string& migrations_dir);

}  // namespace canon::store
