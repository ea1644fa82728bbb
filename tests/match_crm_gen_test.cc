// tests/crm_gen.h, the CRM-shaped yardstick of bench/match_quality: deterministic per seed, every hard-negative
// class present and tempting (its members share what a naive matcher takes for identity), every variation kind
// emitted, phone numbers libphonenumber accepts, nicknames the shipped table knows, and a CSV that reads back.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "connectors/csv_reader.h"
#include "connectors/rule_dir.h"
#include "hygiene/match_model.h"
#include "hygiene/normalize.h"
#include "tests/crm_gen.h"

namespace {

const canon::RuleSet& Rules() {
  static const std::shared_ptr<const canon::RuleSet> kRules = [] {
    auto r = canon::LoadRuleDir(CANON_SOURCE_DIR "/rules");
    if (!r.ok()) FAIL("shipped rules do not load: " << r.status().ToString());
    return *r;
  }();
  return *kRules;
}

const std::vector<crm_gen::CrmRecord>& Sample() {
  static const std::vector<crm_gen::CrmRecord> kRecords = [] {
    crm_gen::CrmOptions o;
    o.people = 3000;
    o.seed = 11;
    return crm_gen::Generate(o);
  }();
  return kRecords;
}

std::string Csv(const std::vector<crm_gen::CrmRecord>& recs) {
  std::ostringstream out;
  crm_gen::WriteCsv(out, recs);
  return out.str();
}

bool HasFlag(const canon::NormalizedRecord& n, const std::string& f) {
  return std::find(n.flags.begin(), n.flags.end(), f) != n.flags.end();
}

}  // namespace

TEST_CASE("crm_gen: one seed gives the same records, another seed other records", "[match]") {
  crm_gen::CrmOptions o;
  o.people = 500;
  o.seed = 3;
  const std::string a = Csv(crm_gen::Generate(o));
  CHECK(a == Csv(crm_gen::Generate(o)));
  o.seed = 4;
  CHECK(a != Csv(crm_gen::Generate(o)));
}

TEST_CASE("crm_gen: 1-5 records per person from the four doors", "[match]") {
  std::map<long, int> per_person;
  std::set<std::string> doors;
  for (const auto& r : Sample()) {
    ++per_person[r.person];
    doors.insert(crm_gen::DoorName(r.door));
  }
  CHECK(per_person.size() == 3000);
  std::map<int, int> hist;
  for (const auto& [p, n] : per_person) ++hist[n];
  CHECK(hist.begin()->first == 1);
  CHECK(hist.rbegin()->first == 5);
  CHECK(hist[1] > hist[3]);  // skewed toward one or two records
  CHECK(hist[2] > hist[4]);
  CHECK(doors.size() == 4);
}

TEST_CASE("crm_gen: every hard-negative class, with members that share a contact point or a name", "[match]") {
  // Per class: some pair of different people of one group shares what makes the class tempting.
  using K = crm_gen::GroupKind;
  std::map<std::pair<int, int>, std::vector<size_t>> members;  // (kind, id) -> record indexes
  std::vector<canon::MatchInput> in;
  for (size_t i = 0; i < Sample().size(); ++i) {
    const auto& r = Sample()[i];
    in.push_back(canon::MatchInputFromNormalized(canon::Normalize(r.record, Rules()), r.record_id));
    for (const auto& g : r.groups) members[{static_cast<int>(g.kind), g.id}].push_back(i);
  }
  std::map<int, int> groups, tempting;
  for (const auto& [key, idx] : members) {
    ++groups[key.first];
    bool found = false;
    for (size_t x = 0; x < idx.size() && !found; ++x) {
      for (size_t y = x + 1; y < idx.size() && !found; ++y) {
        const auto& a = in[idx[x]];
        const auto& b = in[idx[y]];
        if (Sample()[idx[x]].person == Sample()[idx[y]].person) continue;
        auto same = [&](canon::MatchField f) { return !a.Get(f).empty() && a.Get(f) == b.Get(f); };
        switch (static_cast<K>(key.first)) {
          case K::kNamesakes:
            found = same(canon::MatchField::kGivenName) && same(canon::MatchField::kFamilyName);
            break;
          case K::kRelatives:
            found = same(canon::MatchField::kFamilyName) && same(canon::MatchField::kPhone) &&
                    !same(canon::MatchField::kGivenName);
            break;
          case K::kColleagues:
            found = same(canon::MatchField::kPhone) && !same(canon::MatchField::kGivenName);
            break;
          case K::kRoleMailbox:
            found = same(canon::MatchField::kEmailKey) && !same(canon::MatchField::kGivenName);
            break;
          case K::kAgency:
            found = same(canon::MatchField::kPhone) && !same(canon::MatchField::kCompanyKey);
            break;
        }
      }
    }
    if (found) ++tempting[key.first];
  }
  for (int k = 0; k < crm_gen::kGroupKinds; ++k) {
    INFO(crm_gen::GroupKindName(static_cast<K>(k)) << ": " << groups[k] << " groups, " << tempting[k]
                                                    << " with a tempting pair");
    CHECK(groups[k] >= 10);
    CHECK(tempting[k] >= 3);
  }
}

