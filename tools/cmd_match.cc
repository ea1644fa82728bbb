// canonctl match train INPUT.csv --out match.toml [--rules DIR] [--id-column NAME] [--map COLUMN=field ...]
//                                [--default-country CC] [--pairs N] [--iterations N] [--seed N]
//                                [--labels LABELS.csv] [--report FILE] [--m-prior N] [--u-prior N]
// canonctl match train --db CONNINFO --out match.toml [--rules DIR] [--sample N] [--report FILE] ...
// Estimates u by random sampling of record pairs and m (and λ) by expectation–maximisation over the candidate
// pairs of the blocking rules, starting from DIR/match.toml, and writes a new match rules file for a person to
// review. Thresholds and blocking rules are copied unchanged.
// With labels (a LABELS.csv of pairs of INPUT.csv's ids, or the stewards' approve/reject decisions of the store
// named by --db or $CANON_DB when no INPUT.csv is given) m and u are then re-estimated from the labels
// (hygiene/match_train.h TrainWithLabels), and a review of the change is printed and written to --report: precision
// and recall on the labelled pairs before and after, the weight change per level, the level patterns that labels
// contradict, the labelled pairs still decided against their label.
// LABELS.csv: a header with the columns left,right,label; left and right are ids of INPUT.csv (its --id-column,
// else the 1-based data row number); label is match or non-match (also 1 / 0).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "connectors/csv_reader.h"
#include "connectors/match_rules.h"
#include "connectors/rule_dir.h"
#include "hygiene/match_train.h"
#include "store/labels.h"
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

Result<std::vector<LabelledPair>> ReadLabelsCsv(const std::string& path, const std::vector<MatchInput>& inputs) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid("cannot open labels", path);
  IstreamByteSource src(in);
  CsvReader reader(&src);
  if (Status st = reader.Start(); !st.ok()) return Status(st.code(), st.message(), path);
  int left = -1, right = -1, label = -1;
  for (size_t c = 0; c < reader.header().size(); ++c) {
    const std::string& h = reader.header()[c];
    if (h == "left") left = static_cast<int>(c);
    if (h == "right") right = static_cast<int>(c);
    if (h == "label") label = static_cast<int>(c);
  }
  if (left < 0 || right < 0 || label < 0)
    return Status::Invalid("the header must name left, right and label", path + ":1");
  std::map<std::string, const MatchInput*> by_id;
  for (const auto& i : inputs) by_id.emplace(i.id, &i);
  std::vector<LabelledPair> out;
  CsvRow row;
  while (reader.Next(&row)) {
    std::string where = path + ":" + std::to_string(row.line);
    if (!row.error.ok()) return Status::Invalid(row.error.message(), where);
    auto a = by_id.find(row.fields[left]), b = by_id.find(row.fields[right]);
    if (a == by_id.end() || b == by_id.end())
      return Status::Invalid("no record '" + (a == by_id.end() ? row.fields[left] : row.fields[right]) +
                                 "' in the input",
                             where);
    const std::string& l = row.fields[label];
    if (l != "match" && l != "non-match" && l != "1" && l != "0")
      return Status::Invalid("label must be match or non-match, not '" + l + "'", where);
    out.push_back({*a->second, *b->second, l == "match" || l == "1"});
  }
  if (!reader.status().ok()) return reader.status();
  return out;
}

