#include "store/term_counts.h"

namespace canon::store {

Status FoldTermCounts(PgConn& c) {
  // A value's count is one row (shard 0): a reader finds it with one index probe. A field's total (value ''),
  // which every fold updates, is spread over 16 shards by the folding backend, so two folders (two writers, two
  // nodes) seldom wait for each other on it; readers sum the shards. Rows in (field, value) order: two folders
  // lock the rows they share in the same order. (Until 016 every value was sharded too: at 1,000,000 entities a
  // common name was up to 16 rows on as many pages, and the tf read touched 170 buffers a probe.)
  auto r = c.Exec(
      "WITH d AS (DELETE FROM term_delta RETURNING fields, vals, ns), "
      "x AS (SELECT u.f, u.v, sum(u.n)::bigint AS n FROM d, unnest(d.fields, d.vals, d.ns) AS u(f, v, n) "
      "      GROUP BY u.f, u.v) "
      "INSERT INTO term_count (field, value, shard, n) "
      "SELECT f, v, CASE WHEN v = '' THEN pg_backend_pid() % 16 ELSE 0 END, n FROM x ORDER BY f, v "
      "ON CONFLICT (field, value, shard) DO UPDATE SET n = term_count.n + excluded.n");
  return r.ok() ? Status::Ok() : r.status();
}

Status TermFolder::AfterBatch(PgConn& c, bool wrote) {
  dirty_ = dirty_ || wrote;
  if (!dirty_ || std::chrono::steady_clock::now() - last_ < kFoldEvery) return Status::Ok();
  return Idle(c);
}

Status TermFolder::Idle(PgConn& c) {
  if (!dirty_) return Status::Ok();
  Status s = FoldTermCounts(c);
  last_ = std::chrono::steady_clock::now();
  if (s.ok()) dirty_ = false;
  return s;
}

}  // namespace canon::store
