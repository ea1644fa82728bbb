// Fellegi–Sunter model, blocking keys and the nickname table on hand-built pairs.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "hygiene/blocking.h"
#include "hygiene/match_model.h"
#include "hygiene/normalize.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<const canon::NicknameTable> ProjectNicknames() {
  const std::string path = std::string(CANON_SOURCE_DIR) + "/rules/nicknames.toml";
  auto t = canon::NicknameTable::FromToml(ReadFile(path), path);
  REQUIRE(t.ok());
  return std::make_shared<const canon::NicknameTable>(std::move(*t));
}

canon::MatchModel ProjectModel() {
  const std::string path = std::string(CANON_SOURCE_DIR) + "/rules/match.toml";
  auto m = canon::MatchModel::FromToml(ReadFile(path), path, ProjectNicknames());
  if (!m.ok()) FAIL(m.status().ToString());
  return std::move(*m);
}

canon::MatchInput Person(const char* id, const char* given, const char* family, const char* dob,
                         const char* street_no, const char* street, const char* postcode, const char* city,
                         const char* email = "") {
  canon::MatchInput in;
  in.id = id;
  in.Set(canon::MatchField::kGivenName, given);
  in.Set(canon::MatchField::kFamilyName, family);
  in.Set(canon::MatchField::kDob, dob);
  in.Set(canon::MatchField::kStreetNumber, street_no);
  in.Set(canon::MatchField::kStreet, street);
  in.Set(canon::MatchField::kPostcode, postcode);
  in.Set(canon::MatchField::kCity, city);
  in.Set(canon::MatchField::kEmailKey, email);
  return in;
}

const canon::FieldContribution& FieldOf(const canon::Explanation& e, const std::string& name) {
  for (const auto& f : e.fields)
    if (f.field == name) return f;
  FAIL("no field " << name);
  return e.fields.front();
}

// A two-field model small enough to check weights by hand.
constexpr const char* kTinyModel = R"(
[model]
lambda = 0.5
upper = 5.0
lower = 2.0

[[field]]
name = "given_name"
levels = [
  { name = "exact", kind = "exact", m = 0.8, u = 0.1 },
  { name = "nickname", kind = "nickname", m = 0.1, u = 0.0125 },
  { name = "jw>=0.9", kind = "jw", threshold = 0.9, m = 0.05, u = 0.025 },
  { name = "different", kind = "else", m = 0.05, u = 0.8 },
]

[[field]]
name = "family_name"
tf = true
tf_min_u = 0.001
levels = [
  { name = "exact", kind = "exact", m = 0.9, u = 0.1 },
  { name = "different", kind = "else", m = 0.1, u = 0.9 },
]

[[blocking]]
name = "fam"
parts = ["metaphone:family_name", "initial:given_name"]
)";

}  // namespace

TEST_CASE("tiny model: weights are log2(m/u) per level, missing fields add 0", "[match][model]") {
  auto m = canon::MatchModel::FromToml(kTinyModel, "tiny.toml", ProjectNicknames());
  REQUIRE(m.ok());
  CHECK(m->prior_weight() == Approx(0.0));
  canon::MatchInput a, b;
  a.Set(canon::MatchField::kGivenName, "Robert");
  b.Set(canon::MatchField::kGivenName, "ROBERT");
  a.Set(canon::MatchField::kFamilyName, "Smith");
  auto e = m->Score(a, b);
  CHECK(FieldOf(e, "given_name").level == "exact");
  CHECK(FieldOf(e, "given_name").weight == Approx(3.0));  // log2(0.8/0.1)
  CHECK(FieldOf(e, "family_name").level.empty());        // missing on b
  CHECK(FieldOf(e, "family_name").weight == 0.0);
  CHECK(e.total == Approx(3.0));
  CHECK(m->Decide(e.total) == canon::Decision::kReview);

  b.Set(canon::MatchField::kGivenName, "Bob");
  e = m->Score(a, b);
  CHECK(FieldOf(e, "given_name").level == "nickname");
  CHECK(FieldOf(e, "given_name").weight == Approx(3.0));  // log2(0.1/0.0125)

  b.Set(canon::MatchField::kGivenName, "Robret");
  CHECK(FieldOf(m->Score(a, b), "given_name").level == "jw>=0.9");
  b.Set(canon::MatchField::kGivenName, "Alice");
  e = m->Score(a, b);
  CHECK(FieldOf(e, "given_name").level == "different");
  CHECK(FieldOf(e, "given_name").weight == Approx(-4.0));  // log2(0.05/0.8)
  CHECK(m->Decide(e.total) == canon::Decision::kNew);
  CHECK(m->Decide(5.0) == canon::Decision::kMerge);
  CHECK(e.ToString().find("given_name different -4.00 (robert|alice)") != std::string::npos);
}

