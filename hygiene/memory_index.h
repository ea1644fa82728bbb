// MemoryIndex: the in-memory CandidateIndex (hash map key -> entities) for offline dedupe, tests and benches.
// Not thread-safe. See hygiene/candidate_index.h for the contract.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "hygiene/blocking.h"
#include "hygiene/candidate_index.h"

namespace canon {

class MemoryIndex : public CandidateIndex {
 public:
  // A key held by more entities than its cap (BlockingRules::CapFor) is over-common and not followed.
  explicit MemoryIndex(BlockingRules rules) : rules_(std::move(rules)) {}
  // Every key capped at `max_per_key`.
  explicit MemoryIndex(size_t max_per_key) { rules_.max_per_key = max_per_key; }

  Result<std::vector<EntityId>> Candidates(const std::vector<std::string>& keys, size_t cap) override;
  Status Add(EntityId entity, const std::vector<std::string>& keys) override;
  Status Reassign(EntityId from, EntityId into) override;
  std::vector<OverCommonKey> OverCommonKeys() const override;

  size_t key_count() const { return by_key_.size(); }

 private:
  BlockingRules rules_;
  std::unordered_map<std::string, std::vector<EntityId>> by_key_;
  std::unordered_map<EntityId, std::vector<std::string>> keys_of_;
  std::map<std::string, size_t> over_common_;  // ordered so reports are stable
};

}  // namespace canon
