// Steward field edits ("steward edit wins", issue 4 item 7): the edit's checks as a pure function, survivorship's
// sources, and end to end through real HTTP into a real canond (and canonctl), read back from PostgreSQL.
#include <catch2/catch.hpp>
#include <string>

#include "connectors/rule_dir.h"
#include "hygiene/survivorship.h"
#include "store/review.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

const std::string kMaya =
    "first_name=Maya&last_name=Okafor&email=maya.okafor%40example.com&phone=%2B1+415+555+0142"
    "&job_title=Engineer&company=Acme";
const std::string kMayaLater =
    "first_name=Maya&last_name=Okafor&email=maya.okafor%40example.com&phone=%2B1+415+555+0199"
    "&job_title=VP+Engineering&company=Globex";
const char* kJson = "application/json";

HttpResult Edit(const Canond& d, const std::string& contact, const std::string& body,
                const std::map<std::string, std::string>& headers = {}) {
  return HttpRequest(d.port(), "POST", "/admin/entities/" + contact + "/edit", body, kJson, headers);
}

}  // namespace

TEST_CASE("a steward edit keeps only the typed fields, normalized, and refuses what is unknown or invalid",
          "[steward]") {
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());
  store::StewardEdit ok = store::PrepareStewardEdit({{"phone", "+44 20 7946 0958 ext 7"}, {"first_name", "maya"}},
                                                    **rules);
  REQUIRE(ok.ok());
  CHECK(ok.raw.source == "steward");
  CHECK(ok.raw.fields.at("phone") == "+44 20 7946 0958 ext 7");
  // Typed fields and the typed phone's extension; no full_name derived from a lone first name.
  CHECK(ok.normalized.fields == std::map<std::string, std::string>{
                                    {"first_name", "Maya"}, {"phone", "+442079460958"}, {"phone_ext", "7"}});
  CHECK(ok.normalized.keys == std::map<std::string, std::string>{{"phone_key", "+442079460958"}});

  auto refused = [&](std::map<std::string, std::string> fields) {
    store::StewardEdit e = store::PrepareStewardEdit(fields, **rules);
    CHECK(!e.ok());
    CHECK(!e.reason.empty());
    return e.bad_field;
  };
  CHECK(refused({{"phone", "12345"}, {"job_title", "CTO"}}) == "phone");  // invalid number: flagged for a lead
  CHECK(refused({{"email", "maya@@example.com"}}) == "email");
  CHECK(refused({{"lifecycle_stage", "wizard"}}) == "lifecycle_stage");  // no vocabulary value
  CHECK(refused({{"shoe_size", "42"}}) == "shoe_size");
  CHECK(refused({{"job_title", "  "}}) == "job_title");
  CHECK(refused({{"job_title", "N/A"}}) == "job_title");  // a null value normalizes to nothing
  CHECK(refused({}) == "fields");

  // A national number takes the contact's country as its region, unless the edit types a country itself.
  CHECK(refused({{"phone", "020 7946 0958"}}) == "phone");
  store::StewardEdit uk = store::PrepareStewardEdit({{"phone", "020 7946 0958"}}, **rules, "GB");
  REQUIRE(uk.ok());
  CHECK(uk.normalized.fields == std::map<std::string, std::string>{{"phone", "+442079460958"}});
  CHECK(!store::PrepareStewardEdit({{"phone", "020 7946 0958"}, {"country", "US"}}, **rules, "GB").ok());
}

TEST_CASE("survivorship: a steward member wins every policy but is not a lead's source", "[steward]") {
  SurvivorshipRules rules;
  rules.fields["job_title"].kind = FieldPolicy::Kind::kMostComplete;
  std::vector<SurvivorMember> members = {
      {1, "website", 100, {{"phone", "+14155550142"}, {"job_title", "Principal Engineer"}}, {}},
      {2, "steward", 200, {{"job_title", "CTO"}}, {}},
      {3, "csv", 300, {{"phone", "+14155550199"}}, {}}};
  Survivor s = Recompute(rules, members, {"phone", "job_title"});
  CHECK(s.values.at("job_title") == "CTO");
  CHECK(s.lineage.at("job_title") == 2);
  CHECK(s.values.at("phone") == "+14155550199");
  CHECK(s.original_source == "website");
  CHECK(s.latest_source == "csv");
  Survivor alone = Recompute(rules, {members[1]}, {"job_title"});
  CHECK(alone.latest_source == "steward");
}

