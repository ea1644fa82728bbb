// Estimating a match model's parameters from unlabelled records (what `canonctl match train` runs).
//
// u: from random record pairs (almost all are non-matches): u(level) = share of sampled pairs at that level.
// m and λ: expectation–maximisation over candidate pairs (pairs sharing a blocking key), with u held fixed, as
// Splink does: E-step p = λΠm / (λΠm + (1-λ)Πu) per pair; M-step m(level) = Σp·[level] / Σp, λ = mean p.
// Levels without enough evidence keep their prior values: a level seen in fewer than `min_level_pairs` random
// pairs keeps its u, a level whose expected number of matching pairs is below `min_level_matches` keeps its m
// (a CSV without e-mails, or without nicknames, says nothing about them; EM would otherwise push such an m to 0
// and make the level a veto). m is floored at `m_floor` (typos happen in every field), u at 1e-6; each field's
// m and u are renormalized to sum to 1. No labels are used.
// Pure; deterministic for a given seed. Ownership: borrows its inputs for the call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hygiene/blocking.h"
#include "hygiene/match_model.h"

namespace canon {

struct TrainOptions {
  size_t random_pairs = 200000;   // pairs sampled for u
  size_t max_candidate_pairs = 2000000;
  int em_iterations = 30;
  uint64_t seed = 42;
  double min_level_pairs = 20;
  double min_level_matches = 5;
  double m_floor = 0.001;
};

struct TrainReport {
  size_t records = 0;
  size_t random_pairs = 0;
  size_t candidate_pairs = 0;
  int iterations = 0;
  double lambda = 0;         // estimated share of matches among candidate pairs
  double expected_matches = 0;
};

Result<MatchModel> TrainModel(const MatchModel& start, const BlockingRules& rules,
                              const std::vector<MatchInput>& records, const TrainOptions& options,
                              TrainReport* report);

}  // namespace canon
