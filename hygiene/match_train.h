// Estimating a match model's parameters from unlabelled records (what `canonctl match train` runs).
//
// u: from random record pairs (almost all are non-matches): u(level) = share of sampled pairs at that level.
// m and λ: expectation–maximisation over candidate pairs (pairs sharing a blocking key), with u held fixed, as
// Splink does: E-step p = λΠm / (λΠm + (1-λ)Πu) per pair; M-step m(level) = Σp·[level] / Σp, λ = mean p.
// Levels without enough evidence keep their prior values: a level seen in fewer than `min_level_pairs` random
// pairs keeps its u, a level whose expected number of matching pairs is below `min_level_matches` keeps its m
// (a CSV without e-mails, or without nicknames, says nothing about them; EM would otherwise push such an m to 0
// and make the level a veto). m is floored at `m_floor` (typos happen in every field), u at 1e-6; each field's
// m and u are renormalized to sum to 1. TrainModel uses no labels.
//
// Labels (TrainWithLabels): pairs a person decided (a steward's approve = match, reject or unmerge = non-match).
// The unlabelled estimate above gives the base (the rule file's values when there are fewer than
// `min_em_records` records: u and EM on a handful of records are noise). Then, per field, from the labelled pairs
// where the field is present on both sides (not implied):
//   m(level) = (matches at level + K_m·m_base(level)) / (matches + K_m)
//   u(level) = (non-matches at level + K_u·u_base(level)) / (non-matches + K_u)
// i.e. the base is a prior worth K_m (K_u) labelled pairs: a level the labels never saw is not set to 0 (an
// infinite weight), it is shrunk by the labels' share; a field no labelled pair holds keeps the base. Labelled
// non-matches are the hard cases a steward saw, not a random sample of non-matches, so K_u is larger than K_m: the
// random pairs stay the bulk of u. λ and the thresholds stay. Two labelled pairs with the same level on every
// field get the same weight under any m and u: when one was approved and the other rejected, no re-estimate can
// separate them, and the report lists that pattern as a conflict instead of pretending.
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

// Two records a person decided on.
struct LabelledPair {
  MatchInput a, b;
  bool match = false;  // approved (one person) or rejected (different people)
};

struct LabelOptions {
  double m_prior_pairs = 10;   // K_m: the base m counts as this many labelled matches
  double u_prior_pairs = 100;  // K_u: the base u counts as this many labelled non-matches
  size_t min_em_records = 1000;
};

// How a model does on the labelled pairs: a match "found" at weight >= upper (auto-merge) or >= lower (review
// counted). Precision and recall are 1 when their denominator is 0 (nothing claimed, nothing to find).
struct LabelMetrics {
  size_t merge_tp = 0, merge_fp = 0, review_tp = 0, review_fp = 0, matches = 0;
  double MergePrecision() const;
  double MergeRecall() const;
  double ReviewPrecision() const;
  double ReviewRecall() const;
};

struct LevelChange {
  std::string field, level;
  double m_before = 0, u_before = 0, weight_before = 0;
  double m_after = 0, u_after = 0, weight_after = 0;
  double weight_base = 0;               // after the unlabelled estimate, before the labels (= before without it)
  size_t matches = 0, non_matches = 0;  // labelled pairs at this level
};

struct PairOutcome {
  std::string a, b;  // the records' ids
  bool match = false;
  double before = 0, after = 0;  // weights under the start model and the trained one
  Decision decision_before = Decision::kNew, decision_after = Decision::kNew;
  std::string pattern;  // "given_name=exact family_name=different ..." (fields present on both sides)
};

struct LabelReport {
  bool em_used = false;
  std::string em_note;  // why the base is the rule file's values, when it is
  size_t matches = 0, non_matches = 0;
  LabelMetrics before, after;
  std::vector<LevelChange> levels;  // every level of every field, in model order
  std::vector<PairOutcome> pairs;   // in label order
  // Level patterns held by both approved and rejected pairs: "pattern: N approved, M rejected".
  std::vector<std::string> conflicts;
  // Labelled pairs the trained model still decides against their label: a rejected pair at or above lower, an
  // approved pair below lower.
  size_t rejected_still_proposed = 0, approved_missed = 0;
};

// The unlabelled estimate on `records` (TrainModel, when there are at least min_em_records of them and the
// blocking finds pairs), then the label estimate above; `label_report` compares `start` with the result on the
// labels. `records` may be empty (labels only). Errors: Invalid when there are no labels.
Result<MatchModel> TrainWithLabels(const MatchModel& start, const BlockingRules& rules,
                                   const std::vector<MatchInput>& records, const std::vector<LabelledPair>& labels,
                                   const TrainOptions& options, const LabelOptions& label_options,
                                   TrainReport* report, LabelReport* label_report);

// The label estimate alone, on `base`'s m and u (exposed for tests).
MatchModel EstimateFromLabels(const MatchModel& base, const std::vector<LabelledPair>& labels,
                              const LabelOptions& options, const TrainOptions& train_options);

}  // namespace canon
