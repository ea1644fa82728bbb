// RuleSet: every rule file of a rules directory, parsed and validated as one immutable value.
//
// Built once by RuleSet::Parse from the files' texts (reading the directory is the caller's job, see
// connectors/rule_dir.h, so this stays pure), then shared read-only through shared_ptr<const RuleSet>. A reload
// builds a new set and swaps the pointer; readers keep the set they started with. `version()` is a hash of every
// file's name and bytes, stored with each normalized record. Errors name file:line:column and the reason.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hygiene/status.h"

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
  // every other scalar key of the source's table, as text (default_country, folder, secret_env, ...).
  std::map<std::string, std::string> options;

  std::string Option(const std::string& key, const std::string& fallback = {}) const {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
  }
};

class RuleSet {
 public:
  // Parses and validates all files; the first problem found is returned with file:line:column.
  static Result<std::shared_ptr<const RuleSet>> Parse(const std::vector<RuleFile>& files);

  const std::string& version() const { return version_; }
  const SourceConfig* FindSource(std::string_view name) const;
  const std::map<std::string, SourceConfig, std::less<>>& sources() const { return sources_; }

 private:
  std::string version_;
  std::map<std::string, SourceConfig, std::less<>> sources_;
};

}  // namespace canon
