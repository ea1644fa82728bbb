// RuleSet: every rule file of a rules directory, parsed and validated as one immutable value.
//
// Built once by RuleSet::Parse from the files' texts (reading the directory is the caller's job, see
// connectors/rule_dir.h, so this stays pure), then shared read-only through shared_ptr<const RuleSet>. A reload
// builds a new set and swaps the pointer; readers keep the set they started with. `version()` is a hash of every
// file's name and bytes, stored with each normalized record. Errors name file:line:column (Status::where()) and
// the reason; an invalid set is never returned, only the error.
//
// Which file is what is decided by its path:
//   .../sources.toml              sources (kind, map, synonyms, the options its kind reads: docs/rules.md)
//   .../fields.toml               field definitions (hygiene/fields.h); absent -> BuiltinFieldSchema()
//   .../vocabularies/*.toml       vocabularies (hygiene/vocabulary.h); several files may feed one vocabulary
//   .../lists/*.toml              named lists: `entries = [...]` (domains, words) and/or a `[map]` table
//   .../names.toml, companies.toml  name and company normalizer data (hygiene/name.h, hygiene/company.h)
//   .../match.toml, nicknames.toml  match model + blocking (hygiene/match_model.h, hygiene/blocking.h): match()
//   .../survivorship.toml         per-field survivorship policies (hygiene/survivorship.h): survivorship()
//   anything else                 TOML syntax and examples only; examples/sources/*.toml are checked as sources
// Any file may carry `[[example]]` tables (RuleExample), run by `canonctl rules test`.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "hygiene/blocking.h"
#include "hygiene/fields.h"
#include "hygiene/match_model.h"
#include "hygiene/status.h"
#include "hygiene/survivorship.h"
#include "hygiene/vocabulary.h"

namespace canon {

struct RuleFile {
  std::string path;  // as shown in error messages, e.g. "rules/sources.toml"
  std::string text;
};

// One entry of rules/sources.toml: where records come from and how their fields map.
struct SourceConfig {
  std::string name;
  std::string kind;  // connector kind: form, json, ...
  // canonical field -> locator in the payload (a JSON Pointer for json, a form key for form); ordered as written.
  std::vector<std::pair<std::string, std::string>> map;
  // lowercased input name -> canonical field (header and form-key synonyms, "e-mail address" -> email).
  std::map<std::string, std::string> synonyms;
  // [source.constants]: canonical field -> value set on every record of the source (json and form), over what
  // the payload says ("lead_source" = "partner"); ordered as written.
  std::vector<std::pair<std::string, std::string>> constants;
  // every other scalar key of the source's table, as text (default_country, folder, secret_env, ...); an array
  // of strings (signed_headers) is joined with ','.
  std::map<std::string, std::string> options;

  std::string Option(const std::string& key, const std::string& fallback = {}) const {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
  }
};

// A named list from rules/lists/*.toml: a set of lowercased entries and/or a lowercased key -> value map.
struct RuleList {
  std::string name;
  std::unordered_set<std::string> entries;
  std::map<std::string, std::string> map;
  std::string where;

  bool Contains(std::string_view s) const { return entries.count(std::string(s)) != 0; }
};

// One [[example]] of a rule file: an input record and what Normalize must make of it.
// Single-field form: field = "lead_source", input = "PPC", expect = "paid_search" (or quarantined = true).
// Record form: input = { ... }, expect = { field = value, ... } ("" = must be absent), keys = { ... },
// flags = [...] (each must be present), quarantined = [fields], rejected = [fields] (exact sets when given).
struct RuleExample {
  std::string where;   // file:line:col
  std::string source;  // optional source name (its default_country applies)
  std::string field;   // single-field form only
  std::map<std::string, std::string> input;
  std::map<std::string, std::string> expect;
  std::map<std::string, std::string> keys;
  std::vector<std::string> flags;
  std::optional<std::vector<std::string>> quarantined;
  std::optional<std::vector<std::string>> rejected;
};

// The matching rules of a set (match.toml + nicknames.toml), parsed with the rest so a reload swaps them with it.
struct MatchConfig {
  std::shared_ptr<const NicknameTable> nicknames;
  std::shared_ptr<const MatchModel> model;
  BlockingRules blocking;
};

class RuleSet {
 public:
  // Parses and validates all files; the first problem found is returned with file:line:column.
  static Result<std::shared_ptr<const RuleSet>> Parse(const std::vector<RuleFile>& files);

  const std::string& version() const { return version_; }
  const SourceConfig* FindSource(std::string_view name) const;
  const std::map<std::string, SourceConfig, std::less<>>& sources() const { return sources_; }

  const FieldSchema& fields() const { return fields_; }
  const Vocabulary* FindVocabulary(std::string_view name) const;
  const std::map<std::string, Vocabulary, std::less<>>& vocabularies() const { return vocabularies_; }
  // A list by name ("free_mail", "disposable", ...), or nullptr.
  const RuleList* FindList(std::string_view name) const;
  const std::map<std::string, RuleList, std::less<>>& lists() const { return lists_; }
  const std::vector<RuleExample>& examples() const { return examples_; }
  size_t file_count() const { return file_count_; }
  // The text of names.toml / companies.toml ("" when absent), for the name and company normalizers' parsers.
  const std::string& names_toml() const { return names_toml_; }
  const std::string& companies_toml() const { return companies_toml_; }
  const std::string& names_path() const { return names_path_; }
  const std::string& companies_path() const { return companies_path_; }

  // The match model and blocking rules; nullptr when the set has no match.toml (then only exact e-mail keys match).
  const MatchConfig* match() const { return match_.get(); }
  // Survivorship policies (defaults when the set has no survivorship.toml).
  const SurvivorshipRules& survivorship() const { return survivorship_; }

  // Shared data of the normalizers, built from the files above at parse time (opaque here; see normalize.cc).
  struct NormalizerData;
  const NormalizerData& normalizer_data() const { return *normalizer_data_; }

 private:
  std::string version_;
  size_t file_count_ = 0;
  std::map<std::string, SourceConfig, std::less<>> sources_;
  FieldSchema fields_;
  std::map<std::string, Vocabulary, std::less<>> vocabularies_;
  std::map<std::string, RuleList, std::less<>> lists_;
  std::vector<RuleExample> examples_;
  std::string names_toml_, names_path_;
  std::string companies_toml_, companies_path_;
  std::shared_ptr<const NormalizerData> normalizer_data_;
  std::shared_ptr<const MatchConfig> match_;
  SurvivorshipRules survivorship_;

  friend struct RuleSetParser;
};

// Ordered lifecycle: may lifecycle_stage move from `from` to `to`? (Vocabulary::MayMove of "lifecycle_stage";
// false when the rule set has no such vocabulary.)
bool LifecycleMayMove(const RuleSet& rules, std::string_view from, std::string_view to, bool by_steward);

}  // namespace canon
