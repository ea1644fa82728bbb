#include "connectors/rule_dir.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace canon {

Result<std::shared_ptr<const RuleSet>> LoadRuleDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Invalid("rules directory not found: " + dir);
  std::vector<RuleFile> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".toml") continue;
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) return Status::Invalid("cannot read rule file", it->path().string());
    std::ostringstream ss;
    ss << in.rdbuf();
    files.push_back({it->path().string(), ss.str()});
  }
  if (ec) return Status::Invalid("cannot list rules directory: " + ec.message(), dir);
  return RuleSet::Parse(files);
}

}  // namespace canon
