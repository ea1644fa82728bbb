#include "store/term_counts.h"

namespace canon::store {

namespace {

// After the CTE `d` of deleted deltas: their sums (x), added into term_count.
constexpr const char* kFoldSums =
    "x AS (SELECT u.f, u.v, sum(u.n)::bigint AS n FROM d, unnest(d.fields, d.vals, d.ns) AS u(f, v, n) "
    "      GROUP BY u.f, u.v) ";
constexpr const char* kFoldInsert =
    "INSERT INTO term_count (field, value, shard, n) "
    "SELECT f, v, CASE WHEN v = '' THEN pg_backend_pid() % 16 ELSE 0 END, n FROM x ORDER BY f, v "
    "ON CONFLICT (field, value, shard) DO UPDATE SET n = term_count.n + excluded.n";

// The folders' advisory lock: "term" and "fold" in ASCII.
constexpr int kFoldLock[2] = {0x7465726d, 0x666f6c64};

}  // namespace

Status FoldTermCounts(PgConn& c) {
  // A value's count is one row (shard 0): a reader finds it with one index probe. A field's total (value ''),
  // which every fold updates, is spread over 16 shards by the folding backend, so two folders (two writers, two
  // nodes) seldom wait for each other on it; readers sum the shards. Rows in (field, value) order: two folders
  // lock the rows they share in the same order. (Until 016 every value was sharded too: at 1,000,000 entities a
  // common name was up to 16 rows on as many pages, and the tf read touched 170 buffers a probe.)
  auto r = c.Exec(std::string("WITH d AS (DELETE FROM term_delta RETURNING fields, vals, ns), ") + kFoldSums +
                  kFoldInsert);
  return r.ok() ? Status::Ok() : r.status();
}

Result<bool> TryFoldTermCounts(PgConn& c) {
  // The statement's own lock (two int4 keys: another lock space than the blocking keys' int8 hashes), held to its
  // end. A folder that finds it taken deletes and adds nothing.
  auto r = c.Exec(std::string("WITH go AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(") +
                  std::to_string(kFoldLock[0]) + ", " + std::to_string(kFoldLock[1]) +
                  ") AS ok), "
                  "d AS (DELETE FROM term_delta WHERE (SELECT ok FROM go) RETURNING fields, vals, ns), " +
                  kFoldSums + ", added AS (" + kFoldInsert + " RETURNING 1) SELECT (SELECT ok FROM go)");
  if (!r.ok()) return r.status();
  return r->rows() == 1 && r->Get(0, 0) == "t";
}

Status TermFolder::AfterBatch(PgConn& c, bool wrote) {
  dirty_ = dirty_ || wrote;
  if (!dirty_ || std::chrono::steady_clock::now() - last_ < kFoldEvery) return Status::Ok();
  return Fold(c);
}

Status TermFolder::Idle(PgConn& c) {
  if (!dirty_ || (attempted_ && std::chrono::steady_clock::now() - last_ < idle_gap_)) return Status::Ok();
  return Fold(c);
}

Status TermFolder::Flush(PgConn& c) { return dirty_ ? Fold(c) : Status::Ok(); }

Status TermFolder::Fold(PgConn& c) {
  attempted_ = true;
  Result<bool> folded = TryFoldTermCounts(c);
  last_ = std::chrono::steady_clock::now();
  if (!folded.ok()) return folded.status();
  if (*folded) dirty_ = false;
  return Status::Ok();
}

const char* TermCountCache::EpochSql() {
  return "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM term_count_epoch";
}

void TermCountCache::AtEpoch(long long epoch) {
  if (epoch == epoch_) return;
  counts_.clear();
  epoch_ = epoch;
}

std::string TermCountCache::Key(std::string_view field, std::string_view value) {
  std::string k;
  k.reserve(field.size() + 1 + value.size());
  k += field;
  k.push_back('\0');  // no field name holds one
  k += value;
  return k;
}

const long long* TermCountCache::Find(const std::string& key) const {
  auto it = counts_.find(key);
  return it == counts_.end() ? nullptr : &it->second;
}

void TermCountCache::Put(std::string key, long long n) {
  if (counts_.size() >= kMaxValues && !counts_.count(key)) counts_.clear();
  counts_[std::move(key)] = n;
}

}  // namespace canon::store
