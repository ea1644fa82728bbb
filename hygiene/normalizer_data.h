// Internal: the data the field normalizers need, built once per RuleSet from its lists and rule files, so that
// Normalize does no parsing per record. Owned by the RuleSet (immutable after build; safe from many threads).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "hygiene/company.h"
#include "hygiene/email.h"
#include "hygiene/name.h"
#include "hygiene/rule_set.h"
#include "hygiene/status.h"

namespace canon {

struct RuleSet::NormalizerData {
  // DefaultEmailRules() (providers) overlaid with lists/free_mail, disposable, email_typos, role_accounts.
  EmailRules email;
  NameRules names;          // names.toml, else DefaultNameRules()
  CompanyRules companies;   // companies.toml, else DefaultCompanyRules()
  // The rule set's field definitions by name, for Normalize's many lookups per record (a hash lookup instead of a
  // walk of the ordered map). They point into `schema`, the FieldSchema they were built from: a caller holding
  // another one uses its own Find.
  const FieldSchema* schema = nullptr;
  std::unordered_map<std::string_view, const FieldDef*> field_index;
};

// Builds the normalizers' data from a parsed rule set (lists, names.toml, companies.toml). Errors name the file.
Result<std::shared_ptr<const RuleSet::NormalizerData>> BuildNormalizerData(const RuleSet& rules);

}  // namespace canon
