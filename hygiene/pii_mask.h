// The last line of defence against personal data in free text that leaves the process (log lines, error bodies,
// dead-letter reasons, inbox errors): MaskPii replaces what looks like an e-mail address with "[email]" and what
// looks like a phone number with "[phone]". It is a net under the structural rules (never put a record's value
// in a message; database errors keep only SQLSTATE and names, store/pg.h), not a substitute for them.
//
// What it masks:
//   - an e-mail address: the characters around an '@' up to whitespace, quotes, brackets, ",;:=&?/|\" and
//     control characters, on either side ("ann@x.com", "Ann.Ó@bücher.de", "ann@", "@x.com");
//   - a phone-like run: digits with the separators " -./()", an optional leading '+', not inside a word
//     (so hex ids and "v1234567" stay), holding 7 or more digits and either a leading '+' or a separator
//     ("+44 20 7946 0958", "(212) 555-0187", "020-7946-0958"), or bare digits: 10 or more, or 8 or more with a
//     leading 0 ("2125550187", "07946095800"). Left alone: bare numbers under 10 digits (ids, counts, byte
//     sizes), bare numbers right after a word ending in "id" ("leadgen_id 123123123123"), dates (2026-12-03),
//     dotted quads (10.120.130.140) and decimals with one dot (1234.5678). A ')' ends a run unless the run
//     opened it.
//
// Pure: no state, safe from any thread. Bytes that are not UTF-8 pass through (as part of a masked run or not).
#pragma once

#include <string>
#include <string_view>

namespace canon {

std::string MaskPii(std::string_view text);

}  // namespace canon
