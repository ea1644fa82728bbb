// The benches' baseline: PostgreSQL's COPY of a CSV stream into a bare table, every status checked (the COPY's
// start, each chunk, its end, its result and its row count), so a failed COPY can never print as a fast one.
// Header-only; bench/*.h are not executables.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <istream>
#include <string>

#include "store/pg.h"

namespace bench {

// Creates (replacing) table `table` with the text columns `columns` ("a text, b text"), COPYs `csv` into it with
// `options` ("FORMAT csv, HEADER true"), and returns the seconds the COPY took. Exits with a message unless the
// COPY succeeded and wrote exactly `rows` rows.
inline double CopyRows(canon::store::PgConn& c, const std::string& table, const std::string& columns,
                       const std::string& options, std::istream& csv, long rows) {
  auto fail = [](const std::string& why) {
    std::fprintf(stderr, "COPY baseline: %s\n", why.c_str());
    std::exit(1);
  };
  for (const std::string& sql : {"DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table + " (" + columns + ")"})
    if (auto r = c.Exec(sql); !r.ok()) fail(r.status().ToString());
  auto t0 = std::chrono::steady_clock::now();
  canon::store::PgResult start(PQexec(c.raw(), ("COPY " + table + " FROM STDIN WITH (" + options + ")").c_str()));
  if (PQresultStatus(start.get()) != PGRES_COPY_IN) fail(PQerrorMessage(c.raw()));
  std::string buf(1 << 16, '\0');
  while (csv) {
    csv.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (csv.gcount() > 0 && PQputCopyData(c.raw(), buf.data(), static_cast<int>(csv.gcount())) != 1)
      fail(PQerrorMessage(c.raw()));
  }
  if (PQputCopyEnd(c.raw(), nullptr) != 1) fail(PQerrorMessage(c.raw()));
  long long copied = -1;
  while (PGresult* raw = PQgetResult(c.raw())) {
    canon::store::PgResult r(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK) fail(PQresultErrorMessage(raw));
    copied = std::atoll(PQcmdTuples(raw));
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (copied != rows) fail("wrote " + std::to_string(copied) + " rows of " + std::to_string(rows));
  return s;
}

}  // namespace bench
