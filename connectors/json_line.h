// One line of JSON Lines input as `canonctl normalize` reads it (an object of field -> value) -> Record.
//
// A key that the rule set's schema defines, or (with a source) one of that source's synonyms, becomes a field
// when its value is a scalar (numbers and booleans as written); every other key goes to Record::extra under
// the key (arrays and objects minified); null values are left out. Attribution is captured from a landing page
// URL as the connectors capture it (CaptureAttribution), so the record is the one canond would normalize. Pure; the parser is the caller's, reused
// between lines (nothing returned points into it). Errors: kInvalidArgument "malformed JSON: ..." or
// "expected a JSON object".
#pragma once

#include <simdjson.h>

#include <string_view>

#include "hygiene/record.h"
#include "hygiene/rule_set.h"
#include "hygiene/status.h"

namespace canon {

Result<Record> RecordFromJsonLine(std::string_view line, const RuleSet& rules, const SourceConfig* source,
                                  simdjson::dom::parser& parser);

}  // namespace canon
