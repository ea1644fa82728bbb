#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "hygiene/poison.h"
#include "hygiene/text.h"

using namespace canon;

namespace {
std::string Date(std::string_view s, DateOptions o = {}) {
  auto r = NormalizeDate(s, o);
  return r.ok() ? *r : "ERR: " + r.status().message();
}
std::string Stamp(std::string_view s, SlashOrder order = SlashOrder::kMonthFirst) {
  DateOptions o;
  o.kind = DateKind::kTimestamp;
  o.slash_order = order;
  return Date(s, o);
}
bool Fails(std::string_view s, std::string_view reason_part, DateOptions o = {}) {
  auto r = NormalizeDate(s, o);
  return !r.ok() && r.status().message().find(reason_part) != std::string::npos;
}
}  // namespace

TEST_CASE("UTF-8 helpers", "[norm][text]") {
  CHECK(IsValidUtf8("plain"));
  CHECK(IsValidUtf8("Müller 日本 😀"));
  CHECK_FALSE(IsValidUtf8("a\xFF"));
  CHECK_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK(FirstInvalidUtf8("ab\xE2\x82") == 2);
  CHECK(TrimSpace("  \t a b \r\n") == "a b");
  CHECK(TrimSpace("\xC2\xA0x\xC2\xA0") == "x");
  CHECK(TrimSpace("   ") == "");
  CHECK(ToNfc("Cafe\xCC\x81") == "Caf\xC3\xA9");
  CHECK(CodePointCount("Müller") == 6);
  CHECK(TruncateCodePoints("Müller", 2) == "Mü");
  CHECK(TruncateCodePoints("日本語", 2) == "日本");
  CHECK(TruncateCodePoints("ab", 5) == "ab");
  CHECK(TruncateCodePoints("ab", 0) == "");
}

// FirstPoisonByte skips ASCII eight bytes at a time: it must still name the first NUL or invalid UTF-8 byte
// wherever it falls (inside a block of eight, after one, in the tail), as the byte-by-byte definition does.
TEST_CASE("FirstPoisonByte: the first NUL or invalid UTF-8 byte, wherever it falls", "[norm][text]") {
  CHECK(FirstPoisonByte("plain ascii text, longer than eight") == std::string_view::npos);
  CHECK(FirstPoisonByte("M\xC3\xBCller 日本 😀") == std::string_view::npos);
  CHECK(FirstPoisonByte(std::string_view("abcdefghij\0k", 12)) == 10);
  CHECK(FirstPoisonByte("abcdefgh\xFFijk") == 8);
  std::mt19937_64 rng(30);
  const std::string pieces[] = {"a", "Z", " ", "~", "\x7F", std::string(1, '\0'), "\xC3\xBC", "\xE6\x97\xA5",
                                "\xF0\x9F\x98\x80", "\xC3", "\x80", "\xFF", "\xED\xA0\x80"};
  for (int n = 0; n < 20000; ++n) {
    std::string s;
    size_t len = rng() % 40;
    bool ascii_only = rng() % 2;
    for (size_t k = 0; k < len; ++k) s += ascii_only && rng() % 16 ? std::string(1, static_cast<char>('a' + rng() % 26))
                                                                  : pieces[rng() % std::size(pieces)];
    size_t want = std::min(s.find('\0'), FirstInvalidUtf8(s));
    INFO("'" << EscapeBytes(s) << "'");
    REQUIRE(FirstPoisonByte(s) == want);
  }
}

TEST_CASE("free text: controls removed, whitespace collapsed, NFC", "[norm][text]") {
  auto r = NormalizeText("  Hello\tworld \x01\x7F  again\r\n next ");
  REQUIRE(r.error.ok());
  CHECK(r.value == "Hello world again next");
  CHECK(r.flags == std::vector<std::string>{"control_removed"});
  CHECK(NormalizeText("Cafe\xCC\x81").value == "Caf\xC3\xA9");
  CHECK(NormalizeText("\xEF\xBB\xBFzero\xE2\x80\x8Bwidth").value == "zerowidth");
  CHECK(NormalizeText("c1\xC2\x85next\xC2\x9F").value == "c1 next");
  CHECK(NormalizeText("").value.empty());
  CHECK(NormalizeText(" \t\r\n ").value.empty());
  CHECK(NormalizeText(" \t\r\n ").error.ok());
  CHECK(NormalizeText("a\xE2\x80\x83\xE2\x80\x83" "b").value == "a b");  // em spaces
}

