// bench_match_quality FEBRL_DIR [RULES_DIR]
//
// Pairwise precision, recall and F1 of the offline dedupe pipeline (Normalize -> MatchInput -> Dedupe, the code
// behind `canonctl dedupe`) on the Febrl synthetic person files: dataset1, dataset2 (duplicates within a file)
// and dataset4a+4b (linking: only cross-file pairs are counted). Truth: records with the same N in rec-N-org /
// rec-N-dup-k are one person; rec_id is never shown to the matcher. Reported at the auto-merge threshold and at
// the review threshold (review counted as match), with the time taken. Baseline in the same run: a
// deterministic rule (same soc_sec_id, or same given name + surname + date of birth).
// The Febrl files stay outside the project; without the directory this says so and exits 2.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/csv_reader.h"
#include "connectors/match_rules.h"
#include "connectors/rule_dir.h"
#include "hygiene/dedupe.h"
#include "hygiene/normalize.h"

namespace {

using canon::MatchInput;

struct Row {
  std::string truth;  // N of rec-N-...
  int file = 0;       // 0 = first file, 1 = second (linking)
};

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool ReadFebrl(const std::string& path, int file, const canon::RuleSet& rules, std::vector<MatchInput>* inputs,
               std::vector<Row>* rows) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  canon::IstreamByteSource src(in);
  canon::CsvReader reader(&src);
  if (!reader.Start().ok()) return false;
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < reader.header().size(); ++i) col[Trim(reader.header()[i])] = i;
  canon::CsvRow row;
  auto get = [&](const char* name) -> std::string {
    auto it = col.find(name);
    return it == col.end() || it->second >= row.fields.size() ? std::string() : Trim(row.fields[it->second]);
  };
  while (reader.Next(&row)) {
    const std::string id = get("rec_id");
    Row r;
    r.file = file;
    size_t a = id.find('-'), b = id.find('-', a + 1);
    r.truth = id.substr(a + 1, b - a - 1);
    canon::Record rec;
    auto put = [&](const char* field, std::string v) {
      if (!v.empty()) rec.fields[field] = std::move(v);
    };
    put("first_name", get("given_name"));
    put("last_name", get("surname"));
    std::string street = get("street_number");
    std::string addr1 = get("address_1");
    put("street", street.empty() ? addr1 : addr1.empty() ? street : street + " " + addr1);
    put("street_2", get("address_2"));
    put("city", get("suburb"));
    put("postal_code", get("postcode"));
    put("region", get("state"));
    put("country", "AU");  // Febrl's people are Australian; the region vocabulary needs the country to read "vic"
    put("birth_date", get("date_of_birth"));
    put("external_id", get("soc_sec_id"));
    canon::NormalizedRecord norm = canon::Normalize(rec, rules);
    // An opaque id: the matcher must not see rec_id (it names the answer).
    inputs->push_back(canon::MatchInputFromNormalized(norm, std::to_string(inputs->size())));
    rows->push_back(r);
  }
  return reader.status().ok();
}

struct Pr {
  double tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp == 0 ? 1.0 : tp / (tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : tp / (tp + fn); }
  double f1() const {
    double p = precision(), r = recall();
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }
};

// Pairwise counts for a clustering; with `cross_only`, only pairs of records from different files count.
Pr Evaluate(const std::vector<std::string>& cluster, const std::vector<Row>& rows, bool cross_only) {
  std::unordered_map<std::string, std::vector<size_t>> by_cluster, by_truth;
  for (size_t i = 0; i < rows.size(); ++i) {
    by_cluster[cluster[i]].push_back(i);
    by_truth[rows[i].truth].push_back(i);
  }
  auto counts = [&](const std::unordered_map<std::string, std::vector<size_t>>& groups, bool check_truth,
                    double* same_truth) {
    double pairs = 0;
    for (const auto& [k, v] : groups) {
      for (size_t x = 0; x < v.size(); ++x) {
        for (size_t y = x + 1; y < v.size(); ++y) {
          if (cross_only && rows[v[x]].file == rows[v[y]].file) continue;
          ++pairs;
          if (check_truth && rows[v[x]].truth == rows[v[y]].truth) ++*same_truth;
        }
      }
    }
    return pairs;
  };
  Pr pr;
  double tp = 0, dummy = 0;
  double predicted = counts(by_cluster, true, &tp);
  double truth = counts(by_truth, false, &dummy);
  pr.tp = tp;
  pr.fp = predicted - tp;
  pr.fn = truth - tp;
  return pr;
}

