// The record writer's memo of over-common keys (store::OverCommonMemo): a key its session saw held by more
// entities than the key's cap is not looked up again for a minute, and counts as over-common without the lookup.
// The memo alone, then WriteBatch on a real PostgreSQL with a phone key's cap lowered to 3: holders taken away
// behind the writer's back (as a merge or an erasure would) do not make the key followed again while the memo
// holds it; a new session (another connection) follows it at once.
#include <catch2/catch.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "connectors/rule_dir.h"
#include "hygiene/normalize.h"
#include "store/candidates.h"
#include "store/entities.h"
#include "store/migrate.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;
using store::OverCommonMemo;

TEST_CASE("over-common memo: seen over the cap, for kTtl, while the cap stays under what was seen") {
  OverCommonMemo memo;
  const auto t0 = OverCommonMemo::Clock::now();
  CHECK_FALSE(memo.Over(store::KeyHash("phone:+14155550123"), 3, t0));
  memo.Note(store::KeyHash("phone:+14155550123"), 4, t0);
  CHECK(memo.Over(store::KeyHash("phone:+14155550123"), 3, t0));
  CHECK(memo.Over(store::KeyHash("phone:+14155550123"), 3, t0 + OverCommonMemo::kTtl - std::chrono::seconds(1)));
  CHECK_FALSE(memo.Over(store::KeyHash("phone:+14155550123"), 3, t0 + OverCommonMemo::kTtl));  // forgotten
  CHECK_FALSE(memo.Over(store::KeyHash("phone:+14155550124"), 3, t0));                        // another key
  // A rule file that raised the cap to what was seen (or past it): followed again.
  CHECK_FALSE(memo.Over(store::KeyHash("phone:+14155550123"), 4, t0));
  CHECK(memo.Over(store::KeyHash("phone:+14155550123"), 2, t0));
  // Seen again later: remembered from then.
  memo.Note(store::KeyHash("phone:+14155550123"), 4, t0 + std::chrono::seconds(50));
  CHECK(memo.Over(store::KeyHash("phone:+14155550123"), 3, t0 + OverCommonMemo::kTtl + std::chrono::seconds(10)));
  // Bounded: a full memo is emptied before a new key goes in.
  for (size_t i = 1; i < OverCommonMemo::kMaxKeys; ++i) memo.Note(store::KeyHash("k" + std::to_string(i)), 2, t0);
  CHECK(memo.size() == OverCommonMemo::kMaxKeys);
  memo.Note(store::KeyHash("k1"), 3, t0);  // already held: no emptying
  CHECK(memo.size() == OverCommonMemo::kMaxKeys);
  memo.Note(store::KeyHash("one more"), 2, t0);
  CHECK(memo.size() == 1);
  CHECK(memo.Over(store::KeyHash("one more"), 1, t0));
  CHECK_FALSE(memo.Over(store::KeyHash("phone:+14155550123"), 3, t0));
}

namespace {

struct Person {
  Record raw;
  NormalizedRecord norm;
};

Person Make(const RuleSet& rules, const std::string& first, const std::string& last) {
  Person p;
  p.raw.source = "website";
  p.raw.fields = {{"first_name", first},
                  {"last_name", last},
                  {"email", first + "." + last + "@northwind.example"},
                  {"phone", "+1 415 555 0123"}};
  p.norm = Normalize(p.raw, rules);
  return p;
}

// Writes one person in its own transaction; the outcome.
store::WriteOutcome Write(store::PgConn& conn, const RuleSet& rules, const Person& p) {
  return WriteInTx(conn, p.raw, p.norm, rules);
}

bool Reports(const store::WriteOutcome& o, const std::string& key) {
  return std::find(o.over_common_keys.begin(), o.over_common_keys.end(), key) != o.over_common_keys.end();
}

}  // namespace

TEST_CASE("the writer does not look up a key its session saw over the cap; a new session does", "[pg][overcommon]") {
  TestDb db;
  RulesCopy copy;
  copy.Replace("match.toml", "max_per_key = 50", "max_per_key = 3");
  auto rules = LoadRuleDir(copy.rules());
  REQUIRE(rules.ok());
  auto conn = db.Connect();
  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  const std::string key = "phone:+14155550123";

  // Four people behind one switchboard number: the key is held by 4 > 3 contacts.
  const std::vector<std::pair<std::string, std::string>> names = {
      {"Amelia", "Brandvold"}, {"Tobias", "Okafor"}, {"Priya", "Ramaswamy"}, {"Henrik", "Lindqvist"},
      {"Soledad", "Ibarra"},   {"Kwame", "Mensah"},  {"Ines", "Carvalho"}};
  for (size_t i = 0; i < 4; ++i) CHECK_FALSE(Reports(Write(*conn, **rules, Make(**rules, names[i].first, names[i].second)), key));
  REQUIRE(db.Count("SELECT count(*) FROM match_key WHERE key_hash = canon_key_hash($1)", {key}) == 4);
  // The fifth meets it over the cap (the lookup read 4 holders): reported, and the session's memo holds it.
  CHECK(Reports(Write(*conn, **rules, Make(**rules, names[4].first, names[4].second)), key));
  CHECK(store::WriterState::For(*conn).over_common.Over(store::KeyHash(key), 3, OverCommonMemo::Clock::now()));

  // Three of the five holders go (as a merge or an erasure would take them): 2 holders, under the cap.
  REQUIRE(conn->Exec("DELETE FROM match_key WHERE key_hash = canon_key_hash($1) AND contact_id IN "
                     "(SELECT contact_id FROM match_key WHERE key_hash = canon_key_hash($1) ORDER BY contact_id "
                     "LIMIT 3)",
                     {key})
              .ok());
  REQUIRE(db.Count("SELECT count(*) FROM match_key WHERE key_hash = canon_key_hash($1)", {key}) == 2);
  // This session still counts it over-common without looking (within the memo's minute).
  CHECK(Reports(Write(*conn, **rules, Make(**rules, names[5].first, names[5].second)), key));
  CHECK(db.Count("SELECT hits FROM over_common_key WHERE key = $1", {key}) == 2);
  // A new session looks it up, finds 3 holders (the sixth person's joined them), and follows it.
  auto fresh = db.Connect();
  CHECK_FALSE(Reports(Write(*fresh, **rules, Make(**rules, names[6].first, names[6].second)), key));
  CHECK(db.Count("SELECT hits FROM over_common_key WHERE key = $1", {key}) == 2);
  CHECK(db.Count("SELECT count(*) FROM match_key WHERE key_hash = canon_key_hash($1)", {key}) == 4);
  // The first session, its memo emptied, follows it too (4 holders > 3: over the cap again, and noted).
  store::WriterState::For(*conn).over_common.Clear();
  CHECK(Reports(Write(*conn, **rules, Make(**rules, "Lotte", "Vermeulen")), key));
  CHECK(db.Count("SELECT hits FROM over_common_key WHERE key = $1", {key}) == 3);
}
