// canonctl dedupe INPUT.csv --out clusters.csv [--rules DIR] [--id-column NAME] [--map COLUMN=field ...]
//                 [--explain]
// Offline deduplication: no daemon, no database. Normalizes every row with the rule set, clusters with the match
// model of DIR/match.toml, writes record_id,cluster_id,match_weight (+ decision,matched_record_id,explanation with
// --explain) for every input row.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "connectors/match_rules.h"
#include "connectors/rule_dir.h"
#include "hygiene/dedupe.h"
#include "tools/commands.h"
#include "tools/csv_inputs.h"

namespace canon::tools {
namespace {

std::string CsvQuote(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int CmdDedupe(const Args& args) {
  if (args.empty() || args[0].rfind("--", 0) == 0 || HasFlag(args, "--help")) {
    std::fprintf(stderr,
                 "usage: canonctl dedupe INPUT.csv --out clusters.csv [--rules DIR] [--id-column NAME]\n"
                 "                       [--map COLUMN=field ...] [--default-country CC] [--explain]\n");
    return 2;
  }
  const std::string input = args[0];
  const std::string out_path = OptionValue(args, "--out");
  const std::string dir = OptionValue(args, "--rules", "rules");
  if (out_path.empty()) {
    std::fprintf(stderr, "canonctl dedupe: --out is required\n");
    return 2;
  }
  auto rules = LoadRuleDir(dir);
  if (!rules.ok()) {
    std::fprintf(stderr, "canonctl dedupe: %s\n", rules.status().ToString().c_str());
    return 2;
  }
  auto match = LoadMatchRules(dir);
  if (!match.ok()) {
    std::fprintf(stderr, "canonctl dedupe: %s\n", match.status().ToString().c_str());
    return 2;
  }
  CsvInputOptions copt;
  copt.id_column = OptionValue(args, "--id-column");
  copt.maps = MapOptions(args);
  copt.default_country = OptionValue(args, "--default-country");
  const auto t0 = std::chrono::steady_clock::now();
  auto inputs = ReadCsvInputs(input, **rules, copt);
  if (!inputs.ok()) {
    std::fprintf(stderr, "canonctl dedupe: %s\n", inputs.status().ToString().c_str());
    return 2;
  }
  for (const auto& p : inputs->problems) std::fprintf(stderr, "%s: %s\n", input.c_str(), p.c_str());

  DedupeOptions dopt;
  dopt.explain = HasFlag(args, "--explain");
  auto result = Dedupe(match->model, match->blocking, inputs->inputs, dopt);
  if (!result.ok()) {
    std::fprintf(stderr, "canonctl dedupe: %s\n", result.status().ToString().c_str());
    return 2;
  }
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "canonctl dedupe: cannot write %s\n", out_path.c_str());
    return 2;
  }
  out << "record_id,cluster_id,match_weight";
  if (dopt.explain) out << ",decision,matched_record_id,explanation";
  out << "\n";
  size_t clusters = 0, merged = 0;
  for (const auto& r : result->rows) {
    char w[32] = "";
    if (!std::isnan(r.weight)) std::snprintf(w, sizeof w, "%.3f", r.weight);
    out << CsvQuote(r.record_id) << ',' << CsvQuote(r.cluster_id) << ',' << w;
    if (dopt.explain)
      out << ',' << DecisionName(r.decision) << ',' << CsvQuote(r.matched_record_id) << ','
          << CsvQuote(r.explanation);
    out << "\n";
    if (r.cluster_id == r.record_id) ++clusters;
    else ++merged;
  }
  out.flush();
  if (!out) {
    std::fprintf(stderr, "canonctl dedupe: write failed: %s\n", out_path.c_str());
    return 2;
  }
  for (const auto& k : result->over_common_keys)
    std::fprintf(stderr, "over-common blocking key skipped: %s (%zu entities)\n", k.key.c_str(), k.entities);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr,
               "%zu records -> %zu clusters (%zu records merged into another's cluster, %zu sent to review), "
               "%zu comparisons, %.2f s\n",
               result->rows.size(), clusters, merged, result->reviews, result->comparisons, secs);
  return 0;
}

}  // namespace canon::tools