std::string Fixed(double v, const char* fmt = "%.4f") {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// The review of a labelled training run, as Markdown: what a person checks before the file goes live.
std::string LabelReportText(const LabelReport& r, const MatchModel& model, const std::string& source,
                            size_t records, const LabelOptions& lo) {
  std::ostringstream o;
  o << "# Match model training on labels\n\n"
    << "Source: " << source << ": " << records << " records, " << r.matches << " approved pairs (match), "
    << r.non_matches << " rejected pairs (non-match).\n"
    << "Base: " << (r.em_used ? "u from random pairs and m by EM over the records" : r.em_note)
    << ". Label priors: m as " << lo.m_prior_pairs << " and u as " << lo.u_prior_pairs << " labelled pairs.\n"
    << "Thresholds (unchanged): review at " << Fixed(model.lower(), "%.2f") << ", auto-merge at "
    << Fixed(model.upper(), "%.2f") << ".\n\n"
    << "## Precision and recall on the labelled pairs\n\n"
    << "| model | precision at auto-merge | recall at auto-merge | precision with review | recall with review |\n"
    << "|---|---|---|---|---|\n";
  for (const auto* m : {&r.before, &r.after})
    o << "| " << (m == &r.before ? "before (rule file)" : "after (trained)") << " | " << Fixed(m->MergePrecision())
      << " | " << Fixed(m->MergeRecall()) << " | " << Fixed(m->ReviewPrecision()) << " | "
      << Fixed(m->ReviewRecall()) << " |\n";
  // With an unlabelled estimate, its weight is shown too: a change the labels did not make is the data's.
  o << "\n## Weight change per level\n\n"
    << "| field | level | approved | rejected | m before | m after | u before | u after | weight before | "
    << (r.em_used ? "weight by EM | " : "") << "weight after | change |\n|---|---|---|---|---|---|---|---|---|---|---|"
    << (r.em_used ? "---|" : "") << "\n";
  for (const auto& c : r.levels)
    o << "| " << c.field << " | " << c.level << " | " << c.matches << " | " << c.non_matches << " | "
      << Fixed(c.m_before, "%.6g") << " | " << Fixed(c.m_after, "%.6g") << " | " << Fixed(c.u_before, "%.6g")
      << " | " << Fixed(c.u_after, "%.6g") << " | " << Fixed(c.weight_before, "%+.2f") << " | "
      << (r.em_used ? Fixed(c.weight_base, "%+.2f") + " | " : "") << Fixed(c.weight_after, "%+.2f") << " | "
      << Fixed(c.weight_after - c.weight_before, "%+.2f") << " |\n";
  o << "\n## Conflicts\n\n";
  if (r.conflicts.empty())
    o << "None: no approved and rejected pair share a level pattern.\n";
  else
    o << "Approved and rejected pairs with the same level on every field get the same weight under any m and u; "
         "no re-estimate separates them (a field or level the model lacks would):\n\n";
  for (const auto& c : r.conflicts) o << "- " << c << "\n";
  o << "\n## Labelled pairs the trained model decides against their label\n\n"
    << r.rejected_still_proposed << " rejected pairs still at or above the review threshold, " << r.approved_missed
    << " approved pairs below it.\n\n";
  constexpr size_t kListed = 100;  // enough to see the kind; the counts above are complete
  size_t listed = 0;
  for (const auto& p : r.pairs) {
    bool against = p.match ? p.decision_after == Decision::kNew : p.decision_after != Decision::kNew;
    if (!against || listed >= kListed) continue;
    if (listed++ == 0)
      o << "| records | label | weight before | weight after | decision after | levels |\n|---|---|---|---|---|---|\n";
    o << "| " << p.a << " / " << p.b << " | " << (p.match ? "approved" : "rejected") << " | "
      << Fixed(p.before, "%+.2f") << " | " << Fixed(p.after, "%+.2f") << " | " << DecisionName(p.decision_after)
      << " | " << p.pattern << " |\n";
  }
  return o.str();
}

int Fail(const Status& s, int code) {
  std::fprintf(stderr, "canonctl match train: %s\n", s.ToString().c_str());
  return code;
}

int Train(const Args& args) {
  const std::string input = !args.empty() && args[0].rfind("--", 0) != 0 ? args[0] : "";
  const std::string labels_path = OptionValue(args, "--labels");
  const std::string conninfo = input.empty() ? DbConninfo(args) : "";
  if (input.empty() && conninfo.empty()) {
    std::fprintf(stderr,
                 "usage: canonctl match train INPUT.csv --out match.toml [--rules DIR] [--id-column NAME]\n"
                 "                            [--map COLUMN=field ...] [--pairs N] [--iterations N] [--seed N]\n"
                 "                            [--labels LABELS.csv] [--report FILE] [--m-prior N] [--u-prior N]\n"
                 "       canonctl match train --db CONNINFO --out match.toml [--rules DIR] [--sample N]\n"
                 "                            [--report FILE] [--m-prior N] [--u-prior N]   (or $CANON_DB)\n");
    return 2;
  }
  const std::string out_path = OptionValue(args, "--out");
  const std::string dir = OptionValue(args, "--rules", "rules");
  if (out_path.empty()) {
    std::fprintf(stderr, "canonctl match train: --out is required\n");
    return 2;
  }
  auto rules = LoadRuleDir(dir);
  if (const std::string notice = SchemaNotice(dir); !notice.empty())
    std::fprintf(stderr, "canonctl match train: warning: %s\n", notice.c_str());
  if (!rules.ok()) return Fail(rules.status(), 2);
  auto match = LoadMatchRules(dir);
  if (!match.ok()) return Fail(match.status(), 2);
  std::vector<MatchInput> records;
  std::vector<LabelledPair> labels;
  const bool labelled = input.empty() || !labels_path.empty();
  std::string source = input;
  if (!input.empty()) {
    CsvInputOptions copt;
    copt.id_column = OptionValue(args, "--id-column");
    copt.maps = MapOptions(args);
    copt.default_country = OptionValue(args, "--default-country");
    auto inputs = ReadCsvInputs(input, **rules, copt);
    if (!inputs.ok()) return Fail(inputs.status(), 2);
    records = std::move(inputs->inputs);
    if (!labels_path.empty()) {
      auto l = ReadLabelsCsv(labels_path, records);
      if (!l.ok()) return Fail(l.status(), 2);
      labels = std::move(*l);
      source += " with labels " + labels_path;
    }
  } else {
    auto conn = store::PgConn::Connect(conninfo);
    if (!conn.ok()) return Fail(conn.status(), 2);
    auto recs = store::LoadTrainingRecords(**conn, std::stoull(OptionValue(args, "--sample", "200000")),
                                           (*rules)->survivorship().steward_source);
    if (!recs.ok()) return Fail(recs.status(), 2);
    records = std::move(*recs);
    auto l = store::LoadLabels(**conn, (*rules)->survivorship().steward_source);
    if (!l.ok()) return Fail(l.status(), 2);
    labels = std::move(*l);
    source = "the store's stewards' decisions";
  }
  TrainOptions topt;
  topt.random_pairs = std::stoull(OptionValue(args, "--pairs", "200000"));
  topt.em_iterations = std::stoi(OptionValue(args, "--iterations", "30"));
  topt.seed = std::stoull(OptionValue(args, "--seed", "42"));
  LabelOptions lopt;
  lopt.m_prior_pairs = std::stod(OptionValue(args, "--m-prior", "10"));
  lopt.u_prior_pairs = std::stod(OptionValue(args, "--u-prior", "100"));
  TrainReport report;
  LabelReport label_report;
  auto trained = labelled ? TrainWithLabels(match->model, match->blocking, records, labels, topt, lopt, &report,
                                            &label_report)
                          : TrainModel(match->model, match->blocking, records, topt, &report);
  if (!trained.ok()) return Fail(trained.status(), 1);
  std::ifstream orig(match->match_path, std::ios::binary);
  std::ostringstream ss;
  ss << orig.rdbuf();
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << "# Match model trained by `canonctl match train` from " << source << " (" << records.size()
      << " records).\n";
  if (!labelled || label_report.em_used)
    out << "# u: " << report.random_pairs << " random pairs; m and lambda: EM over " << report.candidate_pairs
        << " candidate pairs, " << report.iterations << " iterations; expected matches among them: "
        << static_cast<long long>(report.expected_matches) << ".\n";
  if (labelled)
    out << "# Labels: " << label_report.matches << " approved and " << label_report.non_matches
        << " rejected pairs re-estimated m (prior " << lopt.m_prior_pairs << " pairs) and u (prior "
        << lopt.u_prior_pairs << " pairs)" << (label_report.em_used ? "" : "; " + label_report.em_note) << ".\n";
  out << "# Levels never observed kept the values of " << match->match_path
      << ". Review before use: check that no weight looks absurd.\n#\n"
      << LeadingComments(ss.str())
      << trained->ToToml() << "\n" << BlockingSections(ss.str());
  out.flush();
  if (!out) return Fail(Status::Invalid("cannot write " + out_path), 2);
  if (!labelled) {
    std::fprintf(stderr,
                 "trained on %zu records: %zu random pairs, %zu candidate pairs, %d EM iterations, lambda %.5f\n",
                 report.records, report.random_pairs, report.candidate_pairs, report.iterations, report.lambda);
    return 0;
  }
  std::string text = LabelReportText(label_report, *trained, source, records.size(), lopt);
  std::fwrite(text.data(), 1, text.size(), stdout);
  const std::string report_path = OptionValue(args, "--report");
  if (!report_path.empty()) {
    std::ofstream rep(report_path, std::ios::binary | std::ios::trunc);
    rep << text;
    rep.flush();
    if (!rep) return Fail(Status::Invalid("cannot write " + report_path), 2);
  }
  return 0;
}

}  // namespace

int CmdMatch(const Args& args) {
  if (!args.empty() && args[0] == "train") return Train(Args(args.begin() + 1, args.end()));
  std::fprintf(stderr, "usage: canonctl match train [INPUT.csv | --db CONNINFO] --out match.toml [--rules DIR] ...\n");
  return 2;
}

}  // namespace canon::tools
