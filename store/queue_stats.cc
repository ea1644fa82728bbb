#include "store/queue_stats.h"

#include <string>

namespace canon::store {

Result<QueueStats> ReadQueueStats(PgConn& conn, long long cap, int timeout_ms) {
  auto results = conn.ExecPipeline(
      {{"SELECT set_config('statement_timeout', $1, false)", {std::to_string(timeout_ms)}},
       {"SELECT (SELECT count(*) FROM (SELECT 1 FROM inbox WHERE status = 'pending' LIMIT $1::bigint) p), "
        "coalesce((SELECT extract(epoch FROM now() - received_at)::float8 FROM inbox WHERE status = "
        "'pending' "
        "ORDER BY id LIMIT 1), 0), "
        "(SELECT count(*) FROM (SELECT 1 FROM merge_candidate WHERE status = 'pending' LIMIT $1::bigint) q), "
        "(SELECT count(*) FROM (SELECT 1 FROM merge_candidate WHERE status = 'deferred' LIMIT $1::bigint) "
        "d), "
        "coalesce((SELECT extract(epoch FROM now() - min(created_at))::float8 FROM merge_candidate "
        "WHERE status = 'pending'), 0)",
        {std::to_string(cap)}}});
  if (!results.ok()) return results.status();
  const PgResult* r = &(*results)[1];
  QueueStats s;
  s.inbox_pending = r->Int(0, 0);
  s.inbox_oldest_age_s = std::stod(r->Str(0, 1));
  s.review_pending = r->Int(0, 2);
  s.review_deferred = r->Int(0, 3);
  s.review_oldest_age_s = std::stod(r->Str(0, 4));
  return s;
}

}  // namespace canon::store
