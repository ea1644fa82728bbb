#include "connectors/match_rules.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace canon {
namespace {

bool ReadAll(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

Result<MatchRules> LoadMatchRulesFile(const std::string& match_path) {
  std::string text;
  if (!ReadAll(match_path, &text)) return Status::Invalid("cannot read match rules", match_path);
  std::shared_ptr<const NicknameTable> nicknames;
  const std::string nick_path =
      (std::filesystem::path(match_path).parent_path() / "nicknames.toml").string();
  std::string nick_text;
  if (ReadAll(nick_path, &nick_text)) {
    auto t = NicknameTable::FromToml(nick_text, nick_path);
    if (!t.ok()) return t.status();
    const std::string sex_path =
        (std::filesystem::path(match_path).parent_path() / "lists" / "given_name_sex.toml").string();
    std::string sex_text;
    if (ReadAll(sex_path, &sex_text))
      if (Status st = t->AddSexes(sex_text, sex_path); !st.ok()) return st;
    nicknames = std::make_shared<const NicknameTable>(std::move(*t));
  }
  auto model = MatchModel::FromToml(text, match_path, nicknames);
  if (!model.ok()) return model.status();
  auto blocking = BlockingRules::FromToml(text, match_path);
  if (!blocking.ok()) return blocking.status();
  return MatchRules{nicknames, std::move(*model), std::move(*blocking), match_path};
}

Result<MatchRules> LoadMatchRules(const std::string& dir) {
  return LoadMatchRulesFile((std::filesystem::path(dir) / "match.toml").string());
}

}  // namespace canon
