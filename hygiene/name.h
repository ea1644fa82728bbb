// Person name normalization: NFC, whitespace, careful capitalization, honorifics and suffixes split off, and a
// full name split into given and family name when those parts are missing.
//
// NormalizePersonName(first, last, full, rules) is a pure function; NameRules is plain data (rules/names.toml,
// parsed by ParseNameRules; DefaultNameRules() holds the same lists). Thread-safe: ICU case mapping only.
//
// Capitalization is changed only for a word that is entirely upper case or entirely lower case ("JOHN",
// "mcdonald"); a mixed-case word ("DeAndre", "McDonald", "Van") is how the person writes it and is kept. A
// recased word becomes: a particle inside a family name lower case ("VAN BEETHOVEN" -> "van Beethoven",
// "de la Cruz"; a particle that is the whole family name stays capitalized); a listed Mac name its listed form
// ("MACARTHUR" -> "MacArthur"; "MACK", "MACY" are not listed and become "Mack", "Macy"); "Mc" + capital
// ("McDonald"); a one-letter prefix with an apostrophe "O'Neill", or "d'Angelo" when "d'" is a particle and the
// word is in the family name; each hyphenated part capitalized ("Jean-Luc"); otherwise first letter upper, rest
// lower (Unicode-aware: "MÜLLER" -> "Müller").
//
// Honorifics ("Dr.", "Prof.", "Herr") are taken from the start of the given or full name (a first name that is
// only a salutation, next to a last name, becomes the honorific), suffixes ("Jr.",
// "III", "PhD") from the end of the family or full name, each shown in its listed display form ("DR" -> "Dr.").
// A full name "Family, Given" (comma) is read family first. Otherwise the family name starts at the first
// particle after the first word ("Ludwig van Beethoven"), else it is the last word; a single word is taken as
// the family name (flag "single_name").
//
// Errors (Code::kInvalidArgument): no name in any of the three inputs; input that is not UTF-8.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hygiene/status.h"

namespace canon {

struct NameRules {
  // Lookup keys are lower case without dots ("dr", "phd"); values are display forms ("Dr.", "PhD").
  std::unordered_map<std::string, std::string> honorifics;
  std::unordered_map<std::string, std::string> suffixes;
  // Lower case: "van", "der", "de", "la", "von", "d'", ... ("d'" marks the apostrophe form "d'Angelo").
  std::unordered_set<std::string> particles;
  // Lower case -> display form of names with an inner capital that is not derivable: "macarthur" -> "MacArthur".
  std::unordered_map<std::string, std::string> mac_names;
};

struct NameResult {
  std::string given;       // "Jane"
  std::string family;      // "O'Neill", "van Beethoven"
  std::string honorific;   // "Dr." (several joined by a space: "Prof. Dr.")
  std::string suffix;      // "PhD" (several joined by ", ": "Jr., PhD")
  std::string full;        // given + " " + family (no honorific or suffix); one of them when the other is empty
  std::vector<std::string> flags;  // "recased", "single_name", "has_digits"
  Status error;  // where() names the part that failed: first_name, last_name or full_name
};

// `first`, `last`: the record's first_name / last_name (may be empty); `full`: full_name (may be empty). When
// first or last is missing and full is given, the missing part is taken from the split of `full`.
NameResult NormalizePersonName(std::string_view first, std::string_view last, std::string_view full,
                               const NameRules& rules);

// The built-in lists; identical to rules/names.toml as shipped.
NameRules DefaultNameRules();

// Parses the text of a names.toml (format documented at the top of rules/names.toml). Errors carry
// "path:line:column" in Status::where(). `[[example]]` tables are ignored here (the rule set runs them).
Result<NameRules> ParseNameRules(std::string_view toml_text, const std::string& path);

}  // namespace canon
