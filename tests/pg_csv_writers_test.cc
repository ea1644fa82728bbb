// The CSV import with two writer connections (ImportOptions::writers): batches written at once still commit in file
// order, each row is stored once, two records of one person in neighbouring batches make one contact as they do
// with one writer, and a stop between batches resumes at the committed prefix. Small batches (20 rows) so that
// most second records land in a batch written beside their first record's.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "connectors/rule_dir.h"
#include "pipeline/csv_import.h"
#include "store/imports.h"
#include "store/migrate.h"
#include "tests/contacts_gen.h"
#include "tests/faults/private_pg.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

struct Imported {
  pipeline::ImportResult result;
  long long records = 0, contacts = 0, distinct_keys = 0;
};

// A migrated store's connection, and import options with the shipped rules.
std::unique_ptr<store::PgConn> Migrated(const TestDb& db, pipeline::ImportOptions* opts) {
  auto conn = db.Connect();
  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());
  std::shared_ptr<const RuleSet> rs = *rules;
  opts->rules = [rs] { return rs; };
  return conn;
}

Imported Import(const TestDb& db, const std::string& file, int writers, const std::atomic<bool>* stop = nullptr,
                std::function<void(const pipeline::ImportProgress&)> on_progress = {},
                std::function<bool(long long, int)> fail_batch = {}) {
  pipeline::ImportOptions opts;
  auto conn = Migrated(db, &opts);
  opts.batch_rows = 20;
  opts.writers = writers;
  opts.stop = stop;
  opts.on_progress = std::move(on_progress);
  opts.fail_batch = std::move(fail_batch);
  auto r = pipeline::ImportCsvFile(*conn, "contacts_csv", file, opts);
  REQUIRE(r.ok());
  Imported out;
  out.result = *r;
  out.records = db.Count("SELECT count(*) FROM source_record");
  out.contacts = db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL");
  out.distinct_keys = db.Count("SELECT count(DISTINCT delivery_key) FROM source_record");
  return out;
}

}  // namespace

TEST_CASE("two CSV writers store each row once, in file order, with the contacts one writer makes", "[pg][csv]") {
  TempDir dir("canon-csv-writers");
  const std::string file = dir.path + "/people.csv";
  const long kRows = 3000;
  contacts_gen::Written w = contacts_gen::WriteContactsCsv(file, kRows, 0);
  REQUIRE(w.seconds > 100);

  TestDb one_db, two_db;
  Imported one = Import(one_db, file, 1);
  // Commits, and their progress reports, in file order: each report is the end of the batch after the last one's.
  long long last_line = 0;
  uint64_t last_bytes = 0;
  bool ordered = true;
  std::set<std::thread::id> threads;  // the writers that committed (on_progress runs on the committing one)
  Imported two = Import(two_db, file, 2, nullptr, [&](const pipeline::ImportProgress& p) {
    const long long line = p.rows_ok + p.rows_refused;
    ordered = ordered && p.bytes_done >= last_bytes;
    last_bytes = p.bytes_done;
    // 20 rows a batch; the file's end comes as one more batch of none.
    ordered = ordered && (line == last_line + 20 || (line == kRows && last_line == kRows));
    last_line = line;
    threads.insert(std::this_thread::get_id());
  });
  CHECK(ordered);
  CHECK(last_line == kRows);
  CHECK(threads.size() == 2);
  CHECK(one.result.status == "done");
  CHECK(two.result.status == "done");
  CHECK(two.result.progress.rows_ok == kRows);
  CHECK(two.records == kRows);
  CHECK(two.distinct_keys == kRows);
  CHECK(two_db.Count("SELECT rows_ok FROM csv_import") == kRows);
  // One transaction per batch.
  CHECK(two_db.Count("SELECT count(DISTINCT xmin::text) FROM source_record") == kRows / 20);
  // The same entities as one writer makes: two records of one person in neighbouring batches, written at once,
  // still meet (the later batch waits for the earlier one's keys).
  CHECK(two.contacts == one.contacts);
  CHECK(two.contacts < w.people + w.seconds);
  CHECK(two_db.Count("SELECT count(*) FROM (SELECT contact_id FROM entity_member GROUP BY contact_id "
                     "HAVING count(*) > 1) s") == one_db.Count("SELECT count(*) FROM (SELECT contact_id FROM "
                                                             "entity_member GROUP BY contact_id HAVING count(*) > 1) s"));
  // A batch writes the rows sharing no key with the batch before it while that one is written, the others after
  // it commits: some did wait here (second records in the next batch), and the entities are the same, row for row.
  CHECK(two.result.progress.rows_waited > 0);
  CHECK(two.result.progress.rows_waited < kRows / 2);
  const std::string entities =
      "SELECT md5(string_agg(g, ';' ORDER BY g)) FROM (SELECT string_agg(split_part(sr.delivery_key, ':', 2), ',' "
      "ORDER BY sr.id) g FROM entity_member m JOIN source_record sr ON sr.id = m.source_record_id "
      "GROUP BY m.contact_id) s";
  CHECK(two_db.Scalar(entities) == one_db.Scalar(entities));
  // The source records' ids follow the file (survivorship takes a higher id for a newer record).
  CHECK(two_db.Count("SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY split_part(delivery_key, ':', 2)::int) "
                     "p FROM source_record) s WHERE id < p") == 0);
  // The contacts' values, which survivorship took from those records, are the same.
  const std::string values = "SELECT md5(string_agg(concat_ws('|', email, phone, first_name, last_name, company), ';' "
                             "ORDER BY email, phone, first_name, last_name, company)) FROM contact "
                             "WHERE merged_into IS NULL";
  CHECK(two_db.Scalar(values) == one_db.Scalar(values));
}

