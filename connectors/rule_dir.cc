#include "connectors/rule_dir.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace canon {
namespace {

Status ReadFile(const std::filesystem::path& p, std::vector<RuleFile>* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::Invalid("cannot read rule file", p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  out->push_back({p.generic_string(), ss.str()});
  return Status::Ok();
}

}  // namespace

std::string DefaultSchemasDir(const std::string& dir) {
  std::filesystem::path p(dir);
  if (!p.has_filename()) p = p.parent_path();  // "rules/" -> "rules"
  return (p.parent_path() / "schemas").string();
}

std::string SchemaNotice(const std::string& dir) {
  const std::filesystem::path f = std::filesystem::path(DefaultSchemasDir(dir)) / "fields.toml";
  std::error_code ec;
  if (std::filesystem::is_regular_file(f, ec)) return {};
  return "no " + f.string() + " beside the rules: the built-in field schema is in force (keep schemas/ next to rules/)";
}

Result<std::vector<RuleFile>> ReadRuleFiles(const std::string& dir, const std::string& schemas_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Invalid("rules directory not found: " + dir);
  std::vector<RuleFile> files;
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".toml") continue;
    paths.push_back(it->path());
  }
  if (ec) return Status::Invalid("cannot list rules directory: " + ec.message(), dir);
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    Status s = ReadFile(p, &files);
    if (!s.ok()) return s;
  }
  if (!schemas_dir.empty()) {
    fs::path f = fs::path(schemas_dir) / "fields.toml";
    if (fs::is_regular_file(f, ec)) {
      Status s = ReadFile(f, &files);
      if (!s.ok()) return s;
    }
  }
  return files;
}

Result<std::shared_ptr<const RuleSet>> LoadRuleDir(const std::string& dir, const std::string& schemas_dir) {
  auto files = ReadRuleFiles(dir, schemas_dir);
  if (!files.ok()) return files.status();
  return RuleSet::Parse(*files);
}

Result<std::shared_ptr<const RuleSet>> LoadRuleDir(const std::string& dir) {
  return LoadRuleDir(dir, DefaultSchemasDir(dir));
}

}  // namespace canon
