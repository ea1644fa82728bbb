// canonctl rules check|test DIR: validate a rules directory, or run the examples its files carry.
#include <cstdio>
#include <string>

#include "connectors/rule_dir.h"
#include "hygiene/normalize.h"
#include "tools/commands.h"

namespace canon::tools {
namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: canonctl rules check DIR [--schemas DIR]   validate every rule file (file:line errors)\n"
               "       canonctl rules test DIR [--schemas DIR]    run the examples the rule files carry\n"
               "       canonctl rules reload                      ask the running canond to reload its rules\n"
               "--schemas defaults to DIR/../schemas (for fields.toml)\n");
}

// "path:line:col: error: message", the form editors and CI annotators understand.
void PrintError(const Status& s) {
  if (s.where().empty()) std::fprintf(stderr, "error: %s\n", s.message().c_str());
  else std::fprintf(stderr, "%s: error: %s\n", s.where().c_str(), s.message().c_str());
}

Result<std::shared_ptr<const RuleSet>> Load(const Args& args) {
  std::string dir = args[1];
  std::string schemas = OptionValue(args, "--schemas", DefaultSchemasDir(dir));
  return LoadRuleDir(dir, schemas);
}

}  // namespace

int CmdRules(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    Usage();
    return 2;
  }
  const std::string& sub = args[0];
  if (sub == "reload") {
    std::fprintf(stderr, "canonctl rules reload: not implemented yet (send SIGHUP to canond meanwhile)\n");
    return 2;
  }
  if ((sub != "check" && sub != "test") || args.size() < 2) {
    Usage();
    return 2;
  }
  auto rules = Load(args);
  if (!rules.ok()) {
    PrintError(rules.status());
    std::fprintf(stderr, "rules in %s are invalid\n", args[1].c_str());
    return 1;
  }
  const RuleSet& set = **rules;
  if (sub == "check") {
    size_t aliases = 0;
    for (const auto& [name, v] : set.vocabularies()) aliases += v.alias_count();
    std::printf("ok: %zu files, %zu sources, %zu fields, %zu vocabularies (%zu aliases), %zu lists, %zu examples; "
                "version %s\n",
                set.file_count(), set.sources().size(), set.fields().fields.size(), set.vocabularies().size(),
                aliases, set.lists().size(), set.examples().size(), set.version().c_str());
    return 0;
  }
  size_t passed = 0, failed = 0;
  for (const RuleExample& ex : set.examples()) {
    std::string why = CheckExample(ex, set);
    if (why.empty()) {
      ++passed;
      continue;
    }
    ++failed;
    std::string input;
    for (const auto& [k, v] : ex.input) input += (input.empty() ? "" : ", ") + k + "=\"" + v + "\"";
    std::printf("%s: FAIL {%s}: %s\n", ex.where.c_str(), input.c_str(), why.c_str());
  }
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return failed ? 1 : 0;
}

}  // namespace canon::tools
