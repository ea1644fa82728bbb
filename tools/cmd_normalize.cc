// canonctl normalize --rules DIR [--source NAME]: JSON Lines of raw records on stdin (one object of field ->
// value per line) -> one JSON line per record on stdout: canonical fields, matching keys, flags, and the
// `quarantine` and `rejected` entries with their reasons. A line that is not a JSON object is answered with
// {"line": N, "error": "..."} and makes the exit code 1; the other lines are still processed.
#include <simdjson.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "connectors/json_line.h"
#include "connectors/rule_dir.h"
#include "hygiene/normalize.h"
#include "store/pg.h"
#include "tools/commands.h"

namespace canon::tools {
namespace {

using store::AppendJsonString;

void AppendMap(std::string* out, const std::map<std::string, std::string>& m) {
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, k);
    out->push_back(':');
    AppendJsonString(out, v);
  }
  out->push_back('}');
}

void AppendIssues(std::string* out, const std::vector<FieldIssue>& issues) {
  out->push_back('[');
  for (size_t i = 0; i < issues.size(); ++i) {
    if (i) out->push_back(',');
    out->append("{\"field\":");
    AppendJsonString(out, issues[i].field);
    out->append(",\"value\":");
    AppendJsonString(out, issues[i].value);
    out->append(",\"reason\":");
    AppendJsonString(out, issues[i].reason);
    out->push_back('}');
  }
  out->push_back(']');
}

}  // namespace

std::string NormalizedJson(const NormalizedRecord& n, size_t line) {
  std::string out = "{\"line\":" + std::to_string(line) + ",\"accepted\":" + (n.accepted() ? "true" : "false");
  out += ",\"fields\":";
  AppendMap(&out, n.fields);
  out += ",\"keys\":";
  AppendMap(&out, n.keys);
  out += ",\"flags\":[";
  for (size_t i = 0; i < n.flags.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, n.flags[i]);
  }
  out += "],\"quarantine\":";
  AppendIssues(&out, n.quarantined);
  out += ",\"rejected\":";
  AppendIssues(&out, n.rejected);
  out += ",\"rules_version\":";
  AppendJsonString(&out, n.rules_version);
  out += "}";
  return out;
}

int CmdNormalize(const Args& args) {
  std::string dir = OptionValue(args, "--rules");
  if (dir.empty() || HasFlag(args, "--help")) {
    std::fprintf(stderr,
                 "usage: canonctl normalize --rules DIR [--schemas DIR] [--source NAME] < records.jsonl\n"
                 "each input line: a JSON object of field -> value; each output line: fields, keys, flags,\n"
                 "quarantine and rejected entries with reasons\n");
    return 2;
  }
  auto rules = LoadRuleDir(dir, OptionValue(args, "--schemas", DefaultSchemasDir(dir)));
  if (!rules.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", rules.status().where().c_str(), rules.status().message().c_str());
    return 1;
  }
  const RuleSet& set = **rules;
  std::string source_name = OptionValue(args, "--source");
  const SourceConfig* source = source_name.empty() ? nullptr : set.FindSource(source_name);
  if (!source_name.empty() && !source) {
    std::fprintf(stderr, "canonctl normalize: unknown source '%s'\n", source_name.c_str());
    return 2;
  }
  simdjson::dom::parser parser;
  std::string line;
  size_t lineno = 0;
  bool bad = false;
  std::string out;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto rec = RecordFromJsonLine(line, set, source, parser);
    if (!rec.ok()) {
      bad = true;
      out = "{\"line\":" + std::to_string(lineno) + ",\"error\":";
      AppendJsonString(&out, rec.status().message());
      out += "}\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
      continue;
    }
    rec->source = source_name;
    rec->index = static_cast<int>(lineno);
    out = NormalizedJson(Normalize(*rec, set), lineno);
    out.push_back('\n');
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return bad ? 1 : 0;
}

}  // namespace canon::tools
