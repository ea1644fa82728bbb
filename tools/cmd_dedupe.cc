// canonctl dedupe INPUT.csv --out clusters.csv [--rules DIR] [--id-column NAME] [--map COLUMN=field ...]
//                 [--default-country CC] [--skip-refused] [--explain]
// Offline deduplication: no daemon, no database. Normalizes every row with the rule set, clusters with the match
// model of DIR/match.toml, writes record_id,cluster_id,match_weight (+ decision,matched_record_id,explanation with
// --explain) for every input row.
// Rows the rules refuse as a whole (a bad date, no way to identify the person) are matched on what remains by
// default; with --skip-refused they are left out of matching as canond leaves them out (it dead-letters them):
// each is its own cluster with decision "refused" and no weight, and no later row can join it.
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
                 "                       [--map COLUMN=field ...] [--default-country CC] [--skip-refused]\n"
                 "                       [--explain]\n");
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
  if (const std::string notice = SchemaNotice(dir); !notice.empty())
    std::fprintf(stderr, "canonctl dedupe: warning: %s\n", notice.c_str());
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

  const bool skip_refused = HasFlag(args, "--skip-refused");
  size_t refused = 0;
  for (const auto& why : inputs->refused) refused += why.empty() ? 0 : 1;
  std::vector<bool> left_out(inputs->inputs.size(), false);  // per output row: refused and not matched
  std::vector<MatchInput> matched;                             // with --skip-refused: the accepted rows, in order
  if (skip_refused && refused) {
    matched.reserve(inputs->inputs.size() - refused);
    for (size_t i = 0; i < inputs->inputs.size(); ++i) {
      if (inputs->refused[i].empty()) matched.push_back(inputs->inputs[i]);
      else left_out[i] = true;
    }
  }

  DedupeOptions dopt;
  dopt.explain = HasFlag(args, "--explain");
  auto result = Dedupe(match->model, match->blocking, skip_refused && refused ? matched : inputs->inputs, dopt);
  if (!result.ok()) {
    std::fprintf(stderr, "canonctl dedupe: %s\n", result.status().ToString().c_str());
    return 2;
  }
  if (skip_refused && refused) {  // put the refused rows back in their places, each its own cluster
    std::vector<DedupeAssignment> rows;
    rows.reserve(inputs->inputs.size());
    size_t next = 0;
    for (size_t i = 0; i < inputs->inputs.size(); ++i) {
      if (!left_out[i]) {
        rows.push_back(std::move(result->rows[next++]));
        continue;
      }
      DedupeAssignment a;
      a.record_id = inputs->inputs[i].id;
      a.cluster_id = a.record_id;
      a.weight = std::nan("");
      a.explanation = "refused: " + inputs->refused[i];
      rows.push_back(std::move(a));
    }
    result->rows = std::move(rows);
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
  for (size_t i = 0; i < result->rows.size(); ++i) {
    const DedupeAssignment& r = result->rows[i];
    char w[32] = "";
    if (!std::isnan(r.weight)) std::snprintf(w, sizeof w, "%.3f", r.weight);
    out << CsvQuote(r.record_id) << ',' << CsvQuote(r.cluster_id) << ',' << w;
    if (dopt.explain)
      out << ',' << (left_out[i] ? "refused" : DecisionName(r.decision)) << ',' << CsvQuote(r.matched_record_id)
          << ',' << CsvQuote(r.explanation);
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
  if (refused)
    std::fprintf(stderr, "%zu rows refused by the rules %s\n", refused,
                 skip_refused ? "were left out of matching (--skip-refused)"
                              : "were matched on what remains (--skip-refused leaves them out, as canond does)");
  return 0;
}

}  // namespace canon::tools
