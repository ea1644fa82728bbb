// bench/csv_import: a generated contacts CSV imported end to end (parse, normalize, match, write) through the
// same pipeline as the drop folder, next to a plain PostgreSQL COPY of the same file into a bare table, in the
// same run. Prints rows/s for both, their ratio, and peak memory (max RSS) after 100k rows and after N rows.
//
//   bench_csv_import --db CONNINFO [--rows 1000000] [--small 100000]
// Uses a scratch database: applies migrations, truncates the tables it writes.
#include <libpq-fe.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "connectors/rule_dir.h"
#include "pipeline/allocator.h"
#include "pipeline/csv_import.h"
#include "store/migrate.h"
#include "store/pg.h"
#include "tests/contacts_gen.h"

namespace {

using Clock = std::chrono::steady_clock;

long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

double CopyRate(const std::string& db, const std::string& path, long rows) {
  auto conn = canon::store::PgConn::Connect(db);
  if (!conn.ok()) std::exit(2);
  auto& c = **conn;
  c.Exec("DROP TABLE IF EXISTS bench_copy");
  c.Exec("CREATE TABLE bench_copy (email text, first_name text, last_name text, phone text, company text, city text, "
         "postal_code text, country text)");
  auto t0 = Clock::now();
  PGresult* r = PQexec(c.raw(), "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)");
  PQclear(r);
  std::ifstream f(path, std::ios::binary);
  std::string buf(1 << 16, '\0');
  while (f) {
    f.read(buf.data(), buf.size());
    if (f.gcount() > 0) PQputCopyData(c.raw(), buf.data(), static_cast<int>(f.gcount()));
  }
  PQputCopyEnd(c.raw(), nullptr);
  while ((r = PQgetResult(c.raw()))) PQclear(r);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return rows / s;
}

double ImportRate(canon::store::PgConn& c, std::shared_ptr<const canon::RuleSet> rules, const std::string& path,
                  long rows) {
  canon::pipeline::ImportOptions opts;
  opts.rules = [rules] { return rules; };
  auto t0 = Clock::now();
  auto r = canon::pipeline::ImportCsvFile(c, "contacts_csv", path, opts);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!r.ok() || r->status != "done") {
    std::fprintf(stderr, "import failed: %s\n", r.ok() ? r->error.c_str() : r.status().ToString().c_str());
    std::exit(1);
  }
  if (r->progress.rows_ok != rows)
    std::fprintf(stderr, "warning: %lld of %ld rows written (%lld refused)\n", r->progress.rows_ok, rows,
                 r->progress.rows_refused);
  return rows / s;
}

}  // namespace

int main(int argc, char** argv) {
  canon::pipeline::ConfigureAllocatorForStreaming();
  std::string db;
  long rows = 1000000, small = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--db") db = argv[i + 1];
    else if (a == "--rows") rows = std::atol(argv[i + 1]);
    else if (a == "--small") small = std::atol(argv[i + 1]);
  }
  if (db.empty() && std::getenv("CANON_DB")) db = std::getenv("CANON_DB");
  if (db.empty()) {
    std::fprintf(stderr, "usage: bench_csv_import --db CONNINFO [--rows N] [--small N]\n");
    return 2;
  }
  auto conn = canon::store::PgConn::Connect(db);
  if (!conn.ok()) {
    std::fprintf(stderr, "%s\n", conn.status().ToString().c_str());
    return 2;
  }
  auto m = canon::store::Migrate(**conn, CANON_SOURCE_DIR "/schemas/migrations");
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", m.status().ToString().c_str());
    return 2;
  }
  (*conn)->Exec("TRUNCATE csv_import, csv_import_error, entity_member, match_key, quarantine, source_record, "
                "dead_letter, contact, inbox, merge_candidate, merge_event, rejected_pair, term_count "
                "RESTART IDENTITY CASCADE");
  auto rules = canon::LoadRuleDir(CANON_SOURCE_DIR "/rules");
  if (!rules.ok()) return 2;
  char dir[] = "/tmp/canon-bench-csv.XXXXXX";
  std::string tmp = mkdtemp(dir);
  std::string small_path = tmp + "/small.csv", big_path = tmp + "/big.csv";
  contacts_gen::WriteContactsCsv(small_path, small, 0);
  contacts_gen::WriteContactsCsv(big_path, rows, small);  // different people: the big import matches against the small one's store
  std::printf("bench/csv_import: %ld-row and %ld-row generated contacts files\n", small, rows);
  double copy_small = CopyRate(db, small_path, small);
  long rss0 = MaxRssKb();
  double imp_small = ImportRate(**conn, *rules, small_path, small);
  long rss_small = MaxRssKb();
  double copy_big = CopyRate(db, big_path, rows);
  double imp_big = ImportRate(**conn, *rules, big_path, rows);
  long rss_big = MaxRssKb();
  std::printf("%-10s %12s %12s %8s\n", "rows", "COPY rows/s", "import rows/s", "ratio");
  std::printf("%-10ld %12.0f %12.0f %8.3f\n", small, copy_small, imp_small, imp_small / copy_small);
  std::printf("%-10ld %12.0f %12.0f %8.3f\n", rows, copy_big, imp_big, imp_big / copy_big);
  auto people = (*conn)->Exec("SELECT count(*) FROM contact WHERE merged_into IS NULL");
  if (people.ok())
    std::printf("contacts after both imports: %lld (the files hold %ld people and %ld second records of them)\n",
                people->Int(0, 0), small + rows - (small / 10 + rows / 10), small / 10 + rows / 10);
  std::printf("peak RSS: before imports %ld KiB, after %ld rows %ld KiB, after %ld rows %ld KiB; ratio %.2f\n", rss0,
              small, rss_small, rows, rss_big, static_cast<double>(rss_big) / rss_small);
  unlink(small_path.c_str());
  unlink(big_path.c_str());
  rmdir(tmp.c_str());
  return 0;
}
