// CandidateIndex: blocking key -> entities, the lookup that replaces a scan when a record looks for its entity.
//
// Two implementations: MemoryIndex (hygiene/memory_index.h) for `canonctl dedupe`, tests and benches, and one
// over PostgreSQL's match_key table for the daemon (store/). The interface is small and synchronous so the
// clusterer does not care which one it has.
// Contract: Candidates returns each entity once, those sharing more of the keys first, at most `cap` of them.
// A key held by more than the index's per-key limit is not followed (a shared office phone, "info@") and is
// reported by OverCommonKeys instead. Add files an entity under keys (idempotent); Reassign moves everything
// filed under `from` to `into` after two entities were merged.
// Ownership: the index owns its copies of keys. Thread-safety: implementation-defined; MemoryIndex is not
// thread-safe (one clusterer at a time). Errors: a store-backed index returns Unavailable/Internal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hygiene/status.h"

namespace canon {

using EntityId = int64_t;  // > 0; 0 means "none"

struct OverCommonKey {
  std::string key;
  size_t entities = 0;  // how many entities held it when it was skipped
};

class CandidateIndex {
 public:
  virtual ~CandidateIndex() = default;
  virtual Result<std::vector<EntityId>> Candidates(const std::vector<std::string>& keys, size_t cap) = 0;
  virtual Status Add(EntityId entity, const std::vector<std::string>& keys) = 0;
  virtual Status Reassign(EntityId from, EntityId into) = 0;
  virtual std::vector<OverCommonKey> OverCommonKeys() const = 0;
};

}  // namespace canon