TEST_CASE("a steward's edit wins over newer records, is audited, refuses bad values, and can be split off",
          "[pg][steward]") {
  TestDb db;
  Canond d(db);
  PostForm(d, kMaya);
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  std::string contact = db.Scalar("SELECT id::text FROM contact");
  std::string first = db.Scalar("SELECT id::text FROM source_record");

  auto ok = Edit(d, contact,
                 "{\"fields\":{\"phone\":\"+44 20 7946 0958\",\"job_title\":\"CTO\"},\"actor\":\"ann\","
                 "\"note\":\"called her\"}");
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  CHECK_THAT(ok.body, Catch::Contains("+442079460958") && Catch::Contains("CTO"));
  std::string steward = db.Scalar("SELECT id::text FROM source_record WHERE source = 'steward'");
  REQUIRE(!steward.empty());
  CHECK(db.Scalar("SELECT raw->'fields'->>'phone' || ' | ' || (normalized->'fields')::text FROM source_record "
                  "WHERE id = $1", {steward}) ==
        "+44 20 7946 0958 | {\"phone\": \"+442079460958\", \"job_title\": \"CTO\"}");
  CHECK(db.Scalar("SELECT contact_id || ' ' || decided_by FROM entity_member WHERE source_record_id = $1",
                  {steward}) == contact + " ann");

  // The entity view: steward values, lineage at the steward record for the edited columns only.
  auto entity = HttpRequest(d.port(), "GET", "/admin/entities/" + contact);
  REQUIRE(entity.status == 200);
  CHECK_THAT(entity.body, Catch::Contains("\"phone\": \"+442079460958\"") &&
                              Catch::Contains("\"job_title\": \"CTO\"") &&
                              Catch::Contains("\"phone\": " + steward) && Catch::Contains("\"email\": " + first) &&
                              Catch::Contains("\"source\": \"steward\"") && Catch::Contains("called her"));
  CHECK(db.Scalar("SELECT lineage->>'phone' || ' ' || (lineage->>'job_title') || ' ' || (lineage->>'company') "
                  "FROM contact WHERE id = $1", {contact}) == steward + " " + steward + " " + first);
  CHECK(db.Scalar("SELECT latest_source FROM contact WHERE id = $1", {contact}) == "website");
  CHECK(db.Scalar("SELECT actor || ' ' || (detail->>'note') || ' ' || (detail->'fields'->>'job_title') || ' ' || "
                  "(detail->>'source_record') FROM merge_event WHERE kind = 'edit' AND contact_id = $1",
                  {contact}) == "ann called her CTO " + steward);

  // A newer record of the same person: joins; the steward's phone and title stay, the company follows it.
  PostForm(d, kMayaLater);
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "3") == "3");
  CHECK(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
  std::string later = db.Scalar("SELECT max(id)::text FROM source_record WHERE source = 'website'");
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 1);
  CHECK(db.Count("SELECT count(*) FROM entity_member WHERE contact_id = $1", {contact}) == 3);
  CHECK(db.Scalar("SELECT phone || ' ' || job_title || ' ' || company FROM contact WHERE id = $1", {contact}) ==
        "+442079460958 CTO Globex");
  CHECK(db.Scalar("SELECT lineage->>'company' FROM contact WHERE id = $1", {contact}) == later);

  // Refused edits write nothing: invalid phone, unknown field, empty value, bad body, no such contact.
  std::string before = db.Scalar("SELECT (to_jsonb(c) - 'updated_at')::text FROM contact c WHERE id = $1", {contact});
  auto bad = Edit(d, contact, "{\"fields\":{\"phone\":\"12345\",\"job_title\":\"CEO\"},\"actor\":\"ann\"}");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, Catch::Contains("\"where\":\"phone\"") && Catch::Contains("not a valid phone"));
  auto unknown = Edit(d, contact, "{\"fields\":{\"shoe_size\":\"42\"}}");
  CHECK(unknown.status == 400);
  CHECK_THAT(unknown.body, Catch::Contains("shoe_size") && Catch::Contains("not a contact field"));
  CHECK(Edit(d, contact, "{\"fields\":{\"job_title\":\"\"}}").status == 400);
  CHECK(Edit(d, contact, "{\"fields\":{\"job_title\":42}}").status == 400);
  CHECK(Edit(d, contact, "{\"fields\":{}}").status == 400);
  CHECK(Edit(d, contact, "job_title=CEO").status == 400);
  auto missing = Edit(d, "999999", "{\"fields\":{\"job_title\":\"CEO\"}}");
  CHECK(missing.status == 404);
  CHECK(db.Scalar("SELECT (to_jsonb(c) - 'updated_at')::text FROM contact c WHERE id = $1", {contact}) == before);
  CHECK(db.Count("SELECT count(*) FROM source_record WHERE source = 'steward'") == 1);
  CHECK(db.Count("SELECT count(*) FROM merge_event WHERE kind = 'edit'") == 1);

  // The header names the actor over the body (the admin API's convention for every decision).
  auto second = Edit(d, contact,
                     "{\"fields\":{\"city\":\"London\",\"country\":\"United Kingdom\"},\"actor\":\"ann\"}",
                     {{"X-Canon-Actor", "bo"}});
  REQUIRE(second.status == 200);
  CHECK(db.Scalar("SELECT actor FROM merge_event WHERE kind = 'edit' ORDER BY id DESC LIMIT 1") == "bo");
  CHECK(db.Scalar("SELECT city FROM contact WHERE id = $1", {contact}) == "London");

  // Unmerge: the later record splits off (the steward's values stay), then the first edit itself splits off and
  // the first record's values come back.
  auto split = HttpRequest(d.port(), "POST", "/admin/entities/" + contact + "/unmerge",
                           "{\"members\":[" + later + "]}", kJson, {{"X-Canon-Actor", "ann"}});
  REQUIRE(split.status == 200);
  CHECK(db.Scalar("SELECT phone || ' ' || job_title || ' ' || company FROM contact WHERE id = $1", {contact}) ==
        "+442079460958 CTO Acme");
  auto undo = HttpRequest(d.port(), "POST", "/admin/entities/" + contact + "/unmerge",
                          "{\"members\":[" + steward + "]}", kJson, {{"X-Canon-Actor", "ann"}});
  INFO(undo.body);
  REQUIRE(undo.status == 200);
  CHECK(db.Scalar("SELECT phone || ' ' || job_title || ' ' || company || ' ' || city FROM contact WHERE id = $1",
                  {contact}) == "+14155550142 Engineer Acme London");
  CHECK(db.Scalar("SELECT lineage->>'phone' FROM contact WHERE id = $1", {contact}) == first);
  std::string fresh = db.Scalar("SELECT contact_id::text FROM entity_member WHERE source_record_id = $1", {steward});
  CHECK(fresh != contact);
  CHECK(db.Scalar("SELECT phone || ' ' || job_title FROM contact WHERE id = $1", {fresh}) == "+442079460958 CTO");

  // A national number takes the contact's country (GB since the second edit) as its region.
  CHECK(Edit(d, fresh, "{\"fields\":{\"phone\":\"020 7946 0123\"}}").status == 400);  // no country there
  REQUIRE(Edit(d, contact, "{\"fields\":{\"phone\":\"020 7946 0123\"}}").status == 200);
  CHECK(db.Scalar("SELECT country || ' ' || phone FROM contact WHERE id = $1", {contact}) == "GB +442079460123");
}

