// The writer's candidate members as match inputs (store::MatchMembersStatement / ParseMatchMembers): the input
// read straight from each member's stored JSON, without field maps, is the one
// MatchInputFromNormalized builds from the same record's whole normalized JSON (MembersStatement / ParseMembers),
// field by field, with the same members, order, newest-per-contact limit and excluded source. Records with every
// value the input reads or derives (a street number, a work domain, a role mailbox, free mail, a phone kept raw,
// a birth date, a company key) and awkward text (quotes, backslashes, braces, accents). Real PostgreSQL, the
// store's own WriteBatch, the shipped rules.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "connectors/rule_dir.h"
#include "hygiene/match_model.h"
#include "hygiene/normalize.h"
#include "store/candidates.h"
#include "store/entities.h"
#include "store/migrate.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

Record Rec(const std::string& source, std::map<std::string, std::string> fields) {
  Record r;
  r.source = source;
  r.fields = std::move(fields);
  return r;
}

void RequireSameInput(const MatchInput& a, const MatchInput& b) {
  CHECK(a.id == b.id);
  for (size_t f = 0; f < kMatchFieldCount; ++f) {
    INFO("field " << MatchFieldName(static_cast<MatchField>(f)));
    CHECK(a.values[f] == b.values[f]);
  }
  CHECK(a.shared == b.shared);
  CHECK(a.work_domain == b.work_domain);
}

}  // namespace

