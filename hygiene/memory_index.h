// MemoryIndex: the in-memory CandidateIndex (hash map key -> entities) for offline dedupe, tests and benches.
// Not thread-safe. See hygiene/candidate_index.h for the contract.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "hygiene/candidate_index.h"

namespace canon {

class MemoryIndex : public CandidateIndex {
 public:
  // `max_per_key`: a key held by more entities than this is over-common and not followed.
  explicit MemoryIndex(size_t max_per_key) : max_per_key_(max_per_key) {}

  Result<std::vector<EntityId>> Candidates(const std::vector<std::string>& keys, size_t cap) override;
  Status Add(EntityId entity, const std::vector<std::string>& keys) override;
  Status Reassign(EntityId from, EntityId into) override;
  std::vector<OverCommonKey> OverCommonKeys() const override;

  size_t key_count() const { return by_key_.size(); }

 private:
  size_t max_per_key_;
  std::unordered_map<std::string, std::vector<EntityId>> by_key_;
  std::unordered_map<EntityId, std::vector<std::string>> keys_of_;
  std::map<std::string, size_t> over_common_;  // ordered so reports are stable
};

}  // namespace canon
