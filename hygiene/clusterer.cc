#include "hygiene/clusterer.h"

#include <algorithm>
#include <cmath>

namespace canon {

double EntityScore(const MatchModel& model, const CandidateEntity& a, const CandidateEntity& b) {
  double best = -std::numeric_limits<double>::infinity();
  std::vector<double> w(b.members.size());
  for (const PreparedRecord* x : a.members) {
    model.WeightMany(*x, b.members.data(), b.members.size(), w.data());
    for (double v : w) best = std::max(best, v);
  }
  return best;
}

Resolution Resolve(const MatchModel& model, const PreparedRecord& record, const std::vector<CandidateEntity>& candidates,
                   double merge_threshold) {
  const double upper = std::isnan(merge_threshold) ? model.upper() : merge_threshold;
  Resolution r;
  std::vector<double> scores(candidates.size(), -std::numeric_limits<double>::infinity());
  size_t best = candidates.size();
  std::vector<double> weights;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& members = candidates[i].members;
    weights.resize(members.size());
    model.WeightMany(record, members.data(), members.size(), weights.data());
    for (size_t k = 0; k < members.size(); ++k) {
      const PreparedRecord* m = members[k];
      double w = weights[k];
      if (w > scores[i]) {
        scores[i] = w;
        if (best == candidates.size() || w > r.weight) {
          best = i;
          r.weight = w;
          r.best_member = m;
        }
      }
    }
  }
  if (best == candidates.size()) return r;
  r.entity = candidates[best].id;
  if (r.weight >= upper) {
    r.decision = Decision::kMerge;
  } else if (r.weight >= model.lower()) {
    r.decision = Decision::kReview;
    return r;
  } else {
    r.decision = Decision::kNew;
    return r;
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i == best || scores[i] < upper) continue;
    if (EntityScore(model, candidates[best], candidates[i]) >= upper)
      r.also_merge.push_back(candidates[i].id);
    else
      r.conflicts.push_back(candidates[i].id);
  }
  return r;
}

Clusterer::Clusterer(const MatchModel& model, const BlockingRules& rules, CandidateIndex* index,
                     const TermFrequencies* tf, ClusterOptions options)
    : model_(model), rules_(rules), index_(index), tf_(tf), options_(options), members_(1) {}

Result<AddResult> Clusterer::Add(const MatchInput& in) {
  std::vector<std::string> keys = BlockingKeys(in, rules_);
  auto cand = index_->Candidates(keys, rules_.max_candidates);
  if (!cand.ok()) return cand.status();
  records_.push_back(model_.Prepare(in, tf_));
  const size_t rec = records_.size() - 1;
  record_entity_.push_back(0);

  std::vector<CandidateEntity> entities;
  entities.reserve(cand->size());
  for (EntityId e : *cand) {
    CandidateEntity ce;
    ce.id = e;
    for (size_t m : members_[e]) ce.members.push_back(&records_[m]);
    comparisons_ += ce.members.size();
    entities.push_back(std::move(ce));
  }
  const double threshold = options_.merge_at_review ? model_.lower() : std::numeric_limits<double>::quiet_NaN();
  Resolution res = Resolve(model_, records_[rec], entities, threshold);

  AddResult out;
  out.record = rec;
  out.decision = res.decision;
  out.weight = res.weight;
  out.conflicts = res.conflicts;
  if (res.best_member) out.matched_record_id = res.best_member->id;
  EntityId target;
  if (res.decision == Decision::kMerge) {
    target = res.entity;
    for (EntityId other : res.also_merge) {
      for (size_t m : members_[other]) {
        record_entity_[m] = target;
        members_[target].push_back(m);
      }
      members_[other].clear();
      Status s = index_->Reassign(other, target);
      if (!s.ok()) return s;
      out.merged_entities.push_back(other);
    }
  } else {
    if (res.decision == Decision::kReview) out.proposed_entity = res.entity;
    target = static_cast<EntityId>(members_.size());
    members_.emplace_back();
  }
  members_[target].push_back(rec);
  record_entity_[rec] = target;
  out.entity = target;
  Status s = index_->Add(target, keys);
  if (!s.ok()) return s;
  return out;
}

}  // namespace canon
