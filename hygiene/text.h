// Free text and date normalization, plus the small UTF-8 helpers the other normalizers share.
//
// Everything here is a pure function of its arguments: no state, safe from any thread. ICU's NFC normalizer is
// an immutable process-wide singleton. Inputs are bytes that should be UTF-8; functions that cannot give a
// meaningful result for invalid UTF-8 say so in their error (Code::kInvalidArgument, message names the byte
// offset) rather than guessing an encoding.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "hygiene/status.h"

namespace canon {

// ---- UTF-8 helpers ----

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);
// Byte offset of the first ill-formed sequence, or npos when `s` is valid.
size_t FirstInvalidUtf8(std::string_view s);

// Removes ASCII whitespace and U+00A0 (no-break space, common in pasted form values) at both ends.
std::string_view TrimSpace(std::string_view s);

// Unicode NFC of valid UTF-8 (invalid sequences become U+FFFD). ASCII input is returned as is, cheaply.
std::string ToNfc(std::string_view s);

// Number of code points in valid UTF-8 (counts lead bytes).
size_t CodePointCount(std::string_view s);

// The longest prefix of `s` with at most `max_code_points` code points; never splits a code point. It may
// split a base letter from a following combining mark, which NFC input makes rare.
std::string_view TruncateCodePoints(std::string_view s, size_t max_code_points);

// ---- Free text ----

struct TextOptions {
  bool multiline = false;     // keep line breaks (as "\n"); otherwise every whitespace run becomes one space
  size_t max_code_points = 0;  // 0: no limit
  bool truncate = true;       // over the limit: cut (flag "truncated") when true, else an error
};

struct TextResult {
  std::string value;                // NFC, control characters removed, trimmed, within the limit
  std::vector<std::string> flags;   // "truncated", "control_removed"
  Status error;                     // not ok: invalid UTF-8, or over the limit with truncate == false
};

// Free text: NFC; C0/C1 control characters, U+FEFF and U+200B removed; tabs and (unless multiline) line breaks
// become spaces; in single-line mode whitespace runs collapse to one space; in multiline mode "\r\n" and "\r"
// become "\n", trailing spaces of each line go and at most two consecutive line breaks remain. Both ends are
// trimmed. An empty result is not an error (callers decide whether the field is required).
TextResult NormalizeText(std::string_view raw, const TextOptions& options = {});

// ---- Dates ----

enum class DateKind {
  kDate,       // output "YYYY-MM-DD" (a timestamp input keeps the calendar date it was written with)
  kTimestamp,  // output "YYYY-MM-DDTHH:MM:SSZ" in UTC (a date-only input is midnight UTC)
};

// How "03/04/2024" and "03-04-2024" read. "DD.MM.YYYY" (dots) is always day first, ISO is always year first.
enum class SlashOrder { kMonthFirst, kDayFirst };

struct DateOptions {
  DateKind kind = DateKind::kDate;
  SlashOrder slash_order = SlashOrder::kMonthFirst;  // US forms; a source in Europe sets kDayFirst
  int default_offset_minutes = 0;                    // offset of times written without one (0 = UTC)
};

// Accepted forms (surrounding whitespace ignored):
//   ISO 8601: "2024-03-04", "2024-03-04T10:20:30Z", "2024-03-04 10:20", "2024-03-04T10:20:30.123+02:00",
//             "+0200" and "+02" offsets, "20240304" (basic date)
//   "03/04/2024", "03-04-2024" (per slash_order; when one reading is impossible, e.g. "25/12/2024", the
//             possible one is taken), "04.03.2024" (day first), "2024/03/04", each optionally followed by
//             " HH:MM[:SS]" and " AM"/" PM"
//   month names in English: "March 4, 2024", "4 March 2024", "Mon, 04 Mar 2024 10:20:30 +0000" (RFC 2822)
//   unix time: 9-10 digits as seconds, 12-13 digits as milliseconds
// Errors (Code::kInvalidArgument) name what was wrong: unknown form, two-digit year, month 13, 31 April,
// hour 24, offset out of range, year outside 1000..9999.
Result<std::string> NormalizeDate(std::string_view raw, const DateOptions& options = {});

}  // namespace canon
