// libFuzzer target for the rule loader: RuleSet::Parse over rule file texts, as LoadRuleDir and a SIGHUP
// reload give it (TOML syntax, sources, vocabularies, lists, examples, field schema, match model, blocking,
// nicknames, survivorship, and the normalizer data built from them). Seeds in fuzz/corpus/rules_fuzz/.
//
// Input: files separated by "\n--\n", each "<path>\n<text>" (the path picks the parser: "rules/sources.toml",
// "rules/vocabularies/country.toml", "schemas/fields.toml", ...). Beyond "no crash": a rule set or an error
// with a message, never an internal error; a set that parses has a 16-digit hex version.
#include "fuzz/fuzz_support.h"
#include "hygiene/rule_set.h"

using namespace canon;
using namespace canon::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<RuleFile> files;
  for (std::string_view part : SplitParts(AsView(data, size), 1)) {
    size_t nl = part.find('\n');
    if (nl == std::string_view::npos) continue;
    files.push_back({std::string(part.substr(0, nl)), std::string(part.substr(nl + 1))});
  }
  auto set = RuleSet::Parse(files);
  if (set.ok())
    Check((*set)->version().size() == 16);
  else
    CheckOutcome(set.status());
  return 0;
}