TEST_CASE("two CSV writers stopped between batches resume at the committed prefix; each row once", "[pg][csv]") {
  TempDir dir("canon-csv-writers");
  const std::string file = dir.path + "/people.csv";
  const long kRows = 1000;
  contacts_gen::WriteContactsCsv(file, kRows, 50000);
  TestDb db;
  std::atomic<bool> stop{false};
  Imported first = Import(db, file, 2, &stop, [&](const pipeline::ImportProgress& p) {
    if (p.rows_ok >= 300) stop = true;
  });
  REQUIRE(first.result.status == "stopped");
  const long long committed = db.Count("SELECT rows_ok FROM csv_import");
  CHECK(committed >= 300);
  CHECK(committed < kRows);
  CHECK(committed % 20 == 0);
  CHECK(first.records == committed);
  Imported rest = Import(db, file, 2);
  CHECK(rest.result.status == "done");
  CHECK(rest.records == kRows);
  CHECK(rest.distinct_keys == kRows);
  CHECK(db.Count("SELECT rows_ok FROM csv_import") == kRows);
}

TEST_CASE("an import's batches commit without waiting for the disk, the last one with it; a PostgreSQL crash "
          "mid-import loses no row of the file and the resumed import takes none twice",
          "[pg][csv][faults]") {
  TempDir dir("canon-csv-crash");
  const std::string file = dir.path + "/people.csv";
  const long kRows = 2000;
  contacts_gen::WriteContactsCsv(file, kRows, 70000);
  PrivatePg pg;
  TestDb db(pg.admin());
  {
    // What such a batch runs in: synchronous_commit off for its transaction only.
    auto conn = db.Connect();
    REQUIRE(db.Scalar("SHOW synchronous_commit") == "on");
    store::Tx tx(*conn);
    REQUIRE(tx.BeginAsyncCommit().ok());
    auto in_tx = conn->Exec("SHOW synchronous_commit");
    REQUIRE(in_tx.ok());
    CHECK(in_tx->Get(0, 0) == "off");
    REQUIRE(tx.Commit().ok());
    auto after = conn->Exec("SHOW synchronous_commit");
    REQUIRE(after.ok());
    CHECK(after->Get(0, 0) == "on");
  }
  // The server stops as in a crash (no checkpoint, recovery on the next start) once 400 rows have committed,
  // while the other writer is in its batch.
  std::atomic<bool> crashed{false};
  {
    pipeline::ImportOptions opts;
    auto conn = Migrated(db, &opts);
    opts.batch_rows = 20;
    opts.writers = 2;
    opts.on_progress = [&](const pipeline::ImportProgress& p) {
      if (p.rows_ok >= 400 && !crashed.exchange(true)) pg.Stop("immediate");
    };
    auto first = pipeline::ImportCsvFile(*conn, "contacts_csv", file, opts);
    REQUIRE(crashed);
    CHECK((!first.ok() || first->status != "done"));
  }
  pg.Start();
  // What survived the crash is a prefix of the file, its progress with it (a batch lost in the crash is lost
  // with its progress).
  const long long kept = db.Count("SELECT rows_ok FROM csv_import");
  CHECK(kept < kRows);
  CHECK(db.Count("SELECT count(*) FROM source_record") == kept);
  CHECK(db.Count("SELECT coalesce(max(split_part(delivery_key, ':', 2)::int), 1) FROM source_record") == kept + 1);
  Imported rest = Import(db, file, 2);
  CHECK(rest.result.status == "done");
  CHECK(rest.records == kRows);
  CHECK(rest.distinct_keys == kRows);
  CHECK(db.Count("SELECT rows_ok FROM csv_import") == kRows);
  CHECK(db.Count("SELECT count(*) FROM source_record sr WHERE NOT EXISTS (SELECT 1 FROM entity_member m "
                 "WHERE m.source_record_id = sr.id)") == 0);
}

