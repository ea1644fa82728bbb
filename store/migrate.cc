#include "store/migrate.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace canon::store {
namespace {

// An arbitrary constant: the advisory lock key that serializes migration runners.
constexpr long long kMigrationLock = 0x63616e6f6e01;

Result<std::vector<std::filesystem::path>> ListMigrations(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".sql") files.push_back(e.path());
  if (ec) return Status::Invalid("cannot list migrations: " + ec.message(), dir);
  std::sort(files.begin(), files.end());
  if (files.empty()) return Status::Invalid("no migrations found", dir);
  return files;
}

Result<std::set<std::string>> Applied(PgConn& c) {
  auto r = c.Exec("SELECT version FROM schema_migrations");
  if (!r.ok()) return r.status();
  std::set<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.insert(r->Str(i, 0));
  return out;
}

Status EnsureTable(PgConn& c) {
  auto r = c.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
      "applied_at timestamptz NOT NULL DEFAULT now())");
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace

Result<MigrationReport> Migrate(PgConn& c, const std::string& dir) {
  auto files = ListMigrations(dir);
  if (!files.ok()) return files.status();
  auto lock = c.Exec("SELECT pg_advisory_lock($1)", {std::to_string(kMigrationLock)});
  if (!lock.ok()) return lock.status();
  MigrationReport report;
  Status result = [&]() -> Status {
    if (Status s = EnsureTable(c); !s.ok()) return s;
    auto applied = Applied(c);
    if (!applied.ok()) return applied.status();
    for (const auto& f : *files) {
      std::string version = f.stem().string();
      if (applied->count(version)) {
        ++report.already;
        continue;
      }
      std::ifstream in(f);
      std::stringstream ss;
      ss << in.rdbuf();
      Tx tx(c);
      if (Status s = tx.Begin(); !s.ok()) return s;
      if (Status s = c.ExecScript(ss.str()); !s.ok())
        return Status(s.code(), "migration " + version + " failed: " + s.message(), f.string());
      auto ins = c.Exec("INSERT INTO schema_migrations(version) VALUES ($1)", {version});
      if (!ins.ok()) return ins.status();
      if (Status s = tx.Commit(); !s.ok()) return s;
      report.applied.push_back(version);
    }
    return Status::Ok();
  }();
  c.Exec("SELECT pg_advisory_unlock($1)", {std::to_string(kMigrationLock)});
  if (!result.ok()) return result;
  return report;
}

Result<std::vector<std::string>> PendingMigrations(PgConn& c, const std::string& dir) {
  auto files = ListMigrations(dir);
  if (!files.ok()) return files.status();
  auto exists = c.Exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists.ok()) return exists.status();
  std::set<std::string> applied;
  if (exists->Get(0, 0) == "t") {
    auto a = Applied(c);
    if (!a.ok()) return a.status();
    applied = std::move(*a);
  }
  std::vector<std::string> pending;
  for (const auto& f : *files)
    if (!applied.count(f.stem().string())) pending.push_back(f.stem().string());
  return pending;
}

}  // namespace canon::store
