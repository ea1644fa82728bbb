// Internal: the data the field normalizers need, built once per RuleSet from its lists and rule files, so that
// Normalize does no parsing per record. Owned by the RuleSet (immutable after build; safe from many threads).
#pragma once

#include <memory>
#include <string>
#include <unordered_set>

#include "hygiene/rule_set.h"
#include "hygiene/status.h"

namespace canon {

struct RuleSet::NormalizerData {
  std::unordered_set<std::string> free_mail;   // lists/free_mail.toml (+ hand-kept additions)
  std::unordered_set<std::string> disposable;  // lists/disposable.toml
};

// Builds the normalizers' data from a parsed rule set (lists, names.toml, companies.toml). Errors name the file.
Result<std::shared_ptr<const RuleSet::NormalizerData>> BuildNormalizerData(const RuleSet& rules);

}  // namespace canon
