// libFuzzer target for the normalizer entry as `canonctl normalize` reaches it: one JSON Lines record
// (RecordFromJsonLine) normalized by the repository's rules (rules/, schemas/fields.toml), with and without a
// source's synonyms and default country. Seeds in fuzz/corpus/normalize_fuzz/.
//
// Beyond "no crash": every value and key Normalize makes, and every quarantined or rejected value, is valid
// UTF-8 (the input line is, or it is refused): the store writes them as jsonb, which refuses anything else.
#include <simdjson.h>

#include "connectors/json_line.h"
#include "connectors/rule_dir.h"
#include "fuzz/fuzz_support.h"
#include "hygiene/normalize.h"

using namespace canon;
using namespace canon::fuzz;

namespace {

const RuleSet& Rules() {
  static const std::shared_ptr<const RuleSet> kRules = [] {
    auto r = LoadRuleDir(CANON_SOURCE_DIR "/rules");
    Check(r.ok());
    return *r;
  }();
  return *kRules;
}

void CheckNormalized(const NormalizedRecord& n) {
  for (const auto& [k, v] : n.fields) Check(Utf8(v));
  for (const auto& [k, v] : n.keys) Check(Utf8(v));
  for (const auto* issues : {&n.quarantined, &n.rejected})
    for (const FieldIssue& i : *issues) Check(Utf8(i.value) && !i.reason.empty());
}

}  // namespace

// The rules are loaded once, before the first input (and so outside its time limit).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Rules();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const RuleSet& rules = Rules();
  simdjson::dom::parser parser;
  std::string_view line = AsView(data, size);
  for (const SourceConfig* source :
       {static_cast<const SourceConfig*>(nullptr), rules.FindSource("website")}) {
    auto rec = RecordFromJsonLine(line, rules, source, parser);
    if (!rec.ok()) {
      CheckOutcome(rec.status());
      return 0;
    }
    if (source) rec->source = source->name;
    CheckNormalized(Normalize(*rec, rules));
  }
  return 0;
}
