// A member row's copy of its source record's match form (migration 021, store::kMemberFormColumns): matching
// reads a contact's members from entity_member alone, so every path that writes a member must copy its record's
// form, and moving members (merge, unmerge) must carry the copy along. Real PostgreSQL, the store's own writers,
// the shipped rules and migrations.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "connectors/rule_dir.h"
#include "hygiene/normalize.h"
#include "store/candidates.h"
#include "store/entities.h"
#include "store/migrate.h"
#include "store/review.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

long long CopiesDiffering(const TestDb& db) { return db.Count(store::MemberCopiesDifferingSql()); }

Record Lead(const std::string& email, const std::string& first, const std::string& last, const std::string& phone) {
  Record r;
  r.source = "website";
  r.fields = {{"email", email}, {"first_name", first}, {"last_name", last}, {"phone", phone}, {"country", "US"}};
  return r;
}

}  // namespace

TEST_CASE("every writer of a member copies its record's match form, and moves carry it", "[pg][members]") {
  TestDb db;
  auto conn = db.Connect();
  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());

  auto write = [&](const Record& r) { return WriteInTx(*conn, r, Normalize(r, **rules), **rules); };
  // The record writer: a new contact, a second record that joins it, and someone else.
  store::WriteOutcome ann = write(Lead("ann.lee@copy.test", "Ann", "Lee", "+12125550101"));
  store::WriteOutcome ann2 = write(Lead("ann.lee@copy.test", "Ann", "Lee", "+12125550199"));
  store::WriteOutcome bob = write(Lead("bob.ray@copy.test", "Bob", "Ray", "+13125550102"));
  REQUIRE(ann2.contact_id == ann.contact_id);
  REQUIRE(bob.contact_id != ann.contact_id);
  CHECK(db.Count("SELECT count(*) FROM entity_member") == 3);
  CHECK(CopiesDiffering(db) == 0);
  // The copy is what matching reads: the members' fields as the writer normalized them.
  auto members = store::LoadMembers(*conn, {ann.contact_id});
  REQUIRE(members.ok());
  REQUIRE(members->size() == 2);
  CHECK((*members)[0].id == ann.source_record_id);
  CHECK((*members)[1].normalized.fields.at("phone") == "+12125550199");
  CHECK((*members)[1].normalized.keys.count("email_key") == 1);
  CHECK((*members)[1].fingerprint == ann2.fingerprint);
  CHECK((*members)[1].source == "website");

  // A steward's edit joins the entity as a member of its own.
  store::StewardEdit edit = store::PrepareStewardEdit({{"company", "Lee Holdings"}}, **rules);
  REQUIRE(edit.ok());
  auto rec = store::EditEntity(*conn, ann.contact_id, edit.raw, edit.normalized, "steward@copy.test", "", **rules);
  INFO(rec.status().ToString());
  REQUIRE(rec.ok());
  CHECK(db.Count("SELECT count(*) FROM entity_member WHERE source_record_id = $1 AND source = $2 "
                 "AND fields LIKE '%Lee Holdings%'",
                 {std::to_string(*rec), (*rules)->survivorship().steward_source}) == 1);
  CHECK(CopiesDiffering(db) == 0);

  // A merge moves Bob's member with its copy; an unmerge moves Ann's second record out with its copy.
  {
    store::Tx tx(*conn);
    REQUIRE(tx.Begin().ok());
    auto merged = store::MergeContacts(*conn, ann.contact_id, bob.contact_id, "steward@copy.test", "{}", **rules);
    REQUIRE(merged.ok());
    REQUIRE(tx.Commit().ok());
  }
  CHECK(db.Count("SELECT count(*) FROM entity_member WHERE contact_id = $1", {std::to_string(ann.contact_id)}) == 4);
  CHECK(CopiesDiffering(db) == 0);
  auto split = store::UnmergeMembers(*conn, ann.contact_id, {bob.source_record_id}, "steward@copy.test", **rules);
  INFO(split.status().ToString());
  REQUIRE(split.ok());
  auto bob_members = store::LoadMembers(*conn, {*split});
  REQUIRE(bob_members.ok());
  REQUIRE(bob_members->size() == 1);
  CHECK(bob_members->front().normalized.fields.at("email") == "bob.ray@copy.test");
  CHECK(CopiesDiffering(db) == 0);
  CHECK(db.Count("SELECT count(*) FROM entity_member") == 4);

  // The check this test leans on sees a wrong copy.
  REQUIRE(conn->Exec("UPDATE entity_member SET flags = '[\"x\"]' WHERE source_record_id = $1",
                     {std::to_string(ann2.source_record_id)}).ok());
  CHECK(CopiesDiffering(db) == 1);
}

TEST_CASE("migration 021 fills the copy of members written before it", "[pg][members]") {
  TestDb db;
  auto conn = db.Connect();
  // The store as it was before 021: every earlier migration, and a member written by SQL of that schema.
  TempDir before("canon-migrations-020");
  int copied = 0;  // 001 to 020
  for (const auto& f : std::filesystem::directory_iterator(SourceDir() + "/schemas/migrations"))
    if (f.path().filename().string() < "021") {
      std::filesystem::copy_file(f.path(), before.path + "/" + f.path().filename().string());
      ++copied;
    }
  REQUIRE(copied > 0);
  REQUIRE(store::Migrate(*conn, before.path).ok());
  REQUIRE(db.Count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'entity_member' "
                   "AND column_name = 'fields'") == 0);
  REQUIRE(conn->Exec("INSERT INTO contact (id, email) VALUES (1, 'cy@copy.test')").ok());
  REQUIRE(conn->Exec("INSERT INTO source_record (id, source, raw, normalized, rules_version, received_at) VALUES "
                     "(7, 'website', '{}', '{\"fields\": {\"email\": \"cy@copy.test\"}, \"keys\": {\"email_key\": "
                     "\"cy@copy.test\"}, \"flags\": [\"email:free\"]}', 'v1', '2026-01-02T03:04:05Z'), "
                     "(8, 'website', '{}', '{\"quarantined\": []}', 'v1', '2026-01-02T03:04:06Z')")
              .ok());
  REQUIRE(conn->Exec("INSERT INTO entity_member (source_record_id, contact_id) VALUES (7, 1), (8, 1)").ok());

  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  CHECK(CopiesDiffering(db) == 0);
  CHECK(db.Scalar("SELECT fields || keys || flags FROM entity_member WHERE source_record_id = 7") ==
        "{\"email\": \"cy@copy.test\"}{\"email_key\": \"cy@copy.test\"}[\"email:free\"]");
  // A record without sections reads as empty ones, as the members statement always read it.
  CHECK(db.Scalar("SELECT fields || keys || flags FROM entity_member WHERE source_record_id = 8") == "{}{}[]");
  auto members = store::LoadMembers(*conn, {1});
  REQUIRE(members.ok());
  REQUIRE(members->size() == 2);
  CHECK(members->front().normalized.flags == std::vector<std::string>{"email:free"});
  CHECK(members->front().received_at == Approx(1767323045.0));
}
