// Fuzzy matching in the store, end to end: HTTP into a real canond, decisions read back from PostgreSQL.
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "store/candidates.h"
#include "store/migrate.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {
const char* kForm = "application/x-www-form-urlencoded";

}  // namespace

TEST_CASE("match_key's hash of a key is the same in C++ and in SQL", "[pg][match]") {
  TestDb db;
  auto conn = db.Connect();
  REQUIRE(store::Migrate(*conn, SourceDir() + "/schemas/migrations").ok());
  // Text in UTF-8 beyond ASCII, an empty key, and hashes of both signs (the top bit of the SHA-256 set or not).
  int negative = 0;
  for (const std::string k : {"email:ann@example.com", "phone:+14155550142", "given_family:MLR|ANA",
                              "company_family:m\xc3\xbcller gmbh|MLR", "", "dob_only:1980-02-29"}) {
    long long h = store::KeyHash(k);
    negative += h < 0;
    CHECK(db.Scalar("SELECT canon_key_hash($1::text)::text", {k}) == std::to_string(h));
  }
  CHECK(negative > 0);
  CHECK(negative < 6);
}

TEST_CASE("a misspelled name with the same phone joins the entity; values survive by policy", "[pg][match]") {
  TestDb db;
  Canond d(db);
  PostForm(d, "first_name=Jonathan&last_name=Smithson&phone=%2B1+415+555+0142&city=Springfield");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  PostForm(d, "first_name=Jonathon&last_name=Smithsen&phone=415-555-0142");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "2") == "2");
  CHECK(db.Count("SELECT count(*) FROM contact") == 1);
  CHECK(db.Count("SELECT count(*) FROM entity_member") == 2);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 0);
  // The phone key was shared: both records filed under the same phone key.
  CHECK(db.Count("SELECT count(*) FROM match_key WHERE key_hash = canon_key_hash('phone:+14155550142')") == 1);
  // The joining record's match weight is recorded on its membership.
  CHECK(std::stod(db.Scalar("SELECT max(match_weight) FROM entity_member")) >= 12.0);
  // city came only from the first record: an empty value never replaces it; lineage names that record.
  CHECK(db.Scalar("SELECT city FROM contact") == "Springfield");
  CHECK(db.Scalar("SELECT lineage->>'city' FROM contact") == db.Scalar("SELECT min(id)::text FROM source_record"));
  CHECK(db.Scalar("SELECT original_source || '/' || latest_source FROM contact") == "website/website");
}

TEST_CASE("the same surname at the same company but a different person stays apart", "[pg][match]") {
  TestDb db;
  Canond d(db);
  PostForm(d, "first_name=Mary&last_name=Okonkwo&company=Initech&phone=%2B1+415+555+0100");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  PostForm(d, "first_name=Peter&last_name=Okonkwo&company=Initech&phone=%2B1+212+555+0199");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "2") == "2");
  // They were candidates of each other (a shared company+surname key) and scored below review.
  // (match_key holds hashes of the keys: the one key both contacts hold is that one.)
  CHECK(db.Count("SELECT count(*) FROM match_key a JOIN match_key b USING (key_hash) "
                 "WHERE a.contact_id < b.contact_id") == 1);
  CHECK(db.Count("SELECT count(*) FROM contact") == 2);
  CHECK(db.Count("SELECT count(*) FROM merge_candidate") == 0);
  CHECK(db.Scalar("SELECT string_agg(first_name, ',' ORDER BY id) FROM contact") == "Mary,Peter");
}

TEST_CASE("16 concurrent posts of one new person, half with a typo, make one entity", "[pg][match]") {
  TestDb db;
  Canond d(db, {{"workers", "4"}, {"worker_batch", "1"}});
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t)
    clients.emplace_back([&d, t] {
      std::string given = t % 2 ? "Katherine" : "Kathrine";
      HttpRequest(d.port(), "POST", "/ingest/website",
                  "first_name=" + given + "&last_name=Abernathy&phone=%2B1+646+555+0177", kForm);
    });
  for (auto& c : clients) c.join();
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "16", 20000) == "16");
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 1);
  CHECK(db.Count("SELECT count(DISTINCT contact_id) FROM entity_member") == 1);
  // most_complete: the longer spelling survives.
  CHECK(db.Scalar("SELECT first_name FROM contact") == "Katherine");
}

