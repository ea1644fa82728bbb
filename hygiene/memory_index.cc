#include "hygiene/memory_index.h"

#include <algorithm>

namespace canon {

Result<std::vector<EntityId>> MemoryIndex::Candidates(const std::vector<std::string>& keys, size_t cap) {
  std::unordered_map<EntityId, int> shared;  // entity -> how many of the keys it holds
  for (const auto& k : keys) {
    auto it = by_key_.find(k);
    if (it == by_key_.end()) continue;
    if (it->second.size() > rules_.CapFor(k)) {
      size_t& seen = over_common_[k];
      seen = std::max(seen, it->second.size());
      continue;
    }
    for (EntityId e : it->second) ++shared[e];
  }
  std::vector<std::pair<EntityId, int>> hits(shared.begin(), shared.end());
  // More shared keys first; ties by id so results do not depend on hash order.
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<EntityId> out;
  for (size_t i = 0; i < hits.size() && i < cap; ++i) out.push_back(hits[i].first);
  return out;
}

Status MemoryIndex::Add(EntityId entity, const std::vector<std::string>& keys) {
  auto& mine = keys_of_[entity];
  for (const auto& k : keys) {
    auto& v = by_key_[k];
    if (std::find(v.begin(), v.end(), entity) != v.end()) continue;
    v.push_back(entity);
    mine.push_back(k);
  }
  return Status::Ok();
}

Status MemoryIndex::Reassign(EntityId from, EntityId into) {
  auto it = keys_of_.find(from);
  if (it == keys_of_.end() || from == into) return Status::Ok();
  std::vector<std::string> keys = std::move(it->second);
  keys_of_.erase(it);
  for (const auto& k : keys) {
    auto& v = by_key_[k];
    v.erase(std::remove(v.begin(), v.end(), from), v.end());
  }
  return Add(into, keys);
}

std::vector<OverCommonKey> MemoryIndex::OverCommonKeys() const {
  std::vector<OverCommonKey> out;
  for (const auto& [k, n] : over_common_) out.push_back({k, n});
  return out;
}

}  // namespace canon
