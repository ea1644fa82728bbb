// Fail closed at start-up and reload: the secrets a rule set's sources name must be there.
//
// A source names the environment variable holding each of its secrets (secret_env, verify_token_env,
// access_token_env in rules/sources.toml); the rule files never hold a secret. A variable that is unset or empty
// would leave the source refusing everything at best, so canond refuses to start (and a reload is refused) until
// it is set or the source is removed. Pure apart from `lookup`; thread-safe as `lookup` is.
#pragma once

#include <functional>

#include "hygiene/rule_set.h"
#include "hygiene/status.h"

namespace canon {

// The first source (in name order) with an unset or empty variable -> kInvalidArgument naming the source, the
// option and the variable, never a value. `lookup` is std::getenv in canond and canonctl.
Status CheckSourceSecrets(const RuleSet& rules, const std::function<const char*(const char*)>& lookup);

}  // namespace canon
