// Internal: the data the field normalizers need, built once per RuleSet from its lists and rule files, so that
// Normalize does no parsing per record. Owned by the RuleSet (immutable after build; safe from many threads).
#pragma once

#include <memory>
#include <string>
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
};

// Builds the normalizers' data from a parsed rule set (lists, names.toml, companies.toml). Errors name the file.
Result<std::shared_ptr<const RuleSet::NormalizerData>> BuildNormalizerData(const RuleSet& rules);

}  // namespace canon