TEST_CASE("candidate members as match inputs equal those built from their whole normalized JSON", "[pg]") {
  TestDb db;
  auto conn = db.Connect();
  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());
  const std::string steward = (*rules)->survivorship().steward_source;
  REQUIRE_FALSE(steward.empty());

  std::vector<Record> raws = {
      // A work address, a street with its number, a birth date, a company and an external id.
      Rec("website", {{"first_name", "Zoë"}, {"last_name", "O'Brien-Müller"}, {"email", "Zoe.OBrien@Acme-Corp.example"},
                      {"phone", "+1 212 555 0101"}, {"street", "12a Main Street"}, {"street_2", "Suite {4}, \"B\""},
                      {"postal_code", "10001"}, {"city", "New York"}, {"region", "NY"}, {"country", "US"},
                      {"company", "Acme Corp, Inc."}, {"birth_date", "1980-02-29"}, {"external_id", "ext\\42"}}),
      // The same person again (the same e-mail): her contact then has two members.
      Rec("meta_leads", {{"first_name", "Zoe"}, {"last_name", "O'Brien-Müller"}, {"email", "zoe.obrien@acme-corp.example"},
                         {"city", "New York"}, {"country", "US"}}),
      // A role mailbox and a phone libphonenumber cannot place (kept raw, compared by its digits).
      Rec("website", {{"first_name", "Info"}, {"last_name", "Desk"}, {"email", "info@widgets.example"},
                      {"phone", "(020) 7946-0321 x"}}),
      // Free mail: no work domain; a street without a number.
      Rec("website", {{"first_name", "Ann"}, {"last_name", "Lee"}, {"email", "ann.lee@gmail.com"},
                      {"street", "Rue de l'Église"}, {"country", "FR"}, {"postal_code", "75001"}}),
      // Names only.
      Rec("csv", {{"first_name", "Bob"}, {"last_name", "Stone"}}),
      // A steward's edit of Bob's contact is written below as a member of his contact.
  };
  std::vector<NormalizedRecord> norm;
  for (const auto& r : raws) norm.push_back(Normalize(r, **rules));
  std::vector<store::WriteItem> items;
  for (size_t i = 0; i < raws.size(); ++i) items.push_back({{0, ""}, &raws[i], &norm[i]});
  store::Tx tx(*conn);
  REQUIRE(tx.Begin().ok());
  auto w = store::WriteBatch(*conn, items, **rules);
  REQUIRE(w.ok());
  REQUIRE(tx.Commit().ok());
  REQUIRE((*w)[1].contact_id == (*w)[0].contact_id);  // Zoë's two records: one contact
  // A steward's record joined to Bob's contact.
  Record edit = Rec(steward, {{"first_name", "Robert"}, {"last_name", "Stone"}});
  NormalizedRecord edit_norm = Normalize(edit, **rules);
  auto e = store::WriteRecord(*conn, {}, edit, edit_norm, **rules);
  REQUIRE(e.ok());
  REQUIRE(conn->Exec("UPDATE entity_member SET contact_id = $1 WHERE source_record_id = $2",
                     {std::to_string((*w)[4].contact_id), std::to_string(e->source_record_id)})
              .ok());

  std::vector<long long> contacts;
  for (const auto& o : *w) contacts.push_back(o.contact_id);
  std::sort(contacts.begin(), contacts.end());
  contacts.erase(std::unique(contacts.begin(), contacts.end()), contacts.end());
  REQUIRE(contacts.size() == 4);

  for (int newest : {0, 1, 50}) {
    for (const std::string& exclude : {std::string(), steward}) {
      INFO("newest per contact " << newest << ", excluded source '" << exclude << "'");
      std::vector<store::Member> whole;
      {
        store::Statement st = store::MembersStatement(contacts, newest, exclude);
        auto r = conn->Exec(st.sql, st.params);
        REQUIRE(r.ok());
        REQUIRE(store::ParseMembers(*r, [&](const store::Member& m) { whole.push_back(m); }).ok());
      }
      std::vector<store::MatchMember> lean;
      {
        store::Statement st = store::MatchMembersStatement(contacts, newest, exclude);
        auto r = conn->Exec(st.sql, st.params);
        REQUIRE(r.ok());
        REQUIRE(store::ParseMatchMembers(*r, [&](store::MatchMember& m) { lean.push_back(std::move(m)); }).ok());
      }
      // 6 records in 4 contacts: Zoë's two, the steward's edit beside Bob's record.
      const size_t expected = newest == 1 ? 4 : exclude.empty() ? 6 : 5;
      REQUIRE(whole.size() == expected);
      REQUIRE(lean.size() == whole.size());
      for (size_t i = 0; i < whole.size(); ++i) {
        INFO("member " << i << ", record " << whole[i].id);
        CHECK(lean[i].contact_id == whole[i].contact_id);
        CHECK(lean[i].id == whole[i].id);
        CHECK(lean[i].source == whole[i].source);
        CHECK(lean[i].fingerprint == whole[i].fingerprint);
        CHECK(lean[i].is_test == whole[i].is_test);
        auto ek = whole[i].normalized.keys.find("email_key");
        CHECK(lean[i].email_key == (ek == whole[i].normalized.keys.end() ? std::string() : ek->second));
        RequireSameInput(lean[i].input, MatchInputFromNormalized(whole[i].normalized, std::to_string(whole[i].id)));
      }
    }
  }

  // What the inputs hold, so that the comparison above is not of two empty inputs.
  std::map<long long, MatchInput> by_record;
  {
    store::Statement st = store::MatchMembersStatement(contacts, 0, "");
    auto r = conn->Exec(st.sql, st.params);
    REQUIRE(r.ok());
    REQUIRE(store::ParseMatchMembers(*r, [&](store::MatchMember& m) { by_record[m.id] = m.input; }).ok());
  }
  const MatchInput& zoe = by_record.at((*w)[0].source_record_id);
  CHECK(zoe.Get(MatchField::kStreetNumber) == "12a");
  CHECK(zoe.Get(MatchField::kStreet) == "Main Street");
  CHECK(zoe.work_domain == "acme-corp.example");
  CHECK_FALSE(zoe.Get(MatchField::kDob).empty());
  CHECK_FALSE(zoe.Get(MatchField::kCompanyKey).empty());
  CHECK(zoe.Get(MatchField::kPhone).rfind("+1212", 0) == 0);
  const MatchInput& info = by_record.at((*w)[2].source_record_id);
  CHECK(info.shared != 0);  // the role mailbox
  CHECK_FALSE(info.Get(MatchField::kPhone).empty());
  CHECK(by_record.at((*w)[3].source_record_id).work_domain.empty());  // free mail
}
