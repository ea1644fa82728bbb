// Term counts as deltas (migration 012): the record writer (WriteBatch) appends one term_delta row per batch in
// the batch's transaction; FoldTermCounts moves every committed delta into term_count (exact counts per field and
// value, sharded by backend, migration 005), which the matcher reads. Counts lag the records by the time to the
// next fold, and never drift: a delta is deleted in the same statement that adds it, so a crash before the commit
// leaves it for the next fold, and none is added twice (two folders at once: each row is deleted, and added, by
// one of them).
//
// Thread-safety: FoldTermCounts runs on the caller's connection, outside a transaction or inside one (erasure
// folds first in its own). TermFolder is one writer's schedule: not shared between threads.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hygiene/status.h"
#include "store/pg.h"

namespace canon::store {

// One statement: every term_delta row this transaction can see is deleted and summed into term_count.
Status FoldTermCounts(PgConn& conn);

// The same, unless another session is folding now: then it folds nothing and returns false (that fold takes the
// deltas committed before it began; the caller tries again later for the rest). Writers fold with this, so two
// workers do not fold the same moment's deltas in turns, the second waiting on the first's rows.
Result<bool> TryFoldTermCounts(PgConn& conn);

// A writer's fold schedule: after a batch that wrote deltas, fold when kFoldEvery has passed since the last fold;
// when the writer goes idle (and when it stops), fold at once. So counts lag by at most kFoldEvery under load,
// and by one poll interval at rest.
class TermFolder {
 public:
  // Folding every batch cost as much as the upsert it replaces; every five seconds, a few hundred batches'
  // deltas go in one statement. Every fold moves term_count's epoch and so empties the writers' TermCountCache:
  // with 1,000,000 stored, folding every 5 s instead of 2 s took the import's folds from 12.3 to 10.1 s and its
  // term-count reads from 10.4 to 9.0 s (bench_csv_import, one interleaved pair).
  static constexpr std::chrono::milliseconds kFoldEvery{5000};
  // The least time between a worker's idle folds. A worker is "idle" after every batch that found fewer rows than
  // it asked for, which under a steady load short of its capacity is every batch: two canond nodes' four workers
  // then tried a fold 536-615 times in a 7-second run, and every attempt, even one that found another folder at
  // work, moved term_count's epoch (its statement trigger fires on zero rows too) and so emptied every writer's
  // TermCountCache. A gap of 1 s left 20-28 folds a run, 5 s left 4 (bench_pipeline --nodes 2: the folds' server
  // time 43.7 and 48.2 -> 31-40 -> 17.8 us per record). A quiet node still folds within about five seconds of its
  // last fold (workers poll every 200 ms): the frequencies lag by seconds, as kFoldEvery lets them.
  static constexpr std::chrono::milliseconds kIdleGap{5000};

  // `idle_gap`: Idle() does nothing within this long of the last fold attempt (0: it always tries when due).
  explicit TermFolder(std::chrono::milliseconds idle_gap = std::chrono::milliseconds(0)) : idle_gap_(idle_gap) {}

  // After a committed batch; `wrote`: it appended deltas. A failed fold leaves the deltas for the next one; so
  // does a fold that found another writer folding (TryFoldTermCounts): this writer stays due.
  Status AfterBatch(PgConn& conn, bool wrote);
  // When the writer has nothing to do.
  Status Idle(PgConn& conn);
  // Folds now when due, whatever the gap (a worker stopping).
  Status Flush(PgConn& conn);

 private:
  Status Fold(PgConn& conn);

  std::chrono::milliseconds idle_gap_;
  // True at first: deltas a crashed or stopped writer left are folded at this writer's first idle moment.
  bool dirty_ = true;
  bool attempted_ = false;  // the first idle fold (a crashed writer's deltas) waits for no gap
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Term counts one writer session has read, kept while term_count has not changed since. Every statement that
// changes term_count takes the next value of the sequence term_count_epoch (migration 019, a statement trigger:
// folds, erasure, a hand edit alike). The writer reads the epoch in each batch's first round trip, before it reads
// counts: a new epoch empties the cache, so a count it serves is one a read at the epoch's reading would give.
// One case lags: a count read while a fold was committing (its epoch taken, its rows not yet visible) is the
// count before that fold until term_count next changes, which under load is the next fold (TermFolder::kFoldEvery),
// so the frequencies lag by seconds as they do uncached, and never drift.
// At 1,000,000 entities the term-count read was 13.4 us of server time per record written, and a batch's values
// (given names, cities, postcodes) are mostly ones the batches of the last seconds asked for.
// Holds at most kMaxValues counts (emptied when full). Not thread-safe: one per connection (store/candidates.h,
// WriterState).
class TermCountCache {
 public:
  static constexpr size_t kMaxValues = 65536;

  // The statement that reads the epoch (one row, one bigint; 0 before the first change).
  static const char* EpochSql();
  // Empties the cache unless its counts were read under `epoch`.
  void AtEpoch(long long epoch);
  // The count of `value` of `field` ("" for the field's total), when cached.
  const long long* Find(const std::string& field, const std::string& value) const { return Find(Key(field, value)); }
  void Put(const std::string& field, const std::string& value, long long n) { Put(Key(field, value), n); }
  // The same by the pair's Key (a caller that looks a pair up more than once builds it once).
  static std::string Key(std::string_view field, std::string_view value);
  const long long* Find(const std::string& key) const;
  void Put(std::string key, long long n);
  size_t size() const { return counts_.size(); }

 private:
  long long epoch_ = -1;
  std::unordered_map<std::string, long long> counts_;  // field, NUL, value -> count
};

}  // namespace canon::store
