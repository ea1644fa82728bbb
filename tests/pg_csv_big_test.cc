// A 1,000,000-row CSV dropped into a real canond's folder: every row reaches the store, and the daemon's memory
// stays flat while it streams the file (its peak resident set after 100,000 rows and after all of them are
// printed side by side).
//
// CANON_BIG_CSV_ROWS changes the row count (default 1,000,000; the test needs at least 200,000 to say anything
// about flatness). The data is tests/contacts_gen.h: distinct people, every tenth row a second record of one.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/contacts_gen.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;
namespace fs = std::filesystem;

namespace {

// VmHWM (peak resident set) or VmRSS of a process, in KiB, from /proc; 0 when the process is gone.
long ProcKb(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  return 0;
}

}  // namespace

TEST_CASE("a 1,000,000-row CSV drop is imported in full while canond's memory stays flat", "[pg][csv][big]") {
  long rows = 1000000;
  if (const char* env = std::getenv("CANON_BIG_CSV_ROWS")) rows = std::atol(env);
  REQUIRE(rows >= 200000);
  char t[] = "/tmp/canon-csv-big.XXXXXX";
  std::string tmp = mkdtemp(t);
  std::string folder = tmp + "/drop";
  fs::create_directories(folder);
  RulesCopy copy;
  copy.Replace("sources.toml", "folder = \"var/drop/contacts\"", "folder = \"" + folder + "\"");
  TestDb db;
  // Written outside the folder, then renamed in, as a well-behaved sender does.
  std::string staged = tmp + "/contacts.csv";
  const contacts_gen::Written written = contacts_gen::WriteContactsCsv(staged, rows, 0);
  long file_mb = static_cast<long>(fs::file_size(staged) >> 20);

  Canond d(db, {}, copy.rules());
  long rss_start = ProcKb(d.pid(), "VmRSS:");
  auto t0 = std::chrono::steady_clock::now();
  fs::rename(staged, folder + "/contacts.csv");
  long hwm_at_100k = 0, rows_seen = 0;
  std::string status;
  // Polls progress once a second; gives up after an hour (the import's rate is printed either way).
  for (int i = 0; i < 3600; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::string v = db.Scalar("SELECT coalesce(max(rows_ok + rows_refused), 0)::text || ' ' || "
                              "coalesce(max(status), '') FROM csv_import");
    rows_seen = std::atol(v.c_str());
    status = v.substr(v.find(' ') + 1);
    if (hwm_at_100k == 0 && rows_seen >= 100000) hwm_at_100k = ProcKb(d.pid(), "VmHWM:");
    if (status == "done" || status == "failed" || !d.running()) break;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long hwm_end = ProcKb(d.pid(), "VmHWM:");
  std::printf("pg_csv_big: %ld rows (%ld MiB) in %.0f s, %.0f rows/s; canond resident set: %ld KiB at start, peak "
              "%ld KiB after 100,000 rows, peak %ld KiB after %ld rows (ratio %.2f)\n",
              rows, file_mb, seconds, rows_seen / seconds, rss_start, hwm_at_100k, hwm_end, rows_seen,
              hwm_at_100k ? static_cast<double>(hwm_end) / hwm_at_100k : 0.0);
  REQUIRE(status == "done");
  // The file moves to done/ once the import has returned: after the commit of its last batch (which says "done"),
  // the last term-count fold and the report.
  REQUIRE(WaitFile(folder + "/done/contacts.csv", 120000));
  CHECK(db.Count("SELECT count(*) FROM source_record") == rows);
  CHECK(db.Count("SELECT count(DISTINCT delivery_key) FROM source_record") == rows);
  CHECK(db.Count("SELECT count(*) FROM entity_member") == rows);
  CHECK(db.Scalar("SELECT rows_refused::text FROM csv_import") == "0");
  // The people the file holds, within 1% (the matcher's business is tested elsewhere; this catches a writer that
  // merges everything or nothing).
  const long people = written.people, seconds_records = written.seconds;
  long long contacts = db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL");
  INFO("contacts " << contacts << ", people " << people << ", second records " << seconds_records);
  CHECK(std::abs(contacts - people) < people / 100);
  // Flat: the peak after the whole file is within 1.2x of the peak after its first 100,000 rows.
  REQUIRE(hwm_at_100k > 0);
  CHECK(hwm_end <= hwm_at_100k * 12 / 10);
  fs::remove_all(tmp);
}
