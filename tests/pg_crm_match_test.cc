// CRM matching through canond (issue 14): shared contact points stay apart and say why; swapped names,
// 00-prefixed phones and one person's work and personal e-mail join (or go to review, explained by name).
#include <catch2/catch.hpp>

#include <string>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

// Posts each form in order and waits until all are written.
void PostAll(const TestDb& db, const Canond& d, const std::vector<std::string>& forms) {
  for (size_t i = 0; i < forms.size(); ++i) {
    PostForm(d, forms[i]);
    const std::string want = std::to_string(i + 1);
    REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", want) == want);
  }
}

long long LiveContacts(const TestDb& db) {
  return db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL");
}

}  // namespace

TEST_CASE("colleagues on one switchboard stay apart; the explanation calls the phone shared", "[pg][match][crm]") {
  TestDb db;
  Canond d(db);
  PostAll(db, d,
          {"first_name=Anna&last_name=Schmidt&email=anna.schmidt%40acme-logistik.de&phone=%2B49+30+901820"
           "&company=Acme+Logistik+GmbH&city=Berlin&country=DE",
           "first_name=Jonas&last_name=Weber&email=j.weber%40acme-logistik.de&phone=%2B49+30+901820"
           "&company=ACME+Logistik&city=Berlin&country=DE",
           "first_name=Petra&last_name=Schmidt&email=petra.schmidt%40acme-logistik.de&phone=030+901820"
           "&company=Acme+Logistik+GmbH&city=Berlin&country=DE"});
  CHECK(LiveContacts(db) == 3);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 0);
  // All three were candidates of each other through the phone key.
  CHECK(db.Count("SELECT count(DISTINCT contact_id) FROM match_key WHERE key_hash = canon_key_hash('phone:+4930901820')") ==
        3);
}

TEST_CASE("canond: relatives on one household phone and address stay apart", "[pg][match][crm]") {
  TestDb db;
  Canond d(db);
  PostAll(db, d,
          {"first_name=Helen&last_name=Carter&phone=%2B44+20+7946+0958&street=12+Baker+Street&postal_code=NW1+6XE"
           "&city=London&country=GB",
           "first_name=James&last_name=Carter&phone=020+7946+0958&street=12+Baker+Street&postal_code=NW1+6XE"
           "&city=London&country=GB&email=jcarter88%40gmail.com"});
  CHECK(LiveContacts(db) == 2);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 0);
}

TEST_CASE("canond: relatives of opposite sex with close names, and namesakes numbered apart, stay apart",
          "[pg][match][crm]") {
  TestDb db;
  Canond d(db);
  // Lars and Lara on one household phone (the given-name list tells them apart; no suffix rule does).
  PostAll(db, d,
          {"first_name=Lars&last_name=Kessellangm%C3%BCller&phone=%2B49+30+23330459&city=Frankfurt&country=DE",
           "first_name=Lara&last_name=Kessellangm%C3%BCller&phone=030+23330459&city=Frankfurt&country=DE",
           // The second Charlotte Taylor at one company: her address is numbered.
           "first_name=Charlotte&last_name=Taylor&email=charlotte.taylor%40maplesoftware.co.uk"
           "&company=Maple+Software+PLC&city=Leeds&country=GB",
           "first_name=Charlotte&last_name=Taylor&email=charlotte.taylor2%40maplesoftware.co.uk"
           "&company=Maple+Software+PLC&city=Leeds&country=GB"});
  CHECK(LiveContacts(db) == 4);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 0);
  // The same Charlotte Taylor again, from her own address with a typo'd family name: joins her contact.
  PostForm(d, "first_name=Charlotte&last_name=Tayler&email=charlotte.taylor2%40maplesoftware.co.uk"
              "&company=Maple+Software&city=Leeds&country=GB");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "5") == "5");
  CHECK(LiveContacts(db) == 4);
}

