// Clusterer: entity-level decisions, no chaining through a bridging record, and clustering quality on the
// project's own messy generated duplicates (tests/messy_gen.h) through the real normalization rules.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "connectors/match_rules.h"
#include "connectors/rule_dir.h"
#include "hygiene/clusterer.h"
#include "hygiene/dedupe.h"
#include "hygiene/memory_index.h"
#include "hygiene/normalize.h"
#include "tests/messy_gen.h"

namespace {

// e-mail or phone agreement alone clears the upper threshold (+9.8 - 3.3 = 6.5 >= 5); both differing is -6.6.
constexpr const char* kContactModel = R"(
[model]
lambda = 0.5
upper = 5.0
lower = 3.0

[[field]]
name = "email_key"
levels = [
  { name = "exact", kind = "exact", m = 0.9, u = 0.001 },
  { name = "different", kind = "else", m = 0.1, u = 0.999 },
]

[[field]]
name = "phone"
levels = [
  { name = "exact", kind = "exact", m = 0.9, u = 0.001 },
  { name = "different", kind = "else", m = 0.1, u = 0.999 },
]

[[blocking]]
name = "email"
parts = ["email_key"]

[[blocking]]
name = "phone"
parts = ["phone"]
)";

canon::MatchInput Contact(const char* id, const char* email, const char* phone) {
  canon::MatchInput in;
  in.id = id;
  in.Set(canon::MatchField::kEmailKey, email);
  in.Set(canon::MatchField::kPhone, phone);
  return in;
}

}  // namespace

TEST_CASE("clusterer: no chaining through a record that resembles two entities", "[match][cluster]") {
  auto model = canon::MatchModel::FromToml(kContactModel, "contact.toml");
  auto rules = canon::BlockingRules::FromToml(kContactModel, "contact.toml");
  REQUIRE(model.ok());
  REQUIRE(rules.ok());
  canon::MemoryIndex index(*rules);
  canon::Clusterer c(*model, *rules, &index);
  auto a = c.Add(Contact("A", "a@x.test", "+111"));
  auto cc = c.Add(Contact("C", "c@x.test", "+222"));
  REQUIRE(a.ok());
  REQUIRE(cc.ok());
  CHECK(a->decision == canon::Decision::kNew);
  CHECK(cc->decision == canon::Decision::kNew);
  // B shares A's e-mail and C's phone: it may join one of them, never glue A and C together.
  auto b = c.Add(Contact("B", "a@x.test", "+222"));
  REQUIRE(b.ok());
  CHECK(b->decision == canon::Decision::kMerge);
  CHECK(b->conflicts.size() == 1);
  CHECK(b->merged_entities.empty());
  CHECK(c.EntityOf(0) != c.EntityOf(1));
  CHECK((c.EntityOf(2) == c.EntityOf(0) || c.EntityOf(2) == c.EntityOf(1)));

  // A later record with the same e-mail as A and the same phone as A's entity members keeps joining A.
  auto a2 = c.Add(Contact("A2", "a@x.test", "+111"));
  REQUIRE(a2.ok());
  CHECK(c.EntityOf(3) == c.EntityOf(0));
}

TEST_CASE("resolve: another entity is merged only on its own evidence", "[match][cluster]") {
  auto model = canon::MatchModel::FromToml(kContactModel, "contact.toml");
  REQUIRE(model.ok());
  auto a = model->Prepare(Contact("A", "a@x.test", "+111"));
  auto b = model->Prepare(Contact("B", "a@x.test", "+222"));
  auto c = model->Prepare(Contact("C", "c@x.test", "+111"));  // matches A by phone on its own
  auto d = model->Prepare(Contact("D", "d@x.test", "+222"));  // matches only the incoming record
  auto in = model->Prepare(Contact("IN", "a@x.test", "+111"));
  std::vector<canon::CandidateEntity> cands = {{1, {&a, &b}}, {2, {&c}}, {3, {&d}}};
  canon::Resolution r = canon::Resolve(*model, in, cands);
  CHECK(r.decision == canon::Decision::kMerge);
  CHECK(r.entity == 1);
  CHECK(r.best_member == &a);
  CHECK(r.also_merge == std::vector<canon::EntityId>{2});  // C ~ A without the incoming record
  CHECK(r.conflicts.empty());                              // D scored below upper for the record: ignored
  CHECK(canon::EntityScore(*model, cands[0], cands[2]) >= model->upper());  // B ~ D by phone

  // Entity score is the best member, not the first: IN vs {x-only-phone, full match}.
  auto weak = model->Prepare(Contact("W", "w@x.test", "+999"));
  std::vector<canon::CandidateEntity> one = {{7, {&weak, &a}}};
  auto r2 = canon::Resolve(*model, in, one);
  CHECK(r2.best_member == &a);
  CHECK(r2.weight == Approx(model->Weight(in, a)));

  // Below lower: new; between: review, proposing the entity.
  auto stranger = model->Prepare(Contact("S", "s@x.test", "+555"));
  CHECK(canon::Resolve(*model, stranger, cands).decision == canon::Decision::kNew);
  CHECK(canon::Resolve(*model, in, {}).decision == canon::Decision::kNew);
}

