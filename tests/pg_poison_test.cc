// Poison input through canond (issue 15, item 7): a NUL byte or invalid UTF-8 anywhere in a record is refused at
// the door when the payload has no clean record (400 naming the field, the payload kept as a dead letter), else
// the record is rejected by Normalize (hygiene/poison.h) and dead-lettered at validation naming the field, never
// the value, while the others are written; no poison reaches a batch's writes. Each door: forms, JSON, CSV files,
// and rows already in the inbox (stored by an older version).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

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
        "validate:record 0 field bad\\x00key|validate:record 0 field last_name");
  CHECK(d.Log().find("rolled back") == std::string::npos);
}

// Each door, poison among good records: the good ones become contacts, the bad ones dead letters (or, for a CSV
// file, refused rows of its report) naming the field and not the value; nothing stays pending.
TEST_CASE("poison among good records: each door keeps the good ones and names the bad field", "[pg][poison]") {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/canon-poison.XXXXXX";
  const std::string folder = std::string(mkdtemp(tmpl)) + "/drop";
  TestDb db;
  RulesCopy rules;
  rules.Replace("sources.toml", "folder = \"var/drop/contacts\"", "folder = \"" + folder + "\"");
  Canond d(db, {}, rules.rules());
  INFO(d.Log());
  // Form: one record per post, so a poison one is refused at the door.
  const std::string secret_a = "Zyxw", secret_b = "Qvut";  // the poison values' readable parts
  CHECK(HttpRequest(d.port(), "POST", "/ingest/website", "email=f1%40example.com&first_name=Fay", kForm).status ==
        202);
  CHECK(HttpRequest(d.port(), "POST", "/ingest/website", "email=f2%40example.com&first_name=" + secret_a + "%00",
                    kForm)
            .status == 400);
  CHECK(HttpRequest(d.port(), "POST", "/ingest/website", "email=f3%40example.com&last_name=" + secret_b + "%C3%28",
                    kForm)
            .status == 400);
  // JSON: an array whose second record holds a NUL and third a lone surrogate escape; the rest are written.
  auto j = HttpRequest(d.port(), "POST", "/ingest/api",
                       R"([{"email":"j1@example.com","first_name":"Jo"},{"email":"j2@example.com","note":"Zyxw\u0000"},)"
                       R"({"email":"j4@example.com","first_name":"Ivo"}])",
                       kJson);
  CHECK(j.status == 202);
  auto bad_json = HttpRequest(d.port(), "POST", "/ingest/api", "[{\"email\":\"j3@example.com\",\"city\":\"Qvut\xC3\x28\"}]",
                              kJson);
  CHECK(bad_json.status == 400);  // invalid UTF-8 in JSON is malformed JSON: simdjson refuses the document
  // CSV: a NUL in one row's cell and invalid UTF-8 in another's, among good rows.
  fs::create_directories(folder);
  const char csv[] =
      "email,first_name,last_name\nc1@example.com,Cai,Lin\nc2@example.com,Zyxw\0,Lo\n"
      "c3@example.com,Ana,Qvut\xC3\x28\nc4@example.com,Bea,Ng\n";
  std::ofstream(folder + "/.p.tmp", std::ios::binary) << std::string(csv, sizeof csv - 1);
  fs::rename(folder + "/.p.tmp", folder + "/p.csv");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM csv_import WHERE status <> 'running'", "1", 20000) == "1");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter WHERE stage = 'validate'", "1") == "1");

  CHECK(db.Scalar("SELECT string_agg(email, ',' ORDER BY email) FROM contact") ==
        "c1@example.com,c3@example.com,c4@example.com,f1@example.com,j1@example.com,j4@example.com");
  // A CSV file that is not valid UTF-8 is read as Windows-1252 (the reader's detection, connectors/csv_reader.h):
  // its bytes are cleaned at the door into valid text, not refused.
  CHECK(db.Scalar("SELECT last_name FROM contact WHERE email = 'c3@example.com'") == "Qvut\xC3\x83(");
  CHECK(db.Scalar("SELECT string_agg(stage || ':' || location, '|' ORDER BY stage, location) FROM dead_letter") ==
        "intake:/|intake:first_name|intake:last_name|validate:record 1 field note");
  CHECK(db.Scalar("SELECT string_agg(line || ':' || reason, '|' ORDER BY line) FROM csv_import_error") ==
        "3:first_name: holds a NUL byte (byte 4)");
  const std::string reasons = db.Scalar("SELECT string_agg(reason, '|') FROM dead_letter") +
                              db.Scalar("SELECT string_agg(reason, '|') FROM csv_import_error");
  CHECK_THAT(reasons, !Catch::Contains(secret_a) && !Catch::Contains(secret_b));
  CHECK_THAT(d.Log(), !Catch::Contains(secret_a) && !Catch::Contains(secret_b));
  CHECK(d.Log().find("rolled back") == std::string::npos);
  CHECK(db.Count("SELECT count(*) FROM inbox WHERE status = 'pending'") == 0);
  std::error_code ec;
  fs::remove_all(fs::path(folder).parent_path(), ec);
}
