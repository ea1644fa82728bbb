#include "hygiene/text.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <array>
#include <cstdint>
#include <cstdio>

namespace canon {
namespace {

bool IsAsciiSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool AllAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

const icu::Normalizer2* Nfc() {
  static const icu::Normalizer2* const kNfc = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return kNfc;
}

void AppendUtf8(std::string& out, UChar32 c) {
  char buf[4];
  int32_t n = 0;
  UBool err = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, 4, c, err);
  if (!err) out.append(buf, static_cast<size_t>(n));
}

}  // namespace

size_t FirstInvalidUtf8(std::string_view s) {
  const auto* b = reinterpret_cast<const uint8_t*>(s.data());
  const auto len = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < len) {
    if (b[i] < 0x80) {
      ++i;
      continue;
    }
    int32_t start = i;
    UChar32 c;
    U8_NEXT(b, i, len, c);
    if (c < 0) return static_cast<size_t>(start);
  }
  return std::string_view::npos;
}

bool IsValidUtf8(std::string_view s) { return FirstInvalidUtf8(s) == std::string_view::npos; }

std::string_view TrimSpace(std::string_view s) {
  for (;;) {
    if (!s.empty() && IsAsciiSpace(static_cast<unsigned char>(s.front()))) {
      s.remove_prefix(1);
    } else if (s.size() >= 2 && s[0] == '\xC2' && s[1] == '\xA0') {
      s.remove_prefix(2);
    } else {
      break;
    }
  }
  for (;;) {
    if (!s.empty() && IsAsciiSpace(static_cast<unsigned char>(s.back()))) {
      s.remove_suffix(1);
    } else if (s.size() >= 2 && s[s.size() - 2] == '\xC2' && s.back() == '\xA0') {
      s.remove_suffix(2);
    } else {
      break;
    }
  }
  return s;
}

std::string ToNfc(std::string_view s) {
  if (AllAscii(s)) return std::string(s);
  const icu::Normalizer2* nfc = Nfc();
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  UErrorCode status = U_ZERO_ERROR;
  if (nfc == nullptr) return std::string(s);
  if (nfc->isNormalized(u, status) && U_SUCCESS(status)) {
    std::string out;
    u.toUTF8String(out);  // also turns any invalid sequence into U+FFFD, as documented
    return out;
  }
  status = U_ZERO_ERROR;
  icu::UnicodeString n = nfc->normalize(u, status);
  std::string out;
  (U_SUCCESS(status) ? n : u).toUTF8String(out);
  return out;
}

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string_view TruncateCodePoints(std::string_view s, size_t max_code_points) {
  size_t seen = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == max_code_points) return s.substr(0, i);
      ++seen;
    }
  }
  return s;
}

