// Normalize: a Record plus the rule set in force -> its canonical form, with what was held back and why.
//
// Pure function of its inputs. `rejected` non-empty means the record is refused as a whole (dead letter);
// `quarantined` values are governed values that mapped to nothing: the record is kept, those fields are not
// written to canonical fields. `keys` are matching keys (email_key, company_key, ...) used by blocking and
// matching, never shown as canonical values.
//
// Keys: email_key (provider-folded address), phone_key (E.164, valid numbers only), company_key (legal form, case,
// accents and punctuation dropped). Derived fields: phone_ext, honorific, suffix, full_name (from the parts),
// first_name/last_name (from full_name), company_domain (website host, else a non-free-mail e-mail domain), country
// (from a region when absent), lead_source (from click ids / utm_* when absent). Flags are "field:what":
// email:role|disposable|free_mail|typo_fixed|smtputf8, phone:invalid|region_mismatch, name:recased|single_name,
// company:legal_form_removed, lead_source:derived, country:from_region, region:from_country (a country field
// naming a region of that country, "England" -> country GB, region GB-ENG), FIELD:null_value, FIELD:control_removed.
// Issue reasons are sentences for people; `field` is "record" for the record-level require_any rule.
// Thread-safety: reads the RuleSet only; call from any number of threads on one shared set.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "hygiene/record.h"
#include "hygiene/rule_set.h"

namespace canon {

struct FieldIssue {
  std::string field;
  std::string value;
  std::string reason;
};

struct NormalizedRecord {
  std::map<std::string, std::string> fields;  // canonical field -> canonical value
  std::map<std::string, std::string> keys;    // matching keys
  std::vector<std::string> flags;             // e.g. "email:role", "phone:invalid"
  std::vector<FieldIssue> quarantined;
  std::vector<FieldIssue> rejected;
  std::string rules_version;

  bool accepted() const { return rejected.empty(); }
  const std::string& Get(const std::string& field) const {
    static const std::string kEmpty;
    auto it = fields.find(field);
    return it == fields.end() ? kEmpty : it->second;
  }
};

// Per field, by its definition in rules.fields(): email, phone (default region: the record's country, else the
// source's `default_country`), names (first/last/full, honorific, suffix), company (+ company_key,
// company_domain), country and region (ISO codes), vocabularies (lead_source, lifecycle_stage; lead_source derived
// from attribution when absent), dates, booleans, urls, free text. Then lengths, patterns, required fields and the
// record's require_any groups. Issues name the field ("record" for record-level rules).
NormalizedRecord Normalize(const Record& record, const RuleSet& rules);

// The fields of `n` whose value was kept as the sender gave it because it did not validate: a phone-typed field
// (by `schema`) without its "<field>_key" (libphonenumber rejected the number). Reads `fields` and `keys` only, so
// it works on a record loaded back from the store. Survivorship never lets such a value win over a valid one.
std::set<std::string> UnvalidatedFields(const NormalizedRecord& n, const FieldSchema& schema);

// Runs one rule-file example through Normalize; returns "" when it holds, else what differed
// ("lead_source: expected 'paid_search', got 'other'").
std::string CheckExample(const RuleExample& example, const RuleSet& rules);

}  // namespace canon
