// Erasure and suppression (issue 16 item 5) end to end through a real canond: a person spread over merged
// contacts, a quarantined value, a dead-lettered payload and a review pair is erased with DELETE /admin/contacts,
// and then no text, json, jsonb, bytea or array column of any table (read from information_schema, so a new table
// is covered without editing this test) holds an e-mail, the phone's digits or a name of the person; the other
// people are intact, the audit holds hashes only, and a suppressed person's next lead is acknowledged and dropped.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

const char* kJson = "application/json";

// "table.column: n rows" for every column of every table of the public schema whose text (bytea as its escape
// form) holds one of `needles` (case-insensitively) or, once stripped to its digits, one of `digits`.
std::vector<std::string> FindAnywhere(const TestDb& db, const std::vector<std::string>& needles,
                                      const std::vector<std::string>& digits) {
  auto conn = db.Connect();
  auto cols = conn->Exec(
      "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
      "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
      "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
      "AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY') "
      "ORDER BY 1, 2");
  REQUIRE(cols.ok());
  REQUIRE(cols->rows() > 20);  // the schema is there: inbox, contact, source_record, ... and their columns
  std::vector<std::string> found;
  for (int i = 0; i < cols->rows(); ++i) {
    std::string table = "\"" + cols->Str(i, 0) + "\"", col = "\"" + cols->Str(i, 1) + "\"";
    std::string expr = cols->Str(i, 2) == "bytea" ? "encode(" + col + ", 'escape')" : col + "::text";
    for (const auto& n : needles) {
      long long k = db.Count("SELECT count(*) FROM " + table + " WHERE strpos(lower(" + expr + "), lower($1)) > 0",
                             {n});
      if (k) found.push_back(cols->Str(i, 0) + "." + cols->Str(i, 1) + " holds '" + n + "' in " +
                             std::to_string(k) + " rows");
    }
    for (const auto& d : digits) {
      long long k = db.Count("SELECT count(*) FROM " + table + " WHERE strpos(regexp_replace(" + expr +
                                 ", '[^0-9]', '', 'g'), $1) > 0",
                             {d});
      if (k) found.push_back(cols->Str(i, 0) + "." + cols->Str(i, 1) + " holds digits " + d + " in " +
                             std::to_string(k) + " rows");
    }
  }
  return found;
}

std::string Metric(const Canond& d, const std::string& name) {
  auto m = HttpRequest(d.port(), "GET", "/metrics");
  auto at = m.body.find("\n" + name + " ");
  if (at == std::string::npos) return "";
  at += name.size() + 2;
  return m.body.substr(at, m.body.find('\n', at) - at);
}

}  // namespace

