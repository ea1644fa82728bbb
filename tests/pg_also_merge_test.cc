// The clusterer's also_merge applied by the record writer, end to end through canond: two entities that a
// record matches but that had no evidence of their own stay apart (no chaining); once a later member gives
// them that evidence, the next record that matches both merges them (store::MergeContacts, actor "matcher").
//
// Weights from rules/match.toml (no term frequencies below 1,000 records; prior log2(0.01/0.99) = -6.63):
//   A = Alice Zephyr, phone P, birth date D     B = Bob Quill, e-mail E, 12 Elm Street, postcode 94110
//   (B has an e-mail: the rules need one of e-mail, phone, last name + company; no other record has one)
//   A~B: given -2.34, family -2.57, nothing else on both sides             = -11.54  (no shared key either)
//   C = Bob Quill, P, D, 12 Elm Street, 94110
//   C~A: phone +13.05, dob +12.71, given -2.34, family -2.57               = +14.22  (>= upper 12; key phone)
//   C~B: given +7.17, family +7.10, street +10.03, number +5.95, postcode +9.64
//                                                                         = +33.26  (key given_family, ...)
//   D = C plus a city (another fingerprint, so the writer scores it rather than rejoining C's copy).
#include <catch2/catch.hpp>
#include <string>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

void PostAndWait(const Canond& d, const TestDb& db, const std::string& body, int records) {
  PostForm(d, body);
  const std::string want = std::to_string(records);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", want) == want);
}

// The contact of the first record with this given name.
std::string ContactOf(const TestDb& db, const std::string& given) {
  return db.Scalar(
      "SELECT m.contact_id::text FROM entity_member m JOIN source_record s ON s.id = m.source_record_id "
      "WHERE s.normalized->'fields'->>'first_name' = $1 ORDER BY s.id LIMIT 1",
      {given});
}

}  // namespace

TEST_CASE("also_merge: entities that match on their own evidence are merged by the next record matching both",
          "[pg][alsomerge]") {
  TestDb db;
  Canond d(db);
  const std::string a = "first_name=Alice&last_name=Zephyr&phone=%2B1+415+555+0101&birth_date=1980-03-14";
  const std::string b =
      "first_name=Bob&last_name=Quill&email=bob.quill%40example.org&street=12+Elm+Street&postal_code=94110";
  const std::string c = "first_name=Bob&last_name=Quill&phone=%2B1+415+555+0101&birth_date=1980-03-14"
                        "&street=12+Elm+Street&postal_code=94110";
  const std::string dd = c + "&city=San+Francisco";

  PostAndWait(d, db, a, 1);
  PostAndWait(d, db, b, 2);
  // A and B: two entities, no review pair (they are far below the lower threshold).
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 2);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 0);
  const std::string x = ContactOf(db, "Alice"), y = ContactOf(db, "Bob");
  REQUIRE(x != y);

  // C clears the upper threshold for both X={A} and Y={B}; it joins the best, Y. X and Y share no evidence of
  // their own yet (A~B is -11.5), so X is a conflict, left apart: still two entities.
  PostAndWait(d, db, c, 3);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 2);
  CHECK(db.Count("SELECT count(*) FROM entity_member WHERE contact_id = $1::bigint", {y}) == 2);
  CHECK(db.Count("SELECT count(*) FROM entity_member WHERE contact_id = $1::bigint", {x}) == 1);
  CHECK(db.Count("SELECT count(*) FROM merge_event WHERE actor = 'matcher'") == 0);
  CHECK(std::stod(db.Scalar("SELECT match_weight::text FROM entity_member WHERE source_record_id = "
                            "(SELECT max(id) FROM source_record)")) >= 30.0);

  // D matches both; now Y={B,C} matches X={A} through C (A~C +14.2): D's write merges them. The older entity
  // (X, the lower id; both were in the store) survives.
  PostAndWait(d, db, dd, 4);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 1);
  CHECK(db.Scalar("SELECT id::text FROM contact WHERE merged_into IS NULL") == x);
  CHECK(db.Scalar("SELECT merged_into::text FROM contact WHERE id = $1::bigint", {y}) == x);
  CHECK(db.Count("SELECT count(*) FROM entity_member WHERE contact_id = $1::bigint", {x}) == 4);
  CHECK(db.Count("SELECT count(*) FROM merge_event WHERE kind = 'merge' AND actor = 'matcher' "
                 "AND contact_id = $1::bigint AND other_id = $2::bigint AND detail->>'reason' = 'also_merge'",
                 {x, y}) == 1);
  CHECK(db.Count("SELECT count(*) FROM match_key WHERE contact_id = $1::bigint", {y}) == 0);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 0);
  // The survivor's canonical values come from all four members: the phone from A, the street from B/C/D.
  CHECK(db.Scalar("SELECT phone FROM contact WHERE id = $1::bigint", {x}) == "+14155550101");
  CHECK(db.Scalar("SELECT city FROM contact WHERE id = $1::bigint", {x}) == "San Francisco");
}
