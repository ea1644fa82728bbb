// Reads a rules directory (every *.toml below it, recursively) plus the field definitions
// (`<schemas_dir>/fields.toml`) and parses them as one RuleSet. The only file I/O on the rules path; kept out of
// hygiene/ so the core stays pure. Errors: a directory or file that cannot be read, or the RuleSet's own
// file:line:column errors. Safe from any thread (reads only).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hygiene/rule_set.h"

namespace canon {

// Schemas directory defaults to `<dir>/../schemas`; a missing fields.toml there means the built-in schema.
Result<std::shared_ptr<const RuleSet>> LoadRuleDir(const std::string& dir);
// An explicit schemas directory; "" means none (built-in schema).
Result<std::shared_ptr<const RuleSet>> LoadRuleDir(const std::string& dir, const std::string& schemas_dir);
// The files LoadRuleDir would parse, read into memory (for tools that report on them).
Result<std::vector<RuleFile>> ReadRuleFiles(const std::string& dir, const std::string& schemas_dir);
// `<dir>/../schemas` (the repository layout: rules/ and schemas/ side by side).
std::string DefaultSchemasDir(const std::string& dir);
// "" when `<dir>/../schemas/fields.toml` exists; otherwise one line saying that the built-in field schema is in
// force and where fields.toml was looked for. A rules copy without its schemas/ normalizes differently (other
// required fields and types), so the daemon and canonctl say so instead of switching silently.
std::string SchemaNotice(const std::string& dir);

}  // namespace canon
