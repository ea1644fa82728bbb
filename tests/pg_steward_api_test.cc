// The JSON routes behind the steward's workplace against a real canond: GET /admin/search finds a person by the
// normalized form of an e-mail, phone, name or company, and GET /admin/report/quality reports completeness,
// validity, duplicates, outcomes per day, merges, quarantined values and the queue's age.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "connectors/hmac.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

const std::string kViewer = "viewer-t0ken";
const std::string kSteward = "steward-t0ken";

std::map<std::string, std::string> Settings() {
  return {{"token", "[{name = \"vera\", role = \"viewer\", sha256 = \"" + HexEncode(Sha256(kViewer)) +
                        "\"}, {name = \"stew\", role = \"steward\", sha256 = \"" + HexEncode(Sha256(kSteward)) +
                        "\"}]"}};
}

struct Json {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};

// GETs `target` as the viewer, requires a 200 and parses the body.
void Get(const Canond& d, const std::string& target, Json* out) {
  auto r = HttpRequest(d.port(), "GET", target, "", "", {{"Authorization", "Bearer " + kViewer}});
  INFO(target << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  REQUIRE(out->parser.parse(r.body).get(out->root) == simdjson::SUCCESS);
}

// The contact ids of a search answer.
std::set<long long> Ids(const Json& j) {
  std::set<long long> ids;
  simdjson::dom::array results = j.root["results"].get_array().value();
  for (simdjson::dom::element r : results) ids.insert(r["id"].get_int64().value());
  return ids;
}

std::set<long long> Search(const Canond& d, const std::string& query) {
  Json j;
  Get(d, "/admin/search?" + query, &j);
  return Ids(j);
}

}  // namespace

TEST_CASE("search finds a live contact by its normalized e-mail, phone, name or company", "[pg][web][search]") {
  TestDb db;
  Canond d(db, Settings());
  PostForm(d, "first_name=Ann&last_name=Wexford&email=Ann.Wexford%40Example.org&phone=%2B44+20+7946+0000"
              "&country=GB&company=Acme+Widgets+Ltd");
  PostForm(d, "first_name=Bob&last_name=Wexfordson&email=bob%40example.org&company=Wexford+Partners");
  PostForm(d, "first_name=Cleo&last_name=Park&email=cleo%40example.org&phone=%2B1+415+555+0199");
  PostForm(d, "first_name=Dee&last_name=Odd&email=dee%40example.org&phone=12345");  // invalid: kept as typed
  REQUIRE(WaitFor(db, "SELECT count(*) FROM contact", "4") == "4");
  const long long ann = db.Count("SELECT id FROM contact WHERE last_name = 'Wexford'");
  const long long bob = db.Count("SELECT id FROM contact WHERE last_name = 'Wexfordson'");
  const long long cleo = db.Count("SELECT id FROM contact WHERE last_name = 'Park'");

  // One number, written internationally or nationally with its country: the same contact.
  CHECK(Search(d, "kind=phone&q=%2B44%2020%207946%200000") == std::set<long long>{ann});
  CHECK(Search(d, "kind=phone&q=020%207946%200000&country=GB") == std::set<long long>{ann});
  CHECK(Search(d, "kind=phone&q=(415)%20555-0199&country=US") == std::set<long long>{cleo});
  CHECK(Search(d, "kind=phone&q=020%207946%200001&country=GB").empty());
  // A number no country validates is kept and filed as typed: found as typed.
  const long long dee = db.Count("SELECT id FROM contact WHERE last_name = 'Odd'");
  CHECK(Search(d, "kind=phone&q=12345") == std::set<long long>{dee});
  {
    Json j;
    Get(d, "/admin/search?kind=phone&q=020%207946%200000&country=GB", &j);
    CHECK(std::string(j.root["query"]["normalized"].get_string().value()) == "+442079460000");
    simdjson::dom::element hit = j.root["results"].at(0).value();
    CHECK(std::string(hit["email"].get_string().value()) == "Ann.Wexford@example.org");
    CHECK(std::string(hit["matched_by"].get_string().value()) == "key");
    CHECK(hit["members"].get_int64().value() == 1);
    CHECK(j.root["truncated"].get_bool().value() == false);
  }
  // E-mail: case and spaces do not matter.
  CHECK(Search(d, "kind=email&q=%20ANN.WEXFORD%40example.ORG%20") == std::set<long long>{ann});
  // Name: a part of the name, in any case; a sound-alike full name by its phonetic key.
  CHECK(Search(d, "kind=name&q=wexford") == std::set<long long>{ann, bob});
  CHECK(Search(d, "kind=name&q=Ann%20Wexferd") == std::set<long long>{ann});
  CHECK(Search(d, "kind=name&q=%25").empty());  // LIKE's own characters are text
  CHECK(Search(d, "kind=company&q=acme%20widgets") == std::set<long long>{ann});
  CHECK(Search(d, "kind=company&q=WEXFORD") == std::set<long long>{bob});
  // Bounded: limit=1 returns one and says there were more.
  {
    Json j;
    Get(d, "/admin/search?kind=name&q=wexford&limit=1", &j);
    CHECK(Ids(j).size() == 1);
    CHECK(j.root["truncated"].get_bool().value() == true);
  }
  // A contact merged into another is not shown; its survivor is.
  auto merge = [&](long long a, long long b) {
    auto c = db.Connect();
    REQUIRE(c->Exec("UPDATE contact SET merged_into = $1 WHERE id = $2", {std::to_string(a), std::to_string(b)})
                .ok());
  };
  merge(ann, bob);
  CHECK(Search(d, "kind=company&q=WEXFORD").empty());
  CHECK(Search(d, "kind=name&q=wexford") == std::set<long long>{ann});

  // Bad requests are 400 with the parameter named; no token is 401.
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + kViewer}};
  for (const char* bad : {"kind=fax&q=1", "kind=name&q=", "kind=name&q=%20%20", "kind=phone&q=1&country=GBR",
                          "q=ann"}) {
    auto r = HttpRequest(d.port(), "GET", std::string("/admin/search?") + bad, "", "", auth);
    INFO(bad << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("\"error\":\"invalid\""));
  }
  CHECK(HttpRequest(d.port(), "GET", "/admin/search?kind=name&q=" + std::string(400, 'a'), "", "", auth).status ==
        400);
  CHECK(HttpRequest(d.port(), "GET", "/admin/search?kind=name&q=wexford").status == 401);
  // What a steward searched for is PII: never in the log (only the route's pattern is).
  CHECK_THAT(d.Log(), !Catch::Contains("ANN.WEXFORD", Catch::CaseSensitive::No) && !Catch::Contains("Wexferd") &&
                          !Catch::Contains("7946") && Catch::Contains("GET /admin/search"));
}