TEST_CASE("canonctl entity edit goes through the daemon's admin API", "[pg][steward][cli]") {
  TestDb db;
  Canond d(db);
  PostForm(d, kMaya);
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  std::string contact = db.Scalar("SELECT id::text FROM contact");
  std::string url = "--url http://127.0.0.1:" + std::to_string(d.port());
  const std::string env = "env -u CANON_ADMIN_TOKEN";

  CliRun ok = RunCanonctl("entity edit " + contact + " 'job_title=Chief Scientist' phone=+442079460958 " + url +
                              " --actor cli-ann --note 'from the cli'",
                          {}, env);
  INFO(ok.out);
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::Contains("Chief Scientist") && Catch::Contains("\"lineage\""));
  CHECK(db.Scalar("SELECT job_title || ' ' || phone FROM contact WHERE id = $1", {contact}) ==
        "Chief Scientist +442079460958");
  CHECK(db.Scalar("SELECT actor || ' ' || (detail->>'note') FROM merge_event WHERE kind = 'edit'") ==
        "cli-ann from the cli");

  CliRun bad = RunCanonctl("entity edit " + contact + " phone=12345 " + url, {}, env);
  CHECK(bad.code == 1);
  CHECK_THAT(bad.out, Catch::Contains("400") && Catch::Contains("phone"));
  CHECK(RunCanonctl("entity edit 999999 job_title=CTO " + url, {}, env).code == 1);
  CHECK(RunCanonctl("entity edit " + contact + " " + url, {}, env).code == 2);     // no field
  CHECK(RunCanonctl("entity edit " + contact + " job_title " + url, {}, env).code == 2);  // not FIELD=VALUE
  CHECK(RunCanonctl("entity frobnicate 1 a=b", {}, env).code == 2);
  CHECK(RunCanonctl("entity edit " + contact + " job_title=CTO --url http://127.0.0.1:" + std::to_string(FreePort()),
                    {}, env).code == 2);  // nothing listening
  CHECK(db.Count("SELECT count(*) FROM merge_event WHERE kind = 'edit'") == 1);
}

TEST_CASE("a steward's edit is not scored as a person: leads sharing only the edited values do not join",
          "[pg][steward]") {
  TestDb db;
  Canond d(db);
  PostForm(d, kMaya);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  std::string maya = db.Scalar("SELECT id::text FROM contact");
  REQUIRE(Edit(d, maya, "{\"fields\":{\"phone\":\"+44 20 7946 0958\",\"company\":\"Globex\"}}").status == 200);
  // Someone else with the phone and company the steward typed, and a lead with only that phone.
  PostForm(d, "first_name=Zoe&last_name=Park&phone=%2B44+20+7946+0958&company=Globex+Ltd");
  PostForm(d, "phone=%2B44+20+7946+0958&company=Globex");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record WHERE source <> 'steward'", "3") == "3");
  // Maya's entity holds her lead and the steward's edit, nothing else; no pair was proposed against the edit.
  CHECK(db.Count("SELECT count(*) FROM entity_member WHERE contact_id = $1", {maya}) == 2);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate mc JOIN source_record sr ON sr.id = mc.other_record_id "
                 "WHERE sr.source = 'steward'") == 0);
}