TEST_CASE("a shared role mailbox never joins different people", "[pg][match][crm]") {
  TestDb db;
  Canond d(db);
  PostAll(db, d,
          {"first_name=Lena&last_name=Fischer&email=info%40baeckerei-fischer.de",
           "first_name=Paul&last_name=Klein&email=info%40baeckerei-fischer.de",
           "first_name=Marta&last_name=Nowak&email=INFO%40baeckerei-fischer.de"});
  CHECK(LiveContacts(db) == 3);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 0);
}

TEST_CASE("swapped names with a 00-prefixed phone join the same person", "[pg][match][crm]") {
  TestDb db;
  Canond d(db);
  PostAll(db, d,
          {"first_name=Thomas&last_name=Schr%C3%B6der&phone=%2B49+89+2180+3456&country=DE",
           "first_name=Schroeder&last_name=Thomas&phone=0049+89+2180+3456&country=Germany"});
  CHECK(LiveContacts(db) == 1);
  const std::string weight = db.Scalar("SELECT max(match_weight) FROM entity_member");
  REQUIRE_FALSE(weight.empty());
  CHECK(std::stod(weight) >= 12.0);
}

TEST_CASE("one person's work and personal e-mail at one company join or go to review, explained by name",
          "[pg][match][crm]") {
  TestDb db;
  Canond d(db);
  PostAll(db, d,
          {"first_name=Thomas&last_name=Schr%C3%B6der&email=tschroder%40brightlane.io&company=Brightlane+GmbH",
           "first_name=Thomas&last_name=Schroder&email=thomas.schroder31%40gmail.com&company=Brightlane"});
  const long long contacts = LiveContacts(db);
  if (contacts == 2) {
    // Not sure enough to merge: the pair is in the queue, and its explanation names the e-mail level.
    REQUIRE(db.Count("SELECT count(*) FROM merge_candidate") == 1);
    CHECK(db.Scalar("SELECT explanation->>'text' FROM merge_candidate").find("email_key fits the name") !=
          std::string::npos);
  } else {
    CHECK(contacts == 1);
  }
  // Either way the e-mail counted as evidence, not as a disagreement.
  PostForm(d, "first_name=Thomas&last_name=Schroder&email=thomas.schroder31%40gmail.com&company=Brightlane");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "3") == "3");
}

TEST_CASE("a pair in the review queue carries its explanation by level name", "[pg][match][crm]") {
  TestDb db;
  Canond d(db);
  // One name at one postcode, another phone and another birth date: corroborated (the postcode is an identifier),
  // not sure.
  PostAll(db, d,
          {"first_name=Katarzyna&last_name=Nowakowska&phone=%2B48+22+628+1234&postal_code=00-950&city=Warszawa"
           "&country=PL&birth_date=1980-01-02",
           "first_name=Katarzyna&last_name=Nowakowska&email=k.nowakowska%40example.org&postal_code=00-950&country=PL"
           "&phone=%2B48+22+628+9876&birth_date=1975-06-30"});
  REQUIRE(db.Count("SELECT count(*) FROM merge_candidate") == 1);
  CHECK(LiveContacts(db) == 2);
  const std::string text = db.Scalar("SELECT explanation->>'text' FROM merge_candidate");
  CHECK(text.find("given_name exact") != std::string::npos);
  CHECK(text.find("postcode exact") != std::string::npos);
  CHECK(text.find("phone different") != std::string::npos);
  CHECK(text.find("dob different") != std::string::npos);
  CHECK(db.Scalar("SELECT explanation->>'capped' FROM merge_candidate") == "false");
  CHECK(db.Scalar("SELECT explanation->>'shared_contact' FROM merge_candidate") == "false");
  // The same name with nothing to corroborate it is neither merged nor queued, and the score says why.
  PostForm(d, "first_name=Katarzyna&last_name=Nowakowska&email=kasia.n%40example.org");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "3") == "3");
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 1);
  CHECK(LiveContacts(db) == 3);
}
