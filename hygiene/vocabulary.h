// Vocabulary: the governed values of one field (lead_source, lifecycle_stage, country, region) with their aliases,
// RE2 patterns and ordered derivation rules, as loaded from rules/vocabularies/*.toml.
//
// Matching: an input is first looked up by FoldKey (hygiene/fold.h: case-, accent-, space- and
// punctuation-insensitive) among every value's code, label and aliases; then the values' RE2 patterns are tried
// in file order against the trimmed input. A value may carry a `scope` (regions: the country code), in which case
// its aliases are looked up in that scope first; an alias is matched without a scope only when it is unique over
// all scopes.
// Derivation (`[[derive]]`) produces a value when the field is absent, from other fields of the record (click ids,
// utm_medium, utm_source); refinement (`[[refine]]`) replaces a matched value when the record's other fields say
// more ("LinkedIn" with a paid medium is paid_social). Both are ordered rule lists: the first rule that holds wins.
//
// Built only by RuleSet::Parse (hygiene/rule_set.cc), then immutable; safe to read from many threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace re2 {
class RE2;
}

namespace canon {

namespace rule_parse {
class VocabularyBuilder;
}

struct VocabularyValue {
  std::string code;   // the canonical value written to the field
  std::string label;  // a human name; also matched as an alias
  std::string scope;  // optional: e.g. "US" for region "US-CA"
  int order = 0;      // position in an ordered vocabulary (lifecycle_stage); 0 when unordered
};

// One [[derive]] or [[refine]] rule. Every condition given must hold.
struct VocabularyRule {
  std::string value;                      // the canonical value the rule produces
  std::string from;                       // refine only: the matched value it may replace
  std::vector<std::string> present;       // all of these fields non-empty
  std::vector<std::string> any_present;   // at least one of these fields non-empty
  std::vector<std::string> absent;        // none of these fields non-empty
  std::vector<std::pair<std::string, std::shared_ptr<const re2::RE2>>> match;  // field value matches (RE2)
  std::string where;                      // file:line:col of the rule, for explanations and errors
};

class Vocabulary {
 public:
  // Reads a field of the record being normalized ("" when absent). Used by derive/refine rules.
  using FieldGetter = std::function<std::string_view(std::string_view field)>;

  const std::string& name() const { return name_; }
  const std::vector<VocabularyValue>& values() const { return values_; }
  const std::vector<VocabularyRule>& derive_rules() const { return derive_; }
  const std::vector<VocabularyRule>& refine_rules() const { return refine_; }
  size_t alias_count() const { return aliases_.size(); }

  // The canonical code for a raw input, or "" when nothing matches. `scope` narrows scoped values (a region
  // looked up with the record's country); an empty scope matches unscoped values and aliases unique over scopes.
  std::string Lookup(std::string_view raw, std::string_view scope = {}) const;
  // The value with this code, or nullptr.
  const VocabularyValue* Find(std::string_view code) const;
  // First [[derive]] rule that holds for the record, or "".
  std::string Derive(const FieldGetter& get) const;
  // First [[refine]] rule whose `from` is `code` and that holds; else `code` unchanged.
  std::string Refine(const std::string& code, const FieldGetter& get) const;
  // Ordered vocabularies: may a value move from `from` to `to`? Forward (or equal) moves always; backward only
  // by a steward. Unknown `to` is never allowed; an empty `from` allows any known `to`.
  bool MayMove(std::string_view from, std::string_view to, bool by_steward) const;

 private:
  friend class rule_parse::VocabularyBuilder;
  std::string name_;
  std::vector<VocabularyValue> values_;
  std::unordered_map<std::string, size_t> codes_;  // code -> index
  // scope + '\x1f' + FoldKey(alias) -> index; unscoped aliases use an empty scope. `global_` holds scoped aliases
  // that are unique over all scopes (-1 marks an ambiguous one).
  std::unordered_map<std::string, size_t> aliases_;
  std::unordered_map<std::string, long> global_;
  std::vector<std::pair<std::shared_ptr<const re2::RE2>, size_t>> patterns_;
  std::vector<VocabularyRule> derive_;
  std::vector<VocabularyRule> refine_;
};

// True when a rule's conditions hold for the record.
bool RuleHolds(const VocabularyRule& rule, const Vocabulary::FieldGetter& get);

}  // namespace canon
