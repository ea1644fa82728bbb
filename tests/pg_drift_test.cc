// Vocabulary drift end to end: unknown lead_source values posted to a real canond are held in quarantine, show up
// in GET /admin/report/vocabulary and `canonctl report vocabulary`, and `canonctl quarantine replay` maps them
// once an alias exists, without overwriting a newer value.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;
namespace fs = std::filesystem;

namespace {

const char* kForm = "application/x-www-form-urlencoded";
const char* kJson = "application/json";

void Post(const Canond& d, const TestDb& db, const std::string& source, const std::string& body, const char* type,
          int expect_records) {
  REQUIRE(HttpRequest(d.port(), "POST", "/ingest/" + source, body, type).status == 202);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", std::to_string(expect_records)) ==
          std::to_string(expect_records));
}

std::string Ts(const TestDb& db, const std::string& agg, const std::string& value) {
  return db.Scalar("SELECT to_char(" + agg + "(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
                   "FROM quarantine WHERE value = $1",
                   {value});
}

}  // namespace

TEST_CASE("unknown lead_source values: drift report over HTTP and canonctl, then replay after an alias",
          "[pg][drift]") {
  TestDb db;
  Canond d(db);
  // Three records say "Carrier pigeon" (two sources), one "Smoke signal"; e@ later gets a known value (PPC).
  Post(d, db, "website", "email=a@drift.org&lead_source=Carrier+pigeon", kForm, 1);
  Post(d, db, "api", "{\"email\":\"c@drift.org\",\"lead_source\":\"Carrier pigeon\"}", kJson, 2);
  Post(d, db, "website", "email=d@drift.org&lead_source=Smoke+signal", kForm, 3);
  Post(d, db, "website", "email=e@drift.org&lead_source=Carrier+pigeon", kForm, 4);
  Post(d, db, "website", "email=e@drift.org&lead_source=PPC", kForm, 5);
  REQUIRE(db.Count("SELECT count(*) FROM quarantine WHERE status = 'held'") == 4);
  CHECK(db.Scalar("SELECT coalesce(lead_source, '') FROM contact WHERE email = 'a@drift.org'") == "");
  CHECK(db.Scalar("SELECT lead_source FROM contact WHERE email = 'e@drift.org'") == "paid_search");
  // A malformed payload, for the dead-letter listing.
  REQUIRE(HttpRequest(d.port(), "POST", "/ingest/api", "{\"email\": \"x@y.z\",", kJson).status == 400);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "1") == "1");

  std::string first = Ts(db, "min", "Carrier pigeon"), last = Ts(db, "max", "Carrier pigeon");
  REQUIRE(first < last);  // ISO timestamps sort as text; the posts were one after another

  SECTION("GET /admin/report/vocabulary") {
    auto r = HttpRequest(d.port(), "GET", "/admin/report/vocabulary");
    REQUIRE(r.status == 200);
    // Most frequent first within a field; sources distinct and sorted.
    CHECK_THAT(r.body, Catch::StartsWith("{\"values\":[{\"field\":\"lead_source\",\"value\":\"Carrier pigeon\","
                                         "\"count\":3,\"held\":3,\"first_seen\":\"" + first +
                                         "\",\"last_seen\":\"" + last + "\",\"sources\":[\"api\",\"website\"]"));
    CHECK_THAT(r.body, Catch::Contains("{\"field\":\"lead_source\",\"value\":\"Smoke signal\",\"count\":1,\"held\":1"));
    CHECK_THAT(r.body, Catch::Contains("\"sources\":[\"website\"]"));
    CHECK_THAT(r.body, Catch::EndsWith("\"total\":2}"));
    auto other = HttpRequest(d.port(), "GET", "/admin/report/vocabulary?field=country");
    REQUIRE(other.status == 200);
    CHECK(other.body == "{\"values\":[],\"total\":0}");
  }

  SECTION("GET /admin/dead-letters lists sizes, never the bytes") {
    auto r = HttpRequest(d.port(), "GET", "/admin/dead-letters?source=api&limit=10");
    REQUIRE(r.status == 200);
    CHECK_THAT(r.body, Catch::Contains("\"source\": \"api\""));
    CHECK_THAT(r.body, Catch::Contains("malformed JSON"));
    CHECK_THAT(r.body, Catch::Contains("\"raw_bytes\": 18"));
    CHECK_THAT(r.body, !Catch::Contains("x@y.z"));
    // limit bounds the list: a second bad payload, then limit=1 shows only the newest.
    REQUIRE(HttpRequest(d.port(), "POST", "/ingest/api", "[1,", kJson).status == 400);
    REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "2") == "2");
    auto newest = HttpRequest(d.port(), "GET", "/admin/dead-letters?limit=1");
    REQUIRE(newest.status == 200);
    CHECK_THAT(newest.body, Catch::Contains("\"raw_bytes\": 3"));
    CHECK_THAT(newest.body, !Catch::Contains("\"raw_bytes\": 18"));
    auto none = HttpRequest(d.port(), "GET", "/admin/dead-letters?source=website");
    REQUIRE(none.status == 200);
    CHECK(none.body == "{\"dead_letters\": []}");
  }

  SECTION("canonctl report vocabulary, table and --json") {
    auto table = RunCanonctl("report vocabulary --db '" + db.conninfo() + "'");
    INFO(table.out);
    REQUIRE(table.code == 0);
    std::string day = first.substr(0, 10) + " " + first.substr(11, 8);
    CHECK_THAT(table.out, Catch::StartsWith("FIELD        VALUE             COUNT  FIRST SEEN (UTC)     "));
    CHECK_THAT(table.out, Catch::Contains("lead_source  \"Carrier pigeon\"  3      " + day));
    CHECK_THAT(table.out, Catch::Contains("api,website\n"));
    CHECK_THAT(table.out, Catch::Contains("lead_source  \"Smoke signal\"    1"));
    CHECK_THAT(table.out, Catch::EndsWith("2 values, 4 records\n"));
    auto json = RunCanonctl("report vocabulary --json --db '" + db.conninfo() + "'");
    REQUIRE(json.code == 0);
    CHECK(json.out == HttpRequest(d.port(), "GET", "/admin/report/vocabulary").body + "\n");
    CHECK(RunCanonctl("report nothing").code == 2);
  }

  SECTION("quarantine replay maps held values once an alias exists, never over a newer value") {
    RulesCopy copy;
    copy.Replace("vocabularies/lead_source.toml", "\"Offline Sources\", \"Phone Inquiry\"]",
                 "\"Offline Sources\", \"Phone Inquiry\", \"Carrier pigeon\"]");
    std::string args = "quarantine replay --rules " + copy.rules() + " --db '" + db.conninfo() + "'";

    auto dry = RunCanonctl(args + " --dry-run");
    INFO(dry.out);
    REQUIRE(dry.code == 0);
    CHECK_THAT(dry.out, Catch::Contains("lead_source: \"Carrier pigeon\" -> offline (3)"));
    CHECK_THAT(dry.out, Catch::Contains("dry run: 4 held checked"));
    CHECK_THAT(dry.out, Catch::Contains("2 written to contacts, 1 kept (contact has a newer value), 1 still unmapped"));
    CHECK(db.Count("SELECT count(*) FROM quarantine WHERE status = 'held'") == 4);
    CHECK(db.Count("SELECT count(*) FROM merge_event") == 0);
    CHECK(db.Scalar("SELECT coalesce(lead_source, '') FROM contact WHERE email = 'a@drift.org'") == "");

    auto run = RunCanonctl(args);
    INFO(run.out);
    REQUIRE(run.code == 0);
    CHECK_THAT(run.out, Catch::Contains("4 held checked"));
    CHECK_THAT(run.out, Catch::Contains("2 written to contacts, 1 kept (contact has a newer value), 1 still unmapped"));
    for (const char* email : {"a@drift.org", "c@drift.org"}) {
      CHECK(db.Scalar("SELECT lead_source FROM contact WHERE email = $1", {email}) == "offline");
      // Lineage names the record that carried the value.
      CHECK(db.Scalar("SELECT lineage->>'lead_source' FROM contact WHERE email = $1", {email}) ==
            db.Scalar("SELECT q.source_record_id::text FROM quarantine q JOIN entity_member m "
                      "ON m.source_record_id = q.source_record_id JOIN contact c ON c.id = m.contact_id "
                      "WHERE c.email = $1",
                      {email}));
    }
    // e@ got PPC after "Carrier pigeon": the newer value stays, with its lineage.
    CHECK(db.Scalar("SELECT lead_source FROM contact WHERE email = 'e@drift.org'") == "paid_search");
    CHECK(db.Scalar("SELECT lineage->>'lead_source' FROM contact WHERE email = 'e@drift.org'") ==
          db.Scalar("SELECT max(id)::text FROM source_record"));
    CHECK(db.Count("SELECT count(*) FROM quarantine WHERE status = 'replayed' AND replayed_at IS NOT NULL "
                   "AND value = 'Carrier pigeon'") == 3);
    CHECK(db.Scalar("SELECT status FROM quarantine WHERE value = 'Smoke signal'") == "held");
    CHECK(db.Count("SELECT count(*) FROM merge_event WHERE kind = 'quarantine_replay'") == 3);
    CHECK(db.Count("SELECT count(*) FROM merge_event WHERE kind = 'quarantine_replay' AND "
                   "(detail->>'applied')::boolean AND detail->>'field' = 'lead_source' AND "
                   "detail->>'value' = 'offline' AND (detail->>'source_record') IS NOT NULL") == 2);
    auto report = RunCanonctl("report vocabulary --db '" + db.conninfo() + "'");
    CHECK_THAT(report.out, !Catch::Contains("Carrier pigeon"));
    CHECK_THAT(report.out, Catch::Contains("1 values, 1 records"));
    // --all and ?all=1 still show what was replayed, with how many are held.
    auto all = RunCanonctl("report vocabulary --all --db '" + db.conninfo() + "'");
    CHECK_THAT(all.out, Catch::Contains("lead_source  \"Carrier pigeon\"  3 (0 held)"));
    CHECK_THAT(HttpRequest(d.port(), "GET", "/admin/report/vocabulary?all=1").body,
               Catch::Contains("\"value\":\"Carrier pigeon\",\"count\":3,\"held\":0,"));

    // A second replay finds nothing new to do and changes nothing.
    std::string before = db.Scalar("SELECT string_agg(id || ':' || coalesce(lead_source, '') || ':' || lineage::text, ';' "
                                   "ORDER BY id) FROM contact");
    auto again = RunCanonctl(args);
    REQUIRE(again.code == 0);
    CHECK_THAT(again.out, Catch::Contains("1 held checked"));
    CHECK_THAT(again.out, Catch::Contains("0 written to contacts, 0 kept (contact has a newer value), 1 still unmapped"));
    CHECK(db.Count("SELECT count(*) FROM merge_event") == 3);
    CHECK(db.Scalar("SELECT string_agg(id || ':' || coalesce(lead_source, '') || ':' || lineage::text, ';' "
                    "ORDER BY id) FROM contact") == before);
  }
}