TEST_CASE("a batch rolled back mid-import (a broken deadlock) is written again, and so is the one after it",
          "[pg][csv]") {
  TempDir dir("canon-csv-writers");
  const std::string file = dir.path + "/people.csv";
  const long kRows = 1000;
  contacts_gen::WriteContactsCsv(file, kRows, 90000);
  TestDb one_db, db;
  Imported one = Import(one_db, file, 1);
  std::mutex mu;
  std::map<long long, int> attempts;  // per batch, the highest attempt seen
  long long last_line = 0;
  bool ordered = true;
  Imported two = Import(
      db, file, 2, nullptr,
      [&](const pipeline::ImportProgress& p) {
        const long long line = p.rows_ok + p.rows_refused;
        ordered = ordered && (line == last_line + 20 || (line == kRows && last_line == kRows));
        last_line = line;
      },
      [&](long long batch, int attempt) {
        std::lock_guard<std::mutex> lk(mu);
        attempts[batch] = std::max(attempts[batch], attempt);
        // Batches 3 and 17 lose their first two attempts; batch 30 its first.
        return ((batch == 3 || batch == 17) && attempt <= 2) || (batch == 30 && attempt == 1);
      });
  CHECK(two.result.status == "done");
  CHECK(ordered);
  CHECK(attempts[3] == 3);
  CHECK(attempts[17] == 3);
  CHECK(attempts[30] == 2);
  CHECK(two.result.progress.batches_retried >= 5);  // batches 3 and 17 twice, 30 once, and those after them
  CHECK(attempts[5] == 1);
  CHECK(two.records == kRows);
  CHECK(two.distinct_keys == kRows);
  CHECK(db.Count("SELECT rows_ok FROM csv_import") == kRows);
  CHECK(db.Scalar("SELECT status FROM csv_import") == "done");
  CHECK(two.contacts == one.contacts);
  // No term count twice: the rolled-back attempts' deltas went with them.
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'family_name' AND value = ''") ==
        one_db.Count("SELECT sum(n) FROM term_count WHERE field = 'family_name' AND value = ''"));
}

