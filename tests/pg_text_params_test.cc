// The literals the writer builds for its parameters, read back by PostgreSQL itself: a text[] literal
// (store::TextArray, with and without NULL elements) and a JSON string (store::JsonEscape / AppendJsonString, as
// jsonb takes it) give back exactly the strings put in, for quotes, backslashes, braces, commas, every control
// character, NULL-looking text and multi-byte UTF-8, alone and in runs; and the binary array parameters
// (TextArrayParam, IntArrayParam, BoolArrayParam) give back the same values, NULLs and empty arrays.
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "store/pg.h"
#include "tests/support.h"

namespace {

using canon::test::TestDb;
using canon::store::AppendJsonString;
using canon::store::JsonEscape;
using canon::store::TextArray;

std::vector<std::string> Awkward() {
  std::vector<std::string> out = {"",        "plain",    "\"",          "\\",      "\\\"",      "a\"b\\c",
                                  "{}",      "{a,b}",    "NULL",        "null",    " lead ",    "a,b",
                                  "ü Zoë 日本", "\xF0\x9F\x98\x80", "tab\there", "line\nbreak", "cr\rlf", "end\\"};
  std::string controls;
  for (int c = 1; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
  out.push_back(controls);
  out.push_back(controls + "\"x\\" + controls);
  // Random strings over an alphabet of the characters that need care and ordinary ones.
  const std::string alphabet = std::string("\"\\{},\t\n\r\x01\x1f abcXYZ09") + "é";
  std::mt19937 rng(18);
  for (int i = 0; i < 200; ++i) {
    std::string s;
    size_t len = rng() % 40;
    while (s.size() < len) {
      size_t k = rng() % (alphabet.size() - 1);
      if (alphabet[k] == '\xC3') s += "é";  // keep the two-byte character whole
      else if (alphabet[k] != '\xA9') s.push_back(alphabet[k]);
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("text[] and JSON string literals round-trip through PostgreSQL", "[pg]") {
  TestDb db;
  auto conn = db.Connect();
  const std::vector<std::string> values = Awkward();

  auto r = conn->Exec("SELECT v, ord FROM unnest($1::text[]) WITH ORDINALITY AS u(v, ord) ORDER BY ord",
                      {TextArray(values)});
  REQUIRE(r.ok());
  REQUIRE(r->rows() == static_cast<int>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    INFO("element " << i);
    CHECK_FALSE(r->IsNull(static_cast<int>(i), 0));
    CHECK(r->Str(static_cast<int>(i), 0) == values[i]);
  }

  std::vector<std::optional<std::string>> with_nulls;
  for (size_t i = 0; i < values.size(); ++i) {
    with_nulls.emplace_back(values[i]);
    if (i % 3 == 0) with_nulls.emplace_back(std::nullopt);
  }
  auto n = conn->Exec("SELECT v, ord FROM unnest($1::text[]) WITH ORDINALITY AS u(v, ord) ORDER BY ord",
                      {TextArray(with_nulls)});
  REQUIRE(n.ok());
  REQUIRE(n->rows() == static_cast<int>(with_nulls.size()));
  for (size_t i = 0; i < with_nulls.size(); ++i) {
    INFO("element " << i);
    REQUIRE(n->IsNull(static_cast<int>(i), 0) == !with_nulls[i].has_value());
    if (with_nulls[i]) CHECK(n->Str(static_cast<int>(i), 0) == *with_nulls[i]);
  }
  CHECK(TextArray(std::vector<std::string>{}) == "{}");

  // Each value alone as a jsonb string, and all of them as one object built by appending (keys and values).
  std::string object = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    INFO("value " << i);
    auto j = conn->Exec("SELECT $1::jsonb #>> '{}'", {JsonEscape(values[i])});
    REQUIRE(j.ok());
    CHECK(j->Str(0, 0) == values[i]);
    if (i) object += ',';
    AppendJsonString(&object, "k" + std::to_string(i) + ":" + values[i]);
    object += ':';
    AppendJsonString(&object, values[i]);
  }
  object += '}';
  auto o = conn->Exec("SELECT key, value FROM jsonb_each_text($1::jsonb)", {object});
  REQUIRE(o.ok());
  REQUIRE(o->rows() == static_cast<int>(values.size()));
  for (int row = 0; row < o->rows(); ++row) {
    std::string key = o->Str(row, 0);
    bool found = false;
    for (size_t i = 0; i < values.size() && !found; ++i)
      found = key == "k" + std::to_string(i) + ":" + values[i] && o->Str(row, 1) == values[i];
    INFO("key " << key);
    CHECK(found);
  }
  CHECK(JsonEscape("\x01") == "\"\\u0001\"");
  CHECK(JsonEscape("\x1f") == "\"\\u001f\"");
  CHECK(JsonEscape("a\"b\\c\nd") == "\"a\\\"b\\\\c\\nd\"");
}

TEST_CASE("binary array parameters round-trip through PostgreSQL", "[pg]") {
  TestDb db;
  auto conn = db.Connect();
  const std::vector<std::string> values = Awkward();
  auto t = conn->Exec("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, ord) ORDER BY ord",
                      {canon::store::TextArrayParam(values)});
  REQUIRE(t.ok());
  REQUIRE(t->rows() == static_cast<int>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) CHECK(t->Str(static_cast<int>(i), 0) == values[i]);

  std::vector<std::optional<std::string>> with_nulls = {std::nullopt, "a", "", std::nullopt, "{\"x\":1}"};
  auto n = conn->Exec("SELECT v IS NULL, coalesce(v, '') FROM unnest($1::text[]) WITH ORDINALITY AS u(v, o) ORDER BY o",
                      {canon::store::TextArrayParam(with_nulls)});
  REQUIRE(n.ok());
  REQUIRE(n->rows() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK((n->Get(i, 0) == "t") == !with_nulls[i].has_value());
    if (with_nulls[i]) CHECK(n->Str(i, 1) == *with_nulls[i]);
  }

  const std::vector<long long> ints = {0, 1, -1, 255, 256, -256, 4294967296LL, INT64_MAX, INT64_MIN, 123456789012345LL};
  auto i = conn->Exec("SELECT v::text FROM unnest($1::bigint[]) WITH ORDINALITY AS u(v, o) ORDER BY o",
                      {canon::store::IntArrayParam(ints)});
  REQUIRE(i.ok());
  REQUIRE(i->rows() == static_cast<int>(ints.size()));
  for (size_t k = 0; k < ints.size(); ++k) CHECK(i->Str(static_cast<int>(k), 0) == std::to_string(ints[k]));

  auto b = conn->Exec("SELECT string_agg(CASE WHEN v THEN 't' ELSE 'f' END, '' ORDER BY o) "
                      "FROM unnest($1::boolean[]) WITH ORDINALITY AS u(v, o)",
                      {canon::store::BoolArrayParam({true, false, false, true})});
  REQUIRE(b.ok());
  CHECK(b->Str(0, 0) == "tfft");

  // Views: text[] with NULLs, and bytea[] of any bytes (NUL, bytes that are not UTF-8, empty), as the inbox's bodies.
  std::vector<std::optional<std::string_view>> views = {"x", std::nullopt, "", "d\u00e9j\u00e0"};
  auto tv = conn->Exec("SELECT v IS NULL, coalesce(v, '') FROM unnest($1::text[]) WITH ORDINALITY AS u(v, o) "
                       "ORDER BY o",
                       {canon::store::TextViewArrayParam(views)});
  REQUIRE(tv.ok());
  REQUIRE(tv->rows() == 4);
  for (int k = 0; k < 4; ++k) {
    CHECK((tv->Get(k, 0) == "t") == !views[static_cast<size_t>(k)].has_value());
    if (views[static_cast<size_t>(k)]) CHECK(tv->Str(k, 1) == *views[static_cast<size_t>(k)]);
  }
  const std::string raw_bytes("a\0b\xff\xfe\x80", 6);
  const std::vector<std::string_view> bodies = {raw_bytes, "", "plain"};
  auto by = conn->Exec("SELECT encode(v, 'hex'), length(v) FROM unnest($1::bytea[]) WITH ORDINALITY AS u(v, o) "
                       "ORDER BY o",
                       {canon::store::ByteaArrayParam(bodies)});
  REQUIRE(by.ok());
  REQUIRE(by->rows() == 3);
  CHECK(by->Str(0, 0) == "610062fffe80");
  CHECK(by->Str(0, 1) == "6");
  CHECK(by->Str(1, 1) == "0");
  CHECK(by->Str(2, 0) == "706c61696e");

  // Empty arrays are arrays of no dimension, as PostgreSQL sends them.
  auto e = conn->Exec("SELECT cardinality($1::text[]), cardinality($2::bigint[]), cardinality($3::boolean[])",
                      {canon::store::TextArrayParam(std::vector<std::string>{}), canon::store::IntArrayParam({}),
                       canon::store::BoolArrayParam({})});
  REQUIRE(e.ok());
  CHECK(e->Str(0, 0) == "0");
  CHECK(e->Str(0, 1) == "0");
  CHECK(e->Str(0, 2) == "0");

  // A binary parameter is read as the type the statement names: the wrong element type is refused, not misread.
  auto wrong = conn->Exec("SELECT cardinality($1::int[])", {canon::store::IntArrayParam({1, 2})});
  CHECK_FALSE(wrong.ok());
}