TEST_CASE("term frequency: a shared rare surname counts more than a shared common one", "[match][model]") {
  auto m = canon::MatchModel::FromToml(kTinyModel, "tiny.toml", ProjectNicknames());
  REQUIRE(m.ok());
  canon::TermFrequencies tf;
  tf.Set(canon::MatchField::kFamilyName, "smith", 0.2);
  tf.Set(canon::MatchField::kFamilyName, "zielinski", 0.00001);  // floored at tf_min_u = 0.001
  canon::MatchInput a, b;
  a.Set(canon::MatchField::kFamilyName, "Smith");
  b.Set(canon::MatchField::kFamilyName, "smith");
  double common = m->Weight(m->Prepare(a, &tf), m->Prepare(b, &tf));
  a.Set(canon::MatchField::kFamilyName, "Zielinski");
  b.Set(canon::MatchField::kFamilyName, "ZIELINSKI");
  auto ea = m->Prepare(a, &tf), eb = m->Prepare(b, &tf);
  double rare = m->Weight(ea, eb);
  CHECK(common == Approx(std::log2(0.9 / 0.2)));
  CHECK(rare == Approx(std::log2(0.9 / 0.001)));
  CHECK(m->Explain(ea, eb).fields[1].tf_adjusted);
  // Without a tf table the level's own u is used.
  a.Set(canon::MatchField::kFamilyName, "Jones");
  b.Set(canon::MatchField::kFamilyName, "Jones");
  CHECK(m->Score(a, b).total == Approx(std::log2(0.9 / 0.1)));
}

TEST_CASE("rule file errors name path:line:col", "[match][model]") {
  auto bad = canon::MatchModel::FromToml("[model]\nlambda = 2\nupper = 1\nlower = 0\n", "m.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().where() == "m.toml:2:10");
  auto syntax = canon::MatchModel::FromToml("[model\n", "m.toml");
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.status().where().rfind("m.toml:1:", 0) == 0);
  auto kind = canon::MatchModel::FromToml(
      "[model]\nlambda=0.1\nupper=1\nlower=0\n[[field]]\nname=\"given_name\"\n"
      "levels=[{kind=\"soundex\",m=0.5,u=0.5}]\n",
      "m.toml");
  REQUIRE_FALSE(kind.ok());
  CHECK(kind.status().message().find("soundex") != std::string::npos);
  CHECK(kind.status().where() == "m.toml:7:15");
  auto nick = canon::MatchModel::FromToml(kTinyModel, "tiny.toml");  // nickname level, no table
  REQUIRE_FALSE(nick.ok());
  CHECK(nick.status().message().find("nickname") != std::string::npos);
  auto last = canon::MatchModel::FromToml(
      "[model]\nlambda=0.1\nupper=1\nlower=0\n[[field]]\nname=\"city\"\nlevels=[{kind=\"exact\",m=0.5,u=0.5}]\n",
      "m.toml");
  REQUIRE_FALSE(last.ok());
  CHECK(last.status().message().find("else") != std::string::npos);
}