// A real deadlock, not an injected one: batch 1 joins a stored contact by a key batch 0 does not have (so it writes
// that row at once), batch 0 then joins the same contact by another key and waits for batch 1's lock on it, while
// batch 1's other row shares a key with batch 0 and waits for batch 0. Batch 1 sees the cycle and gives way; it (and
// any batch after it) is written again, and the import ends as one writer's would.
TEST_CASE("two CSV writers in a real deadlock over one stored contact: broken, written again, nothing lost",
          "[pg][csv]") {
  TempDir dir("canon-csv-deadlock");
  auto write = [&](const std::string& name, const std::string& body) {
    std::ofstream(dir.path + "/" + name) << body;
    return dir.path + "/" + name;
  };
  const std::string stored = write("stored.csv", "email,first_name,last_name,phone\n"
                                                 "ann.lee@example.com,Ann,Lee,+1 312 555 0100\n"
                                                 "ann@lee.org,Ann,Lee,+1 312 555 0100\n");
  const std::string file = write("people.csv",
                                 "email,first_name,last_name,phone\n"
                                 "ann.lee@example.com,,,\n"           // batch 0: joins Ann by e-mail
                                 "zed.quinn@example.com,Zed,Quinn,\n"  // batch 0
                                 "ann@lee.org,,,\n"                    // batch 1: joins Ann by her other e-mail
                                 "zed.quinn@example.com,,,\n"          // batch 1: Zed's key, after batch 0
                                 "moe.park@example.com,Moe,Park,\n"    // batch 2
                                 "ivy.cole@example.com,Ivy,Cole,\n");
  for (int run = 0; run < 2; ++run) {
    TestDb db;
    pipeline::ImportOptions opts;
    auto conn = Migrated(db, &opts);
    opts.writers = 1;
    REQUIRE(pipeline::ImportCsvFile(*conn, "contacts_csv", stored, opts).ok());
    REQUIRE(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 1);

    std::mutex mu;
    std::condition_variable cv;
    bool batch1_wrote = false;
    int max_attempt = 0;
    opts.batch_rows = 2;
    opts.writers = 2;
    opts.test_stage = [&](long long batch, int attempt, int stage) {
      std::unique_lock<std::mutex> lk(mu);
      max_attempt = std::max(max_attempt, attempt);
      if (batch == 1 && stage == 1) {
        batch1_wrote = true;
        cv.notify_all();
      }
      // Batch 0's first attempt writes only once batch 1 holds Ann's contact (or after 10 s: no deadlock then).
      if (batch == 0 && attempt == 1 && stage == 0)
        cv.wait_for(lk, std::chrono::seconds(10), [&] { return batch1_wrote; });
    };
    auto r = pipeline::ImportCsvFile(*conn, "contacts_csv", file, opts);
    REQUIRE(r.ok());
    CHECK(r->status == "done");
    CHECK(batch1_wrote);
    // The cycle was broken: some batch was written a second time. Batch 1 saw batch 0 wait for its lock on Ann and
    // gave way itself, within a check, not after PostgreSQL's deadlock_timeout.
    CHECK(max_attempt >= 2);
    CHECK(r->progress.batches_retried >= 1);
    CHECK(r->progress.batches_gave_way >= 1);
    CHECK(db.Count("SELECT count(*) FROM source_record") == 8);
    CHECK(db.Count("SELECT count(DISTINCT delivery_key) FROM source_record") == 8);
    CHECK(db.Scalar("SELECT status || ' ' || rows_ok FROM csv_import ORDER BY id DESC LIMIT 1") == "done 6");
    // Ann: her two stored records and both rows; Zed: his two rows; Moe; Ivy.
    CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 4);
    CHECK(db.Count("SELECT count(*) FROM entity_member m JOIN contact c ON c.id = m.contact_id "
                   "WHERE c.phone = '+13125550100' AND c.merged_into IS NULL") == 4);
    CHECK(db.Count("SELECT count(*) FROM entity_member m JOIN contact c ON c.id = m.contact_id "
                   "WHERE c.email = 'zed.quinn@example.com' AND c.merged_into IS NULL") == 2);
  }
}

