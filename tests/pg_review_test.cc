// The steward's review queue end to end (issue 4): real HTTP into a real canond, decisions read back from
// PostgreSQL.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

// One name at one postcode, with another birth date and street: corroborated, not sure (a review pair).
const std::string kAnnPhone = "first_name=Ann&last_name=Wexford&phone=%2B1+415+555+0111&postal_code=94105"
                              "&birth_date=1980-01-02&street=1+Market+Street";
const std::string kAnnEmail =
    "first_name=Ann&last_name=Wexford&email=ann.w%40example.org&job_title=CTO&postal_code=94105"
    "&birth_date=1975-06-30&street=500+Howard+Street";
}  // namespace

TEST_CASE("canonctl queue lists, shows and approves a pair straight from the database", "[pg][review][cli]") {
  TestDb db;
  Canond d(db);
  PostForm(d, "first_name=Tomasz&last_name=Brzezinski&phone=%2B1+312+555+0199&postal_code=60601&birth_date=1980-01-02");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  PostForm(d, "first_name=Tomasz&last_name=Brzezinski&email=tb%40example.net&postal_code=60601"
              "&phone=%2B1+312+555+0142&birth_date=1975-06-30");
  CHECK(WaitFor(db, "SELECT count(*) FROM merge_candidate", "1") == "1");
  std::string cand = db.Scalar("SELECT id::text FROM merge_candidate");
  std::string dbarg = "--db '" + db.conninfo() + "'";
  CliRun list = RunCanonctl("queue list " + dbarg);
  CHECK(list.code == 0);
  CHECK_THAT(list.out, Catch::Contains("Brzezinski") && Catch::Contains("\"score\""));
  CliRun show = RunCanonctl("queue show " + cand + " " + dbarg);
  CHECK(show.code == 0);
  CHECK_THAT(show.out, Catch::Contains("tb@example.net") && Catch::Contains("family_name"));
  CHECK(RunCanonctl("queue show 999999 " + dbarg).code == 1);
  CliRun ok = RunCanonctl("queue approve " + cand + " --actor cli-steward --rules " + SourceDir() + "/rules " + dbarg);
  INFO(ok.out);
  CHECK(ok.code == 0);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 1);
  CHECK(db.Scalar("SELECT actor FROM merge_event WHERE kind = 'merge'") == "cli-steward");
  CHECK(RunCanonctl("queue reject " + cand + " " + dbarg).code == 1);  // already decided
  CHECK(RunCanonctl("queue frobnicate " + dbarg).code == 2);
}

