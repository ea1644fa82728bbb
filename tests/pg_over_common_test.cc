// Over-common blocking keys end to end (issue 4 item 1): a shared office phone held by more entities than
// max_per_key is skipped, not followed, and reported: over_common_key, GET /admin/report/blocking-keys,
// `canonctl report blocking-keys`, /metrics. The key value is PII: the report shows it, the log never does.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "store/migrate.h"
#include "store/reports.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

// The number after `name ` on its own line of a Prometheus text body; -1 when absent.
long long MetricValue(const std::string& body, const std::string& name) {
  size_t at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("a shared office phone over max_per_key is skipped and reported, never logged",
          "[pg][overcommon]") {
  TestDb db;
  RulesCopy rules;
  rules.Replace("match.toml", "max_per_key = 50", "max_per_key = 3");
  Canond d(db, {}, rules.rules());
  // Six different people behind one switchboard number; each posted alone (its own worker batch).
  const std::vector<std::string> people = {
      "first_name=Amelia&last_name=Brandvold&email=amelia.brandvold%40northwind.example",
      "first_name=Tobias&last_name=Okafor&email=t.okafor%40northwind.example",
      "first_name=Priya&last_name=Ramaswamy&email=priya.r%40northwind.example",
      "first_name=Henrik&last_name=Lindqvist&email=hl%40northwind.example",
      "first_name=Soledad&last_name=Ibarra&email=soledad.ibarra%40northwind.example",
      "first_name=Kwame&last_name=Mensah&email=kmensah%40northwind.example",
  };
  for (size_t i = 0; i < people.size(); ++i) {
    PostForm(d, people[i] + "&phone=%2B1+415+555+0123");
    const std::string want = std::to_string(i + 1);
    REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", want) == want);
  }
  // Not glued together through the phone: six live contacts, one member each.
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 6);
  CHECK(db.Count("SELECT count(DISTINCT contact_id) FROM entity_member") == 6);
  // The 4th holder made the key over-common (4 > 3): the 5th and 6th records met it, and were not compared
  // through it. The first four were (the key was not yet over-common) and stayed apart on the evidence.
  const std::string key = "phone:+14155550123";
  CHECK(db.Count("SELECT count(*) FROM match_key WHERE key_hash = canon_key_hash($1)", {key}) == 6);
  CHECK(db.Scalar("SELECT kind || '/' || hits FROM over_common_key WHERE key = $1", {key}) == "phone/2");
  CHECK(db.Count("SELECT count(*) FROM over_common_key") == 1);
  CHECK(db.Count("SELECT count(*) FROM over_common_key WHERE first_seen <= last_seen") == 1);

  SECTION("GET /admin/report/blocking-keys") {
    auto r = HttpRequest(d.port(), "GET", "/admin/report/blocking-keys?limit=10");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("{\"keys\":[{\"key\":\"phone:+14155550123\",\"kind\":\"phone\",\"holders\":6,"
                      "\"hits\":2,\"first_seen\":\"") == 0);
    CHECK(r.body.find("\"last_seen\":\"") != std::string::npos);
    CHECK(r.body.find("],\"total\":1}") != std::string::npos);
  }
  SECTION("canonctl report blocking-keys") {
    auto table = RunCanonctl("report blocking-keys --db '" + db.conninfo() + "'");
    REQUIRE(table.code == 0);
    CHECK(table.out.find("KIND   KEY                 HOLDERS  HITS  FIRST SEEN (UTC)") == 0);
    CHECK(table.out.find("\nphone  phone:+14155550123  6        2     ") != std::string::npos);
    CHECK(table.out.find("\n1 keys\n") != std::string::npos);
    auto json = RunCanonctl("report blocking-keys --json --limit 5 --db '" + db.conninfo() + "'");
    REQUIRE(json.code == 0);
    CHECK(json.out.find("{\"keys\":[{\"key\":\"phone:+14155550123\",\"kind\":\"phone\",\"holders\":6,"
                        "\"hits\":2,") == 0);
    CHECK(RunCanonctl("report blocking-keys --limit x --db '" + db.conninfo() + "'").code == 2);
  }
  SECTION("/metrics counts the skips") {
    auto m = HttpRequest(d.port(), "GET", "/metrics");
    REQUIRE(m.status == 200);
    CHECK(MetricValue(m.body, "canon_match_over_common_keys_total") == 2);
  }
  SECTION("the log names the kind, never the number") {
    d.Stop();
    std::string log = d.Log();
    CHECK(log.find("over-common blocking key of kind 'phone'") != std::string::npos);
    for (const char* digits : {"4155550123", "555 0123", "555-0123", "5550123"}) {
      INFO(digits);
      CHECK(log.find(digits) == std::string::npos);
    }
  }
}

TEST_CASE("blocking-keys report: the admin token guards it; empty when nothing is over-common",
          "[pg][overcommon]") {
  TestDb db;
  Canond d(db, {{"admin_token", "\"t0ken-for-keys\""}});
  CHECK(HttpRequest(d.port(), "GET", "/admin/report/blocking-keys").status == 401);
  auto r = HttpRequest(d.port(), "GET", "/admin/report/blocking-keys", {}, {},
                       {{"Authorization", "Bearer t0ken-for-keys"}});
  REQUIRE(r.status == 200);
  CHECK(r.body == "{\"keys\":[],\"total\":0}");
  auto table = RunCanonctl("report blocking-keys --db '" + db.conninfo() + "'");
  CHECK(table.code == 0);
  CHECK(table.out == "no over-common blocking keys\n");
}

TEST_CASE("over-common hits are counted in place (HOT updates, no index upkeep), and the report still ranks by hits",
          "[pg][overcommon]") {
  TestDb db;
  auto conn = db.Connect();
  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  store::Tx tx(*conn);
  REQUIRE(tx.Begin().ok());
  REQUIRE(store::NoteOverCommonKeys(*conn, {"phone:+14155550123", "email:info@northwind.example"}).ok());
  for (int i = 0; i < 5; ++i)
    REQUIRE(store::NoteOverCommonKeys(*conn, {"phone:+14155550123", "phone:+14155550123"}).ok());
  // This transaction's updates of the table: every one stayed on its page without new index entries.
  auto hot = conn->Exec("SELECT pg_stat_get_xact_tuples_updated('over_common_key'::regclass), "
                        "pg_stat_get_xact_tuples_hot_updated('over_common_key'::regclass)");
  REQUIRE(hot.ok());
  CHECK(hot->Int(0, 0) == 5);
  CHECK(hot->Int(0, 1) == 5);
  REQUIRE(tx.Commit().ok());
  auto rows = store::OverCommonKeys(*conn, 10);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].key == "phone:+14155550123");
  CHECK((*rows)[0].hits == 11);
  CHECK((*rows)[1].key == "email:info@northwind.example");
  CHECK((*rows)[1].hits == 1);
}
