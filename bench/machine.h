// What the benches read about the machine and the server around a run, shared by bench/pipeline and
// bench/csv_import. Header-only; bench/*.h are not executables.
#pragma once

#include <fstream>
#include <string>
#include <utility>

#include "store/pg.h"

namespace bench {

// (busy, total) jiffies of all CPUs from /proc/stat: what share of the machine a run used, whoever used it.
inline std::pair<double, double> MachineJiffies() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  f >> cpu;
  double v[10] = {0}, total = 0;
  for (double& x : v) {
    f >> x;
    total += x;
  }
  double idle = v[3] + v[4];  // idle + iowait
  return {total - idle, total};
}

// Whether the server loads pg_stat_statements (scripts/bench starts it so); then the view exists in this database.
inline bool HaveStatements(canon::store::PgConn& c) {
  auto loaded = c.Exec("SELECT 1 FROM pg_settings WHERE name = 'shared_preload_libraries' "
                       "AND setting ~ 'pg_stat_statements'");
  if (!loaded.ok() || loaded->rows() == 0) return false;
  return c.Exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").ok();
}

}  // namespace bench
