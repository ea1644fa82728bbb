// Term frequencies from the store (migration 005 term_count, written as deltas since 012 and folded by
// store::FoldTermCounts): exact counts per value and per field, and a match
// weight in the store equal to the model's weight with those exact shares (a value everyone shares counts less
// than a rare one). Real PostgreSQL, the store's own WriteBatch, the shipped rules.
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/rule_dir.h"
#include "hygiene/match_model.h"
#include "hygiene/normalize.h"
#include "store/entities.h"
#include "store/migrate.h"
#include "store/term_counts.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

Record Person(const std::string& given, const std::string& family, const std::string& city,
              const std::string& phone) {
  Record r;
  r.source = "website";
  r.fields = {{"first_name", given}, {"last_name", family}, {"city", city}, {"country", "US"}, {"phone", phone}};
  return r;
}

std::string FoldedFamily(const Record& r) {
  std::string v = r.Get("last_name");
  for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return v;
}

}  // namespace

TEST_CASE("term frequencies are exact counts, and the store's match weight uses them", "[pg][tf]") {
  TestDb db;
  auto conn = db.Connect();
  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());
  const MatchModel& model = *(*rules)->match()->model;

  // 1,200 distinct people, every one in Springfield, written in batches of 400 as the import does.
  const int kPeople = 1200;
  std::vector<Record> raws;
  for (int i = 0; i < kPeople; ++i) {
    // Family names of eight letters from a hash (unlike each other), phones far apart: nobody matches anybody.
    uint64_t h = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i + 1);
    std::string family(1, 'Q');
    for (int k = 0; k < 7; ++k, h = h * 6364136223846793005ull + 1442695040888963407ull)
      family += static_cast<char>('a' + (h >> 33) % 26);
    char phone[32];
    std::snprintf(phone, sizeof phone, "+1212%07llu", 2000000 + (static_cast<unsigned long long>(i) * 7919) % 7000000);
    raws.push_back(Person(i % 2 ? "Robert" : "Wilhelmina", family, "Springfield", phone));
  }
  for (int from = 0; from < kPeople; from += 400) {
    std::vector<NormalizedRecord> norm;
    std::vector<store::WriteItem> items;
    for (int i = from; i < from + 400; ++i) norm.push_back(Normalize(raws[i], **rules));
    for (int i = 0; i < 400; ++i) items.push_back({{0, ""}, &raws[from + i], &norm[i]});
    store::Tx tx(*conn);
    REQUIRE(tx.Begin().ok());
    auto w = store::WriteBatch(*conn, items, **rules);
    REQUIRE(w.ok());
    REQUIRE(tx.Commit().ok());
  }
  CHECK(db.Count("SELECT count(*) FROM contact") == kPeople);
  // Each batch committed one delta row with its counts; term_count has none of them until they are folded.
  CHECK(db.Count("SELECT count(*) FROM term_delta") == kPeople / 400);
  CHECK(db.Count("SELECT count(*) FROM term_count") == 0);
  REQUIRE(store::FoldTermCounts(*conn).ok());
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 0);
  // A second fold finds nothing to add: no count twice.
  REQUIRE(store::FoldTermCounts(*conn).ok());
  // Exact counts, summed over shards: the field's total ('') and each value.
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'city' AND value = ''") == kPeople);
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'city' AND value = 'springfield'") == kPeople);
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'given_name' AND value = 'robert'") == kPeople / 2);
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'family_name' AND value = $1",
                 {FoldedFamily(raws[7])}) == 1);

  // Two records of one new person: "Aurelia Vantongeren" of Springfield, with two phones one edit apart.
  Record a = Person("Aurelia", "Vantongeren", "Springfield", "+12125559990");
  Record b = Person("Aurelia", "Vantongeren", "Springfield", "+12125559991");
  NormalizedRecord na = Normalize(a, **rules), nb = Normalize(b, **rules);
  for (auto* p : {&a, &b}) {
    NormalizedRecord n = Normalize(*p, **rules);
    store::Tx tx(*conn);
    REQUIRE(tx.Begin().ok());
    REQUIRE(store::LockKeys(*conn, store::StoreKeys(n, **rules)).ok());
    auto w = store::WriteRecord(*conn, {0, ""}, *p, n, **rules);
    REQUIRE(w.ok());
    REQUIRE(tx.Commit().ok());
    if (p == &b) {
      // The model's weight with the exact shares the store held when b was written: a's counts folded, b's own
      // not yet (a batch's counts reach term_count at the next fold).
      const double total = kPeople + 1;
      TermFrequencies tf;
      tf.Set(MatchField::kGivenName, "aurelia", 1 / total);
      tf.Set(MatchField::kFamilyName, "vantongeren", 1 / total);
      tf.Set(MatchField::kCity, "springfield", total / total);
      PreparedRecord pa = model.Prepare(MatchInputFromNormalized(na, "a"), &tf);
      PreparedRecord pb = model.Prepare(MatchInputFromNormalized(nb, "b"), &tf);
      double with_tf = model.Weight(pa, pb);
      double without_tf =
          model.Weight(model.Prepare(MatchInputFromNormalized(na, "a")), model.Prepare(MatchInputFromNormalized(nb, "b")));
      INFO("store " << w->weight << ", model with exact shares " << with_tf << ", without tf " << without_tf);
      CHECK(w->weight == Approx(with_tf).margin(1e-3));
      // A city everyone shares is no evidence; rare names are more: the two effects are visible in the total.
      CHECK(with_tf != Approx(without_tf).margin(0.5));
      CHECK(w->decision == "merge");
    }
    REQUIRE(store::FoldTermCounts(*conn).ok());  // as the writer does after its batches
  }
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'city' AND value = ''") == kPeople + 2);
}

