// Dead letters: what was refused or could not be fetched, listed, shown and replayed.
//
// A replay puts a dead letter's unit of work back in the queue, for the workers of any canond on the database
// to do again through the rules in force there: the lead's fetch_job (pending, attempts 0, a fresh retry
// window) when the dead letter names one, else its inbox row (pending: parsed, validated and written again).
// Each dead letter is replayed at most once (replayed_at, set in the same statement under its row lock, so
// two concurrent replays cannot both take it); what the replay writes is keyed too (source_record's UNIQUE
// (inbox_id, record_index), and the worker skips records of a payload already stored), so replaying twice
// writes once. A dead letter without an inbox row (none today) is not replayable and is left as it is. All
// functions take the caller's connection; errors are the server's, as Status.
#pragma once

#include <string>
#include <vector>

#include "store/pg.h"

namespace canon::store {

struct DeadLetterFilter {
  long long id = 0;      // 0: any
  std::string stage;     // "": any (intake, parse, validate, fetch, store)
  std::string source;    // "": any
  std::string since;     // "": any; an ISO 8601 time, or an age: "90m", "24h", "7d"
  bool replayed = true;  // false: leave out dead letters already replayed
  int limit = 100;       // list only
};

// Checks the filter's `since` (kInvalidArgument, where = "since").
Status CheckDeadLetterFilter(const DeadLetterFilter& filter);

// {"dead_letters":[{"id","inbox_id","source","stage","reason","location","raw_bytes","created_at","replayed_at",
// "fetch_job_id"}]}, newest first. The raw bytes themselves are never included (they may hold PII).
Result<std::string> DeadLettersJson(PgConn& conn, const DeadLetterFilter& filter);

struct DeadLetterRow {
  long long id = 0;
  long long inbox_id = 0;      // 0: none
  long long fetch_job_id = 0;  // 0: none
  std::string source, stage, reason, location, created_at,
      replayed_at;  // times ISO 8601 UTC; "" = not replayed
  std::string raw;
};
// Newest first, at most filter.limit; raw bytes included only when `with_raw`.
Result<std::vector<DeadLetterRow>> ListDeadLetters(PgConn& conn, const DeadLetterFilter& filter,
                                                   bool with_raw);

struct ReplayOutcome {
  std::vector<long long> ids;  // the dead letters replayed now
  int fetches = 0;             // leads to fetch again
  int payloads = 0;            // inbox rows to parse again
};
// One transaction. Dead letters already replayed are left out whatever the filter says.
Result<ReplayOutcome> ReplayDeadLetters(PgConn& conn, const DeadLetterFilter& filter);

// {"replayed":[ids],"fetches":N,"payloads":N}
std::string ReplayJson(const ReplayOutcome& outcome);

}  // namespace canon::store
