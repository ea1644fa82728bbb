// The queue gauges GET /metrics reports, read at scrape time: inbox rows waiting for a worker and the age of
// the oldest, merge candidates waiting for a steward (pending, deferred) and the age of the oldest pending
// one.
//
// Cost is bounded: the counts stop at `cap` rows (a backlog larger than that reads as `cap`), each read walks
// a partial index (inbox_pending, merge_candidate_open) and the oldest inbox row is the first of
// inbox_pending (ids follow arrival), and the session's statement_timeout is set to `timeout_ms` first (in
// the same round trip; the caller gives it a connection of its own). Errors: the connection's.
#pragma once

#include "hygiene/status.h"
#include "store/pg.h"

namespace canon::store {

struct QueueStats {
  long long inbox_pending = 0;
  double inbox_oldest_age_s = 0;  // 0 when nothing is pending
  long long review_pending = 0;
  long long review_deferred = 0;
  double review_oldest_age_s = 0;  // of the oldest pending candidate; 0 when none
};

Result<QueueStats> ReadQueueStats(PgConn& conn, long long cap, int timeout_ms);

}  // namespace canon::store