TEST_CASE("folds from different backends keep one row per value; migration 016 folds old shards", "[pg][tf]") {
  TestDb db;
  auto conn = db.Connect();
  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());
  // Two connections whose backends fall in different shards (pid % 16), as two writers or two nodes.
  auto pid_shard = [](store::PgConn& c) { return c.Exec("SELECT pg_backend_pid() % 16")->Int(0, 0); };
  std::unique_ptr<store::PgConn> other;
  for (int i = 0; i < 64 && !other; ++i) {
    auto c = db.Connect();
    if (pid_shard(*c) != pid_shard(*conn)) other = std::move(c);
  }
  REQUIRE(other);
  int n = 0;
  for (store::PgConn* c : {conn.get(), other.get(), conn.get()}) {
    Record r = Person("Robert", "Springer", "Springfield", "+1212555" + std::to_string(1000 + 7 * n++));
    r.fields["email"] = "robert" + std::to_string(n) + "@example" + std::to_string(n) + ".org";
    NormalizedRecord norm = Normalize(r, **rules);
    std::vector<store::WriteItem> items{{{0, ""}, &r, &norm}};
    store::Tx tx(*c);
    REQUIRE(tx.Begin().ok());
    REQUIRE(store::WriteBatch(*c, items, **rules).ok());
    REQUIRE(tx.Commit().ok());
    REQUIRE(store::FoldTermCounts(*c).ok());
  }
  // One row per value whichever backend folded it; the field's total is spread over the folders' shards.
  CHECK(db.Count("SELECT count(*) FROM term_count WHERE field = 'city' AND value = 'springfield'") == 1);
  CHECK(db.Count("SELECT n FROM term_count WHERE field = 'city' AND value = 'springfield' AND shard = 0") == 3);
  CHECK(db.Count("SELECT count(*) FROM term_count WHERE value <> '' AND shard <> 0") == 0);
  CHECK(db.Count("SELECT count(*) FROM term_count WHERE field = 'city' AND value = ''") == 2);
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'city' AND value = ''") == 3);

  // A store written before 016: a value spread over shards. The migration's statement folds them into shard 0
  // without changing any count, and leaves the totals' shards alone.
  REQUIRE(conn->Exec("INSERT INTO term_count (field, value, shard, n) VALUES ('city', 'springfield', 5, 4), "
                     "('city', 'shelbyville', 3, 2), ('city', 'shelbyville', 9, 5)")
              .ok());
  std::ifstream f(SourceDir() + "/schemas/migrations/016_term_count_value_shard.sql");
  std::string sql((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  REQUIRE(!sql.empty());
  REQUIRE(conn->Exec(sql).ok());
  CHECK(db.Count("SELECT count(*) FROM term_count WHERE value <> '' AND shard <> 0") == 0);
  CHECK(db.Count("SELECT n FROM term_count WHERE field = 'city' AND value = 'springfield' AND shard = 0") == 7);
  CHECK(db.Count("SELECT n FROM term_count WHERE field = 'city' AND value = 'shelbyville' AND shard = 0") == 7);
  CHECK(db.Count("SELECT count(*) FROM term_count WHERE field = 'city' AND value = ''") == 2);
}

namespace {

// One record of Robert <family> in Springfield, written and committed as a worker's batch of one.
void WriteRobert(store::PgConn& c, const RuleSet& rules, const std::string& family, const std::string& phone) {
  Record r = Person("Robert", family, "Springfield", phone);
  NormalizedRecord norm = Normalize(r, rules);
  std::vector<store::WriteItem> items{{{0, ""}, &r, &norm}};
  store::Tx tx(c);
  REQUIRE(tx.Begin().ok());
  REQUIRE(store::WriteBatch(c, items, rules).ok());
  REQUIRE(tx.Commit().ok());
}

}  // namespace

TEST_CASE("a writer's fold steps aside while another session folds, and the counts stay exact", "[pg][tf]") {
  TestDb db;
  auto a = db.Connect();
  auto b = db.Connect();
  REQUIRE(store::Migrate(*a, SourceDir() + "/schemas/migrations").ok());
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());
  auto write = [&](store::PgConn& c, const std::string& family, const std::string& phone) {
    WriteRobert(c, **rules, family, phone);
  };
  write(*a, "Quenneville", "+12125550101");
  // Session a folds inside a transaction it keeps open: its fold holds the folders' lock until it commits.
  store::Tx open(*a);
  REQUIRE(open.Begin().ok());
  auto first = store::TryFoldTermCounts(*a);
  REQUIRE(first.ok());
  CHECK(*first);
  write(*b, "Quarterman", "+12125550202");
  // b finds a folding: it folds nothing, and its delta waits (a's is deleted by a's fold, not yet committed).
  auto second = store::TryFoldTermCounts(*b);
  REQUIRE(second.ok());
  CHECK_FALSE(*second);
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 2);
  store::TermFolder folder;
  REQUIRE(folder.Idle(*b).ok());  // due, stepped aside, still due
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 2);
  REQUIRE(open.Commit().ok());
  REQUIRE(folder.Idle(*b).ok());
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 0);
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'city' AND value = 'springfield'") == 2);
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'family_name' AND value = 'quarterman'") == 1);
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'city' AND value = ''") == 2);
}

