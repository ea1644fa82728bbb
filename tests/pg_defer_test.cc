// A worker batch does not wait behind another transaction's blocking keys (issue 18): a claimed row one of whose
// keys another transaction holds steps aside (left pending, unmarked), the rest of the batch is written, and the
// row is claimed again and written once the keys are free. Here the other transaction is the test's own connection holding one person's e-mail key, as a worker of another
// node would while it writes that person.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "connectors/rule_dir.h"
#include "hygiene/normalize.h"
#include "store/entities.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

// canon_worker_deferred_total from /metrics (loopback, no metrics token configured); -1 when absent.
double Deferred(const Canond& d) {
  auto m = HttpRequest(d.port(), "GET", "/metrics");
  const std::string name = "\ncanon_worker_deferred_total ";
  size_t at = m.body.find(name);
  if (m.status != 200 || at == std::string::npos) return -1;
  return std::stod(m.body.substr(at + name.size()));
}

// The blocking keys the shipped rules give a web form's person (those starting with `prefix`).
std::vector<std::string> KeysOf(const std::string& email, const std::string& given, const std::string& family,
                                const std::string& prefix = "") {
  auto rules = LoadRuleDir(SourceDir() + "/rules");
  REQUIRE(rules.ok());
  Record r;
  r.source = "website";
  r.fields = {{"email", email}, {"first_name", given}, {"last_name", family}};
  std::vector<std::string> out;
  for (const std::string& k : store::StoreKeys(Normalize(r, **rules), **rules))
    if (k.rfind(prefix, 0) == 0) out.push_back(k);
  return out;
}

}  // namespace

TEST_CASE("a row whose key another transaction holds steps aside; the batch goes on; the row follows", "[pg]") {
  TestDb db;
  Canond d(db);
  const std::vector<std::string> email_keys = KeysOf("ann.lee@example.com", "Ann", "Lee", "email:");
  REQUIRE(email_keys.size() == 1);
  CHECK(Deferred(d) == 0);

  // Another writer holds Ann's e-mail key in an open transaction.
  auto other = db.Connect();
  store::Tx tx(*other);
  REQUIRE(tx.Begin().ok());
  REQUIRE(store::LockKeys(*other, email_keys).ok());

  PostForm(d, "email=ann.lee%40example.com&first_name=Ann&last_name=Lee");
  PostForm(d, "email=bo.ray%40example.com&first_name=Bo&last_name=Ray");
  // Bo is written; Ann's row stepped aside twice, then a batch of its own waits for the key.
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(db.Scalar("SELECT normalized -> 'fields' ->> 'email' FROM source_record") == "bo.ray@example.com");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", "1") == "1");
  CHECK(db.Scalar("SELECT status || ' ' || attempts FROM inbox ORDER BY id LIMIT 1") == "pending 0");
  CHECK(Deferred(d) == 2);

  // The other writer commits: the waiting batch goes on.
  REQUIRE(tx.Commit().ok());
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'done'", "2") == "2");
  CHECK(db.Scalar("SELECT string_agg(status || ' ' || attempts, ',' ORDER BY id) FROM inbox") == "done 1,done 1");
  CHECK(db.Count("SELECT count(*) FROM source_record") == 2);
  // Stepped aside twice, then waited: never put off a third time.
  CHECK(Deferred(d) == 2);
}

TEST_CASE("two records of one person, one stepping aside, make one entity", "[pg]") {
  TestDb db;
  Canond d(db);
  const std::vector<std::string> keys = KeysOf("cy.young@example.com", "Cy", "Young");
  REQUIRE(!keys.empty());
  auto other = db.Connect();
  store::Tx tx(*other);
  REQUIRE(tx.Begin().ok());
  REQUIRE(store::LockKeys(*other, keys).ok());
  PostForm(d, "email=cy.young%40example.com&first_name=Cy&last_name=Young");
  PostForm(d, "email=cy.young%40example.com&first_name=Cyrus&last_name=Young&phone=%2B1+312+555+0100");
  // Both rows step aside twice, then wait for Cy's keys: in one batch when one worker claimed them together, in a
  // batch of each worker when the second form came after the first was claimed (seen once in CI: 2 waiting).
  REQUIRE(WaitFor(db, "SELECT count(*) >= 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", "t") == "t");
  CHECK(db.Count("SELECT count(*) FROM source_record") == 0);
  REQUIRE(tx.Commit().ok());
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'done'", "2") == "2");
  CHECK(db.Count("SELECT count(*) FROM source_record") == 2);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 1);
  CHECK(db.Count("SELECT count(DISTINCT contact_id) FROM entity_member") == 1);
  CHECK(Deferred(d) >= 2);
  CHECK(Deferred(d) <= 4);
}

TEST_CASE("rows of one busy person, claimed by both workers, step aside at most twice each", "[pg]") {
  TestDb db;
  Canond d(db);  // two workers by default: either may claim a row the other is about to wait for
  const std::vector<std::string> email_keys = KeysOf("di.moss@example.com", "Di", "Moss", "email:");
  REQUIRE(email_keys.size() == 1);
  auto other = db.Connect();
  store::Tx tx(*other);
  REQUIRE(tx.Begin().ok());
  REQUIRE(store::LockKeys(*other, email_keys).ok());
  constexpr int kRows = 12;
  for (int i = 0; i < kRows; ++i)
    PostForm(d, "email=di.moss%40example.com&first_name=Di&last_name=Moss&company=Acme+" + std::to_string(i));
  // Rows step aside twice, then a batch of each worker that holds some waits for the key; none is written.
  REQUIRE(WaitFor(db, "SELECT count(*) >= 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", "t") == "t");
  CHECK(db.Count("SELECT count(*) FROM source_record") == 0);
  REQUIRE(tx.Commit().ok());
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'done'", std::to_string(kRows)) ==
          std::to_string(kRows));
  CHECK(db.Count("SELECT count(*) FROM source_record") == kRows);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 1);
  CHECK(db.Scalar("SELECT string_agg(DISTINCT attempts::text, ',') FROM inbox") == "1");
  const double deferred = Deferred(d);
  CHECK(deferred >= 2);
  CHECK(deferred <= 2 * kRows);
}
