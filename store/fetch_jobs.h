// Fetch jobs: the leads of fetch-based connectors (Meta Lead Ads), one durable unit of work per lead.
//
// A notification carries lead ids only. The worker that parses it enqueues one job per id (EnqueueFetchJobs,
// in its batch transaction); workers then claim due jobs (ClaimFetchJobs: FOR UPDATE SKIP LOCKED, so several
// workers and nodes share them; a crash before COMMIT leaves them due again), fetch each lead and record the
// outcome (UpdateFetchJobs): done, pending again after a delay, or dead. The retry state is in the table, so
// it survives restarts. A lead is written as record `record_index` of its notification's inbox row;
// source_record's UNIQUE (inbox_id, record_index) makes a second fetch of a stored lead write nothing. All
// functions run inside the caller's transaction, except RestartDeadFetches (one statement). Errors are the
// server's, as Status.
#pragma once

#include <string>
#include <vector>

#include "store/inbox.h"
#include "store/pg.h"

namespace canon::store {

struct NewFetchJob {
  std::string source;
  std::string lead_id;
  long long inbox_id = 0;
  int record_index = 0;
};

// One statement. A lead of the source that already has a job keeps it; a dead one starts again with a fresh
// window (a new notification of a lead that failed is a reason to try again).
Status EnqueueFetchJobs(PgConn& conn, const std::vector<NewFetchJob>& jobs);

struct FetchJob {
  long long id = 0;
  std::string lead_id;
  int record_index = 0;
  int attempts = 0;          // including this one
  long long elapsed_ms = 0;  // since the retry window started
  InboxRow inbox;            // the notification (id, source, body, received_at)
};

// Up to `limit` pending jobs whose next attempt is due, oldest due first, locked for this transaction; each
// claim counts as an attempt.
Result<std::vector<FetchJob>> ClaimFetchJobs(PgConn& conn, int limit);
// Those of `ids` still pending and not locked by another worker, due or not (a failed batch's own jobs, retried
// one by one).
Result<std::vector<FetchJob>> ClaimFetchJobsById(PgConn& conn, const std::vector<long long>& ids);

struct FetchJobUpdate {
  long long id = 0;
  std::string state;  // done, pending (retry after delay_ms) or dead
  long long delay_ms = 0;
  std::string error;  // last_error; kept when empty
};
Status UpdateFetchJobs(PgConn& conn, const std::vector<FetchJobUpdate>& updates);

// A redelivery of notification `inbox_id`: its dead jobs start again (attempts 0, a fresh window, due now)
// and their dead letters count as replayed. Returns how many started again.
Result<int> RestartDeadFetches(PgConn& conn, long long inbox_id);

}  // namespace canon::store
