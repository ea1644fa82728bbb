// Reads a rules directory (every *.toml below it, recursively) and parses it as one RuleSet.
// The only file I/O on the rules path; kept out of hygiene/ so the core stays pure.
#pragma once

#include <memory>
#include <string>

#include "hygiene/rule_set.h"

namespace canon {

Result<std::shared_ptr<const RuleSet>> LoadRuleDir(const std::string& dir);

}  // namespace canon
