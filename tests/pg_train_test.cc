// Learning from stewards (issue 14): approve and reject decisions made through canond's admin API, fed back
// through `canonctl match train --db`, and the trained model read back and scored.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "connectors/match_rules.h"
#include "store/labels.h"
#include "tests/label_model.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

// Approved pairs agree on both names and share nothing else (review, 8.66); rejected pairs are colleagues,
// different names on one switchboard phone at one company (review, 11.44). Their level patterns differ, which is
// what lets m and u separate them (pairs of one pattern cannot be; see docs/rules.md).

const char* kFamilies[] = {"Wexford", "Castellano", "Brzezinski", "Okonkwo"};
const char* kCompanies[] = {"Initech", "Globex", "Umbrella", "Hooli"};
const char* kColleagues[][2] = {{"Bob", "Lindqvist"}, {"Eve", "Marchetti"}, {"Carl", "Nakamura"}, {"Dora", "Ferreira"},
                                {"Ivan", "Petrov"},   {"Lena", "Haugen"},   {"Omar", "Rahimi"},   {"Tess", "Whitaker"}};

std::string Phone(int i) { return "%2B1+312+555+01" + std::to_string(10 + i); }

// Posts forms one at a time, each waiting until its record is stored (so each pair is scored in a known order).
struct Poster {
  const TestDb& db;
  const Canond& d;
  int posted = 0;
  void operator()(const std::string& form) {
    PostForm(d, form);
    ++posted;
    REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", std::to_string(posted)) == std::to_string(posted));
  }
};

}  // namespace

TEST_CASE("canonctl match train --db: rejected pairs fall below review, approved pairs keep their decision",
          "[pg][train]") {
  RulesCopy copy;
  copy.Write("match.toml", kLabelModelToml);
  TestDb db;
  Canond d(db, {}, copy.rules());
  Poster post{db, d};
  for (int i = 0; i < 4; ++i) {
    std::string name = "first_name=Ann&last_name=" + std::string(kFamilies[i]);
    post(name + "&phone=" + Phone(i));
    post(name + "&email=ann" + std::to_string(i) + "%40example.org");
  }
  for (int i = 0; i < 4; ++i) {
    std::string shared = "&phone=" + Phone(50 + i) + "&company=" + kCompanies[i];
    post("first_name=" + std::string(kColleagues[2 * i][0]) + "&last_name=" + kColleagues[2 * i][1] + shared);
    post("first_name=" + std::string(kColleagues[2 * i + 1][0]) + "&last_name=" + kColleagues[2 * i + 1][1] + shared);
  }
  REQUIRE(WaitFor(db, "SELECT count(*) FROM merge_candidate WHERE status = 'pending'", "8") == "8");
  // The first four pairs (by id) are the namesakes: approve them; reject the colleagues.
  std::vector<std::string> approved, rejected;
  for (int i = 0; i < 8; ++i) {
    std::string id = db.Scalar("SELECT id::text FROM merge_candidate ORDER BY id OFFSET $1 LIMIT 1", {std::to_string(i)});
    std::string act = i < 4 ? "approve" : "reject";
    auto r = HttpRequest(d.port(), "POST", "/admin/queue/" + id + "/" + act, "", "", {{"X-Canon-Actor", "steward"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    (i < 4 ? approved : rejected).push_back(id);
  }
  CHECK(db.Count("SELECT count(*) FROM merge_candidate WHERE status = 'approved' AND score >= 6 AND score < 12") == 4);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate WHERE status = 'rejected' AND score >= 6 AND score < 12") == 4);

  char tmpl[] = "/tmp/canon-train.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string out = dir + "/match.toml", report = dir + "/report.md";
  CliRun run = RunCanonctl("match train --db '" + db.conninfo() + "' --rules " + copy.rules() + " --out " + out +
                           " --report " + report);
  INFO(run.out);
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Catch::Contains("4 approved pairs (match), 4 rejected pairs (non-match)") &&
                          Catch::Contains("| before (rule file) | 1.0000 | 0.0000 | 0.5000 | 1.0000 |") &&
                          Catch::Contains("| after (trained) | 1.0000 | 0.0000 | 1.0000 | 1.0000 |") &&
                          Catch::Contains("| phone | exact | 0 | 4 |") &&
                          Catch::Contains("0 rejected pairs still at or above the review threshold, 0 approved"));
  std::ifstream rf(report);
  std::stringstream rs;
  rs << rf.rdbuf();
  CHECK(rs.str() == run.out);

  auto trained = LoadMatchRulesFile(out);
  if (!trained.ok()) FAIL(trained.status().ToString());
  auto conn = db.Connect();
  auto labels = store::LoadLabels(*conn);
  REQUIRE(labels.ok());
  REQUIRE(labels->size() == 8);
  const MatchModel& m = trained->model;
  for (const auto& p : *labels) {
    // The label is the decision on the candidate of these two records.
    std::string status = db.Scalar(
        "SELECT status FROM merge_candidate WHERE least(source_record_id, other_record_id) = $1 "
        "AND greatest(source_record_id, other_record_id) = $2",
        {p.a.id, p.b.id});
    CHECK(status == (p.match ? "approved" : "rejected"));
    double w = m.Weight(m.Prepare(p.a), m.Prepare(p.b));
    INFO(p.a.id << " " << p.b.id << " " << w);
    if (p.match)
      CHECK(m.Decide(w) != Decision::kNew);
    else
      CHECK(w < m.lower());
  }
  std::filesystem::remove_all(dir);

  // No decision yet: nothing to learn from, and the command says so.
  TestDb empty;
  Canond d2(empty, {}, copy.rules());
  CliRun none = RunCanonctl("match train --db '" + empty.conninfo() + "' --rules " + copy.rules() + " --out /dev/null");
  CHECK(none.code == 1);
  CHECK_THAT(none.out, Catch::Contains("no labelled pairs"));
}