TEST_CASE("project model: same person with typos merges, namesakes do not", "[match][model]") {
  canon::MatchModel m = ProjectModel();
  auto a = Person("1", "Katherine", "Zielinski", "1980-03-14", "12", "ocean street", "2600", "canberra");
  auto typo = Person("2", "Katherin", "Zielinksi", "1980-03-14", "12", "ocean st", "2600", "canberra");
  auto e = m.Score(a, typo);
  INFO(e.ToString());
  CHECK(m.Decide(e.total) == canon::Decision::kMerge);

  auto nick = Person("3", "Kathy", "Zielinski", "1980-03-14", "12", "ocean street", "2600", "canberra");
  auto en = m.Score(a, nick);
  INFO(en.ToString());
  CHECK(FieldOf(en, "given_name").level == "nickname");
  CHECK(FieldOf(en, "given_name").weight > 0);
  CHECK(m.Decide(en.total) == canon::Decision::kMerge);

  auto namesake = Person("4", "Peter", "Zielinski", "1955-11-02", "7", "hill road", "3000", "melbourne");
  auto es = m.Score(a, namesake);
  INFO(es.ToString());
  CHECK(m.Decide(es.total) == canon::Decision::kNew);

  // Only names known: not enough to merge on their own.
  canon::MatchInput n1, n2;
  n1.Set(canon::MatchField::kGivenName, "John");
  n1.Set(canon::MatchField::kFamilyName, "Smith");
  n2 = n1;
  CHECK(m.Decide(m.Score(n1, n2).total) != canon::Decision::kMerge);
  // An exact e-mail key alone with agreeing names is strong evidence.
  n1.Set(canon::MatchField::kEmailKey, "jsmith@example.com");
  n2.Set(canon::MatchField::kEmailKey, "jsmith@example.com");
  CHECK(m.Decide(m.Score(n1, n2).total) == canon::Decision::kMerge);
}

TEST_CASE("the metaphone level compares codes of up to 8 letters, not a long name's first 4", "[match][model]") {
  auto m = canon::MatchModel::FromToml(R"([model]
lambda = 0.5
upper = 5.0
lower = 2.0
[[field]]
name = "family_name"
levels = [
  { name = "exact", kind = "exact", m = 0.8, u = 0.1 },
  { name = "metaphone", kind = "metaphone", m = 0.1, u = 0.01 },
  { name = "different", kind = "else", m = 0.1, u = 0.89 },
]
)", "meta.toml");
  REQUIRE(m.ok());
  auto level = [&](const char* x, const char* y) {
    canon::MatchInput a, b;
    a.Set(canon::MatchField::kFamilyName, x);
    b.Set(canon::MatchField::kFamilyName, y);
    return FieldOf(m->Score(a, b), "family_name").level;
  };
  // Both are KRTR in 4 letters (KRTRTRFN and KRTRMR in 8): different people.
  CHECK(canon::DoubleMetaphone("credordorvin").primary == canon::DoubleMetaphone("gardormor").primary);
  CHECK(level("Credordorvin", "Gardormor") == "different");
  CHECK(level("Philips", "Fillips") == "metaphone");         // FLPS: short codes compare as before
  CHECK(level("Stephenson", "Stevenson") == "metaphone");    // STFNSN: the same sound over more than 4 letters
  CHECK(level("Macdonald", "Mcdonnald") == "metaphone");     // MKTNLT
  CHECK(level("Smith", "Schmidt") == "metaphone");           // primary SM0 against alternate XMT, and SMT
}