TEST_CASE("quarantine replay never moves lifecycle_stage backwards, and --field limits it", "[pg][drift]") {
  TestDb db;
  Canond d(db);
  // f@ is a customer; a later record says "Cold prospect", unknown, so held. g@ has only the unknown stage.
  Post(d, db, "website", "email=f@drift.org&lifecycle_stage=Customer", kForm, 1);
  Post(d, db, "website", "email=f@drift.org&lifecycle_stage=Cold+prospect", kForm, 2);
  Post(d, db, "website", "email=g@drift.org&lifecycle_stage=Cold+prospect&lead_source=Carrier+pigeon", kForm, 3);
  REQUIRE(db.Count("SELECT count(*) FROM quarantine WHERE status = 'held'") == 3);
  REQUIRE(db.Scalar("SELECT lifecycle_stage FROM contact WHERE email = 'f@drift.org'") == "customer");

  RulesCopy copy;
  copy.Replace("vocabularies/lifecycle_stage.toml", "aliases = [\"New lead\",", "aliases = [\"Cold prospect\", \"New lead\",");
  copy.Replace("vocabularies/lead_source.toml", "\"Offline Sources\", \"Phone Inquiry\"]",
               "\"Offline Sources\", \"Phone Inquiry\", \"Carrier pigeon\"]");
  auto run = RunCanonctl("quarantine replay --field lifecycle_stage --rules " + copy.rules() + " --db '" +
                         db.conninfo() + "'");
  INFO(run.out);
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Catch::Contains("lifecycle_stage: \"Cold prospect\" -> lead (2)"));
  CHECK_THAT(run.out, Catch::Contains("2 held checked"));
  CHECK_THAT(run.out, Catch::Contains("1 written to contacts, 1 kept"));
  // Newer record, lower stage: the customer stays a customer; the empty field is filled.
  CHECK(db.Scalar("SELECT lifecycle_stage FROM contact WHERE email = 'f@drift.org'") == "customer");
  CHECK(db.Scalar("SELECT lifecycle_stage FROM contact WHERE email = 'g@drift.org'") == "lead");
  CHECK(db.Scalar("SELECT (detail->>'applied') FROM merge_event m JOIN contact c ON c.id = m.contact_id "
                  "WHERE c.email = 'f@drift.org'") == "false");
  // --field left lead_source held.
  CHECK(db.Scalar("SELECT status FROM quarantine WHERE field = 'lead_source'") == "held");
  CHECK(db.Scalar("SELECT coalesce(lead_source, '') FROM contact WHERE email = 'g@drift.org'") == "");
}