TEST_CASE("a pair below the merge threshold is queued with its explanation; approve merges, unmerge restores, "
          "re-ingest does not propose it again",
          "[pg][review]") {
  TestDb db;
  Canond d(db);
  PostForm(d, kAnnPhone);
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  PostForm(d, kAnnEmail);
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "2") == "2");
  std::string rec_a = db.Scalar("SELECT min(id)::text FROM source_record");
  std::string rec_b = db.Scalar("SELECT max(id)::text FROM source_record");

  // Same names, nothing else in common: review, not merge. Two contacts, one pending pair.
  CHECK(db.Count("SELECT count(*) FROM contact") == 2);
  auto list = HttpRequest(d.port(), "GET", "/admin/queue");
  REQUIRE(list.status == 200);
  std::string cand = db.Scalar("SELECT id::text FROM merge_candidate WHERE status = 'pending'");
  REQUIRE(!cand.empty());
  CHECK_THAT(list.body, Catch::Contains("\"id\": " + cand) || Catch::Contains("\"id\":" + cand));
  double score = std::stod(db.Scalar("SELECT score FROM merge_candidate"));
  CHECK(score >= 6.0);
  CHECK(score < 12.0);
  auto show = HttpRequest(d.port(), "GET", "/admin/queue/" + cand);
  REQUIRE(show.status == 200);
  // The waterfall names the fields that agreed, with their levels and both values.
  CHECK_THAT(show.body, Catch::Contains("given_name") && Catch::Contains("family_name") &&
                            Catch::Contains("exact") && Catch::Contains("wexford"));
  CHECK_THAT(show.body, Catch::Contains("ann.w@example.org") && Catch::Contains("+14155550111"));
  CHECK(HttpRequest(d.port(), "GET", "/admin/queue/999999").status == 404);

  // Approve: one entity with both records' values; the newer contact points at the survivor.
  auto ok = HttpRequest(d.port(), "POST", "/admin/queue/" + cand + "/approve", "", "", {{"X-Canon-Actor", "steward-1"}});
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  CHECK(HttpRequest(d.port(), "POST", "/admin/queue/" + cand + "/approve").status == 409);  // decided once
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 1);
  std::string survivor = db.Scalar("SELECT id::text FROM contact WHERE merged_into IS NULL");
  CHECK(db.Count("SELECT count(*) FROM entity_member WHERE contact_id = $1", {survivor}) == 2);
  CHECK(db.Scalar("SELECT phone || ' ' || email || ' ' || job_title FROM contact WHERE id = $1", {survivor}) ==
        "+14155550111 ann.w@example.org CTO");
  CHECK(db.Scalar("SELECT lineage->>'email' FROM contact WHERE id = $1", {survivor}) == rec_b);
  CHECK(db.Scalar("SELECT lineage->>'phone' FROM contact WHERE id = $1", {survivor}) == rec_a);
  CHECK(db.Scalar("SELECT actor FROM merge_event WHERE kind = 'merge'") == "steward-1");
  CHECK(db.Count("SELECT count(*) FROM match_key WHERE contact_id <> $1", {survivor}) == 0);
  auto entity = HttpRequest(d.port(), "GET", "/admin/entities/" + survivor);
  REQUIRE(entity.status == 200);
  CHECK_THAT(entity.body, Catch::Contains("lineage") && Catch::Contains("members") && Catch::Contains("steward-1"));

  // Unmerge the e-mail record: two entities again, each with only its own values.
  auto split = HttpRequest(d.port(), "POST", "/admin/entities/" + survivor + "/unmerge",
                           "{\"members\":[" + rec_b + "]}", "application/json", {{"X-Canon-Actor", "steward-2"}});
  REQUIRE(split.status == 200);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 2);
  std::string fresh = db.Scalar("SELECT contact_id::text FROM entity_member WHERE source_record_id = $1", {rec_b});
  CHECK(fresh != survivor);
  CHECK(db.Scalar("SELECT coalesce(phone, '-') || ' ' || coalesce(email, '-') || ' ' || coalesce(job_title, '-') "
                  "FROM contact WHERE id = $1", {survivor}) == "+14155550111 - -");
  CHECK(db.Scalar("SELECT coalesce(phone, '-') || ' ' || coalesce(email, '-') || ' ' || job_title "
                  "FROM contact WHERE id = $1", {fresh}) == "- ann.w@example.org CTO");
  const std::string email_key = "SELECT count(*) FROM match_key WHERE contact_id = $1 "
                                "AND key_hash = canon_key_hash('email:ann.w@example.org')";
  CHECK(db.Count(email_key, {fresh}) == 1);
  CHECK(db.Count(email_key, {survivor}) == 0);
  CHECK(db.Scalar("SELECT actor FROM merge_event WHERE kind = 'unmerge'") == "steward-2");
  // Splitting off every member, or a record that is not a member, is refused.
  CHECK(HttpRequest(d.port(), "POST", "/admin/entities/" + survivor + "/unmerge", "{\"members\":[" + rec_a + "]}",
                    "application/json").status == 409);
  CHECK(HttpRequest(d.port(), "POST", "/admin/entities/" + survivor + "/unmerge", "{\"members\":[" + rec_b + "]}",
                    "application/json").status == 409);

  // Both records again: neither merges back nor is proposed again.
  PostForm(d, kAnnEmail);
  PostForm(d, kAnnPhone);
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "4") == "4");
  CHECK(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 2);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate WHERE status = 'pending'") == 0);
  CHECK(db.Count("SELECT count(*) FROM entity_member WHERE contact_id = $1", {fresh}) == 2);
}

TEST_CASE("a rejected pair is never proposed again; defer keeps a pair open", "[pg][review]") {
  TestDb db;
  Canond d(db);
  PostForm(d, "first_name=Nadia&last_name=Castellano&phone=%2B1+212+555+0123&postal_code=10001"
              "&birth_date=1980-01-02");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  PostForm(d, "first_name=Nadia&last_name=Castellano&company=Globex&postal_code=10001"
              "&phone=%2B1+212+555+0188&birth_date=1975-06-30");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "2") == "2");
  CHECK(WaitFor(db, "SELECT count(*) FROM merge_candidate", "1") == "1");
  std::string cand = db.Scalar("SELECT id::text FROM merge_candidate");
  auto defer = HttpRequest(d.port(), "POST", "/admin/queue/" + cand + "/defer");
  REQUIRE(defer.status == 200);
  CHECK(HttpRequest(d.port(), "GET", "/admin/queue").body == "[]");
  CHECK_THAT(HttpRequest(d.port(), "GET", "/admin/queue?status=deferred").body, Catch::Contains("Castellano"));
  auto rej = HttpRequest(d.port(), "POST", "/admin/queue/" + cand + "/reject", "", "", {{"X-Canon-Actor", "rita"}});
  REQUIRE(rej.status == 200);
  CHECK(db.Scalar("SELECT status || ' ' || decided_by FROM merge_candidate") == "rejected rita");
  CHECK(db.Count("SELECT count(*) FROM rejected_pair") == 1);
  PostForm(d, "first_name=Nadia&last_name=Castellano&company=Globex&postal_code=10001"
              "&phone=%2B1+212+555+0188&birth_date=1975-06-30");
  PostForm(d, "first_name=Nadia&last_name=Castellano&phone=%2B1+212+555+0123&postal_code=10001"
              "&birth_date=1980-01-02");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "4") == "4");
  CHECK(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 1);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 2);
}
