// Dedupe: one batch of records through blocking, the match model and the clusterer, in memory.
// Term frequencies are counted over the batch only when it holds at least kMinTfRecords records: in a small
// file every value looks common ("smith" in 3 of 4 rows) and the adjustment would punish agreement.
//
// The offline pipeline behind `canonctl dedupe` and bench/match_quality (the same code, so the bench measures
// what the tool does). Term frequencies for tf-enabled fields are counted over the batch itself.
// cluster_id of a record = the id of the first record (in input order) of its final cluster, so ids are stable
// and readable. Pure: no I/O. Ownership: borrows model and rules for the call. Thread-safety: re-entrant.
// Errors: only those of the candidate index (none for the in-memory one).
#pragma once

#include <string>
#include <vector>

#include "hygiene/blocking.h"
#include "hygiene/candidate_index.h"
#include "hygiene/match_model.h"

namespace canon {

constexpr size_t kMinTfRecords = 1000;

struct DedupeOptions {
  bool merge_at_review = false;   // count review as match (quality runs)
  bool explain = false;           // fill DedupeAssignment::explanation
  bool term_frequencies = true;   // tf adjustment from the batch's own value counts
};

struct DedupeAssignment {
  std::string record_id;
  std::string cluster_id;
  Decision decision = Decision::kNew;  // what happened when the record arrived
  double weight = 0;                   // best entity score at arrival; NaN when no candidate was scored
  std::string matched_record_id;       // the member that gave `weight`
  std::string explanation;             // Explanation::ToString() against that member, when asked
};

struct DedupeOutput {
  std::vector<DedupeAssignment> rows;  // one per input, in input order
  std::vector<OverCommonKey> over_common_keys;
  size_t comparisons = 0;  // record-pair comparisons made
  size_t reviews = 0;      // records sent to review
};

Result<DedupeOutput> Dedupe(const MatchModel& model, const BlockingRules& rules, const std::vector<MatchInput>& inputs,
                            const DedupeOptions& options = {});

}  // namespace canon
