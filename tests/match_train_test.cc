// EM training on the project's generated messy duplicates: u from random pairs, m by EM, and the written rule
// file parses back to the same model.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "connectors/match_rules.h"
#include "connectors/rule_dir.h"
#include "hygiene/match_train.h"
#include "hygiene/normalize.h"
#include "tests/label_model.h"
#include "tests/messy_gen.h"
#include "tests/support.h"

namespace {

// The generator's 600 people as the matcher's inputs, normalized by `rules`.
std::vector<canon::MatchInput> MessyInputs(const canon::RuleSet& rules) {
  messy::MessyOptions opt;
  opt.people = 600;
  opt.seed = 11;
  std::vector<canon::MatchInput> inputs;
  for (const auto& m : messy::MessyGen(opt).Generate()) {
    canon::Record rec;
    rec.fields = m.fields;
    inputs.push_back(canon::MatchInputFromNormalized(canon::Normalize(rec, rules), m.id));
  }
  return inputs;
}

}  // namespace

TEST_CASE("EM training separates m from u and round-trips through TOML", "[match][train]") {
  const std::string dir = std::string(CANON_SOURCE_DIR) + "/rules";
  auto rules = canon::LoadRuleDir(dir);
  REQUIRE(rules.ok());
  auto match = canon::LoadMatchRules(dir);
  REQUIRE(match.ok());
  std::vector<canon::MatchInput> inputs = MessyInputs(**rules);
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

namespace {


canon::MatchInput Person(const std::string& id, const std::string& given, const std::string& family,
                         const std::string& phone = {}, const std::string& email = {},
                         const std::string& company = {}) {
  canon::MatchInput in;
  in.id = id;
  in.Set(canon::MatchField::kGivenName, given);
  in.Set(canon::MatchField::kFamilyName, family);
  in.Set(canon::MatchField::kPhone, phone);
  in.Set(canon::MatchField::kEmailKey, email);
  in.Set(canon::MatchField::kCompanyKey, company);
  return in;
}

const canon::ComparisonLevel& Level(const canon::MatchModel& m, const std::string& field, const std::string& level) {
  for (const auto& f : m.fields())
    if (f.name == field)
      for (const auto& l : f.levels)
        if (l.name == level) return l;
  FAIL("no level " << field << " " << level);
  throw 0;
}

}  // namespace

TEST_CASE("labels re-estimate m from approved pairs and u from rejected ones, smoothed toward the base",
          "[match][train][labels]") {
  auto model = canon::MatchModel::FromToml(canon::test::kLabelModelToml, "labels.toml");
  REQUIRE(model.ok());
  std::vector<canon::LabelledPair> labels;
  // Approved: same names, one record has a phone, the other an e-mail (nothing else on both sides).
  for (int i = 0; i < 4; ++i)
    labels.push_back({Person("a" + std::to_string(i), "ann", "wex" + std::to_string(i),
                             "+1415555010" + std::to_string(i)),
                      Person("b" + std::to_string(i), "ann", "wex" + std::to_string(i), "", "a@x" + std::to_string(i)),
                      true});
  // Rejected: colleagues on one switchboard at one company, names differ (-6.63 - 2·2.32 + 13.05 + 9.64 = 11.4:
  // review).
  for (int i = 0; i < 4; ++i)
    labels.push_back({Person("c" + std::to_string(i), "bob", "lee" + std::to_string(i), "+14155550999", "", "acme"),
                      Person("d" + std::to_string(i), "eve", "kim" + std::to_string(i), "+14155550999", "", "acme"),
                      false});
  canon::LabelOptions lo;  // K_m = 10, K_u = 100
  canon::TrainOptions to;
  canon::MatchModel trained = canon::EstimateFromLabels(*model, labels, lo, to);
  // m(given exact) = (4 + 10·0.8) / 14; the level no approved pair showed is shrunk, not zeroed.
  CHECK(Level(trained, "given_name", "exact").m == Approx(12.0 / 14).epsilon(1e-6));
  CHECK(Level(trained, "given_name", "different").m == Approx(2.0 / 14).epsilon(1e-6));
  // u(phone exact) = (4 + 100·0.0001) / 104: four rejected pairs sharing a phone make it far weaker evidence.
  CHECK(Level(trained, "phone", "exact").u == Approx(4.01 / 104).epsilon(1e-6));
  CHECK(Level(trained, "phone", "exact").weight < Level(*model, "phone", "exact").weight - 8);
  // No approved pair holds a phone on both sides: phone's m is the base's.
  CHECK(Level(trained, "phone", "exact").m == Approx(0.85));
  // No labelled pair holds an e-mail on both sides: the field is untouched.
  CHECK(Level(trained, "email_key", "exact").weight == Approx(Level(*model, "email_key", "exact").weight));
  for (const auto& f : trained.fields()) {
    double ms = 0, us = 0;
    for (const auto& l : f.levels) {
      ms += l.m;
      us += l.u;
      CHECK(std::isfinite(l.weight));
    }
    CHECK(ms == Approx(1.0));
    CHECK(us == Approx(1.0));
  }

  canon::LabelReport report;
  auto full = canon::TrainWithLabels(*model, canon::BlockingRules{}, {}, labels, to, lo, nullptr, &report);
  REQUIRE(full.ok());
  CHECK_FALSE(report.em_used);
  CHECK(report.matches == 4);
  CHECK(report.non_matches == 4);
  for (const auto& p : report.pairs) {
    INFO(p.a << " " << p.b << " " << p.before << " -> " << p.after << " " << p.pattern);
    if (p.match) {
      CHECK(p.decision_before == canon::Decision::kReview);
      CHECK(p.after >= p.before);
      CHECK(p.decision_after != canon::Decision::kNew);
    } else {
      CHECK(p.decision_before == canon::Decision::kReview);
      CHECK(p.after < model->lower());
    }
  }
  CHECK(report.before.ReviewRecall() == 1.0);
  CHECK(report.after.ReviewRecall() == 1.0);
  CHECK(report.after.ReviewPrecision() >= report.before.ReviewPrecision());
  CHECK(report.conflicts.empty());
  CHECK(report.rejected_still_proposed == 0);
  CHECK(report.approved_missed == 0);
  bool saw = false;
  for (const auto& c : report.levels)
    if (c.field == "phone" && c.level == "exact") {
      saw = true;
      CHECK(c.non_matches == 4);
      CHECK(c.matches == 0);
      CHECK(c.weight_after < c.weight_before);
    }
  CHECK(saw);

  // The same level pattern approved once and rejected once cannot be separated: reported, not hidden.
  labels.push_back({Person("e", "ann", "wex0", "+14155550100"), Person("f", "ann", "wex0", "", "z@y"), false});
  REQUIRE(canon::TrainWithLabels(*model, canon::BlockingRules{}, {}, labels, to, lo, nullptr, &report).ok());
  REQUIRE(report.conflicts.size() == 1);
  CHECK_THAT(report.conflicts[0], Catch::Contains("given_name=exact family_name=exact") &&
                                      Catch::Contains("4 approved, 1 rejected"));
  // Same pattern, same weight: the rejected one and an approved one end on the same side whatever m and u are.
  CHECK(report.pairs.back().after == Approx(report.pairs.front().after));
  CHECK(canon::TrainWithLabels(*model, canon::BlockingRules{}, {}, {}, to, lo, nullptr, &report).status().code() ==
        canon::Code::kInvalidArgument);
}

TEST_CASE("canonctl match train INPUT.csv --labels FILE: the same estimate from a labels file of the input's ids",
          "[match][train][labels][cli]") {
  canon::test::RulesCopy copy;
  copy.Write("match.toml", canon::test::kLabelModelToml);
  namespace fs = std::filesystem;
  const std::string dir = copy.Path("../train");
  fs::create_directories(dir);
  {
    std::ofstream data(dir + "/data.csv");
    data << "id,first_name,last_name,phone,email,company\n";
    const char* families[] = {"Wexford", "Castellano", "Brzezinski", "Okonkwo"};
    for (int i = 0; i < 4; ++i) {
      data << "n" << i << "a,Ann," << families[i] << ",+1 415 555 01" << 10 + i << ",,\n";
      data << "n" << i << "b,Ann," << families[i] << ",,ann" << i << "@example.org,\n";
      data << "c" << i << "a,Bob,Lee" << char('a' + i) << ",+1 312 555 01" << 60 + i << ",,Initech" << i << "\n";
      data << "c" << i << "b,Eve,Kim" << char('a' + i) << ",+1 312 555 01" << 60 + i << ",,Initech" << i << "\n";
    }
    std::ofstream labels(dir + "/labels.csv");
    labels << "left,right,label\n";
    for (int i = 0; i < 4; ++i) labels << "n" << i << "a,n" << i << "b,match\nc" << i << "a,c" << i << "b,non-match\n";
  }
  const std::string base = "match train " + dir + "/data.csv --id-column id --rules " + copy.rules() +
                           " --default-country US --out " + dir + "/new.toml";
  canon::test::CliRun run = canon::test::RunCanonctl(base + " --labels " + dir + "/labels.csv --report " + dir +
                                                     "/report.md");
  INFO(run.out);
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Catch::Contains("16 records, 4 approved pairs (match), 4 rejected pairs (non-match)") &&
                          Catch::Contains("| after (trained) | 1.0000 | 0.0000 | 1.0000 | 1.0000 |") &&
                          Catch::Contains("| phone | exact | 0 | 4 | 0.85 | 0.85 | 0.0001 | 0.0385577 | +13.05 | "
                                          "+4.46 | -8.59 |"));
  CHECK(fs::file_size(dir + "/report.md") > 0);
  auto trained = canon::LoadMatchRulesFile(dir + "/new.toml");
  if (!trained.ok()) FAIL(trained.status().ToString());
  CHECK(Level(trained->model, "phone", "exact").u == Approx(4.01 / 104).epsilon(1e-4));
  CHECK(trained->blocking.rules.size() == 3);  // the blocking rules come along

  {
    std::ofstream labels(dir + "/bad.csv");
    labels << "left,right,label\nn0a,n0b,match\nn1a,n1b,maybe\n";
  }
  canon::test::CliRun bad = canon::test::RunCanonctl(base + " --labels " + dir + "/bad.csv");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.out, Catch::Contains("bad.csv:3") && Catch::Contains("match or non-match"));
  {
    std::ofstream labels(dir + "/unknown.csv");
    labels << "left,right,label\nn0a,zz9,match\n";
  }
  canon::test::CliRun unknown = canon::test::RunCanonctl(base + " --labels " + dir + "/unknown.csv");
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.out, Catch::Contains("no record 'zz9'"));
}

