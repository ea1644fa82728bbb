#include "hygiene/match_train.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <unordered_map>
#include <unordered_set>

namespace canon {
namespace {

constexpr double kFloor = 1e-6;

}  // namespace

Result<MatchModel> TrainModel(const MatchModel& start, const BlockingRules& rules,
                              const std::vector<MatchInput>& records, const TrainOptions& options,
                              TrainReport* report) {
  if (records.size() < 2) return Status::Invalid("training needs at least two records");
  const auto& fields = start.fields();
  const size_t nf = fields.size();
  std::vector<PreparedRecord> prepared;
  prepared.reserve(records.size());
  TermFrequencies none;
  for (const auto& r : records) prepared.push_back(start.Prepare(r, &none));

  // Current parameters, starting from the rule file.
  std::vector<std::vector<std::pair<double, double>>> mu(nf);
  for (size_t f = 0; f < nf; ++f)
    for (const auto& l : fields[f].levels) mu[f].push_back({l.m, l.u});

  // u from random pairs.
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<size_t> pick(0, records.size() - 1);
  std::vector<std::vector<double>> ucount(nf);
  for (size_t f = 0; f < nf; ++f) ucount[f].assign(fields[f].levels.size(), 0);
  std::vector<int8_t> lv(nf);
  size_t sampled = 0;
  for (size_t i = 0; i < options.random_pairs; ++i) {
    size_t a = pick(rng), b = pick(rng);
    if (a == b) continue;
    start.Levels(prepared[a], prepared[b], lv.data());
    for (size_t f = 0; f < nf; ++f)
      if (lv[f] >= 0) ucount[f][lv[f]] += 1;
    ++sampled;
  }
  for (size_t f = 0; f < nf; ++f) {
    double total = 0;
    for (double c : ucount[f]) total += c;
    if (total < 100) continue;  // too few observations of this field to say anything
    double sum = 0;
    for (size_t l = 0; l < ucount[f].size(); ++l) {
      if (ucount[f][l] >= options.min_level_pairs) mu[f][l].second = std::max(kFloor, ucount[f][l] / total);
      sum += mu[f][l].second;
    }
    for (auto& lu : mu[f]) lu.second /= sum;
  }

  // Candidate pairs from blocking: the population the model will score.
  std::unordered_map<std::string, std::vector<uint32_t>> by_key;
  for (size_t i = 0; i < records.size(); ++i)
    for (auto& k : BlockingKeys(records[i], rules)) by_key[k].push_back(static_cast<uint32_t>(i));
  std::unordered_set<uint64_t> seen;
  std::vector<std::vector<int8_t>> vectors;
  for (const auto& [k, ids] : by_key) {
    if (ids.size() > rules.CapFor(k)) continue;
    for (size_t x = 0; x < ids.size(); ++x) {
      for (size_t y = x + 1; y < ids.size(); ++y) {
        uint64_t key = (static_cast<uint64_t>(std::min(ids[x], ids[y])) << 32) | std::max(ids[x], ids[y]);
        if (!seen.insert(key).second) continue;
        start.Levels(prepared[ids[x]], prepared[ids[y]], lv.data());
        vectors.push_back(lv);
        if (vectors.size() >= options.max_candidate_pairs) break;
      }
      if (vectors.size() >= options.max_candidate_pairs) break;
    }
  }
  if (vectors.empty()) return Status::Invalid("no candidate pairs: the blocking rules found nothing to compare");

  double lambda = start.lambda();
  int it = 0;
  std::vector<double> p(vectors.size());
  for (; it < options.em_iterations; ++it) {
    double psum = 0;
    for (size_t i = 0; i < vectors.size(); ++i) {
      double lm = std::log(lambda), lu = std::log(1 - lambda);
      for (size_t f = 0; f < nf; ++f) {
        int8_t l = vectors[i][f];
        if (l < 0) continue;
        lm += std::log(mu[f][l].first);
        lu += std::log(mu[f][l].second);
      }
      p[i] = 1.0 / (1.0 + std::exp(lu - lm));
      psum += p[i];
    }
    double new_lambda = std::clamp(psum / static_cast<double>(vectors.size()), kFloor, 1 - kFloor);
    double change = std::fabs(new_lambda - lambda);
    lambda = new_lambda;
    for (size_t f = 0; f < nf; ++f) {
      std::vector<double> mcount(fields[f].levels.size(), 0);
      double total = 0;
      for (size_t i = 0; i < vectors.size(); ++i) {
        int8_t l = vectors[i][f];
        if (l < 0) continue;
        mcount[l] += p[i];
        total += p[i];
      }
      if (total < options.min_level_matches) continue;  // the field is (almost) never present among matches
      std::vector<double> next(mcount.size());
      double sum = 0;
      for (size_t l = 0; l < mcount.size(); ++l) {
        next[l] = mcount[l] >= options.min_level_matches ? std::max(options.m_floor, mcount[l] / total)
                                                         : fields[f].levels[l].m;
        sum += next[l];
      }
      for (size_t l = 0; l < mcount.size(); ++l) {
        double m = next[l] / sum;
        change = std::max(change, std::fabs(m - mu[f][l].first));
        mu[f][l].first = m;
      }
    }
    if (change < 1e-6) {
      ++it;
      break;
    }
  }
  if (report) {
    report->records = records.size();
    report->random_pairs = sampled;
    report->candidate_pairs = vectors.size();
    report->iterations = it;
    report->lambda = lambda;
    report->expected_matches = lambda * static_cast<double>(vectors.size());
  }
  return start.WithParameters(lambda, mu);
}

namespace {

double Ratio(size_t num, size_t den) { return den == 0 ? 1.0 : static_cast<double>(num) / static_cast<double>(den); }

// The labelled pairs' levels under `model` (the levels depend on the fields and their order, not on m and u).
std::vector<std::vector<int8_t>> LabelLevels(const MatchModel& model, const std::vector<LabelledPair>& labels) {
  std::vector<std::vector<int8_t>> out;
  out.reserve(labels.size());
  std::vector<int8_t> lv(model.fields().size());
  for (const auto& p : labels) {
    model.Levels(model.Prepare(p.a), model.Prepare(p.b), lv.data());
    out.push_back(lv);
  }
  return out;
}

std::string Pattern(const MatchModel& model, const std::vector<int8_t>& lv) {
  std::string s;
  for (size_t f = 0; f < lv.size(); ++f) {
    if (lv[f] < 0) continue;
    s += (s.empty() ? "" : " ") + model.fields()[f].name + "=" + model.fields()[f].levels[lv[f]].name;
  }
  return s.empty() ? "(no field on both sides)" : s;
}

// Smoothed label frequencies: (count + K·base) / (total + K), floored, renormalized; `base` when no label holds
// the field.
std::vector<double> Shrink(const std::vector<double>& counts, const std::vector<double>& base, double k, double floor) {
  double total = 0;
  for (double c : counts) total += c;
  if (total <= 0) return base;
  std::vector<double> out(counts.size());
  double sum = 0;
  for (size_t l = 0; l < counts.size(); ++l) {
    out[l] = std::max(floor, (counts[l] + k * base[l]) / (total + k));
    sum += out[l];
  }
  for (double& v : out) v /= sum;
  return out;
}

void Tally(const MatchModel& model, double w, bool match, LabelMetrics* m) {
  bool merge = w >= model.upper(), review = w >= model.lower();
  if (match) {
    ++m->matches;
    m->merge_tp += merge;
    m->review_tp += review;
  } else {
    m->merge_fp += merge;
    m->review_fp += review;
  }
}

}  // namespace

double LabelMetrics::MergePrecision() const { return Ratio(merge_tp, merge_tp + merge_fp); }
double LabelMetrics::MergeRecall() const { return Ratio(merge_tp, matches); }
double LabelMetrics::ReviewPrecision() const { return Ratio(review_tp, review_tp + review_fp); }
double LabelMetrics::ReviewRecall() const { return Ratio(review_tp, matches); }

MatchModel EstimateFromLabels(const MatchModel& base, const std::vector<LabelledPair>& labels,
                              const LabelOptions& options, const TrainOptions& train_options) {
  const auto& fields = base.fields();
  auto levels = LabelLevels(base, labels);
  std::vector<std::vector<std::pair<double, double>>> mu(fields.size());
  for (size_t f = 0; f < fields.size(); ++f) {
    const size_t n = fields[f].levels.size();
    std::vector<double> mc(n, 0), uc(n, 0), m0(n), u0(n);
    for (size_t l = 0; l < n; ++l) {
      m0[l] = fields[f].levels[l].m;
      u0[l] = fields[f].levels[l].u;
    }
    for (size_t i = 0; i < labels.size(); ++i)
      if (levels[i][f] >= 0) (labels[i].match ? mc : uc)[levels[i][f]] += 1;
    auto m = Shrink(mc, m0, options.m_prior_pairs, train_options.m_floor);
    auto u = Shrink(uc, u0, options.u_prior_pairs, kFloor);
    for (size_t l = 0; l < n; ++l) mu[f].push_back({m[l], u[l]});
  }
  return base.WithParameters(base.lambda(), mu);
}

Result<MatchModel> TrainWithLabels(const MatchModel& start, const BlockingRules& rules,
                                   const std::vector<MatchInput>& records, const std::vector<LabelledPair>& labels,
                                   const TrainOptions& options, const LabelOptions& label_options,
                                   TrainReport* report, LabelReport* label_report) {
  if (labels.empty()) return Status::Invalid("no labelled pairs: nothing approved or rejected to learn from");
  LabelReport lr;
  MatchModel base = start;
  if (records.size() < label_options.min_em_records) {
    lr.em_note = std::to_string(records.size()) + " records (fewer than " +
                 std::to_string(label_options.min_em_records) +
                 "): no unlabelled estimate, the labels adjust the rule file's m and u";
  } else {
    auto em = TrainModel(start, rules, records, options, report);
    if (em.ok()) {
      base = std::move(*em);
      lr.em_used = true;
    } else {
      lr.em_note = "no unlabelled estimate (" + em.status().message() + "): the labels adjust the rule file's m and u";
    }
  }
  MatchModel trained = EstimateFromLabels(base, labels, label_options, options);

  // Weights as the store scores them: term frequencies only from a population large enough to estimate them.
  TermFrequencies tf;
  const TermFrequencies* tfp = nullptr;
  if (records.size() >= label_options.min_em_records) {
    tf = TermFrequencies::Count(records, start.TfFields());
    tfp = &tf;
  }
  auto levels = LabelLevels(start, labels);
  std::map<std::string, std::pair<size_t, size_t>> by_pattern;  // pattern -> (approved, rejected)
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto& p = labels[i];
    PairOutcome o;
    o.a = p.a.id;
    o.b = p.b.id;
    o.match = p.match;
    PreparedRecord sa = start.Prepare(p.a, tfp), sb = start.Prepare(p.b, tfp);
    PreparedRecord ta = trained.Prepare(p.a, tfp), tb = trained.Prepare(p.b, tfp);
    o.before = start.Weight(sa, sb);
    o.after = trained.Weight(ta, tb);
    o.decision_before = start.Decide(o.before);
    o.decision_after = trained.Decide(o.after);
    o.pattern = Pattern(start, levels[i]);
    Tally(start, o.before, p.match, &lr.before);
    Tally(trained, o.after, p.match, &lr.after);
    (p.match ? lr.matches : lr.non_matches) += 1;
    (p.match ? by_pattern[o.pattern].first : by_pattern[o.pattern].second) += 1;
    if (p.match && o.decision_after == Decision::kNew) ++lr.approved_missed;
    if (!p.match && o.decision_after != Decision::kNew) ++lr.rejected_still_proposed;
    lr.pairs.push_back(std::move(o));
  }
  for (const auto& [pattern, n] : by_pattern)
    if (n.first > 0 && n.second > 0)
      lr.conflicts.push_back(pattern + ": " + std::to_string(n.first) + " approved, " + std::to_string(n.second) +
                             " rejected");
  for (size_t f = 0; f < start.fields().size(); ++f) {
    for (size_t l = 0; l < start.fields()[f].levels.size(); ++l) {
      const auto& b = start.fields()[f].levels[l];
      const auto& a = trained.fields()[f].levels[l];
      LevelChange c{start.fields()[f].name, b.name, b.m, b.u, b.weight, a.m, a.u, a.weight,
                    base.fields()[f].levels[l].weight, 0, 0};
      for (size_t i = 0; i < labels.size(); ++i)
        if (levels[i][f] == static_cast<int8_t>(l)) (labels[i].match ? c.matches : c.non_matches) += 1;
      lr.levels.push_back(std::move(c));
    }
  }
  if (label_report) *label_report = std::move(lr);
  return trained;
}

}  // namespace canon