// The cycle the second groups made: batch 2's second group (a row sharing Ann's key with batch 1) used to take its
// key locks while batch 1 was still writing its first group, so it could take Ann's key before batch 1's own second
// group did, then wait for batch 1 to end, while batch 1 waited for that key. A second group now waits for the batch
// before it to commit: no cycle, nothing written twice.
TEST_CASE("a batch's second group waits for the batch before to commit, not only for its key locks", "[pg][csv]") {
  TempDir dir("canon-csv-second-group");
  const std::string file = dir.path + "/people.csv";
  std::ofstream(file) << "email,first_name,last_name,phone\n"
                         "ann.lee@example.com,Ann,Lee,\n"       // batch 0
                         "bob.roe@example.com,Bob,Roe,\n"       // batch 0
                         "ann.lee@example.com,,,\n"             // batch 1, second group: Ann's key, after batch 0
                         "cat.fox@example.com,Cat,Fox,\n"       // batch 1
                         "ann.lee@example.com,Ann,,\n"          // batch 2, second group: Ann's key, after batch 1
                         "dan.ng@example.com,Dan,Ng,\n";        // batch 2
  TestDb db;
  pipeline::ImportOptions opts;
  auto conn = Migrated(db, &opts);
  std::mutex mu;
  std::condition_variable cv;
  bool batch2_first_group = false;
  opts.batch_rows = 2;
  opts.writers = 2;
  opts.test_stage = [&](long long batch, int attempt, int stage) {
    std::unique_lock<std::mutex> lk(mu);
    if (batch == 2 && stage == 1) {
      batch2_first_group = true;
      cv.notify_all();
    }
    // Batch 1 goes on to its second group only once batch 2 has written its first (and 300 ms more, in which batch
    // 2 would have locked its second group's keys), or after 3 s: batch 2 only starts once batch 0 has committed.
    if (batch == 1 && attempt == 1 && stage == 1) {
      if (cv.wait_for(lk, std::chrono::seconds(3), [&] { return batch2_first_group; })) {
        lk.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
      }
    }
  };
  auto r = pipeline::ImportCsvFile(*conn, "contacts_csv", file, opts);
  REQUIRE(r.ok());
  CHECK(r->status == "done");
  CHECK(batch2_first_group);
  CHECK(r->progress.rows_waited == 2);  // both second groups were there
  CHECK(r->progress.batches_retried == 0);
  CHECK(r->progress.batches_gave_way == 0);
  CHECK(db.Count("SELECT count(*) FROM source_record") == 6);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 4);
  CHECK(db.Count("SELECT count(*) FROM entity_member m JOIN contact c ON c.id = m.contact_id "
                 "WHERE c.email = 'ann.lee@example.com' AND c.merged_into IS NULL") == 3);
}