TEST_CASE("free text: multiline keeps line breaks when asked", "[norm][text]") {
  TextOptions o;
  o.multiline = true;
  CHECK(NormalizeText("line one  \r\nline two\rthree\n\n\n\n\nfour\n", o).value ==
        "line one\nline two\nthree\n\nfour");
  CHECK(NormalizeText("a\tb", o).value == "a b");
}

TEST_CASE("free text: length limit counts code points, never cuts one", "[norm][text]") {
  TextOptions o;
  o.max_code_points = 5;
  auto r = NormalizeText("Grüße aus Köln", o);
  REQUIRE(r.error.ok());
  CHECK(r.value == "Grüße");
  CHECK(r.flags == std::vector<std::string>{"truncated"});
  CHECK(NormalizeText("日本語のテキスト", o).value == "日本語のテ");
  CHECK(NormalizeText("12345", o).flags.empty());
  o.truncate = false;
  auto e = NormalizeText("123456", o);
  CHECK_FALSE(e.error.ok());
  CHECK(e.error.message() == "text is longer than 5 characters");
  // Cut at a space: the trailing space goes.
  o.truncate = true;
  CHECK(NormalizeText("abcd efgh", o).value == "abcd");
  std::string big(100000, 'x');
  o.max_code_points = 255;
  CHECK(NormalizeText(big, o).value.size() == 255);
}

TEST_CASE("free text: invalid UTF-8 is an error with the offset", "[norm][text]") {
  auto r = NormalizeText("abc\xFF");
  CHECK_FALSE(r.error.ok());
  CHECK(r.error.message() == "text is not valid UTF-8 (byte 3)");
}

TEST_CASE("dates: ISO and year-first forms", "[norm][date]") {
  CHECK(Date("2024-03-04") == "2024-03-04");
  CHECK(Date(" 2024-3-4 ") == "2024-03-04");
  CHECK(Date("2024/03/04") == "2024-03-04");
  CHECK(Date("20240304") == "2024-03-04");
  CHECK(Date("2024-03-04T23:30:00-05:00") == "2024-03-04");  // the date as written
  CHECK(Date("2024-02-29") == "2024-02-29");
  CHECK(Date("2000-02-29") == "2000-02-29");
}

TEST_CASE("dates: US slashes versus European dots", "[norm][date]") {
  CHECK(Date("03/04/2024") == "2024-03-04");
  CHECK(Date("3/4/2024") == "2024-03-04");
  CHECK(Date("04.03.2024") == "2024-03-04");
  CHECK(Date("4.3.2024") == "2024-03-04");
  DateOptions eu;
  eu.slash_order = SlashOrder::kDayFirst;
  CHECK(Date("03/04/2024", eu) == "2024-04-03");
  CHECK(Date("03-04-2024", eu) == "2024-04-03");
  // Only one reading is possible: it wins whatever the configured order.
  CHECK(Date("25/12/2024") == "2024-12-25");
  CHECK(Date("12/25/2024", eu) == "2024-12-25");
  // Dots are day first always.
  CHECK(Fails("12.25.2024", "month 25"));
}

TEST_CASE("dates: month names and RFC 2822", "[norm][date]") {
  CHECK(Date("March 4, 2024") == "2024-03-04");
  CHECK(Date("4 March 2024") == "2024-03-04");
  CHECK(Date("4th Mar 2024") == "2024-03-04");
  CHECK(Date("Sept 30 2024") == "2024-09-30");
  CHECK(Date("2024-Mar-04") == "2024-03-04");
  CHECK(Date("04-mar-2024") == "2024-03-04");
  CHECK(Stamp("Mon, 04 Mar 2024 10:20:30 +0000") == "2024-03-04T10:20:30Z");
  CHECK(Stamp("Mon, 04 Mar 2024 10:20:30 GMT") == "2024-03-04T10:20:30Z");
}

