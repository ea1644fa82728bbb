// Poison input through canond: a NUL byte or invalid UTF-8 anywhere in what a sender posts is refused at the door
// (400 naming the field, the payload kept as a dead letter) and never reaches the worker's batch; a poison row
// already in the inbox (stored by an older version) is dead-lettered alone while the rest of its batch is written.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

const char* kForm = "application/x-www-form-urlencoded";
const char* kJson = "application/json";

std::string Where(const std::string& body) {
  auto p = body.find("\"where\":\"");
  if (p == std::string::npos) return {};
  p += 9;
  return body.substr(p, body.find('"', p) - p);
}

}  // namespace

TEST_CASE("poison form and JSON input is refused at the door with the field named", "[pg][poison]") {
  TestDb db;
  Canond d(db);
  struct Case {
    const char* source;
    const char* type;
    std::string body;
    std::string where;
  };
  const Case cases[] = {
      {"website", kForm, "email=p1%40example.com&bad%00key=1", "bad\\\\x00key"},
      {"website", kForm, "email=p2%40example.com&k%FF=1", "k\\\\xFF"},
      {"website", kForm, "email=p3%40example.com&note=a%FFb", "note"},
      {"website", kForm, "email=p4%40example.com&first_name=Ann&last_name=Sm%FFth", "last_name"},
      {"website", kForm, "email=p5%40example.com&first_name=A%00nn", "first_name"},
      {"api", kJson, R"({"email":"p6@example.com","note":"a\u0000b"})", "note"},
      {"api", kJson, R"({"email":"p7@example.com","x\u0000y":"1"})", "x\\\\x00y"},
  };
  int refused = 0;
  for (const Case& c : cases) {
    auto r = HttpRequest(d.port(), "POST", std::string("/ingest/") + c.source, c.body, c.type);
    INFO(c.body << " -> " << r.status << " " << r.body);
    CHECK(r.status == 400);
    CHECK(r.body.find("\"error\":\"bad_payload\"") != std::string::npos);
    CHECK(Where(r.body) == c.where);
    if (r.status == 400) ++refused;
  }
  // The "where" of each, as the store keeps it (the key's bad bytes written as \xHH, so the text column holds it).
  CHECK(db.Count("SELECT count(*) FROM dead_letter WHERE stage = 'intake'") == refused);
  CHECK(db.Scalar("SELECT string_agg(location, '|' ORDER BY id) FROM dead_letter") ==
        "bad\\x00key|k\\xFF|note|last_name|first_name|note|x\\x00y");
  // A good post after them goes through, and nothing of the poison reached a batch.
  auto ok = HttpRequest(d.port(), "POST", "/ingest/website", "email=fine%40example.com&first_name=Fine", kForm);
  CHECK(ok.status == 202);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(d.Log().find("rolled back") == std::string::npos);
  CHECK(db.Count("SELECT count(*) FROM dead_letter WHERE stage <> 'intake'") == 0);
}

TEST_CASE("a header that is not UTF-8 does not fail the intake write", "[pg][poison]") {
  TestDb db;
  Canond d(db);
  auto r = HttpRequest(d.port(), "POST", "/ingest/website", "email=h%40example.com", kForm,
                       {{"X-Junk", "caf\xE9"}});
  INFO(r.body);
  CHECK(r.status == 202);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(db.Scalar("SELECT headers->>'x-junk' FROM inbox") == "caf\\xE9");
}

TEST_CASE("a poison row already in the inbox is dead-lettered alone; its batch is written", "[pg][poison]") {
  TestDb db;
  {
    Canond migrate(db, {{"workers", "0"}});  // the schema, no worker yet
  }
  auto c = db.Connect();
  // URL-encoded bodies are ASCII: the poison is in what they decode to.
  auto insert = [&](const std::string& body) {
    auto r = c->Exec("INSERT INTO inbox (source, content_type, body) VALUES ('website', $1, convert_to($2, 'UTF8'))",
                     {kForm, body});
    REQUIRE(r.ok());
  };
  insert("email=a1%40example.com&first_name=Ann");
  insert("email=a2%40example.com&first_name=Bob&bad%00key=1");
  insert("email=a3%40example.com&first_name=Cy&last_name=Sm%FFth");
  insert("email=a4%40example.com&first_name=Di");
  Canond d(db, {{"workers", "1"}});
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status <> 'pending'", "4") == "4");
  INFO(d.Log());
  CHECK(db.Count("SELECT count(*) FROM source_record") == 2);
  CHECK(db.Scalar("SELECT string_agg(status, ',' ORDER BY id) FROM inbox") == "done,failed,failed,done");
  CHECK(db.Scalar("SELECT string_agg(stage || ':' || location, '|' ORDER BY id) FROM dead_letter") ==
        "parse:bad\\x00key|parse:last_name");
  CHECK(d.Log().find("rolled back") == std::string::npos);
}