TEST_CASE("crm_gen: every variation kind appears in a few thousand records", "[match]") {
  int count[crm_gen::kVariations] = {};
  for (const auto& r : Sample())
    for (int k = 0; k < crm_gen::kVariations; ++k) count[k] += r.Has(static_cast<crm_gen::Variation>(k)) ? 1 : 0;
  for (int k = 0; k < crm_gen::kVariations; ++k) {
    INFO(crm_gen::VariationName(static_cast<crm_gen::Variation>(k)) << ": " << count[k]);
    CHECK(count[k] >= 5);
  }
}

TEST_CASE("crm_gen: missing fields at CRM rates", "[match]") {
  std::map<std::string, int> present;
  for (const auto& r : Sample())
    for (const auto& [f, v] : r.record.fields) ++present[f];
  const double n = static_cast<double>(Sample().size());
  auto missing = [&](const char* f) { return 1.0 - present[f] / n; };
  CHECK(missing("phone") > 0.3);
  CHECK(missing("phone") < 0.6);
  CHECK(missing("company") > 0.2);
  CHECK(missing("company") < 0.45);
  CHECK(missing("city") > 0.3);
  CHECK(missing("city") < 0.55);
  CHECK(missing("country") > 0.2);
  CHECK(missing("country") < 0.4);
  CHECK(missing("birth_date") > 0.9);
  CHECK(missing("street") > 0.85);
  for (const auto& r : Sample()) REQUIRE((r.record.Has("email") || r.record.Has("phone")));
}

TEST_CASE("crm_gen: every phone is a number libphonenumber accepts", "[match]") {
  // International forms as written (+CC), and 00/011 forms read as +CC; national forms with the person's country.
  int checked = 0;
  for (const auto& r : Sample()) {
    std::string phone = r.record.Get("phone");
    if (phone.empty()) continue;
    canon::Record rec;
    if (r.Has(crm_gen::Variation::kPhone011)) phone = "+" + phone.substr(4);
    else if (r.Has(crm_gen::Variation::kPhone00)) phone = "+" + phone.substr(2);
    rec.fields["phone"] = phone;
    if (phone[0] != '+') rec.fields["country"] = r.country;
    canon::NormalizedRecord n = canon::Normalize(rec, Rules());
    INFO(r.record.Get("phone") << " (" << r.country << ") -> " << n.Get("phone"));
    CHECK_FALSE(HasFlag(n, "phone:invalid"));
    CHECK(n.Get("phone").rfind("+", 0) == 0);
    ++checked;
  }
  CHECK(checked > 2000);
}

TEST_CASE("crm_gen: its nicknames are pairs of the shipped nickname table", "[match]") {
  const std::string path = CANON_SOURCE_DIR "/rules/nicknames.toml";
  std::ifstream f(path, std::ios::binary);
  std::stringstream text;
  text << f.rdbuf();
  auto table = canon::NicknameTable::FromToml(text.str(), path);
  REQUIRE(table.ok());
  for (const auto& [name, nick] : crm_gen::NicknamePairs()) {
    INFO(name << " ~ " << nick);
    CHECK(table->Equivalent(name, nick));
  }
}

TEST_CASE("crm_gen: the CSV reads back field for field", "[match]") {
  std::vector<crm_gen::CrmRecord> recs(Sample().begin(), Sample().begin() + 800);
  recs[0].record.fields["company"] = "Smith, Jones \"and\" Partners";  // a comma and quotes need quoting
  std::istringstream in(Csv(recs));
  canon::IstreamByteSource src(in);
  canon::CsvReader reader(&src);
  REQUIRE(reader.Start().ok());
  const auto& header = reader.header();
  REQUIRE(header.size() == 4 + crm_gen::RawFields().size());
  CHECK(header[0] == "record_id");
  CHECK(header[3] == "groups");
  canon::CsvRow row;
  size_t i = 0;
  while (reader.Next(&row)) {
    REQUIRE(i < recs.size());
    REQUIRE(row.fields.size() == header.size());
    CHECK(row.fields[0] == recs[i].record_id);
    CHECK(row.fields[1] == std::to_string(recs[i].person));
    CHECK(row.fields[3] == recs[i].GroupsString());
    for (size_t k = 0; k < crm_gen::RawFields().size(); ++k)
      CHECK(row.fields[4 + k] == recs[i].record.Get(crm_gen::RawFields()[k]));
    ++i;
  }
  CHECK(reader.status().ok());
  CHECK(i == recs.size());
}

TEST_CASE("crm_gen: the rules refuse almost no record", "[match]") {
  // A refusal is the generator's fault (a malformed address), not a matching case.
  int refused = 0;
  for (const auto& r : Sample()) {
    canon::NormalizedRecord n = canon::Normalize(r.record, Rules());
    if (!n.accepted()) {
      ++refused;
      for (const auto& why : n.rejected)
        if (why.field == "email") FAIL_CHECK(r.record.Get("email") << ": " << why.reason);
    }
  }
  CHECK(refused < static_cast<int>(Sample().size() / 200));
}