TEST_CASE("implied_by: a city adds nothing when the postcode already agrees", "[match][model]") {
  const char* kModel = R"([model]
lambda = 0.5
upper = 10
lower = 5

[[field]]
name = "postcode"
levels = [
  { name = "exact", kind = "exact", m = 0.8, u = 0.01 },
  { name = "one edit", kind = "dl", max = 1, m = 0.1, u = 0.05 },
  { name = "different", kind = "else", m = 0.1, u = 0.94 },
]

[[field]]
name = "city"
implied_by = "postcode"
levels = [
  { name = "exact", kind = "exact", m = 0.8, u = 0.1 },
  { name = "different", kind = "else", m = 0.2, u = 0.9 },
]
)";
  auto m = canon::MatchModel::FromToml(kModel, "c.toml");
  REQUIRE(m.ok());
  auto in = [](const char* postcode, const char* city) {
    canon::MatchInput r;
    r.Set(canon::MatchField::kPostcode, postcode);
    r.Set(canon::MatchField::kCity, city);
    return r;
  };
  const double pc_exact = std::log2(0.8 / 0.01), pc_edit = std::log2(0.1 / 0.05), city_exact = std::log2(0.8 / 0.1);
  // Same postcode: the city's agreement is no further evidence, and the waterfall says why.
  auto same = m->Score(in("2000", "Sydney"), in("2000", "Sydney"));
  CHECK(same.total == Approx(pc_exact));
  REQUIRE(same.fields.size() == 2);
  CHECK(same.fields[1].level == "implied by postcode");
  CHECK(same.fields[1].weight == 0);
  // A postcode one edit apart (or missing) does not imply the city: it counts.
  CHECK(m->Score(in("2000", "Sydney"), in("2001", "Sydney")).total == Approx(pc_edit + city_exact));
  CHECK(m->Score(in("", "Sydney"), in("2000", "Sydney")).total == Approx(city_exact));
  // Training sees the implied city as missing.
  int8_t levels[2];
  m->Levels(m->Prepare(in("2000", "Sydney")), m->Prepare(in("2000", "Sydney")), levels);
  CHECK(levels[0] == 0);
  CHECK(levels[1] == -1);
  m->Levels(m->Prepare(in("2000", "Sydney")), m->Prepare(in("3000", "Sydney")), levels);
  CHECK(levels[1] == 0);
  // The rule file round-trips it, and a wrong name is refused with its place.
  CHECK(m->ToToml().find("implied_by = \"postcode\"") != std::string::npos);
  std::string bad = kModel;
  const std::string right = "implied_by = \"postcode\"";
  bad.replace(bad.find(right), right.size(), "implied_by = \"postcod\"");
  auto refused = canon::MatchModel::FromToml(bad, "c.toml");
  REQUIRE(!refused.ok());
  CHECK(refused.status().message().find("'postcod'") != std::string::npos);
  CHECK(refused.status().where() == "c.toml:16:14");
  // A field implied by one that is itself implied is refused too: the first level of the middle one would say
  // nothing when it is skipped.
  std::string chain = std::string(kModel) + R"(
[[field]]
name = "region"
implied_by = "city"
levels = [
  { name = "exact", kind = "exact", m = 0.9, u = 0.2 },
  { name = "different", kind = "else", m = 0.1, u = 0.8 },
]
)";
  auto chained = canon::MatchModel::FromToml(chain, "c.toml");
  REQUIRE(!chained.ok());
  CHECK(chained.status().message().find("not itself implied") != std::string::npos);
  CHECK(chained.status().where().rfind("c.toml:24:14", 0) == 0);
}

TEST_CASE("missing fields give weight 0, not disagreement", "[match][model]") {
  canon::MatchModel m = ProjectModel();
  auto full = Person("1", "Anna", "Berg", "1970-01-01", "3", "main street", "4000", "brisbane");
  auto partial = Person("2", "Anna", "Berg", "", "", "", "", "");
  auto e = m.Score(full, partial);
  for (const auto& f : e.fields) {
    if (f.field == "given_name" || f.field == "family_name") continue;
    CHECK(f.level.empty());
    CHECK(f.weight == 0.0);
  }
  double sum = e.prior;
  for (const auto& f : e.fields) sum += f.weight;
  // Names alone corroborate nothing: the total is the sum, cut to the model's uncorroborated_max.
  CHECK(e.capped);
  CHECK(sum > 5.5);
  CHECK(e.total == Approx(5.5));
}

TEST_CASE("nickname table: groups, not chains", "[match][model]") {
  auto t = ProjectNicknames();
  CHECK(t->Equivalent("Bob", "Robert"));
  CHECK(t->Equivalent("bobby", "ROB"));
  CHECK(t->Equivalent("Liz", "Elizabeth"));
  CHECK(t->Equivalent("Bill", "William"));
  CHECK(t->Equivalent("Peggy", "Margaret"));
  CHECK(t->Equivalent("Al", "Albert"));
  CHECK(t->Equivalent("Al", "Alfred"));
  CHECK_FALSE(t->Equivalent("Albert", "Alfred"));  // both have "Al", yet are different names
  CHECK_FALSE(t->Equivalent("Bob", "William"));
  CHECK_FALSE(t->Equivalent("Zebedee", "Zeb"));
  CHECK(t->size() > 300);
}

