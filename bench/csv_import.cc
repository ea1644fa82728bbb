// bench/csv_import: a generated contacts CSV imported end to end (parse, normalize, match, write) through the
// same pipeline as the drop folder, next to a plain PostgreSQL COPY of the same file into a bare table (its
// status and row count checked), in the same run. Prints rows/s for both, their ratio, and peak memory (max
// RSS) after the 100k-row import and after the N-row one; the contacts the store holds after both, beside the
// people the generator wrote (counted as it wrote them), and how many contacts hold two generated people
// (wrong merges). Also the rate of the pure stages (CSV parse, record mapping, normalization, the writer's
// pure preparation) on one thread with no store, over a file of other people: what one core does before the
// store is involved. And the CPU steal of the run: on a contended virtual machine the rates move between
// runs. For the big import: its CPU per row on the machine (the import's process, and the rest: PostgreSQL), beside
// what 10,000 rows/s allows on these cores; its statements' server time per row (when the server loads
// pg_stat_statements); and its write floor (bench/write_floor.h: its rows written again by INSERT … SELECT alone,
// into copies holding the small import's rows), which with the pure stages is what a row costs before any lookup.
//
//   bench_csv_import --db CONNINFO [--rows 1000000] [--small 100000] [--writers 2] [--batch 250] [--async-commit 1]
//                    [--floor 0]
// --writers sets ImportOptions::writers (the import's connections writing batches at once; 2 by default, as canond
// and canonctl import use); --async-commit 0 makes every batch commit synchronously (ImportOptions::async_commit).
// Uses a scratch database: applies migrations, truncates the tables it writes.
#include <sys/resource.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bench/copy_rows.h"
#include "bench/machine.h"
#include "bench/write_floor.h"
#include "connectors/csv_reader.h"
#include "connectors/rule_dir.h"
#include "hygiene/normalize.h"
#include "pipeline/allocator.h"
#include "pipeline/csv_import.h"
#include "store/migrate.h"
#include "store/entities.h"
#include "store/pg.h"
#include "tests/contacts_gen.h"

namespace {

using Clock = std::chrono::steady_clock;

// (steal, total) jiffies of all CPUs from /proc/stat: time the hypervisor gave to other guests. A run on a
// contended virtual machine says so beside its figures.
std::pair<long long, long long> CpuSteal() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  long long v[8] = {0}, total = 0;
  f >> cpu;
  for (long long& x : v) {
    f >> x;
    total += x;
  }
  return {v[7], total};
}

// This process's CPU seconds so far (user + system, every thread).
double SelfCpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

double CopyRate(const std::string& db, const std::string& path, long rows) {
  auto conn = canon::store::PgConn::Connect(db);
  if (!conn.ok()) std::exit(2);
  std::ifstream f(path, std::ios::binary);
  double s = bench::CopyRows(**conn, "bench_copy",
                             "email text, first_name text, last_name text, phone text, company text, city text, "
                             "postal_code text, country text",
                             "FORMAT csv, HEADER true", f, rows);
  return rows / s;
}

int g_writers = canon::pipeline::ImportOptions().writers;
size_t g_batch = canon::pipeline::ImportOptions().batch_rows;  // --batch: ImportOptions::batch_rows
bool g_async_commit = canon::pipeline::ImportOptions().async_commit;  // --async-commit
bool g_floor = true;  // --floor 0 leaves the write floor out
long long g_waited = 0;  // rows written once the batches before theirs had committed, over the imports
long long g_retried = 0;  // batch attempts rolled back and written again, over the imports
long long g_gave_way = 0;  // of those, attempts that gave way to the batch before, waiting for them

double ImportRate(canon::store::PgConn& c, std::shared_ptr<const canon::RuleSet> rules, const std::string& path,
                  long rows) {
  canon::pipeline::ImportOptions opts;
  opts.rules = [rules] { return rules; };
  opts.writers = g_writers;
  opts.batch_rows = g_batch;
  opts.async_commit = g_async_commit;
  auto t0 = Clock::now();
  auto r = canon::pipeline::ImportCsvFile(c, "contacts_csv", path, opts);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!r.ok() || r->status != "done") {
    std::fprintf(stderr, "import failed: %s\n", r.ok() ? r->error.c_str() : r.status().ToString().c_str());
    std::exit(1);
  }
  if (r->progress.rows_ok != rows) {
    std::fprintf(stderr, "import wrote %lld of %ld rows (%lld refused)\n", r->progress.rows_ok, rows,
                 r->progress.rows_refused);
    std::exit(1);
  }
  g_waited += r->progress.rows_waited;
  g_retried += r->progress.batches_retried;
  g_gave_way += r->progress.batches_gave_way;
  return rows / s;
}