TEST_CASE("a worker's idle folds keep a gap between them, and a flush folds at once", "[pg][tf]") {
  TestDb db;
  auto c = db.Connect();
  REQUIRE(store::Migrate(*c, SourceDir() + "/schemas/migrations").ok());
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());
  auto write = [&](const std::string& family, const std::string& phone) { WriteRobert(*c, **rules, family, phone); };
  auto epoch = [&] { return db.Count("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM term_count_epoch"); };
  store::TermFolder folder(std::chrono::milliseconds(400));
  write("Quenneville", "+12125550101");
  REQUIRE(folder.AfterBatch(*c, true).ok());  // within kFoldEvery of its start: not yet
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 1);
  REQUIRE(folder.Idle(*c).ok());  // the first idle fold waits for no gap
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 0);
  const long long after_first = epoch();
  write("Quarterman", "+12125550202");
  REQUIRE(folder.AfterBatch(*c, true).ok());
  // Idle again within the gap: nothing is folded and term_count's epoch (which every fold attempt moves, emptying
  // the writers' caches) stays where it was.
  REQUIRE(folder.Idle(*c).ok());
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 1);
  CHECK(epoch() == after_first);
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  REQUIRE(folder.Idle(*c).ok());
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 0);
  CHECK(epoch() > after_first);
  // A stopping worker flushes whatever the gap.
  write("Quist", "+12125550303");
  REQUIRE(folder.AfterBatch(*c, true).ok());
  REQUIRE(folder.Idle(*c).ok());
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 1);
  REQUIRE(folder.Flush(*c).ok());
  CHECK(db.Count("SELECT count(*) FROM term_delta") == 0);
  CHECK(db.Count("SELECT sum(n) FROM term_count WHERE field = 'city' AND value = 'springfield'") == 3);
}