TextResult NormalizeText(std::string_view raw, const TextOptions& options) {
  TextResult r;
  size_t bad = FirstInvalidUtf8(raw);
  if (bad != std::string_view::npos) {
    r.error = Status::Invalid("text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
    return r;
  }
  // Printable ASCII with single spaces between words (most values) is its own normal form: what the pass below
  // would give, without a property lookup per character.
  bool plain = !raw.empty() && raw.front() != ' ' && raw.back() != ' ';
  for (size_t k = 0; plain && k < raw.size(); ++k)
    plain = raw[k] > ' ' ? raw[k] < 0x7f : raw[k] == ' ' && raw[k + 1] != ' ';
  if (plain && (options.max_code_points == 0 || raw.size() <= options.max_code_points)) {
    r.value = std::string(raw);
    return r;
  }
  // One pass over code points: drop controls, turn breaks into spaces or "\n", collapse space runs. Pending
  // whitespace is only emitted before the next visible character, which trims the end for free.
  std::string out;
  out.reserve(raw.size());
  bool removed = false;
  int pending_breaks = 0;
  bool pending_space = false;
  const auto* b = reinterpret_cast<const uint8_t*>(raw.data());
  const auto len = static_cast<int32_t>(raw.size());
  int32_t i = 0;
  while (i < len) {
    UChar32 c;
    U8_NEXT(b, i, len, c);
    bool is_break = c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85;
    if (c == '\r' && i < len && b[i] == '\n') ++i;  // "\r\n" is one break
    if (is_break) {
      if (options.multiline) {
        ++pending_breaks;
        pending_space = false;  // trailing spaces of a line go
      } else {
        pending_space = true;
      }
      continue;
    }
    if (c == '\t' || u_isUWhiteSpace(c)) {
      pending_space = true;
      continue;
    }
    if (u_iscntrl(c) || c == 0xFEFF || c == 0x200B) {
      removed = true;
      continue;
    }
    if (!out.empty()) {
      if (pending_breaks > 0) {
        out.append(static_cast<size_t>(pending_breaks > 2 ? 2 : pending_breaks), '\n');
      } else if (pending_space) {
        out.push_back(' ');
      }
    }
    pending_breaks = 0;
    pending_space = false;
    AppendUtf8(out, c);
  }
  r.value = ToNfc(out);
  if (removed) r.flags.push_back("control_removed");
  if (options.max_code_points > 0 && CodePointCount(r.value) > options.max_code_points) {
    if (!options.truncate) {
      r.error = Status::Invalid("text is longer than " + std::to_string(options.max_code_points) + " characters");
      return r;
    }
    r.value = std::string(TrimSpace(TruncateCodePoints(r.value, options.max_code_points)));
    r.flags.push_back("truncated");
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------------------

namespace {

// Howard Hinnant's days_from_civil / civil_from_days: exact proleptic Gregorian arithmetic without tables.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

struct Civil {
  int64_t year = 0;
  unsigned month = 0, day = 0;
  int hour = 0, minute = 0, second = 0;
  bool has_time = false;
  bool has_offset = false;
  int offset_minutes = 0;
};

const char* const kMonthNames[12] = {"january", "february", "march",     "april",   "may",      "june",
                                     "july",    "august",   "september", "october", "november", "december"};

// 1..12 for a full English month name or its abbreviation of three or more letters ("sept" too), else 0.
unsigned MonthFromWord(std::string_view w) {
  if (w.size() < 3) return 0;
  for (unsigned i = 0; i < 12; ++i) {
    std::string_view name = kMonthNames[i];
    if (w.size() <= name.size() && name.substr(0, w.size()) == w) return i + 1;
  }
  return 0;
}

bool IsWeekday(std::string_view w) {
  static const char* const kDays[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  if (w.size() < 3) return false;
  for (const char* d : kDays) {
    std::string_view name = d;
    if (w.size() <= name.size() && name.substr(0, w.size()) == w) return true;
  }
  return false;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status CheckYmd(int64_t y, unsigned m, unsigned d) {
  if (y < 1000 || y > 9999) return Status::Invalid("year " + std::to_string(y) + " is outside 1000..9999");
  if (m < 1 || m > 12) return Status::Invalid("month " + std::to_string(m) + " does not exist");
  if (d < 1 || d > DaysInMonth(y, m)) {
    return Status::Invalid("day " + std::to_string(d) + " does not exist in " + std::to_string(y) + "-" +
                           (m < 10 ? "0" : "") + std::to_string(m));
  }
  return Status::Ok();
}

// Parses "HH:MM[:SS[.fff]] [AM|PM] [Z|UTC|GMT|+HH|+HHMM|+HH:MM]" (the whole rest of the input).
Status ParseTime(std::string_view t, Civil& c) {
  size_t i = 0;
  auto num = [&](size_t min_digits, size_t max_digits, int& out) {
    size_t start = i;
    int v = 0;
    while (i < t.size() && IsDigit(t[i]) && i - start < max_digits) v = v * 10 + (t[i++] - '0');
    out = v;
    return i - start >= min_digits;
  };
  auto skip_spaces = [&] {
    while (i < t.size() && t[i] == ' ') ++i;
  };
  if (!num(1, 2, c.hour) || i >= t.size() || t[i] != ':') return Status::Invalid("time is not HH:MM");
  ++i;
  if (!num(2, 2, c.minute)) return Status::Invalid("time is not HH:MM");
  if (i < t.size() && t[i] == ':') {
    ++i;
    if (!num(2, 2, c.second)) return Status::Invalid("seconds are not two digits");
    if (i < t.size() && (t[i] == '.' || t[i] == ',')) {  // fractions of a second are dropped, not rounded
      ++i;
      size_t start = i;
      while (i < t.size() && IsDigit(t[i])) ++i;
      if (i == start) return Status::Invalid("empty fraction of a second");
    }
  }
  skip_spaces();
  if (i < t.size() && IsAlpha(t[i])) {
    std::string w;
    size_t j = i;
    while (j < t.size() && (IsAlpha(t[j]) || t[j] == '.')) {
      if (t[j] != '.') w.push_back(static_cast<char>(t[j] | 0x20));
      ++j;
    }
    if (w == "am" || w == "pm") {
      if (c.hour < 1 || c.hour > 12) return Status::Invalid("hour " + std::to_string(c.hour) + " with AM/PM");
      if (w == "am" && c.hour == 12) c.hour = 0;
      if (w == "pm" && c.hour != 12) c.hour += 12;
      i = j;
      skip_spaces();
    }
  }
  if (c.hour > 23) return Status::Invalid("hour " + std::to_string(c.hour) + " does not exist");
  if (c.minute > 59) return Status::Invalid("minute " + std::to_string(c.minute) + " does not exist");
  if (c.second > 59) return Status::Invalid("second " + std::to_string(c.second) + " does not exist");
  c.has_time = true;
  if (i == t.size()) return Status::Ok();
  std::string rest = Lower(t.substr(i));
  if (rest == "z" || rest == "utc" || rest == "gmt") {
    c.has_offset = true;
    c.offset_minutes = 0;
    return Status::Ok();
  }
  if (rest == "+" || rest == "-" || (rest[0] != '+' && rest[0] != '-')) {
    return Status::Invalid("unrecognized text after the time: \"" + std::string(t.substr(i)) + "\"");
  }
  int sign = rest[0] == '-' ? -1 : 1;
  std::string_view o = std::string_view(rest).substr(1);
  int oh = 0, om = 0;
  auto two = [](std::string_view s, int& v) {
    if (s.size() != 2 || !IsDigit(s[0]) || !IsDigit(s[1])) return false;
    v = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
  };
  bool ok = false;
  if (o.size() == 2) {
    ok = two(o, oh);
  } else if (o.size() == 4) {
    ok = two(o.substr(0, 2), oh) && two(o.substr(2), om);
  } else if (o.size() == 5 && o[2] == ':') {
    ok = two(o.substr(0, 2), oh) && two(o.substr(3), om);
  }
  if (!ok) return Status::Invalid("offset \"" + std::string(t.substr(i)) + "\" is not +HH:MM");
  if (oh > 14 || om > 59 || oh * 60 + om > 14 * 60) {
    return Status::Invalid("offset \"" + std::string(t.substr(i)) + "\" is out of range");
  }
  c.has_offset = true;
  c.offset_minutes = sign * (oh * 60 + om);
  return Status::Ok();
}

struct Token {
  bool is_number = false;
  std::string text;      // digits, or a lowercased word
  std::string sep_after;  // the separator characters that followed it
};

Status ParseDatePart(std::string_view d, const DateOptions& options, Civil& c) {
  std::vector<Token> toks;
  size_t i = 0;
  while (i < d.size()) {
    char ch = d[i];
    if (IsDigit(ch) || IsAlpha(ch)) {
      Token t;
      t.is_number = IsDigit(ch);
      while (i < d.size() && (t.is_number ? IsDigit(d[i]) : IsAlpha(d[i]))) {
        t.text.push_back(t.is_number ? d[i] : static_cast<char>(d[i] | 0x20));
        ++i;
      }
      toks.push_back(std::move(t));
    } else if (ch == ' ' || ch == '-' || ch == '/' || ch == '.' || ch == ',') {
      if (toks.empty()) return Status::Invalid("date starts with '" + std::string(1, ch) + "'");
      toks.back().sep_after.push_back(ch);
      ++i;
    } else {
      return Status::Invalid("unexpected character '" + std::string(1, ch) + "' in date");
    }
  }
  // A leading weekday ("Mon, 04 Mar 2024") carries nothing the rest does not.
  if (!toks.empty() && !toks[0].is_number && IsWeekday(toks[0].text)) toks.erase(toks.begin());
  // "4th", "1st": drop English ordinal endings that follow a day number.
  for (size_t k = 0; k + 1 < toks.size(); ++k) {
    const std::string& w = toks[k + 1].text;
    if (toks[k].is_number && toks[k].sep_after.empty() && !toks[k + 1].is_number &&
        (w == "st" || w == "nd" || w == "rd" || w == "th")) {
      toks[k].sep_after = toks[k + 1].sep_after;
      toks.erase(toks.begin() + static_cast<long>(k) + 1);
    }
  }
  if (toks.size() == 1 && toks[0].is_number && toks[0].text.size() == 8) {
    const std::string& s = toks[0].text;
    c.year = std::stoi(s.substr(0, 4));
    c.month = static_cast<unsigned>(std::stoi(s.substr(4, 2)));
    c.day = static_cast<unsigned>(std::stoi(s.substr(6, 2)));
    return CheckYmd(c.year, c.month, c.day);
  }
  if (toks.size() != 3) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
  for (const Token& t : toks) {
    if (t.is_number && t.text.size() > 4) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
  }
  auto num = [](const Token& t) { return std::stoi(t.text); };
  auto year_of = [&](const Token& t, int64_t& y) -> Status {
    if (!t.is_number) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
    if (t.text.size() != 4) {
      return Status::Invalid("year \"" + t.text + "\" is ambiguous: write all four digits");
    }
    y = num(t);
    return Status::Ok();
  };
  int words = 0;
  for (const Token& t : toks) words += t.is_number ? 0 : 1;
  if (words == 0) {
    const Token &a = toks[0], &b = toks[1], &y = toks[2];
    auto sep = [](const Token& t) {
      std::string s;
      for (char ch : t.sep_after) {
        if (ch != ' ') s.push_back(ch);
      }
      return s;
    };
    std::string s1 = sep(a), s2 = sep(b);
    if (s1.size() != 1 || s1 != s2) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
    if (a.text.size() == 4) {  // Y-M-D, Y/M/D, Y.M.D
      c.year = num(a);
      if (b.text.size() > 2 || y.text.size() > 2) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
      c.month = static_cast<unsigned>(num(b));
      c.day = static_cast<unsigned>(num(y));
      return CheckYmd(c.year, c.month, c.day);
    }
    if (a.text.size() > 2 || b.text.size() > 2) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
    Status st = year_of(y, c.year);
    if (!st.ok()) return st;
    unsigned p = static_cast<unsigned>(num(a)), q = static_cast<unsigned>(num(b));
    bool day_first = s1 == "." || options.slash_order == SlashOrder::kDayFirst;
    // When the configured reading is impossible and the other is possible, the input says which it is.
    if (day_first && s1 != "." && q > 12 && p <= 12) day_first = false;
    if (!day_first && p > 12 && q <= 12 && s1 != ".") day_first = true;
    c.day = day_first ? p : q;
    c.month = day_first ? q : p;
    return CheckYmd(c.year, c.month, c.day);
  }
  if (words != 1) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
  size_t w = toks[0].is_number ? (toks[1].is_number ? 2 : 1) : 0;
  unsigned month = MonthFromWord(toks[w].text);
  if (month == 0) return Status::Invalid("unknown month name \"" + toks[w].text + "\"");
  c.month = month;
  Status st;
  if (w == 0) {  // March 4, 2024
    if (toks[1].text.size() > 2) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
    c.day = static_cast<unsigned>(num(toks[1]));
    st = year_of(toks[2], c.year);
  } else if (w == 1 && toks[0].text.size() == 4) {  // 2024-Mar-04
    c.year = num(toks[0]);
    if (toks[2].text.size() > 2) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
    c.day = static_cast<unsigned>(num(toks[2]));
  } else if (w == 1) {  // 4 March 2024
    if (toks[0].text.size() > 2) return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
    c.day = static_cast<unsigned>(num(toks[0]));
    st = year_of(toks[2], c.year);
  } else {
    return Status::Invalid("unrecognized date \"" + std::string(d) + "\"");
  }
  if (!st.ok()) return st;
  return CheckYmd(c.year, c.month, c.day);
}

std::string FormatDate(int64_t y, unsigned m, unsigned d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

Result<std::string> FromEpochSeconds(int64_t secs, const DateOptions& options) {
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  if (y < 1000 || y > 9999) return Status::Invalid("year " + std::to_string(y) + " is outside 1000..9999");
  std::string out = FormatDate(y, m, d);
  if (options.kind == DateKind::kDate) return out;
  char buf[16];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02dZ", static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  return out + buf;
}

}  // namespace

Result<std::string> NormalizeDate(std::string_view raw, const DateOptions& options) {
  std::string_view s = TrimSpace(raw);
  if (s.empty()) return Status::Invalid("empty date");
  if (s.size() > 64) return Status::Invalid("date text is too long");  // no real date form is longer
  for (unsigned char ch : s) {
    if (ch >= 0x80 || ch < 0x20) return Status::Invalid("unexpected character in date");
  }
  bool all_digits = true;
  for (char ch : s) all_digits = all_digits && IsDigit(ch);
  if (all_digits && s.size() != 8) {
    if (s.size() == 9 || s.size() == 10) return FromEpochSeconds(std::stoll(std::string(s)), options);
    if (s.size() == 12 || s.size() == 13) return FromEpochSeconds(std::stoll(std::string(s)) / 1000, options);
    return Status::Invalid("number \"" + std::string(s) + "\" is neither YYYYMMDD nor unix time");
  }
  // The time starts at the digits before the first ':'; the date is everything before it.
  Civil c;
  std::string_view date_part = s, time_part;
  size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    size_t start = colon;
    while (start > 0 && IsDigit(s[start - 1])) --start;
    date_part = s.substr(0, start);
    time_part = s.substr(start);
    while (!date_part.empty() && (date_part.back() == ' ' || date_part.back() == ',')) date_part.remove_suffix(1);
    if (!date_part.empty() && (date_part.back() == 'T' || date_part.back() == 't')) {
      date_part.remove_suffix(1);
    }
    Status st = ParseTime(time_part, c);
    if (!st.ok()) return st;
  }
  Status st = ParseDatePart(date_part, options, c);
  if (!st.ok()) return st;
  if (options.kind == DateKind::kDate) return FormatDate(c.year, c.month, c.day);
  int offset = c.has_offset ? c.offset_minutes : options.default_offset_minutes;
  int64_t secs = DaysFromCivil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 + c.second -
                 static_cast<int64_t>(offset) * 60;
  return FromEpochSeconds(secs, options);
}

}  // namespace canon
