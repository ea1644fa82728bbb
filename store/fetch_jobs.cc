#include "store/fetch_jobs.h"

namespace canon::store {

Status EnqueueFetchJobs(PgConn& c, const std::vector<NewFetchJob>& jobs) {
  if (jobs.empty()) return Status::Ok();
  std::vector<std::string> sources, leads;
  std::vector<long long> inbox, index;
  for (const NewFetchJob& j : jobs) {
    sources.push_back(j.source);
    leads.push_back(j.lead_id);
    inbox.push_back(j.inbox_id);
    index.push_back(j.record_index);
  }
  auto r = c.Exec(
      "INSERT INTO fetch_job (source, lead_id, inbox_id, record_index) "
      // A lead named twice (in one notification or two of the batch) is one job, its first mention's.
      "SELECT DISTINCT ON (s, l) s, l, i, x FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[]) "
      "  AS u(s, l, i, x) ORDER BY s, l, i, x "
      "ON CONFLICT (source, lead_id) DO UPDATE SET state = 'pending', attempts = 0, next_attempt_at = now(), "
      "window_started_at = now(), updated_at = now() WHERE fetch_job.state = 'dead'",
      {TextArray(sources), TextArray(leads), IntArray(inbox), IntArray(index)});
  return r.ok() ? Status::Ok() : r.status();
}

namespace {

// Both claims: `which` selects the job ids (locked FOR UPDATE SKIP LOCKED); each claim counts as an attempt.
Result<std::vector<FetchJob>> ClaimedJobs(PgConn& c, const std::string& which, const std::string& param) {
  auto r = c.Exec(
      "UPDATE fetch_job j SET attempts = j.attempts + 1, updated_at = now() FROM inbox i "
      "WHERE i.id = j.inbox_id AND j.id IN (" + which + ") "
      "RETURNING j.id, j.source, j.lead_id, j.inbox_id, j.record_index, j.attempts, "
      "(extract(epoch FROM now() - j.window_started_at) * 1000)::bigint, i.body, i.received_at::text",
      {param});
  if (!r.ok()) return r.status();
  std::vector<FetchJob> out(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    FetchJob& j = out[i];
    j.id = r->Int(i, 0);
    j.inbox.source = r->Str(i, 1);
    j.lead_id = r->Str(i, 2);
    j.inbox.id = r->Int(i, 3);
    j.record_index = static_cast<int>(r->Int(i, 4));
    j.attempts = static_cast<int>(r->Int(i, 5));
    j.elapsed_ms = r->Int(i, 6);
    auto body = ByteaValue(*r, i, 7);
    if (!body.ok()) return body.status();
    j.inbox.body = std::move(*body);
    j.inbox.received_at = r->Str(i, 8);
  }
  return out;
}

}  // namespace

Result<std::vector<FetchJob>> ClaimFetchJobs(PgConn& c, int limit) {
  return ClaimedJobs(c,
                     "SELECT id FROM fetch_job WHERE state = 'pending' AND next_attempt_at <= now() "
                     "ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED",
                     std::to_string(limit));
}

Result<std::vector<FetchJob>> ClaimFetchJobsById(PgConn& c, const std::vector<long long>& ids) {
  return ClaimedJobs(c,
                     "SELECT id FROM fetch_job WHERE id = ANY($1::bigint[]) AND state = 'pending' "
                     "FOR UPDATE SKIP LOCKED",
                     IntArray(ids));
}

Status UpdateFetchJobs(PgConn& c, const std::vector<FetchJobUpdate>& updates) {
  if (updates.empty()) return Status::Ok();
  std::vector<long long> ids, delays;
  std::vector<std::string> states, errors;
  for (const FetchJobUpdate& u : updates) {
    ids.push_back(u.id);
    states.push_back(u.state);
    delays.push_back(u.delay_ms);
    errors.push_back(u.error);
  }
  auto r = c.Exec(
      "UPDATE fetch_job j SET state = u.s, next_attempt_at = now() + u.d * interval '1 millisecond', "
      "last_error = coalesce(nullif(u.e, ''), j.last_error), updated_at = now() "
      "FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[]) AS u(id, s, d, e) WHERE j.id = u.id",
      {IntArray(ids), TextArray(states), IntArray(delays), TextArray(errors)});
  return r.ok() ? Status::Ok() : r.status();
}

Result<int> RestartDeadFetches(PgConn& c, long long inbox_id) {
  auto r = c.Exec(
      "WITH j AS (UPDATE fetch_job SET state = 'pending', attempts = 0, next_attempt_at = now(), "
      "  window_started_at = now(), updated_at = now() WHERE inbox_id = $1 AND state = 'dead' RETURNING id), "
      "d AS (UPDATE dead_letter SET replayed_at = now() WHERE fetch_job_id IN (SELECT id FROM j) AND "
      "  replayed_at IS NULL RETURNING id) "
      "SELECT (SELECT count(*) FROM j), (SELECT count(*) FROM d)",
      {std::to_string(inbox_id)});
  if (!r.ok()) return r.status();
  return static_cast<int>(r->Int(0, 0));
}

}  // namespace canon::store
