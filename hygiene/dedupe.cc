#include "hygiene/dedupe.h"

#include <cmath>
#include <unordered_map>

#include "hygiene/clusterer.h"
#include "hygiene/memory_index.h"

namespace canon {

Result<DedupeOutput> Dedupe(const MatchModel& model, const BlockingRules& rules, const std::vector<MatchInput>& inputs,
                            const DedupeOptions& options) {
  TermFrequencies tf;
  const bool use_tf = options.term_frequencies && inputs.size() >= kMinTfRecords;
  if (use_tf) tf = TermFrequencies::Count(inputs, model.TfFields());
  MemoryIndex index(rules);
  ClusterOptions copt;
  copt.merge_at_review = options.merge_at_review;
  Clusterer clusterer(model, rules, &index, use_tf ? &tf : nullptr, copt);
  DedupeOutput out;
  out.rows.resize(inputs.size());
  std::unordered_map<std::string, size_t> by_id;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto r = clusterer.Add(inputs[i]);
    if (!r.ok()) return r.status();
    DedupeAssignment& a = out.rows[i];
    a.record_id = inputs[i].id;
    a.decision = r->decision;
    a.weight = std::isinf(r->weight) ? std::nan("") : r->weight;
    a.matched_record_id = r->matched_record_id;
    if (r->decision == Decision::kReview) ++out.reviews;
    if (options.explain && !r->matched_record_id.empty()) {
      auto it = by_id.find(r->matched_record_id);
      if (it != by_id.end()) a.explanation = model.Explain(clusterer.record(i), clusterer.record(it->second)).ToString();
    }
    by_id.emplace(inputs[i].id, i);
  }
  std::unordered_map<EntityId, std::string> first_id;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto [it, inserted] = first_id.emplace(clusterer.EntityOf(i), inputs[i].id);
    out.rows[i].cluster_id = it->second;
  }
  out.over_common_keys = index.OverCommonKeys();
  out.comparisons = clusterer.comparisons();
  return out;
}

}  // namespace canon
