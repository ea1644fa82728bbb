#include "store/dead_letters.h"

#include <cctype>

#include "store/inbox.h"

namespace canon::store {
namespace {

// "24h" -> "24 hours"; "" when `since` is not an age.
std::string AgeInterval(const std::string& since) {
  if (since.size() < 2 || since.size() > 10) return {};
  for (size_t i = 0; i + 1 < since.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(since[i]))) return {};
  const std::string n = since.substr(0, since.size() - 1);
  switch (since.back()) {
    case 's':
      return n + " seconds";
    case 'm':
      return n + " minutes";
    case 'h':
      return n + " hours";
    case 'd':
      return n + " days";
    default:
      return {};
  }
}

// The filter as a WHERE clause on dead_letter d, parameters $1..$5 (FilterParams).
const char* kWhere =
    "($1::bigint = 0 OR d.id = $1::bigint) AND ($2 = '' OR d.stage = $2) AND ($3 = '' OR d.source = $3) AND "
    "($4 = '' OR d.created_at >= now() - $4::interval) AND ($5 = '' OR d.created_at >= $5::timestamptz) AND "
    "($6::boolean OR d.replayed_at IS NULL)";

std::vector<Param> FilterParams(const DeadLetterFilter& f) {
  std::string age = AgeInterval(f.since);
  return {std::to_string(f.id),         f.stage, f.source, age, age.empty() ? f.since : std::string(),
          f.replayed ? "true" : "false"};
}

const char* kUtc = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

}  // namespace

Status CheckDeadLetterFilter(const DeadLetterFilter& f) {
  if (f.since.empty() || !AgeInterval(f.since).empty()) return Status::Ok();
  // An ISO 8601 time: digits and the punctuation of dates, times and offsets only (PostgreSQL parses it).
  for (char ch : f.since)
    if (!std::isdigit(static_cast<unsigned char>(ch)) &&
        std::string_view("-:T .Z+").find(ch) == std::string::npos)
      return Status::Invalid("since: expected an ISO 8601 time or an age such as 24h, 90m, 7d", "since");
  return Status::Ok();
}

Result<std::string> DeadLettersJson(PgConn& conn, const DeadLetterFilter& filter) {
  if (Status s = CheckDeadLetterFilter(filter); !s.ok()) return s;
  std::vector<Param> params = FilterParams(filter);
  params.emplace_back(std::to_string(filter.limit));
  auto r = conn.Exec(
      std::string(
          "SELECT jsonb_build_object('dead_letters', coalesce(jsonb_agg(jsonb_build_object("
          "  'id', d.id, 'inbox_id', d.inbox_id, 'source', d.source, 'stage', d.stage, 'reason', d.reason, "
          "  'location', d.location, 'raw_bytes', coalesce(octet_length(d.raw), 0), "
          "  'created_at', to_char(d.created_at AT TIME ZONE 'UTC', ") +
          kUtc + "), 'replayed_at', to_char(d.replayed_at AT TIME ZONE 'UTC', " + kUtc +
          "), 'fetch_job_id', d.fetch_job_id) ORDER BY d.id DESC), '[]'::jsonb))::text "
          "FROM (SELECT * FROM dead_letter d WHERE " +
          kWhere + " ORDER BY id DESC LIMIT $7) d",
      params);
  if (!r.ok()) return r.status();
  return r->Str(0, 0);
}

Result<std::vector<DeadLetterRow>> ListDeadLetters(PgConn& conn, const DeadLetterFilter& filter,
                                                   bool with_raw) {
  if (Status s = CheckDeadLetterFilter(filter); !s.ok()) return s;
  std::vector<Param> params = FilterParams(filter);
  params.emplace_back(std::to_string(filter.limit));
  auto r =
      conn.Exec(std::string("SELECT d.id, coalesce(d.inbox_id, 0), coalesce(d.fetch_job_id, 0), d.source, "
                            "d.stage, d.reason, d.location, to_char(d.created_at AT TIME ZONE 'UTC', ") +
                    kUtc + "), coalesce(to_char(d.replayed_at AT TIME ZONE 'UTC', " + kUtc + "), ''), " +
                    (with_raw ? "coalesce(d.raw, ''::bytea)" : "''::bytea") + " FROM dead_letter d WHERE " +
                    kWhere + " ORDER BY d.id DESC LIMIT $7",
                params);
  if (!r.ok()) return r.status();
  std::vector<DeadLetterRow> out(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    DeadLetterRow& d = out[i];
    d.id = r->Int(i, 0);
    d.inbox_id = r->Int(i, 1);
    d.fetch_job_id = r->Int(i, 2);
    d.source = r->Str(i, 3);
    d.stage = r->Str(i, 4);
    d.reason = r->Str(i, 5);
    d.location = r->Str(i, 6);
    d.created_at = r->Str(i, 7);
    d.replayed_at = r->Str(i, 8);
    auto raw = ByteaValue(*r, i, 9);
    if (!raw.ok()) return raw.status();
    d.raw = std::move(*raw);
  }
  return out;
}

Result<ReplayOutcome> ReplayDeadLetters(PgConn& conn, const DeadLetterFilter& filter) {
  if (Status s = CheckDeadLetterFilter(filter); !s.ok()) return s;
  DeadLetterFilter f = filter;
  f.replayed = false;
  // One statement: the dead letters are marked under their row locks (a concurrent replay waits, then finds
  // them replayed and leaves them), and their work is queued again in the same snapshot.
  auto r = conn.Exec(
      std::string(
          "WITH d AS (UPDATE dead_letter d SET replayed_at = now() WHERE d.inbox_id IS NOT NULL AND ") +
          kWhere +
          " RETURNING d.id, d.inbox_id, d.fetch_job_id), "
          "j AS (UPDATE fetch_job SET state = 'pending', attempts = 0, next_attempt_at = now(), "
          "  window_started_at = now(), updated_at = now() "
          "  WHERE id IN (SELECT fetch_job_id FROM d WHERE fetch_job_id IS NOT NULL) RETURNING id), "
          "i AS (UPDATE inbox SET status = 'pending', processed_at = NULL "
          "  WHERE id IN (SELECT inbox_id FROM d WHERE fetch_job_id IS NULL) RETURNING id) "
          "SELECT coalesce((SELECT array_agg(id ORDER BY id) FROM d), '{}')::text, (SELECT count(*) FROM j), "
          "(SELECT count(*) FROM i)",
      FilterParams(f));
  if (!r.ok()) return r.status();
  ReplayOutcome out;
  out.ids = ParseIntArray(r->Get(0, 0));
  out.fetches = static_cast<int>(r->Int(0, 1));
  out.payloads = static_cast<int>(r->Int(0, 2));
  return out;
}

std::string ReplayJson(const ReplayOutcome& o) {
  std::string ids;
  for (long long id : o.ids) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  return "{\"replayed\":[" + ids + "],\"fetches\":" + std::to_string(o.fetches) +
         ",\"payloads\":" + std::to_string(o.payloads) + "}";
}

}  // namespace canon::store
