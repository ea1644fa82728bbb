// What the benches read about the machine and the server around a run, shared by bench/pipeline and
// bench/csv_import. Header-only; bench/*.h are not executables.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

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

// Statement texts are shown (and grouped) by their first kStatementWidth characters.
constexpr size_t kStatementWidth = 110;

inline std::string Shorten(const std::string& q, size_t width) {
  if (q.size() <= width) return q;
  return q.substr(0, width - 3) + "...";
}

struct StatementTime {
  std::string query;
  long long calls = 0;
  double ms = 0;
  double blocks = 0;     // shared buffers hit or read: the statement's work, whatever the machine's load
  double wal_bytes = 0;  // WAL it wrote
};

// This database's statements since the last pg_stat_statements reset, slowest first; the bench's own are marked
// "/* bench */" and left out. Exits with a message if the view cannot be read.
inline std::vector<StatementTime> ReadStatements(canon::store::PgConn& c) {
  auto r = c.Exec("SELECT /* bench */ regexp_replace(query, '\\s+', ' ', 'g'), calls, total_exec_time, "
                  "       shared_blks_hit + shared_blks_read, wal_bytes "
                  "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                  "WHERE d.datname = current_database() AND query NOT LIKE '%/* bench */%' "
                  "ORDER BY total_exec_time DESC");
  if (!r.ok()) {
    std::fprintf(stderr, "reading pg_stat_statements: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  // One entry per statement shape: a multi-row VALUES list of each length is a statement of its own to
  // pg_stat_statements, so entries are summed by their text's first kStatementWidth characters.
  std::vector<StatementTime> out;
  std::map<std::string, size_t> at;
  for (int i = 0; i < r->rows(); ++i) {
    std::string q = Shorten(r->Str(i, 0), kStatementWidth);
    auto [it, added] = at.emplace(q, out.size());
    if (added) out.push_back({q, 0, 0, 0, 0});
    out[it->second].calls += r->Int(i, 1);
    out[it->second].ms += std::atof(r->Str(i, 2).c_str());
    out[it->second].blocks += std::atof(r->Str(i, 3).c_str());
    out[it->second].wal_bytes += std::atof(r->Str(i, 4).c_str());
  }
  std::sort(out.begin(), out.end(), [](const StatementTime& a, const StatementTime& b) { return a.ms > b.ms; });
  return out;
}

}  // namespace bench
