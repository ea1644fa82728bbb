#include <catch2/catch.hpp>

#include "connectors/connector.h"

using namespace canon;

namespace {
SourceConfig FormSource() {
  SourceConfig s;
  s.name = "website";
  s.kind = "form";
  s.synonyms["e-mail"] = "email";
  return s;
}
SourceConfig JsonSource() {
  SourceConfig s;
  s.name = "api";
  s.kind = "json";
  return s;
}
}  // namespace

TEST_CASE("form bodies decode plus, percent escapes and synonyms", "[connectors][form]") {
  Payload p;
  p.body = "e-mail=+Ann%40Example.COM+&first_name=Ann&x_custom=a%2Bb&empty=";
  auto r = ParseForm(FormSource(), p);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  const Record& rec = r->front();
  CHECK(rec.Get("email") == " Ann@Example.COM ");
  CHECK(rec.Get("first_name") == "Ann");
  CHECK(rec.extra.at("x_custom") == "a+b");
  CHECK(rec.extra.at("empty") == "");
}

TEST_CASE("form bodies with broken escapes are refused with the byte offset", "[connectors][form]") {
  Payload p;
  p.body = "email=a%4";
  auto r = ParseForm(FormSource(), p);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().where() == "byte 7");
  p.body = "email=a%zz";
  CHECK_FALSE(ParseForm(FormSource(), p).ok());
  p.body = "";
  CHECK_FALSE(ParseForm(FormSource(), p).ok());
}

TEST_CASE("json objects and arrays become records; malformed JSON is refused", "[connectors][json]") {
  Payload p;
  std::string body = R"([{"email":"a@x.com","first_name":"A","age":42,"tags":["x"]},{"email":"b@x.com"}])";
  p.body = body;
  auto r = ParseJson(JsonSource(), p);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].Get("email") == "a@x.com");
  CHECK((*r)[0].extra.at("age") == "42");
  CHECK((*r)[0].extra.at("tags") == R"(["x"])");
  CHECK((*r)[1].index == 1);

  std::string bad = R"({"email": "a@x.com",)";
  p.body = bad;
  auto e = ParseJson(JsonSource(), p);
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().message().find("malformed JSON") != std::string::npos);

  std::string notobj = R"([1,2])";
  p.body = notobj;
  auto e2 = ParseJson(JsonSource(), p);
  REQUIRE_FALSE(e2.ok());
  CHECK(e2.status().where() == "/0");
}

TEST_CASE("json pointers map nested fields", "[connectors][json]") {
  SourceConfig s = JsonSource();
  s.map = {{"email", "/contact/email"}, {"company", "/company/name"}, {"phone", "/missing"}};
  Payload p;
  std::string body = R"({"contact":{"email":"n@x.com"},"company":{"name":"Acme"}})";
  p.body = body;
  auto r = ParseJson(s, p);
  REQUIRE(r.ok());
  CHECK(r->front().Get("email") == "n@x.com");
  CHECK(r->front().Get("company") == "Acme");
  CHECK_FALSE(r->front().Has("phone"));
}

TEST_CASE("media types drop parameters and case", "[connectors]") {
  CHECK(MediaType("Application/JSON; charset=utf-8") == "application/json");
  CHECK(MediaType(" text/csv ") == "text/csv");
}

TEST_CASE("poison text: NUL and invalid UTF-8 are named and escaped, valid text passes", "[conn][poison]") {
  using namespace std::string_literals;
  CHECK(EscapeBytes("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(EscapeBytes("a\0b"s) == "a\\x00b");
  CHECK(EscapeBytes("k\xFF") == "k\\xFF");
  CHECK(EscapeBytes("\xE2\x82") == "\\xE2\\x82");  // a truncated sequence, byte by byte
  Record r;
  r.fields["email"] = "a@example.com";
  r.extra["note"] = "fine \xF0\x9F\x99\x82";
  CHECK(CheckRecordText(r).ok());
  r.extra["bad\0key"s] = "1";
  Status s = CheckRecordText(r);
  CHECK(s.where() == "bad\\x00key");
  CHECK(s.message() == "field 'bad\\x00key' (its name) holds a NUL byte (byte 3)");
  r.extra.erase("bad\0key"s);
  r.fields["last_name"] = "Sm\xFFth";
  s = CheckRecordText(r);
  CHECK(s.where() == "last_name");
  CHECK(s.message() == "field 'last_name' is not valid UTF-8 (byte 2)");
}