// A wait PostgreSQL cannot see (the batch before is held up by what it does not show, as another import's writers
// waiting for each other in their process would) ends all the same: after give_way_after the later batch gives way,
// and is written again once the batch before has committed.
TEST_CASE("a batch that has waited give_way_after for the batch before gives way and is written again after it",
          "[pg][csv]") {
  TempDir dir("canon-csv-give-way");
  const std::string file = dir.path + "/people.csv";
  std::ofstream(file) << "email,first_name,last_name,phone\n"
                         "ann.lee@example.com,Ann,Lee,\n"   // batch 0
                         "bob.roe@example.com,Bob,Roe,\n"   // batch 0
                         "cat.fox@example.com,Cat,Fox,\n"   // batch 1
                         "dan.ng@example.com,Dan,Ng,\n"     // batch 1
                         "eve.ash@example.com,Eve,Ash,\n";  // batch 2
  TestDb db;
  pipeline::ImportOptions opts;
  auto conn = Migrated(db, &opts);
  std::mutex mu;
  int batch1_attempts = 0;
  opts.batch_rows = 2;
  opts.writers = 2;
  opts.give_way_after = std::chrono::milliseconds(200);
  opts.test_stage = [&](long long batch, int attempt, int stage) {
    if (batch == 1 && stage == 0) {
      std::lock_guard<std::mutex> lk(mu);
      batch1_attempts = std::max(batch1_attempts, attempt);
    }
    // Batch 0's first attempt is held up for 1.5 s once it has written its rows.
    if (batch == 0 && attempt == 1 && stage == 1) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  };
  auto r = pipeline::ImportCsvFile(*conn, "contacts_csv", file, opts);
  REQUIRE(r.ok());
  CHECK(r->status == "done");
  CHECK(r->progress.batches_gave_way >= 1);
  CHECK(r->progress.batches_retried >= 1);
  CHECK(batch1_attempts >= 2);
  CHECK(db.Count("SELECT count(*) FROM source_record") == 5);
  CHECK(db.Count("SELECT count(DISTINCT delivery_key) FROM source_record") == 5);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 5);
  CHECK(db.Scalar("SELECT status || ' ' || rows_ok FROM csv_import") == "done 5");
  // Ids follow the file all the same: the source records' ids ascend with their lines.
  CHECK(db.Scalar("SELECT string_agg(split_part(delivery_key, ':', 2), ',' ORDER BY id) FROM source_record") ==
        "2,3,4,5,6");
}

// What a writer asks while it waits for the batch before it outside PostgreSQL: does that session wait for a lock of
// mine, directly or through another session that waits in turn (a worker of a canond node between two batches)?
TEST_CASE("a session that waits for this one through another is seen as blocked by it; others are not",
          "[pg][csv]") {
  TestDb db;
  auto mine = db.Connect(), middle = db.Connect(), last = db.Connect(), other = db.Connect();
  REQUIRE(mine->Exec("BEGIN").ok());
  REQUIRE(mine->Exec("SELECT pg_advisory_xact_lock(918273, 1)").ok());
  // `middle` holds lock 2 and waits for mine (lock 1); `last` waits for middle's lock 2.
  REQUIRE(middle->Exec("BEGIN").ok());
  REQUIRE(middle->Exec("SELECT pg_advisory_xact_lock(918273, 2)").ok());
  std::thread t_middle([&] { CHECK(middle->Exec("SELECT pg_advisory_xact_lock(918273, 1)").ok()); });
  std::thread t_last([&] { CHECK(last->Exec("SELECT pg_advisory_lock(918273, 2)").ok()); });
  const std::string waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid IN (" +
                              std::to_string(middle->BackendPid()) + ", " + std::to_string(last->BackendPid()) + ")";
  CHECK(WaitFor(db, waiting, "2") == "2");
  auto direct = store::BlocksSession(*mine, middle->BackendPid());
  auto through = store::BlocksSession(*mine, last->BackendPid());
  auto not_mine = store::BlocksSession(*other, last->BackendPid());
  auto own_lock = store::BlocksSession(*other, mine->BackendPid());
  REQUIRE(direct.ok());
  REQUIRE(through.ok());
  REQUIRE(not_mine.ok());
  REQUIRE(own_lock.ok());
  CHECK(*direct);
  CHECK(*through);
  CHECK_FALSE(*not_mine);
  CHECK_FALSE(*own_lock);  // `mine` waits for nobody
  REQUIRE(mine->Exec("COMMIT").ok());
  t_middle.join();
  REQUIRE(middle->Exec("COMMIT").ok());
  t_last.join();
  auto after = store::BlocksSession(*mine, last->BackendPid());
  REQUIRE(after.ok());
  CHECK_FALSE(*after);
}
