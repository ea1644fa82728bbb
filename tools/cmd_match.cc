// canonctl match train INPUT.csv --out match.toml [--rules DIR] [--id-column NAME] [--map COLUMN=field ...]
//                                [--default-country CC] [--pairs N] [--iterations N] [--seed N]
// Estimates u by random sampling of record pairs and m (and λ) by expectation–maximisation over the candidate
// pairs of the blocking rules, starting from DIR/match.toml, and writes a new match rules file for a person to
// review. Thresholds and blocking rules are copied unchanged.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "connectors/match_rules.h"
#include "connectors/rule_dir.h"
#include "hygiene/match_train.h"
#include "tools/commands.h"
#include "tools/csv_inputs.h"

namespace canon::tools {
namespace {

// The [blocking_limits] table and everything from the first [[blocking]] on, verbatim (with the comment lines
// right above each), so the trained file keeps the blocking rules and their comments.
std::string Section(const std::string& text, const std::string& header, bool to_end) {
  size_t start = text.find("\n" + header);
  if (start == std::string::npos) return {};
  size_t line = start;
  while (line > 0) {  // back over comment lines
    size_t prev = text.rfind('\n', line - 1);
    size_t begin = prev == std::string::npos ? 0 : prev + 1;
    if (text.compare(begin, 1, "#") != 0) break;
    line = prev == std::string::npos ? 0 : prev;
  }
  size_t end = std::string::npos;
  if (!to_end) {
    end = text.find("\n[", start + 1);
    while (end != std::string::npos && end > 0) {  // leave the next section's comments to it
      size_t prev = text.rfind('\n', end - 1);
      if (prev == std::string::npos || text.compare(prev + 1, 1, "#") != 0) break;
      end = prev;
    }
  }
  return text.substr(line, end == std::string::npos ? std::string::npos : end - line) + "\n";
}

// The comment block at the top of the original file (what the fields and levels mean), kept for the reader.
std::string LeadingComments(const std::string& text) {
  size_t pos = 0;
  std::string out;
  while (pos < text.size() && (text[pos] == '#' || text[pos] == '\n')) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    out += text.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return out;
}

std::string BlockingSections(const std::string& text) {
  return Section(text, "[blocking_limits]", false) + Section(text, "[[blocking]]", true);
}

int Train(const Args& args) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    std::fprintf(stderr,
                 "usage: canonctl match train INPUT.csv --out match.toml [--rules DIR] [--id-column NAME]\n"
                 "                            [--map COLUMN=field ...] [--pairs N] [--iterations N] [--seed N]\n");
    return 2;
  }
  const std::string input = args[0];
  const std::string out_path = OptionValue(args, "--out");
  const std::string dir = OptionValue(args, "--rules", "rules");
  if (out_path.empty()) {
    std::fprintf(stderr, "canonctl match train: --out is required\n");
    return 2;
  }
  auto rules = LoadRuleDir(dir);
  if (!rules.ok()) {
    std::fprintf(stderr, "canonctl match train: %s\n", rules.status().ToString().c_str());
    return 2;
  }
  auto match = LoadMatchRules(dir);
  if (!match.ok()) {
    std::fprintf(stderr, "canonctl match train: %s\n", match.status().ToString().c_str());
    return 2;
  }
  CsvInputOptions copt;
  copt.id_column = OptionValue(args, "--id-column");
  copt.maps = MapOptions(args);
  copt.default_country = OptionValue(args, "--default-country");
  auto inputs = ReadCsvInputs(input, **rules, copt);
  if (!inputs.ok()) {
    std::fprintf(stderr, "canonctl match train: %s\n", inputs.status().ToString().c_str());
    return 2;
  }
  TrainOptions topt;
  topt.random_pairs = std::stoull(OptionValue(args, "--pairs", "200000"));
  topt.em_iterations = std::stoi(OptionValue(args, "--iterations", "30"));
  topt.seed = std::stoull(OptionValue(args, "--seed", "42"));
  TrainReport report;
  auto trained = TrainModel(match->model, match->blocking, inputs->inputs, topt, &report);
  if (!trained.ok()) {
    std::fprintf(stderr, "canonctl match train: %s\n", trained.status().ToString().c_str());
    return 1;
  }
  std::ifstream orig(match->match_path, std::ios::binary);
  std::ostringstream ss;
  ss << orig.rdbuf();
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << "# Match model trained by `canonctl match train` from " << input << " (" << report.records
      << " records).\n"
      << "# u: " << report.random_pairs << " random pairs; m and lambda: EM over " << report.candidate_pairs
      << " candidate pairs, " << report.iterations << " iterations; expected matches among them: "
      << static_cast<long long>(report.expected_matches) << ".\n"
      << "# Levels never observed kept the values of " << match->match_path
      << ". Review before use: check that no weight looks absurd.\n#\n"
      << LeadingComments(ss.str())
      << trained->ToToml() << "\n" << BlockingSections(ss.str());
  out.flush();
  if (!out) {
    std::fprintf(stderr, "canonctl match train: cannot write %s\n", out_path.c_str());
    return 2;
  }
  std::fprintf(stderr, "trained on %zu records: %zu random pairs, %zu candidate pairs, %d EM iterations, lambda %.5f\n",
               report.records, report.random_pairs, report.candidate_pairs, report.iterations, report.lambda);
  return 0;
}

}  // namespace

int CmdMatch(const Args& args) {
  if (!args.empty() && args[0] == "train") return Train(Args(args.begin() + 1, args.end()));
  std::fprintf(stderr, "usage: canonctl match train INPUT.csv --out match.toml [--rules DIR] ...\n");
  return 2;
}

}  // namespace canon::tools