TEST_CASE("timestamps convert to UTC", "[norm][date]") {
  CHECK(Stamp("2024-03-04T10:20:30Z") == "2024-03-04T10:20:30Z");
  CHECK(Stamp("2024-03-04T10:20:30.987Z") == "2024-03-04T10:20:30Z");
  CHECK(Stamp("2024-03-04T10:20:30+02:00") == "2024-03-04T08:20:30Z");
  CHECK(Stamp("2024-03-04T01:00:00+0200") == "2024-03-03T23:00:00Z");
  CHECK(Stamp("2024-03-04T23:30:00-05:00") == "2024-03-05T04:30:00Z");
  CHECK(Stamp("2024-12-31T23:00:00-01") == "2025-01-01T00:00:00Z");
  CHECK(Stamp("2024-03-04 10:20") == "2024-03-04T10:20:00Z");
  CHECK(Stamp("2024-03-04") == "2024-03-04T00:00:00Z");
  CHECK(Stamp("03/04/2024 3:05 PM") == "2024-03-04T15:05:00Z");
  CHECK(Stamp("03/04/2024 12:05 am") == "2024-03-04T00:05:00Z");
  CHECK(Stamp("04.03.2024 14:00") == "2024-03-04T14:00:00Z");
  DateOptions berlin;
  berlin.kind = DateKind::kTimestamp;
  berlin.default_offset_minutes = 60;
  CHECK(Date("04.03.2024 14:00", berlin) == "2024-03-04T13:00:00Z");
  CHECK(Date("2024-03-04T14:00:00Z", berlin) == "2024-03-04T14:00:00Z");  // an explicit offset wins
}

TEST_CASE("unix time in seconds and milliseconds", "[norm][date]") {
  CHECK(Stamp("1709547630") == "2024-03-04T10:20:30Z");
  CHECK(Stamp("1709547630123") == "2024-03-04T10:20:30Z");
  CHECK(Date("1709547630") == "2024-03-04");
  CHECK(Stamp("946684800") == "2000-01-01T00:00:00Z");
}

TEST_CASE("dates: clear errors", "[norm][date]") {
  CHECK(Fails("", "empty date"));
  CHECK(Fails("   ", "empty date"));
  CHECK(Fails("2024-13-01", "month 13 does not exist"));
  CHECK(Fails("2024-04-31", "day 31 does not exist in 2024-04"));
  CHECK(Fails("2023-02-29", "day 29 does not exist"));
  CHECK(Fails("1900-02-29", "day 29 does not exist"));
  CHECK(Fails("03/04/24", "ambiguous: write all four digits"));
  CHECK(Fails("0999-01-01", "outside 1000..9999"));
  CHECK(Fails("2024-03-04T24:00:00Z", "hour 24"));
  CHECK(Fails("2024-03-04T10:60", "minute 60"));
  CHECK(Fails("2024-03-04T10:20:30+15:00", "out of range"));
  CHECK(Fails("2024-03-04T10:20:30 Europe/Berlin", "unrecognized text after the time"));
  CHECK(Fails("13 Smarch 2024", "unknown month name"));
  CHECK(Fails("tomorrow", "unrecognized date"));
  CHECK(Fails("12345", "neither YYYYMMDD nor unix time"));
  CHECK(Fails("2024-03-04\xFF", "unexpected character"));
  CHECK(Fails("2024-03/04", "unrecognized date"));
  CHECK(Fails("13/13/2024", "month 13"));
  CHECK(Fails(std::string(1000, '1'), "too long"));
  DateOptions stamp;
  stamp.kind = DateKind::kTimestamp;
  CHECK(Fails("13:00 PM 2024-01-01", "", stamp));
}

TEST_CASE("text and dates survive random bytes", "[norm][text][robust]") {
  std::mt19937 rng(99);
  const std::string alphabet = "0123456789-/.:, TZ+apmMarch\xC3\xA9\xFF";
  TextOptions o;
  o.max_code_points = 10;
  for (int i = 0; i < 3000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = (i % 2) ? static_cast<char>(rng() & 0xFF) : alphabet[rng() % alphabet.size()];
    auto t = NormalizeText(s, o);
    if (t.error.ok()) {
      CHECK(IsValidUtf8(t.value));
      CHECK(CodePointCount(t.value) <= 10);
    }
    DateOptions d;
    d.kind = (i % 3) ? DateKind::kDate : DateKind::kTimestamp;
    auto r = NormalizeDate(s, d);
    if (r.ok()) CHECK((r->size() == 10 || r->size() == 20));
  }
}
