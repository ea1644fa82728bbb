// Blocking: the keys under which a record is filed, so that candidates are found by key lookup, not by a scan.
//
// What: rules/match.toml's [[blocking]] entries; each rule concatenates transformed field values into one key,
// "<rule name>:<part>|<part>...". A rule yields no key when any of its parts is empty (a missing value never
// blocks records together). Part syntax: "field" (case-folded value), "metaphone:field" (Double Metaphone
// primary code; a second key is made for the alternate code when it differs), "initial:field" (first code
// point, without its accent: "É" -> "e"), "prefixN:field" (first N code points, N in 1..9), "year:field" (first 4 characters of a date).
// `max_per_key` caps how many entities one key may return (a shared office phone, info@...): keys over the cap
// are skipped and reported by the candidate index, never followed into thousands of candidates. A rule may set a
// lower cap of its own: a key made of names only ("given_family") is held by more entities the larger the store,
// so following it up to the global cap makes each record's cost grow with the store.
// Ownership: values. Thread-safety: pure functions and immutable values.
// Errors: BlockingRules::FromToml returns Invalid with path:line:col.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hygiene/match_model.h"
#include "hygiene/status.h"

namespace canon {

struct BlockingPart {
  enum class Transform { kValue, kMetaphone, kInitial, kPrefix, kYear };
  Transform transform = Transform::kValue;
  MatchField field = MatchField::kGivenName;
  int prefix = 0;  // kPrefix
};

struct BlockingRule {
  std::string name;
  std::vector<BlockingPart> parts;
  size_t max_per_key = 0;  // 0: BlockingRules::max_per_key
};

struct BlockingRules {
  std::vector<BlockingRule> rules;
  size_t max_per_key = 50;        // entities one key may return before it counts as over-common
  size_t max_candidates = 200;    // entities one record may be compared with, over all its keys

  // The cap of `key` ("<rule name>:..."): its rule's own, else max_per_key.
  size_t CapFor(std::string_view key) const;
  // The largest cap of any rule: a holder lookup that reads this many + 1 holders per key sees every key's cap.
  size_t LargestCap() const;

  // Reads the [[blocking]] array and the optional [blocking_limits] of a match rules file.
  static Result<BlockingRules> FromToml(std::string_view text, const std::string& path);
};

// The record's blocking keys, deduplicated, in rule order.
std::vector<std::string> BlockingKeys(const MatchInput& in, const BlockingRules& rules);

}  // namespace canon
