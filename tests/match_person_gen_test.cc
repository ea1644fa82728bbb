// tests/messy_gen.h PersonGen, the person set of bench/match_quality: deterministic per seed, records per person
// within the bounds and about uniform, each field missing at its option's rate, every variation emitted at about
// its rate and doing what its name says (a birth date off by ten years is 9 to 11 years off the person's), and a
// CSV in Splink's layout that reads back. Rates are checked against the options with a tolerance, not against
// figures of one run.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "connectors/csv_reader.h"
#include "tests/messy_gen.h"

namespace {

const std::vector<messy::PersonRecord>& Sample(const messy::PersonOptions& o) {
  static std::map<uint64_t, std::vector<messy::PersonRecord>> cache;
  auto it = cache.find(o.seed);
  if (it == cache.end()) it = cache.emplace(o.seed, messy::GeneratePersons(o)).first;
  return it->second;
}

messy::PersonOptions Options() {
  messy::PersonOptions o;
  o.people = 6000;
  o.seed = 21;
  return o;
}

long Days(const std::string& date) {
  REQUIRE(date.size() == 10);
  const int y = std::stoi(date.substr(0, 4)), m = std::stoi(date.substr(5, 2)), d = std::stoi(date.substr(8, 2));
  REQUIRE(m >= 1);
  REQUIRE(m <= 12);
  REQUIRE(d >= 1);
  REQUIRE(d <= 31);
  long days = messy::detail::DaysFromCivil(y, m, d);
  int y2 = 0, m2 = 0, d2 = 0;
  messy::detail::CivilFromDays(days, &y2, &m2, &d2);
  REQUIRE((y2 == y && m2 == m && d2 == d));  // a real calendar date
  return days;
}

}  // namespace

TEST_CASE("PersonGen: the same seed gives the same records, another seed others", "[match][persongen]") {
  messy::PersonOptions o = Options();
  o.people = 300;
  const auto a = messy::GeneratePersons(o), b = messy::GeneratePersons(o);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].fields == b[i].fields);
    CHECK(a[i].person == b[i].person);
  }
  o.seed += 1;
  const auto c = messy::GeneratePersons(o);
  size_t same = 0;
  for (size_t i = 0; i < std::min(a.size(), c.size()); ++i) same += a[i].fields == c[i].fields ? 1 : 0;
  CHECK(same < a.size() / 10);
}

TEST_CASE("PersonGen: records per person within the bounds, about uniform", "[match][persongen]") {
  const auto o = Options();
  const auto& recs = Sample(o);
  std::map<long, int> per_person;
  for (const auto& r : recs) ++per_person[r.person];
  REQUIRE(per_person.size() == o.people);
  std::map<int, double> sizes;
  for (const auto& [p, n] : per_person) {
    CHECK(n >= o.min_records);
    CHECK(n <= o.max_records);
    sizes[n] += 1;
  }
  const double kinds = o.max_records - o.min_records + 1;
  for (int n = o.min_records; n <= o.max_records; ++n)
    CHECK(std::abs(sizes[n] / static_cast<double>(o.people) - 1 / kinds) < 0.02);
  std::set<std::string> ids;
  for (const auto& r : recs) ids.insert(r.id);
  CHECK(ids.size() == recs.size());
}

TEST_CASE("PersonGen: each field missing at its option's rate", "[match][persongen]") {
  const auto o = Options();
  const auto& recs = Sample(o);
  const double n = static_cast<double>(recs.size());
  auto missing = [&](const char* f) {
    double k = 0;
    for (const auto& r : recs) k += r.fields.count(f) ? 0 : 1;
    return k / n;
  };
  CHECK(std::abs(missing("first_name") - o.p_missing_given) < 0.015);
  CHECK(std::abs(missing("last_name") - o.p_missing_family) < 0.015);
  CHECK(std::abs(missing("city") - o.p_missing_city) < 0.015);
  CHECK(std::abs(missing("email") - o.p_missing_email) < 0.015);
  CHECK(missing("birth_date") == o.p_missing_dob);
}

