#include "store/term_counts.h"

namespace canon::store {

Status FoldTermCounts(PgConn& c) {
  // Rows in (field, value) order: two folders that share a shard lock its rows in the same order.
  auto r = c.Exec(
      "WITH d AS (DELETE FROM term_delta RETURNING fields, vals, ns), "
      "x AS (SELECT u.f, u.v, sum(u.n)::bigint AS n FROM d, unnest(d.fields, d.vals, d.ns) AS u(f, v, n) "
      "      GROUP BY u.f, u.v) "
      "INSERT INTO term_count (field, value, shard, n) SELECT f, v, pg_backend_pid() % 16, n FROM x ORDER BY f, v "
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
