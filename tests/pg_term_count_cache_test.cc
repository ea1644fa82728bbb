// The writer's term-count cache (store::TermCountCache, migration 019): counts a session read are served again
// while term_count's epoch stays the same, and every statement that changes term_count (a fold, a hand edit, a
// TRUNCATE) moves the epoch, after which the writer reads the counts afresh. Real PostgreSQL, the store's own
// WriteBatch, the shipped rules; the expected weights are the model's with the shares the store holds.
#include <catch2/catch.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "connectors/rule_dir.h"
#include "hygiene/match_model.h"
#include "hygiene/normalize.h"
#include "store/candidates.h"
#include "store/entities.h"
#include "store/migrate.h"
#include "store/term_counts.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

TEST_CASE("term-count cache: served under one epoch, emptied by another, bounded") {
  store::TermCountCache cache;
  cache.AtEpoch(7);
  CHECK(cache.Find("city", "springfield") == nullptr);
  cache.Put("city", "springfield", 12);
  cache.Put("city", "", 40);
  cache.Put("given_name", "springfield", 3);  // the same value of another field is another count
  REQUIRE(cache.Find("city", "springfield") != nullptr);
  CHECK(*cache.Find("city", "springfield") == 12);
  CHECK(*cache.Find("city", "") == 40);
  CHECK(*cache.Find("given_name", "springfield") == 3);
  CHECK(cache.Find("cit", "yspringfield") == nullptr);  // field and value are not run together
  cache.AtEpoch(7);
  CHECK(cache.size() == 3);
  cache.AtEpoch(8);
  CHECK(cache.size() == 0);
  CHECK(cache.Find("city", "springfield") == nullptr);
  for (size_t i = 0; i < store::TermCountCache::kMaxValues; ++i) cache.Put("city", std::to_string(i), 1);
  CHECK(cache.size() == store::TermCountCache::kMaxValues);
  cache.Put("city", "0", 2);  // already held: kept
  CHECK(cache.size() == store::TermCountCache::kMaxValues);
  cache.Put("city", "one more", 1);
  CHECK(cache.size() == 1);
}

namespace {

Record Person(const std::string& phone) {
  Record r;
  r.source = "website";
  r.fields = {{"first_name", "Aurelia"}, {"last_name", "Vantongeren"}, {"city", "Springfield"}, {"country", "US"},
              {"phone", phone}};
  return r;
}

long long Epoch(store::PgConn& c) {
  auto r = c.Exec(store::TermCountCache::EpochSql());
  REQUIRE(r.ok());
  return r->Int(0, 0);
}

// The shares term_count holds now for the three values the people share.
TermFrequencies StoreShares(const TestDb& db) {
  TermFrequencies tf;
  const std::pair<MatchField, std::pair<const char*, const char*>> values[] = {
      {MatchField::kGivenName, {"given_name", "aurelia"}},
      {MatchField::kFamilyName, {"family_name", "vantongeren"}},
      {MatchField::kCity, {"city", "springfield"}}};
  for (const auto& [f, fv] : values) {
    double n = static_cast<double>(
        db.Count("SELECT coalesce(sum(n), 0) FROM term_count WHERE field = $1 AND value = $2", {fv.first, fv.second}));
    double total = static_cast<double>(
        db.Count("SELECT coalesce(sum(n), 0) FROM term_count WHERE field = $1 AND value = ''", {fv.first}));
    tf.Set(f, fv.second, std::max(1.0, n) / total);
  }
  return tf;
}

// The best weight of `rec` against `members` with the shares `tf`.
double Best(const MatchModel& model, const NormalizedRecord& rec, const std::vector<NormalizedRecord>& members,
            const TermFrequencies& tf) {
  PreparedRecord p = model.Prepare(MatchInputFromNormalized(rec, "r"), &tf);
  double best = -1e9;
  for (const auto& m : members) best = std::max(best, model.Weight(p, model.Prepare(MatchInputFromNormalized(m, "m"), &tf)));
  return best;
}

}  // namespace

