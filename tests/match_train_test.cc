// EM training on the project's generated messy duplicates: u from random pairs, m by EM, and the written rule
// file parses back to the same model.
#include <catch2/catch.hpp>

#include <cmath>

#include "connectors/match_rules.h"
#include "connectors/rule_dir.h"
#include "hygiene/match_train.h"
#include "hygiene/normalize.h"
#include "tests/messy_gen.h"

TEST_CASE("EM training separates m from u and round-trips through TOML", "[match][train]") {
  const std::string dir = std::string(CANON_SOURCE_DIR) + "/rules";
  auto rules = canon::LoadRuleDir(dir);
  REQUIRE(rules.ok());
  auto match = canon::LoadMatchRules(dir);
  REQUIRE(match.ok());
  messy::MessyOptions opt;
  opt.people = 600;
  opt.seed = 11;
  std::vector<canon::MatchInput> inputs;
  for (const auto& m : messy::MessyGen(opt).Generate()) {
    canon::Record rec;
    rec.fields = m.fields;
    inputs.push_back(canon::MatchInputFromNormalized(canon::Normalize(rec, **rules), m.id));
  }
  canon::TrainOptions topt;
  topt.random_pairs = 50000;
  canon::TrainReport report;
  auto trained = canon::TrainModel(match->model, match->blocking, inputs, topt, &report);
  REQUIRE(trained.ok());
  CHECK(report.candidate_pairs > 100);
  CHECK(report.lambda > 0.0);
  CHECK(report.lambda < 1.0);
  for (const auto& f : trained->fields()) {
    INFO(f.name);
    double msum = 0, usum = 0;
    for (const auto& l : f.levels) {
      msum += l.m;
      usum += l.u;
      CHECK(l.m > 0);
      CHECK(l.u > 0);
    }
    CHECK(msum == Approx(1.0).margin(1e-6));
    CHECK(usum == Approx(1.0).margin(1e-6));
  }
  // Fields the generator fills: agreement is evidence for a match, disagreement against.
  for (const char* name : {"family_name", "email_key", "dob", "postcode"}) {
    INFO(name);
    const canon::FieldModel* f = nullptr;
    for (const auto& x : trained->fields())
      if (x.name == name) f = &x;
    REQUIRE(f);
    CHECK(f->levels.front().weight > 3.0);
    CHECK(f->levels.back().weight < 0.0);
  }
  // Company is never generated: its levels keep the rule file's values.
  for (size_t i = 0; i < trained->fields().size(); ++i) {
    if (trained->fields()[i].name != "company_key") continue;
    CHECK(trained->fields()[i].levels[0].m == Approx(match->model.fields()[i].levels[0].m));
  }
  auto reparsed = canon::MatchModel::FromToml(trained->ToToml() + "\n", "trained.toml", match->nicknames);
  if (!reparsed.ok()) FAIL(reparsed.status().ToString());
  REQUIRE(reparsed->fields().size() == trained->fields().size());
  CHECK(reparsed->lambda() == Approx(trained->lambda()).epsilon(1e-5));
  CHECK(reparsed->fields()[1].levels[0].weight == Approx(trained->fields()[1].levels[0].weight).epsilon(1e-4));
}
