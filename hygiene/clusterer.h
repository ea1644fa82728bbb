// Incremental entity resolution: an incoming record is compared with candidate ENTITIES (all their members) and
// joins one, goes to review, or starts a new entity.
//
// Entity score = the best weight of the record against any member (a single-linkage score over members). Why
// the max and not a mean: members of one entity legitimately differ (an old address, a maiden name); one close
// member is the evidence a steward would look at, and the explanation shown is that member's pair.
// Decision: best entity score >= upper -> merge into it; >= lower -> review (the record starts its own entity
// and a review pair record/entity is proposed); else new.
// No chaining: when the record clears the upper threshold for several entities, joining it to the best one
// must not pull the others in through it. Another entity is merged too only when its OWN members match the best
// entity's members at or above the upper threshold (evidence without the new record); otherwise it stays apart
// and is reported in `conflicts`. So A≈B, B≈C, A≠C cannot glue A and C together.
//
// Resolve() is the pure decision, for the daemon (which loads candidate entities' members from the store);
// Clusterer is the in-memory loop over Resolve() + a CandidateIndex, for `canonctl dedupe`, tests and benches.
// Ownership: Clusterer borrows model, rules, index and tf (they must outlive it) and owns its records.
// Thread-safety: Resolve is pure; a Clusterer is used by one thread. Errors: index failures are returned.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "hygiene/blocking.h"
#include "hygiene/candidate_index.h"
#include "hygiene/match_model.h"

namespace canon {

struct CandidateEntity {
  EntityId id = 0;
  std::vector<const PreparedRecord*> members;  // borrowed for the call
};

struct Resolution {
  Decision decision = Decision::kNew;
  EntityId entity = 0;  // merge: the entity to join; review: the entity proposed; 0 when none scored
  double weight = -std::numeric_limits<double>::infinity();  // best entity score
  const PreparedRecord* best_member = nullptr;               // the member that gave `weight`
  std::vector<EntityId> also_merge;  // other entities >= upper that match `entity` on their own evidence
  std::vector<EntityId> conflicts;   // other entities >= upper without that evidence: left apart
};

// `merge_threshold` overrides the model's upper threshold when set (e.g. to the lower one, to count review as
// match in a quality run); NaN = use the model's.
Resolution Resolve(const MatchModel& model, const PreparedRecord& record, const std::vector<CandidateEntity>& candidates,
                   double merge_threshold = std::numeric_limits<double>::quiet_NaN());

// Best weight between any member of `a` and any member of `b`.
double EntityScore(const MatchModel& model, const CandidateEntity& a, const CandidateEntity& b);

struct ClusterOptions {
  bool merge_at_review = false;  // treat review as merge (quality measurement "counting review as match")
};

struct AddResult {
  size_t record = 0;          // index of the record in the clusterer
  EntityId entity = 0;        // the entity it belongs to now
  Decision decision = Decision::kNew;
  double weight = -std::numeric_limits<double>::infinity();  // best entity score (-inf: no candidate)
  std::string matched_record_id;                              // best member's id, "" when none
  EntityId proposed_entity = 0;                               // review: the entity a steward should compare
  std::vector<EntityId> merged_entities;                      // entities folded into `entity` (own evidence)
  std::vector<EntityId> conflicts;
};

class Clusterer {
 public:
  Clusterer(const MatchModel& model, const BlockingRules& rules, CandidateIndex* index,
            const TermFrequencies* tf = nullptr, ClusterOptions options = {});
  Clusterer(const Clusterer&) = delete;
  Clusterer& operator=(const Clusterer&) = delete;

  Result<AddResult> Add(const MatchInput& in);

  size_t record_count() const { return records_.size(); }
  const PreparedRecord& record(size_t i) const { return records_[i]; }
  EntityId EntityOf(size_t record) const { return record_entity_[record]; }
  size_t comparisons() const { return comparisons_; }

 private:
  const MatchModel& model_;
  const BlockingRules& rules_;
  CandidateIndex* index_;
  const TermFrequencies* tf_;
  ClusterOptions options_;
  std::vector<PreparedRecord> records_;
  std::vector<EntityId> record_entity_;
  std::vector<std::vector<size_t>> members_;  // entity id -> record indexes (index 0 unused)
  size_t comparisons_ = 0;
};

}  // namespace canon