TEST_CASE("PersonGen: variations at their rates, and each does what it says", "[match][persongen]") {
  const auto o = Options();
  const auto& recs = Sample(o);
  using V = messy::PersonVariation;
  std::map<long, std::vector<const messy::PersonRecord*>> by_person;
  for (const auto& r : recs) by_person[r.person].push_back(&r);
  double n = 0, dob_off = 0, both_names = 0, swapped = 0, typo_given = 0;
  for (const auto& [p, rs] : by_person) {
    // The person's true values: those of the records without the variation that changes them.
    std::string dob, given, family;
    for (const auto* r : rs) {
      bool dob_clean = !(r->Has(V::kDobDays) || r->Has(V::kDobYear) || r->Has(V::kDobDecade) || r->Has(V::kDobSwapped));
      if (dob_clean) {
        if (!dob.empty()) CHECK(r->fields.at("birth_date") == dob);
        dob = r->fields.at("birth_date");
      }
      const bool names_clean = !r->Has(V::kNamesSwapped) && !r->Has(V::kGivenTypo) && !r->Has(V::kFamilyTypo) &&
                               !r->Has(V::kNickname);
      if (names_clean && r->fields.count("first_name")) {
        if (!given.empty()) CHECK(r->fields.at("first_name") == given);
        given = r->fields.at("first_name");
      }
      if (names_clean && r->fields.count("last_name")) family = r->fields.at("last_name");
    }
    for (const auto* r : rs) {
      n += 1;
      const long d = Days(r->fields.at("birth_date"));
      const bool off = r->Has(V::kDobDays) || r->Has(V::kDobYear) || r->Has(V::kDobDecade) || r->Has(V::kDobSwapped);
      dob_off += off ? 1 : 0;
      typo_given += r->Has(V::kGivenTypo) ? 1 : 0;
      if (r->fields.count("first_name") && r->fields.count("last_name")) {
        both_names += 1;
        swapped += r->Has(V::kNamesSwapped) ? 1 : 0;
      }
      if (dob.empty()) continue;
      const long diff = std::labs(d - Days(dob));
      if (r->Has(V::kDobDays)) CHECK((diff >= 1 && diff <= 60));
      if (r->Has(V::kDobYear)) CHECK((diff >= 300 && diff <= 410));
      if (r->Has(V::kDobDecade)) CHECK((diff >= 3600 && diff <= 3700));
      if (r->Has(V::kDobSwapped)) CHECK((dob.substr(0, 4) == r->fields.at("birth_date").substr(0, 4) && diff > 0));
      if (r->Has(V::kNamesSwapped) && !r->Has(V::kGivenTypo) && !r->Has(V::kFamilyTypo) && !r->Has(V::kNickname) &&
          !given.empty() && !family.empty()) {
        CHECK(r->fields.at("first_name") == family);
        CHECK(r->fields.at("last_name") == given);
      }
    }
  }
  CHECK(std::abs(dob_off / n - o.p_dob_error) < 0.02);
  CHECK(std::abs(swapped / both_names - o.p_names_swapped) < 0.01);
  // A typo is drawn only when no nickname was: the rate sits a little under p_name_typo.
  CHECK(typo_given / n > o.p_name_typo - 0.02);
  CHECK(typo_given / n < o.p_name_typo + 0.01);
  for (int k = 0; k < messy::kPersonVariations; ++k) {
    size_t with = 0;
    for (const auto& r : recs) with += r.Has(static_cast<V>(k)) ? 1 : 0;
    INFO(messy::PersonVariationName(static_cast<V>(k)));
    CHECK(with > 0);
  }
}

TEST_CASE("PersonGen: the CSV in Splink's layout reads back", "[match][persongen]") {
  messy::PersonOptions o = Options();
  o.people = 200;
  const auto recs = messy::GeneratePersons(o);
  std::ostringstream out;
  messy::WritePersonCsv(out, recs);
  std::istringstream in(out.str());
  canon::IstreamByteSource src(in);
  canon::CsvReader reader(&src);
  REQUIRE(reader.Start().ok());
  CHECK(reader.header() ==
        std::vector<std::string>{"unique_id", "first_name", "surname", "dob", "city", "email", "cluster"});
  canon::CsvRow row;
  size_t i = 0;
  while (reader.Next(&row)) {
    REQUIRE(i < recs.size());
    REQUIRE(row.fields.size() == 7);
    CHECK(row.fields[0] == recs[i].id);
    CHECK(row.fields[3] == recs[i].fields.at("birth_date"));
    CHECK(row.fields[6] == std::to_string(recs[i].person));
    ++i;
  }
  CHECK(reader.status().ok());
  CHECK(i == recs.size());
}