TEST_CASE("memory index caps over-common keys and reports them", "[match][cluster]") {
  canon::MemoryIndex index(2);
  REQUIRE(index.Add(1, {"phone:+100", "email:a"}).ok());
  REQUIRE(index.Add(2, {"phone:+100"}).ok());
  REQUIRE(index.Add(3, {"phone:+100", "email:a"}).ok());
  auto c = index.Candidates({"phone:+100", "email:a"}, 10);
  REQUIRE(c.ok());
  CHECK(*c == std::vector<canon::EntityId>{1, 3});  // the phone key (3 entities > 2) is not followed
  auto over = index.OverCommonKeys();
  REQUIRE(over.size() == 1);
  CHECK(over[0].key == "phone:+100");
  CHECK(over[0].entities == 3);
  REQUIRE(index.Reassign(3, 1).ok());
  CHECK(*index.Candidates({"email:a"}, 10) == std::vector<canon::EntityId>{1});
  CHECK(index.Candidates({"email:a"}, 0)->empty());
}

TEST_CASE("a blocking rule's own max_per_key caps its keys below the global cap", "[match][cluster][blocking]") {
  auto rules = canon::BlockingRules::FromToml(R"([blocking_limits]
max_per_key = 3
[[blocking]]
name = "phone"
parts = ["phone"]
[[blocking]]
name = "names"
parts = ["given_name", "family_name"]
max_per_key = 1
)", "caps.toml");
  REQUIRE(rules.ok());
  CHECK(rules->CapFor("phone:+100") == 3);
  CHECK(rules->CapFor("names:ann|lee") == 1);
  CHECK(rules->CapFor("unknown:x") == 3);  // a key of no rule: the global cap
  CHECK(rules->LargestCap() == 3);
  canon::MemoryIndex index(*rules);
  REQUIRE(index.Add(1, {"phone:+100", "names:ann|lee"}).ok());
  REQUIRE(index.Add(2, {"phone:+100", "names:ann|lee"}).ok());
  // Two holders each: within the phone rule's cap (the global 3), over the names rule's own cap of 1.
  CHECK(*index.Candidates({"phone:+100", "names:ann|lee"}, 10) == std::vector<canon::EntityId>{1, 2});
  CHECK(index.Candidates({"names:ann|lee"}, 10)->empty());
  auto over = index.OverCommonKeys();
  REQUIRE(over.size() == 1);
  CHECK(over[0].key == "names:ann|lee");

  for (const char* bad : {"0", "-2", "\"x\""}) {
    auto r = canon::BlockingRules::FromToml(std::string("[[blocking]]\nname = \"n\"\nparts = [\"phone\"]\n") +
                                                "max_per_key = " + bad + "\n",
                                            "bad.toml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().where() == "bad.toml:4:15");
    CHECK(r.status().message().find("'max_per_key'") != std::string::npos);
  }
}

TEST_CASE("dedupe on generated messy duplicates: high precision and recall", "[match][cluster]") {
  const std::string dir = std::string(CANON_SOURCE_DIR) + "/rules";
  auto rules = canon::LoadRuleDir(dir);
  REQUIRE(rules.ok());
  auto match = canon::LoadMatchRules(dir);
  if (!match.ok()) FAIL(match.status().ToString());
  messy::MessyOptions opt;
  opt.people = 800;
  auto records = messy::MessyGen(opt).Generate();
  std::vector<canon::MatchInput> inputs;
  std::vector<std::string> truth;
  for (const auto& m : records) {
    canon::Record rec;
    rec.fields = m.fields;
    inputs.push_back(canon::MatchInputFromNormalized(canon::Normalize(rec, **rules), m.id));
    truth.push_back(m.entity);
  }
  // The normalizer must have turned the national phone format into the same key as E.164.
  size_t phones = 0;
  for (const auto& in : inputs) phones += in.Get(canon::MatchField::kPhone).rfind("+614", 0) == 0;
  CHECK(phones > inputs.size() / 2);

  auto out = canon::Dedupe(match->model, match->blocking, inputs);
  REQUIRE(out.ok());
  std::map<std::string, std::vector<size_t>> clusters, entities;
  for (size_t i = 0; i < inputs.size(); ++i) {
    clusters[out->rows[i].cluster_id].push_back(i);
    entities[truth[i]].push_back(i);
  }
  double tp = 0, predicted = 0, actual = 0;
  for (const auto& [k, v] : clusters)
    for (size_t x = 0; x < v.size(); ++x)
      for (size_t y = x + 1; y < v.size(); ++y) {
        ++predicted;
        tp += truth[v[x]] == truth[v[y]];
      }
  for (const auto& [k, v] : entities) actual += v.size() * (v.size() - 1) / 2.0;
  const double precision = tp / predicted, recall = tp / actual;
  INFO("records " << inputs.size() << " precision " << precision << " recall " << recall << " reviews "
                  << out->reviews);
  CHECK(actual > 300);  // the generator made real work
  CHECK(precision >= 0.99);
  CHECK(recall >= 0.90);
}