// Rows/s of the pure stages on this thread: parse only (normalize = false), or parse, map, normalize and prepare.
double PureRate(const canon::RuleSet& rules, const std::string& path, bool normalize, long* accepted) {
  const canon::SourceConfig* src = rules.FindSource("contacts_csv");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (!src || fd < 0) std::exit(2);
  auto t0 = Clock::now();
  canon::FdByteSource bytes(fd);
  canon::CsvReader reader(&bytes);
  if (!reader.Start().ok()) std::exit(2);
  std::vector<std::string> columns = canon::MapCsvHeader(*src, reader.header());
  canon::CsvRow row;
  long rows = 0, ok = 0;
  size_t sink = 0;
  while (reader.Next(&row)) {
    ++rows;
    if (!normalize || !row.error.ok()) continue;
    auto rec = canon::CsvRowToRecord(*src, reader.header(), columns, row, "bench");
    if (!rec.ok()) continue;
    canon::NormalizedRecord n = canon::Normalize(*rec, rules);
    if (!n.accepted()) continue;
    canon::store::WritePrep prep = canon::store::PrepareWrite(*rec, n, rules);
    sink += prep.keys.size() + prep.raw_json.size();
    ++ok;
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  close(fd);
  if (accepted) *accepted = ok;
  if (sink == 0 && normalize) std::fprintf(stderr, "warning: nothing prepared\n");
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
    else if (a == "--writers") g_writers = std::atoi(argv[i + 1]);
    else if (a == "--batch") g_batch = static_cast<size_t>(std::atol(argv[i + 1]));
    else if (a == "--async-commit") g_async_commit = std::atoi(argv[i + 1]) != 0;
    else if (a == "--floor") g_floor = std::atoi(argv[i + 1]) != 0;
  }
  if (db.empty() && std::getenv("CANON_DB")) db = std::getenv("CANON_DB");
  if (db.empty()) {
    std::fprintf(stderr, "usage: bench_csv_import --db CONNINFO [--rows N] [--small N] [--writers N] [--batch N] "
                         "[--async-commit 0|1] [--floor 0]\n");
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
  const contacts_gen::Written small_people = contacts_gen::WriteContactsCsv(small_path, small, 0);
  const contacts_gen::Written big_people = contacts_gen::WriteContactsCsv(big_path, rows, small);  // different people: the big import matches against the small one's store
  std::printf("bench/csv_import: %ld-row and %ld-row generated contacts files, %d writer connection(s), batches of %zu "
              "rows, %s\n",
              small, rows, g_writers, g_batch,
              g_async_commit ? "each but the last committed without waiting for the disk" : "each committed to disk");
  std::printf("the server's shared memory in huge pages: %s\n", bench::ServerHugePages(**conn).c_str());
  auto steal0 = CpuSteal();
  // The pure stages first, on a quiet server (after a large import, autovacuum works for minutes), over a file of
  // other people than the imports' (phone results are memoized process-wide: a second pass over the same numbers,
  // or an import of numbers this pass saw, would be faster than new data).
  std::string ceiling_path = tmp + "/ceiling.csv";
  contacts_gen::WriteContactsCsv(ceiling_path, small, small + rows);
  long accepted = 0;
  double parse_rate = PureRate(**rules, ceiling_path, false, nullptr);
  double pure_rate = PureRate(**rules, ceiling_path, true, &accepted);
  unlink(ceiling_path.c_str());
  double copy_small = CopyRate(db, small_path, small);
  long rss0 = MaxRssKb();
  double imp_small = ImportRate(**conn, *rules, small_path, small);
  long rss_small = MaxRssKb();
  double copy_big = CopyRate(db, big_path, rows);
  // The big import's own rows, CPU and statements: row versions from its first transaction id on are its own (the
  // write floor below), and the machine's CPU is read around it alone.
  const bool statements = bench::HaveStatements(**conn);
  if (statements) (*conn)->Exec("SELECT /* bench */ pg_stat_statements_reset()");
  auto xid = (*conn)->Exec("SELECT /* bench */ txid_current() % 4294967296");
  if (!xid.ok()) return 2;
  const long long run_xid = xid->Int(0, 0);
  const auto machine0 = bench::MachineJiffies();
  const double self0 = SelfCpu();
  double imp_big = ImportRate(**conn, *rules, big_path, rows);
  const auto machine1 = bench::MachineJiffies();
  const double self1 = SelfCpu();
  std::vector<bench::StatementTime> big_statements;
  if (statements) big_statements = bench::ReadStatements(**conn);
  long rss_big = MaxRssKb();
  auto steal1 = CpuSteal();
  std::printf("%-10s %12s %12s %8s\n", "rows", "COPY rows/s", "import rows/s", "ratio");
  std::printf("%-10ld %12.0f %12.0f %8.3f\n", small, copy_small, imp_small, imp_small / copy_small);
  std::printf("%-10ld %12.0f %12.0f %8.3f\n", rows, copy_big, imp_big, imp_big / copy_big);
  std::printf("rows written only once the batches before theirs had committed (a blocking key shared): %lld of %ld "
              "(%.1f%%)\n",
              g_waited, small + rows, 100.0 * static_cast<double>(g_waited) / static_cast<double>(small + rows));
  std::printf("batches written again (a wait cycle broken, or the batch before rolled back): %lld, of which %lld gave "
              "way to the batch before on finding it waiting for them\n",
              g_retried, g_gave_way);
  auto people = (*conn)->Exec("SELECT count(*) FROM contact WHERE merged_into IS NULL");
  if (people.ok())
    std::printf("contacts after both imports: %lld (the files hold %ld people and %ld second records of them, as "
                "written)\n",
                people->Int(0, 0), small_people.people + big_people.people, small_people.seconds + big_people.seconds);
  // The generator gives every person an address of their own and second records none: a contact whose records
  // carry two addresses holds two people, a wrong merge (namesakes at one postcode, mostly).
  auto two = (*conn)->Exec(
      "SELECT count(*) FROM (SELECT e.contact_id FROM entity_member e "
      "JOIN source_record s ON s.id = e.source_record_id "
      "WHERE s.normalized -> 'fields' ->> 'email' IS NOT NULL GROUP BY e.contact_id "
      "HAVING count(DISTINCT lower(s.normalized -> 'fields' ->> 'email')) > 1) w");
  if (two.ok())
    std::printf("contacts holding two people (two generated addresses in one contact: wrong merges): %lld\n",
                two->Int(0, 0));
  std::printf("pure stages without a store (another %ld-row file, one thread): CSV parse %.0f rows/s; parse + "
              "normalize + prepare %.0f rows/s (%ld accepted)\n",
              small, parse_rate, pure_rate, accepted);
  std::printf("peak RSS: before imports %ld KiB, after %ld rows %ld KiB, after %ld rows %ld KiB; ratio %.2f\n", rss0,
              small, rss_small, rows, rss_big, static_cast<double>(rss_big) / rss_small);
  if (steal1.second > steal0.second)
    std::printf("CPU steal during the run: %.1f%% of the machine's CPU time (other guests of the host)\n",
                100.0 * static_cast<double>(steal1.first - steal0.first) /
                    static_cast<double>(steal1.second - steal0.second));
  // Where the big import's CPU went, per row, beside what a target rate allows on this machine's cores: the import
  // is CPU-bound (client, server and the server's helpers share the cores), so a rate needs a CPU budget per row.
  const double cores = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  const double secs = static_cast<double>(rows) / imp_big;
  const double busy = (machine1.first - machine0.first) / (machine1.second - machine0.second) * cores * secs;
  const double per_row = 1e6 / static_cast<double>(rows);
  std::printf("CPU per row of the %ld-row import: %.1f us on the machine (the import's process %.1f, PostgreSQL and "
              "the rest %.1f), %.0f%% of %.0f cores busy; 10,000 rows/s on %.0f cores allows %.1f us per row\n",
              rows, busy * per_row, (self1 - self0) * per_row, (busy - (self1 - self0)) * per_row,
              100.0 * busy / (cores * secs), cores, cores, cores * 1e6 / 10000);
  if (statements) {
    double server_us = 0;
    std::string top;
    for (size_t i = 0; i < big_statements.size(); ++i) {
      const double us = big_statements[i].ms * 1000 / static_cast<double>(rows);
      server_us += us;
      if (i >= 6) continue;
      char buf[32];
      std::snprintf(buf, sizeof buf, "\n    %6.1f  ", us);
      top += buf + bench::Shorten(big_statements[i].query, 60);
    }
    std::printf("server time per row of the %ld-row import: %.1f us, the costliest statements:%s\n", rows,
                server_us, top.c_str());
  } else
    std::printf("server time per row: pg_stat_statements is not loaded by this server\n");
  if (g_floor) {
    // The import's rows written again by the server alone, into copies holding the small import's rows (the store
    // as the big import found it), and the pure stages on one core: what a row costs before any lookup or match.
    bench::WriteFloor f = bench::MeasureWriteFloor(
        **conn, {"source_record", "contact", "entity_member", "match_key", "term_count"},
        static_cast<double>(rows), run_xid, "bench_csv_import");
    std::printf("%s\n", f.Line().c_str());
    std::printf("floor per row without lookups or matching: write floor %.1f + pure stages %.1f = %.1f us of CPU "
                "(the import spent %.1f)\n",
                f.us_per_record, 1e6 / pure_rate, f.us_per_record + 1e6 / pure_rate, busy * per_row);
  }
  unlink(small_path.c_str());
  unlink(big_path.c_str());
  rmdir(tmp.c_str());
  return 0;
}