TEST_CASE("the writer serves term counts from its cache until term_count changes", "[pg][tf]") {
  TestDb db;
  auto conn = db.Connect();
  auto other = db.Connect();
  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());
  const MatchModel& model = *(*rules)->match()->model;

  // A store that has seen 2,000 people (past kTfMinRecords), a thousand of them in Springfield, and one Aurelia
  // Vantongeren's values once each.
  CHECK(Epoch(*conn) == 0);
  REQUIRE(other->Exec("INSERT INTO term_count (field, value, shard, n) VALUES "
                      "('given_name', '', 0, 2000), ('family_name', '', 0, 2000), ('city', '', 0, 2000), "
                      "('given_name', 'aurelia', 0, 1), ('family_name', 'vantongeren', 0, 1), "
                      "('city', 'springfield', 0, 1000)")
              .ok());
  const long long e1 = Epoch(*conn);
  CHECK(e1 > 0);

  std::vector<NormalizedRecord> written;
  auto write = [&](const std::string& phone) {
    Record r = Person(phone);
    NormalizedRecord n = Normalize(r, **rules);
    written.push_back(n);
    return WriteInTx(*conn, r, n, **rules);
  };
  store::TermCountCache& cache = store::WriterState::For(*conn).term_counts;

  // The first record meets nobody: no count is read. The second meets it: its weight uses the store's shares,
  // and the counts it read are cached.
  write("+12125559990");
  CHECK(cache.size() == 0);
  const TermFrequencies before = StoreShares(db);
  store::WriteOutcome second = write("+12125559991");
  CHECK(second.weight == Approx(Best(model, written[1], {written[0]}, before)).margin(1e-6));
  REQUIRE(cache.Find("given_name", "aurelia") != nullptr);
  CHECK(*cache.Find("given_name", "aurelia") == 1);
  CHECK(*cache.Find("city", "") == 2000);
  CHECK(Epoch(*conn) == e1);  // writing records adds deltas, not counts: the epoch stays

  // A change the epoch does not see (its trigger off): the writer keeps serving what it read. This shows the
  // counts come from the cache, not from term_count.
  REQUIRE(other->Exec("ALTER TABLE term_count DISABLE TRIGGER term_count_epoch").ok());
  REQUIRE(other->Exec("UPDATE term_count SET n = 1500 WHERE field = 'given_name' AND value = 'aurelia'").ok());
  REQUIRE(other->Exec("ALTER TABLE term_count ENABLE TRIGGER term_count_epoch").ok());
  CHECK(Epoch(*conn) == e1);
  const TermFrequencies after = StoreShares(db);
  store::WriteOutcome third = write("+12125559992");
  const double with_cached = Best(model, written[2], {written[0], written[1]}, before);
  const double with_new = Best(model, written[2], {written[0], written[1]}, after);
  INFO("cached shares " << with_cached << ", the store's " << with_new);
  REQUIRE(with_cached != Approx(with_new).margin(0.5));  // a common given name is less evidence
  CHECK(third.weight == Approx(with_cached).margin(1e-6));

  // Any statement that changes term_count moves the epoch; the next batch reads afresh.
  REQUIRE(other->Exec("UPDATE term_count SET n = n WHERE field = 'city' AND value = ''").ok());
  const long long e2 = Epoch(*conn);
  CHECK(e2 > e1);
  store::WriteOutcome fourth = write("+12125559993");
  CHECK(fourth.weight == Approx(Best(model, written[3], {written[0], written[1], written[2]}, after)).margin(1e-6));
  CHECK(*cache.Find("given_name", "aurelia") == 1500);

  // A fold moves it too (the deltas of the four records go in), and so does a TRUNCATE.
  REQUIRE(store::FoldTermCounts(*other).ok());
  const long long e3 = Epoch(*conn);
  CHECK(e3 > e2);
  const TermFrequencies folded = StoreShares(db);
  store::WriteOutcome fifth = write("+12125559994");
  CHECK(fifth.weight ==
        Approx(Best(model, written[4], {written[0], written[1], written[2], written[3]}, folded)).margin(1e-6));
  CHECK(*cache.Find("given_name", "aurelia") == 1504);
  REQUIRE(other->Exec("TRUNCATE term_count").ok());
  CHECK(Epoch(*conn) > e3);
}
