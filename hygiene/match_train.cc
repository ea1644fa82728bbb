#include "hygiene/match_train.h"

#include <algorithm>
#include <cmath>
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

}  // namespace canon