TEST_CASE("erasure removes a person from every table and column; suppression drops their next lead",
          "[pg][erase]") {
  TestDb db;
  Canond d(db);
  // The person: a web form (with a lead source no vocabulary knows: quarantined), a second record with her name
  // at her postcode, an e-mail, another phone and birth date (a review pair with the first, approved: two contacts,
  // one merged into the other), a broken JSON payload
  // naming her (dead letter). A near namesake at her postcode (Aurelie Quistgard) is another person and stays.
  PostForm(d, "first_name=Aurelia&last_name=Quistgaard&phone=%2B44+20+7946+0321&lead_source=Zorblax+Fair"
              "&postal_code=SW1A+1AA&city=London&country=GB&birth_date=1980-01-02");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");  // one at a time: the pair is made
  PostForm(d, "first_name=Aurelia&last_name=Quistgaard&email=aurelia.quist%40example.org&postal_code=SW1A+1AA"
              "&phone=%2B44+20+7946+0999&birth_date=1975-06-30");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "2") == "2");
  PostForm(d, "first_name=Aurelia&last_name=Quistgaard&email=aq%40quistgaard.dk&phone=%2B44+20+7946+0321");
  // Unrelated people, who must stay whole.
  PostForm(d, "first_name=Bartholomew&last_name=Ngata&email=bart.ngata%40example.net&phone=%2B1+312+555+0188");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
  std::string pair = db.Scalar("SELECT id::text FROM merge_candidate");
  REQUIRE(!pair.empty());
  auto approved = HttpRequest(d.port(), "POST", "/admin/queue/" + pair + "/approve");
  REQUIRE(approved.status == 200);
  PostForm(d, "first_name=Aurelie&last_name=Quistgard&postal_code=SW1A+1AA&city=London&country=GB&company=Ostwind");
  auto bad = HttpRequest(d.port(), "POST", "/ingest/api",
                         "{\"email\":\"aurelia.quist@example.org\",\"first_name\":\"Aurelia\"", kJson);
  CHECK(bad.status == 400);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
  INFO("contacts: " << db.Scalar("SELECT string_agg(id || ' ' || coalesce(email, '-') || ' ' || coalesce(phone, '-') "
                                 "|| ' ' || coalesce(merged_into::text, '-'), ' | ' ORDER BY id) FROM contact"));
  INFO("merge candidates: " << db.Scalar("SELECT string_agg(contact_id || '/' || other_id || ' ' || score::text, "
                                         "' | ') FROM merge_candidate"));
  REQUIRE(db.Count("SELECT count(*) FROM source_record") == 5);
  REQUIRE(db.Count("SELECT count(*) FROM dead_letter") == 1);
  REQUIRE(db.Count("SELECT count(*) FROM quarantine WHERE value = 'Zorblax Fair'") == 1);
  REQUIRE(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NOT NULL") == 1);

  const std::vector<std::string> person = {"aurelia", "quistgaard", "aurelia.quist", "zorblax"};
  const std::vector<std::string> phone = {"79460321", "79460999"};
  REQUIRE(FindAnywhere(db, person, phone).size() > 8);  // the scan sees her before the erasure
  // Term counts reach term_count when a worker folds its batches' deltas (at once when it goes idle).
  REQUIRE(WaitFor(db, "SELECT count(*) FROM term_delta", "0") == "0");
  long long term_rows = db.Count("SELECT count(*) FROM term_count");
  std::string bart_terms = db.Scalar("SELECT string_agg(field || '=' || n, ',' ORDER BY field) FROM "
                                     "(SELECT field, sum(n) n FROM term_count WHERE value = 'ngata' GROUP BY field) t");

  SECTION("by e-mail through the admin API, with suppression") {
    auto r = HttpRequest(d.port(), "DELETE", "/admin/contacts",
                         "{\"email\":\"Aurelia.Quist@Example.org\",\"suppress\":true}", kJson,
                         {{"X-Canon-Actor", "dpo-anna"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK_THAT(r.body, Catch::Contains("\"contacts\":2") && Catch::Contains("\"records\":3") &&
                           Catch::Contains("\"dead_letters\":1") && Catch::Contains("\"email_hashes\":2") &&
                           Catch::Contains("\"phone_hashes\":2"));
    auto left = FindAnywhere(db, person, phone);
    INFO([&] {
      std::string s;
      for (auto& l : left) s += l + "\n";
      return s;
    }());
    CHECK(left.empty());

    // The others are whole: Bartholomew's contact, record and term counts, the namesake's contact.
    CHECK(db.Count("SELECT count(*) FROM contact WHERE email = 'bart.ngata@example.net' AND merged_into IS NULL") == 1);
    CHECK(db.Count("SELECT count(*) FROM contact WHERE last_name = 'Quistgard' AND first_name = 'Aurelie'") == 1);
    CHECK(db.Count("SELECT count(*) FROM source_record") == 2);
    CHECK(db.Scalar("SELECT string_agg(field || '=' || n, ',' ORDER BY field) FROM "
                    "(SELECT field, sum(n) n FROM term_count WHERE value = 'ngata' GROUP BY field) t") == bart_terms);
    CHECK(db.Count("SELECT count(*) FROM term_count") < term_rows);
    // Each field's total counts the 2 records left (or less, for fields not everyone has).
    CHECK(db.Count("SELECT coalesce(max(s), 0) FROM (SELECT sum(n) s FROM term_count WHERE value = '' "
                   "GROUP BY field) t") == 2);

    // The audit: hashes (64 hex digits), the actor, the time, the counts.
    CHECK(db.Scalar("SELECT actor || ' ' || cardinality(email_hashes) || ' ' || cardinality(phone_hashes) || ' ' || "
                    "contacts || ' ' || records || ' ' || suppressed FROM erasure_event") == "dpo-anna 2 2 2 3 true");
    CHECK(db.Count("SELECT count(*) FROM erasure_event, unnest(email_hashes || phone_hashes) h "
                   "WHERE h ~ '^[0-9a-f]{64}$'") == 4);
    CHECK(db.Count("SELECT count(*) FROM erasure_suppression") == 4);
    CHECK(d.Log().find("quist") == std::string::npos);

    // She comes back through a form with the second e-mail, and by phone alone: both 202, neither stored.
    PostForm(d, "first_name=Aurelia&last_name=Quistgaard&email=AQ%40quistgaard.dk&company=Nordlys");
    PostForm(d, "first_name=A.&last_name=Q.&phone=%2B44+20+7946+0321");
    PostForm(d, "first_name=Ruth&last_name=Okonjo&email=ruth%40example.com");  // not suppressed
    REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
    CHECK(db.Count("SELECT count(*) FROM source_record") == 3);
    CHECK(db.Count("SELECT count(*) FROM inbox WHERE status = 'done' AND body = ''::bytea") == 2);
    CHECK(Metric(d, "canon_worker_suppressed_total") == "2");
    left = FindAnywhere(db, {"quistgaard", "nordlys"}, phone);
    CHECK(left.empty());
    CHECK(d.Log().find("quist") == std::string::npos);
  }

  SECTION("by contact id through canonctl, without suppression") {
    std::string contact = db.Scalar("SELECT id::text FROM contact WHERE email = 'aq@quistgaard.dk' OR "
                                    "email = 'aurelia.quist@example.org' ORDER BY id LIMIT 1");
    REQUIRE(!contact.empty());
    CliRun run = RunCanonctl("erase --contact " + contact + " --actor dpo-ben --url http://127.0.0.1:" +
                             std::to_string(d.port()));
    INFO(run.out);
    REQUIRE(run.code == 0);
    CHECK_THAT(run.out, Catch::Contains("\"contacts\":2"));
    CHECK(FindAnywhere(db, person, phone).empty());
    CHECK(db.Scalar("SELECT actor || ' ' || suppressed FROM erasure_event") == "dpo-ben false");
    CHECK(db.Count("SELECT count(*) FROM erasure_suppression") == 0);
    CHECK(RunCanonctl("erase --contact " + contact + " --url http://127.0.0.1:" + std::to_string(d.port())).code == 1);

    PostForm(d, "first_name=Aurelia&last_name=Quistgaard&email=aq%40quistgaard.dk");  // not suppressed: stored
    CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "3") == "3");
  }
}
