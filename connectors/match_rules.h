// Loads the matching rules of a rules directory: match.toml (model + blocking) and nicknames.toml.
// File I/O lives here, outside hygiene/, like connectors/rule_dir.h. Errors name the file (path:line:col).
#pragma once

#include <memory>
#include <string>

#include "hygiene/blocking.h"
#include "hygiene/match_model.h"

namespace canon {

struct MatchRules {
  std::shared_ptr<const NicknameTable> nicknames;
  MatchModel model;
  BlockingRules blocking;
  std::string match_path;  // the match.toml that was read
};

// Reads DIR/match.toml and DIR/nicknames.toml (the latter optional when no field uses a nickname level).
Result<MatchRules> LoadMatchRules(const std::string& dir);
// The same from an explicit match.toml path; nicknames from the file beside it.
Result<MatchRules> LoadMatchRulesFile(const std::string& match_toml_path);

}  // namespace canon