TEST_CASE("with enough records the labels adjust the EM estimate, and the report shows both",
          "[match][train][labels]") {
  const std::string dir = std::string(CANON_SOURCE_DIR) + "/rules";
  auto rules = canon::LoadRuleDir(dir);
  REQUIRE(rules.ok());
  auto match = canon::LoadMatchRules(dir);
  REQUIRE(match.ok());
  std::vector<canon::MatchInput> inputs = MessyInputs(**rules);
  REQUIRE(inputs.size() >= 1000);
  // Labels from the generator's truth: records of one person (id "p<N>-...") are a match.
  auto person = [](const std::string& id) { return id.substr(0, id.find('-')); };
  std::map<std::string, size_t> first;
  std::vector<canon::LabelledPair> labels;
  size_t matches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto [it, fresh] = first.emplace(person(inputs[i].id), i);
    if (!fresh && matches < 30) {
      labels.push_back({inputs[it->second], inputs[i], true});
      ++matches;
    } else if (i > 0 && person(inputs[i - 1].id) != person(inputs[i].id) && labels.size() - matches < 30) {
      labels.push_back({inputs[i - 1], inputs[i], false});
    }
  }
  REQUIRE(matches == 30);
  REQUIRE(labels.size() == 60);
  canon::TrainOptions topt;
  topt.random_pairs = 50000;
  canon::TrainReport tr;
  canon::LabelReport lr;
  auto trained = canon::TrainWithLabels(match->model, match->blocking, inputs, labels, topt, canon::LabelOptions{},
                                        &tr, &lr);
  REQUIRE(trained.ok());
  CHECK(lr.em_used);
  CHECK(tr.candidate_pairs > 100);
  CHECK(lr.matches == matches);
  // A level the labels never showed moves only by EM (and the shrinking of its field's other levels); one they
  // showed moves from the EM value toward the labels.
  bool by_em = false, by_labels = false;
  for (const auto& c : lr.levels) {
    by_em = by_em || std::fabs(c.weight_base - c.weight_before) > 0.01;
    by_labels = by_labels || (c.matches + c.non_matches > 0 && std::fabs(c.weight_after - c.weight_base) > 0.01);
  }
  CHECK(by_em);
  CHECK(by_labels);
  for (const auto& f : trained->fields())
    for (const auto& l : f.levels) CHECK(std::isfinite(l.weight));
}