TEST_CASE("blocking keys from rules", "[match][blocking]") {
  auto rules = canon::BlockingRules::FromToml(kTinyModel, "tiny.toml");
  REQUIRE(rules.ok());
  canon::MatchInput a;
  a.Set(canon::MatchField::kGivenName, "Robert");
  a.Set(canon::MatchField::kFamilyName, "Schmidt");
  // Schmidt has two metaphone codes (XMT/SMT): one key each, so "Smith" (SM0/XMT) shares one.
  auto keys = canon::BlockingKeys(a, *rules);
  CHECK(keys == std::vector<std::string>{"fam:XMT|r", "fam:SMT|r"});
  canon::MatchInput b;
  b.Set(canon::MatchField::kGivenName, "rob");
  b.Set(canon::MatchField::kFamilyName, "Smith");
  auto kb = canon::BlockingKeys(b, *rules);
  CHECK(std::find(kb.begin(), kb.end(), "fam:XMT|r") != kb.end());
  b.Set(canon::MatchField::kGivenName, "");  // an empty part: no key at all
  CHECK(canon::BlockingKeys(b, *rules).empty());

  // Parts shared by several rules are computed once per record (BlockingKeys keeps them by field, transform and
  // prefix): a part that differs in any of the three is its own, and a shared one spells the same in every rule.
  auto shared = canon::BlockingRules::FromToml(R"([[blocking]]
name = "a"
parts = ["metaphone:family_name", "prefix3:street"]
[[blocking]]
name = "b"
parts = ["family_name", "prefix4:street"]
[[blocking]]
name = "c"
parts = ["metaphone:family_name", "year:dob", "prefix3:street"]
[[blocking]]
name = "d"
parts = ["metaphone:given_name", "dob"]
)", "s.toml");
  REQUIRE(shared.ok());
  canon::MatchInput s;
  s.Set(canon::MatchField::kFamilyName, " Schmidt ");
  s.Set(canon::MatchField::kGivenName, "Ann");
  s.Set(canon::MatchField::kStreet, "Kingsway");
  s.Set(canon::MatchField::kDob, "1980-02-03");
  CHECK(canon::BlockingKeys(s, *shared) ==
        std::vector<std::string>{"a:XMT|kin", "a:SMT|kin", "b:schmidt|king", "c:XMT|1980|kin", "c:SMT|1980|kin",
                                 "d:AN|1980-02-03"});

  auto bad = canon::BlockingRules::FromToml("[[blocking]]\nname = \"x\"\nparts = [\"soundex:family_name\"]\n", "b.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().where() == "b.toml:3:10");
}

TEST_CASE("MatchInput from a normalized record, by field and key names", "[match][model]") {
  canon::NormalizedRecord r;
  r.fields["first_name"] = "Ann";
  r.fields["last_name"] = "Lee";
  r.fields["street"] = "44 Forbes Street";
  r.fields["postal_code"] = "2600";
  r.fields["email"] = "Ann.Lee@Example.com";
  r.keys["phone_e164"] = "+61299998888";
  auto in = canon::MatchInputFromNormalized(r, "row-1");
  CHECK(in.id == "row-1");
  CHECK(in.Get(canon::MatchField::kStreetNumber) == "44");
  CHECK(in.Get(canon::MatchField::kStreet) == "Forbes Street");
  CHECK(in.Get(canon::MatchField::kEmailKey) == "ann.lee@example.com");
  CHECK(in.Get(canon::MatchField::kPhone) == "+61299998888");
  CHECK(in.Get(canon::MatchField::kPostcode) == "2600");
  r.keys["email_key"] = "annlee@example.com";
  CHECK(canon::MatchInputFromNormalized(r, "x").Get(canon::MatchField::kEmailKey) == "annlee@example.com");
}
