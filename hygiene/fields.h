// Field definitions: the canonical model's fields (schemas/fields.toml) and the record-level rules.
//
// Every canonical field a record may carry has a definition: its type (which normalizer governs it), whether it
// is required, its maximum length in characters, an optional RE2 pattern the canonical value must match, the
// vocabulary that governs it, and whether it is personal data. A field without a definition never reaches a
// canonical field (Normalize holds it back with a reason). `require_any` says which groups of fields identify a
// record at all: a record must fill every field of at least one group.
//
// Built only by RuleSet::Parse, then immutable; safe to read from many threads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace canon {

enum class FieldType { kString, kEmail, kPhone, kUrl, kCountry, kRegion, kDate, kTimestamp, kEnum, kBoolean };

// "string" -> kString ...; false when the name is unknown.
bool ParseFieldType(std::string_view name, FieldType* out);
const char* FieldTypeName(FieldType type);

struct FieldDef {
  std::string name;
  std::string entity;      // "contact" or "company"
  FieldType type = FieldType::kString;
  std::string normalizer;  // "name", "company", "text", ... ; empty means the type's own
  bool required = false;
  size_t max_length = 0;   // in Unicode code points; 0 = unlimited
  std::shared_ptr<const re2::RE2> pattern;  // the canonical value must match it in full
  std::string pattern_text;
  std::string vocabulary;  // name of the governing vocabulary (enum, country, region)
  bool pii = false;
  bool derived = false;    // produced by normalization (honorific, phone_ext, ...), not expected from input
  std::string where;       // file:line:col of the definition
};

struct FieldSchema {
  std::map<std::string, FieldDef, std::less<>> fields;
  std::vector<std::vector<std::string>> require_any;
  // Placeholders senders put in empty form fields ("N/A", "-", "null"), lower case: treated as absent, so "N/A"
  // in country is not Namibia. Compared with the whole trimmed value, case-insensitively.
  std::vector<std::string> null_values;
  std::string where;  // the file it came from; empty when built in

  const FieldDef* Find(std::string_view name) const {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  }
};

// The schema used when a rule set has no schemas/fields.toml: every field the connectors know, as plain strings,
// no record-level rule. Keeps a bare rules directory (tests, first runs) working.
FieldSchema BuiltinFieldSchema();

}  // namespace canon
