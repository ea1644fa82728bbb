// What the benches read about the machine and the server around a run, shared by bench/pipeline and
// bench/csv_import. Header-only; bench/*.h are not executables.
#pragma once

#include <cstdlib>
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

// Whether the server's shared memory is in huge pages (PostgreSQL 15 does not say; huge_pages_status came in 17):
// this session's backend's map (/proc/PID/smaps_rollup, Shared_Hugetlb) after a query touched the shared buffers.
// Readable where the bench runs as root or as the server's user, on the server's machine; else "unknown".
inline std::string ServerHugePages(canon::store::PgConn& c) {
  auto r = c.Exec("SELECT pg_backend_pid(), count(*) FROM pg_class");
  if (!r.ok()) return "unknown (" + r.status().ToString() + ")";
  std::ifstream f("/proc/" + r->Str(0, 0) + "/smaps_rollup");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Shared_Hugetlb:", 0) == 0) {
      long kb = std::atol(line.c_str() + 15);
      return kb > 0 ? "yes (" + std::to_string(kb / 1024) + " MB of them mapped by one backend)" : "no (4 kB pages)";
    }
  return "unknown (the server's memory map is not readable here)";
}

}  // namespace bench