// Baseline: union-find over exact keys (soc_sec_id; given+surname+dob).
std::vector<std::string> Baseline(const std::vector<MatchInput>& in) {
  std::vector<size_t> parent(in.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::function<size_t(size_t)> find = [&](size_t x) { return parent[x] == x ? x : parent[x] = find(parent[x]); };
  for (int rule = 0; rule < 2; ++rule) {
    std::unordered_map<std::string, size_t> first;
    for (size_t i = 0; i < in.size(); ++i) {
      std::string key;
      if (rule == 0) {
        key = in[i].Get(canon::MatchField::kExternalId);
      } else {
        const auto& g = in[i].Get(canon::MatchField::kGivenName);
        const auto& f = in[i].Get(canon::MatchField::kFamilyName);
        const auto& d = in[i].Get(canon::MatchField::kDob);
        if (!g.empty() && !f.empty() && !d.empty()) key = g + "|" + f + "|" + d;
      }
      if (key.empty()) continue;
      auto [it, inserted] = first.emplace(key, i);
      if (!inserted) parent[find(i)] = find(it->second);
    }
  }
  std::vector<std::string> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = std::to_string(find(i));
  return out;
}

void PrintLine(const char* what, const Pr& pr, double secs) {
  std::printf("  %-34s P %.4f  R %.4f  F1 %.4f  (tp %.0f fp %.0f fn %.0f)  %.3f s\n", what, pr.precision(),
              pr.recall(), pr.f1(), pr.tp, pr.fp, pr.fn, secs);
}

int Run(const std::string& name, const std::vector<std::string>& files, const std::string& dir,
        const canon::RuleSet& rules, const canon::MatchRules& match) {
  std::vector<MatchInput> inputs;
  std::vector<Row> rows;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t f = 0; f < files.size(); ++f) {
    if (!ReadFebrl(dir + "/" + files[f], static_cast<int>(f), rules, &inputs, &rows)) {
      std::fprintf(stderr, "cannot read %s/%s\n", dir.c_str(), files[f].c_str());
      return 2;
    }
  }
  const double read_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool cross = files.size() > 1;
  std::printf("%s: %zu records (read + normalize %.3f s)%s\n", name.c_str(), inputs.size(), read_secs,
              cross ? ", cross-file pairs only" : "");

  auto tb = std::chrono::steady_clock::now();
  auto base = Baseline(inputs);
  double base_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - tb).count();
  PrintLine("baseline (exact id or name+dob)", Evaluate(base, rows, cross), base_secs);

  Pr at_upper;
  for (int review_as_match = 0; review_as_match < 2; ++review_as_match) {
    canon::DedupeOptions opt;
    opt.merge_at_review = review_as_match == 1;
    auto t1 = std::chrono::steady_clock::now();
    auto out = canon::Dedupe(match.model, match.blocking, inputs, opt);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    if (!out.ok()) {
      std::fprintf(stderr, "%s\n", out.status().ToString().c_str());
      return 2;
    }
    std::vector<std::string> cluster;
    for (const auto& r : out->rows) cluster.push_back(r.cluster_id);
    Pr pr = Evaluate(cluster, rows, cross);
    char what[96];
    std::snprintf(what, sizeof what, "%s (weight >= %.1f)", review_as_match ? "review counted as match" : "auto-merge",
                  review_as_match ? match.model.lower() : match.model.upper());
    PrintLine(what, pr, secs);
    std::printf("  %-34s %zu comparisons, %zu over-common keys, %zu sent to review\n", "", out->comparisons,
                out->over_common_keys.size(), out->reviews);
    if (!review_as_match) at_upper = pr;
  }
  std::printf("  ratio F1(model at auto-merge) / F1(baseline): %.3f\n\n",
              at_upper.f1() / std::max(1e-9, Evaluate(base, rows, cross).f1()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_match_quality FEBRL_DIR [RULES_DIR]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string rules_dir = argc > 2 ? argv[2] : "rules";
  if (!std::filesystem::is_directory(dir) || !std::filesystem::exists(dir + "/dataset1.csv")) {
    std::fprintf(stderr,
                 "bench_match_quality: Febrl data directory '%s' is missing (expected dataset1.csv, dataset2.csv, "
                 "dataset4a.csv, dataset4b.csv there; e.g. ../shared/data/febrl)\n",
                 dir.c_str());
    return 2;
  }
  auto rules = canon::LoadRuleDir(rules_dir);
  if (!rules.ok()) {
    std::fprintf(stderr, "bench_match_quality: %s\n", rules.status().ToString().c_str());
    return 2;
  }
  auto match = canon::LoadMatchRules(rules_dir);
  if (!match.ok()) {
    std::fprintf(stderr, "bench_match_quality: %s\n", match.status().ToString().c_str());
    return 2;
  }
  std::printf("match rules: %s (upper %.2f, lower %.2f)\n\n", match->match_path.c_str(), match->model.upper(),
              match->model.lower());
  int rc = Run("dataset1", {"dataset1.csv"}, dir, **rules, *match);
  if (rc == 0) rc = Run("dataset2", {"dataset2.csv"}, dir, **rules, *match);
  if (rc == 0) rc = Run("dataset4a+4b (linking)", {"dataset4a.csv", "dataset4b.csv"}, dir, **rules, *match);
  return rc;
}