TEST_CASE("the quality report: completeness, validity, duplicates, outcomes per day, merges, quarantine, queue age",
          "[pg][web][quality]") {
  TestDb db;
  Canond d(db, Settings());
  // Two records of one person (same e-mail: joined), one with an invalid phone and an unknown lead source
  // (quarantined); a pair for review; a record refused for having nothing to match on (a dead letter).
  PostForm(d, "first_name=Dana&last_name=Reyes&email=dana%40example.org&lead_source=Carrier+pigeon");
  PostForm(d, "first_name=Dana&last_name=Reyes&email=dana%40example.org&phone=12");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "2") == "2");
  PostForm(d, "first_name=Ann&last_name=Wexford&phone=%2B1+415+555+0111&postal_code=94105&birth_date=1980-01-02");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "3") == "3");
  PostForm(d, "first_name=Ann&last_name=Wexford&email=ann.w%40example.org&postal_code=94105"
              "&phone=%2B1+415+555+0199&birth_date=1975-06-30");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM merge_candidate WHERE status = 'pending'", "1") == "1");
  PostForm(d, "first_name=Nobody");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "1") == "1");
  const std::string today = db.Scalar("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')");

  Json j;
  Get(d, "/admin/report/quality?days=7", &j);
  simdjson::dom::element q = j.root;
  CHECK(q["days"].get_int64().value() == 7);
  CHECK(q["records"].get_int64().value() == 4);
  CHECK(q["contacts"].get_int64().value() == 3);
  CHECK(q["duplicate_rate"].get_double().value() == Approx(0.25));

  std::map<std::string, simdjson::dom::element> fields;
  simdjson::dom::array field_rows = q["fields"].get_array().value();
  for (simdjson::dom::element f : field_rows)
    fields[std::string(f["field"].get_string().value())] = f;
  REQUIRE(fields.count("email"));
  REQUIRE(fields.count("phone"));
  REQUIRE(fields.count("lead_source"));
  CHECK(q["sample"].get_int64().value() == 4);
  // Completeness over the 3 live contacts: Dana and one of Ann's pair have an e-mail. Validity over the 4 records.
  CHECK(fields["email"]["filled"].get_int64().value() == 2);
  CHECK(fields["email"]["valid"].get_int64().value() == 3);
  CHECK(fields["email"]["checked"].get_int64().value() == 3);
  // Validity: Dana's "12" was kept raw, flagged invalid; Ann's two phones are valid.
  CHECK(fields["phone"]["present"].get_int64().value() == 3);
  CHECK(fields["phone"]["valid"].get_int64().value() == 2);
  CHECK(fields["phone"]["checked"].get_int64().value() == 3);
  // The unknown lead source was held back: checked, not valid, not on any contact.
  CHECK(fields["lead_source"]["checked"].get_int64().value() >= 1);
  CHECK(fields["lead_source"]["valid"].get_int64().value() <
        fields["lead_source"]["checked"].get_int64().value());

  std::map<std::string, long long> outcomes;
  simdjson::dom::array per_day = q["per_day"].get_array().value();
  for (simdjson::dom::element row : per_day) {
    CHECK(std::string(row["day"].get_string().value()) == today);
    CHECK(std::string(row["source"].get_string().value()) == "website");
    outcomes[std::string(row["outcome"].get_string().value())] += row["count"].get_int64().value();
  }
  CHECK(outcomes == std::map<std::string, long long>{{"new", 2}, {"joined", 1}, {"review", 1}, {"dead_letter", 1}});

  simdjson::dom::element top = q["quarantine"]["values"].at(0).value();
  CHECK(std::string(top["field"].get_string().value()) == "lead_source");
  CHECK(std::string(top["value"].get_string().value()) == "Carrier pigeon");

  simdjson::dom::element queue = q["queue"];
  CHECK(queue["open"].get_int64().value() == 1);
  CHECK(queue["pending"].get_int64().value() == 1);
  CHECK(std::string(queue["ages"].at(0).value()["label"].get_string().value()) == "< 1 hour");
  CHECK(queue["ages"].at(0).value()["count"].get_int64().value() == 1);
  CHECK(q["merges"].get_array().value().size() == 0);

  // An old candidate is counted by its age.
  const std::string cand = db.Scalar("SELECT id::text FROM merge_candidate");
  REQUIRE(db.Connect()->Exec("UPDATE merge_candidate SET created_at = now() - interval '3 days' WHERE id = $1",
                             {cand}).ok());
  Json aged;
  Get(d, "/admin/report/quality", &aged);
  CHECK(aged.root["days"].get_int64().value() == 14);
  CHECK(aged.root["queue"]["ages"].at(2).value()["label"].get_string().value() == "1-7 days");
  CHECK(aged.root["queue"]["ages"].at(2).value()["count"].get_int64().value() == 1);
  CHECK(!aged.root["queue"]["oldest"].is_null());

  // A steward's approve is a merge of the day; the queue empties and the duplicate rate rises.
  auto approve = HttpRequest(d.port(), "POST", "/admin/queue/" + cand + "/approve", "", "",
                             {{"Authorization", "Bearer " + kSteward}, {"X-Canon-Actor", "rita"}});
  REQUIRE(approve.status == 200);
  Json merged;
  Get(d, "/admin/report/quality", &merged);
  CHECK(merged.root["queue"]["open"].get_int64().value() == 0);
  CHECK(merged.root["contacts"].get_int64().value() == 2);
  CHECK(merged.root["duplicate_rate"].get_double().value() == Approx(0.5));
  simdjson::dom::element day = merged.root["merges"].at(0).value();
  CHECK(std::string(day["day"].get_string().value()) == today);
  CHECK(day["steward"].get_int64().value() == 1);
  CHECK(day["matcher"].get_int64().value() == 0);

  // Out-of-range days fall back to the default; many days are capped.
  Json capped;
  Get(d, "/admin/report/quality?days=1000", &capped);
  CHECK(capped.root["days"].get_int64().value() == 90);
}