TEST_CASE("two canond nodes on one database that receive the same new person at once make one entity",
          "[pg][match][concurrency]") {
  // Issue 4 item 9: nodes keep no state of their own; the blocking-key locks in PostgreSQL serialize the two.
  TestDb db;
  Canond a(db, {{"workers", "2"}, {"worker_batch", "1"}});
  Canond b(db, {{"workers", "2"}, {"worker_batch", "1"}});
  REQUIRE(a.port() != b.port());
  for (int round = 0; round < 3; ++round) {
    const std::string family = round == 0 ? "Okonkwo" : round == 1 ? "Vasquez-Lind" : "Thorvaldsen";
    const std::string phone = "%2B1+646+555+01" + std::to_string(80 + round);
    std::vector<std::thread> clients;
    std::vector<int> statuses(12);  // Catch2 assertions are not thread-safe: checked after the join
    for (int t = 0; t < 12; ++t)
      clients.emplace_back([&, t] {
        const Canond& node = t % 2 ? a : b;
        std::string given = t % 3 ? "Adaeze" : "Adaze";  // a typo on a third of them
        statuses[t] = HttpRequest(node.port(), "POST", "/ingest/website",
                                  "first_name=" + given + "&last_name=" + family + "&phone=" + phone, kForm)
                          .status;
      });
    for (auto& c : clients) c.join();
    for (int s : statuses) CHECK(s == 202);
  }
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "36", 30000) == "36");
  CHECK(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0", 30000) == "0");
  // Both nodes' workers did the work, and each person is one live contact holding all 12 of their records.
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 3);
  CHECK(db.Count("SELECT count(*) FROM (SELECT contact_id FROM entity_member GROUP BY contact_id "
                 "HAVING count(*) = 12) x") == 3);
}

TEST_CASE("an invalid phone is kept on its record but never replaces the contact's valid phone", "[pg][match]") {
  TestDb db;
  Canond d(db);
  // Joined one at a time (the contact is recomputed from its stored members): older valid, newer invalid.
  PostForm(d, "first_name=Ann&last_name=Okafor&email=ann.okafor%40example.com&phone=%2B44+20+7946+0958");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  PostForm(d, "first_name=Ann&last_name=Okafor&email=ann.okafor%40example.com&phone=12345");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "2") == "2");
  CHECK(db.Count("SELECT count(*) FROM contact") == 1);
  // The record keeps what the sender gave, flagged, with no phone key.
  CHECK(db.Scalar("SELECT normalized->'fields'->>'phone' FROM source_record ORDER BY id DESC LIMIT 1") == "12345");
  CHECK(db.Count("SELECT count(*) FROM source_record WHERE normalized->'flags' ? 'phone:invalid'") == 1);
  CHECK(db.Count("SELECT count(*) FROM source_record WHERE normalized->'keys' ? 'phone_key'") == 1);
  // The contact shows the older, valid phone, and its lineage names that record.
  CHECK(db.Scalar("SELECT phone FROM contact") == "+442079460958");
  CHECK(db.Scalar("SELECT lineage->>'phone' FROM contact") == db.Scalar("SELECT min(id)::text FROM source_record"));
  // A newer valid phone still wins by the policy (most recent).
  PostForm(d, "first_name=Ann&last_name=Okafor&email=ann.okafor%40example.com&phone=%2B44+161+496+0123");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "3") == "3");
  CHECK(db.Scalar("SELECT phone FROM contact") == "+441614960123");

  // Both records in one payload (one batch: the new contact is computed in memory), the invalid one newer.
  auto r = HttpRequest(d.port(), "POST", "/ingest/api",
                       R"([{"first_name":"Bo","last_name":"Lindqvist","email":"bo.lindqvist@example.com",)"
                       R"("phone":"+46 8 123 456 78"},)"
                       R"({"first_name":"Bo","last_name":"Lindqvist","email":"bo.lindqvist@example.com",)"
                       R"("phone":"not a number"}])",
                       "application/json");
  REQUIRE(r.status == 202);
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "5") == "5");
  CHECK(db.Scalar("SELECT phone FROM contact WHERE last_name = 'Lindqvist'") == "+46812345678");
}
