// The write floor of a measured run, shared by bench/pipeline and bench/csv_import: the rows the run stored,
// written again by the server alone, one INSERT … SELECT per table into a table of the same columns and indexes.
// No parsing, no round trips, no matching, no locks: what storing those rows with those indexes costs at the least.
// A write path that must store them cannot spend less server time per record than this; it says how much of the
// rest is lookups, matching and statements. The run's rows are the row versions its transactions wrote (xmin at or
// after the run's first transaction id, `run_xid`: new rows, and the new versions of rows it updated). The floor
// table first gets the store's other rows, untimed, then is vacuumed, analyzed and checkpointed as the store was
// before the run, so with a store already holding 1,000,000 records the run's rows go into indexes of that size, as
// the write path's did: an empty store's floor is the floor of an empty store only.
// Header-only; bench/*.h are not executables.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "store/pg.h"

namespace bench {

struct WriteFloor {
  double us_per_record = 0;
  std::string by_table;     // "source_record 10.6, contact 14.9, ..." (µs per record)
  double wal_per_record = 0;  // bytes
  long long stored = 0;     // the store's other rows the copies got first
  double fill_seconds = 0;  // filling them (untimed)

  // "write floor: ... us per record (...), ... WAL bytes per record"
  std::string Line() const {
    char head[160];
    std::snprintf(head, sizeof head, "%.1f us per record (", us_per_record);
    char tail[96];
    std::snprintf(tail, sizeof tail, "), %.0f WAL bytes per record", wal_per_record);
    std::string where = stored ? " already holding the store's other " + std::to_string(stored) +
                                     " rows (filled untimed in " + std::to_string(static_cast<int>(fill_seconds)) +
                                     " s)"
                               : std::string(" (empty)");
    return "write floor: the run's rows written again by INSERT … SELECT into tables of the same indexes" + where +
           ": " + head + by_table + tail;
  }
};

// `tables`: the tables the run writes. `n`: records the run wrote (the bench exits unless exactly that many source
// records carry an xmin at or after `run_xid`). Exits with a message, prefixed by `who`, on any failed statement.
inline WriteFloor MeasureWriteFloor(canon::store::PgConn& c, const std::vector<std::string>& tables, double n,
                                    long long run_xid, const std::string& who) {
  auto must = [&](const std::string& sql) {
    auto r = c.Exec(sql);
    if (!r.ok()) {
      std::fprintf(stderr, "%s: write floor: %s: %s\n", who.c_str(), sql.substr(0, 60).c_str(),
                   r.status().ToString().c_str());
      std::exit(1);
    }
    return std::move(*r);
  };
  auto since = [](std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const std::string ours = "xmin::text::bigint >= " + std::to_string(run_xid);
  WriteFloor out;
  double total_ms = 0;
  long long wal_total = 0;
  for (const std::string& t : tables) {
    std::string floor = "bench_floor_" + t;
    must("DROP TABLE IF EXISTS " + floor);
    must("CREATE TABLE " + floor + " (LIKE " + t + " INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING STORAGE)");
    auto f0 = std::chrono::steady_clock::now();
    auto filled = must("WITH i AS (INSERT /* bench */ INTO " + floor + " SELECT * FROM " + t + " WHERE NOT (" + ours +
                       ") RETURNING 1) SELECT count(*) FROM i");
    out.stored += filled.Int(0, 0);
    if (filled.Int(0, 0) > 0) {
      must("VACUUM ANALYZE " + floor);
      must("CHECKPOINT");
    }
    out.fill_seconds += since(f0);
    // The predicate must find the run's records exactly: one source record per record written.
    if (t == "source_record" &&
        static_cast<double>(must("SELECT count(*) FROM " + t + " WHERE " + ours).Int(0, 0)) != n) {
      std::fprintf(stderr, "%s: write floor: the run's source records by xmin are not the %lld written\n",
                   who.c_str(), static_cast<long long>(n));
      std::exit(1);
    }
    long long wal0 = must("SELECT /* bench */ pg_current_wal_lsn() - '0/0'::pg_lsn").Int(0, 0);
    auto t0 = std::chrono::steady_clock::now();
    must("INSERT /* bench */ INTO " + floor + " SELECT * FROM " + t + " WHERE " + ours);
    double ms = since(t0) * 1000;
    wal_total += must("SELECT /* bench */ pg_current_wal_lsn() - '0/0'::pg_lsn").Int(0, 0) - wal0;
    total_ms += ms;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s%s %.1f", out.by_table.empty() ? "" : ", ", t.c_str(), ms * 1000 / n);
    out.by_table += buf;
    must("DROP TABLE " + floor);
  }
  out.us_per_record = total_ms * 1000 / n;
  out.wal_per_record = static_cast<double>(wal_total) / n;
  return out;
}

}  // namespace bench
