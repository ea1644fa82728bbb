// Reports for stewards and operators: vocabulary drift (governed values held in quarantine) and dead letters.
//
// Read-only queries on one connection; the caller owns the connection and uses it from one thread at a time
// (the daemon locks App::admin_mutex() around it). Errors are the server's, as Status.
#pragma once

#include <string>
#include <vector>

#include "store/pg.h"

namespace canon::store {

// One quarantined value of one field, aggregated over every quarantine row that holds it.
struct DriftRow {
  std::string field;
  std::string value;               // the raw value as received
  long long count = 0;             // rows counted (held only, unless DriftOptions::all)
  long long held = 0;              // of those, still held
  std::string first_seen;          // ISO 8601 UTC, the earliest row
  std::string last_seen;           // ISO 8601 UTC, the latest row
  std::vector<std::string> sources;  // distinct, sorted
  std::string reason;              // the reason of the latest row (why the value was held)
};

struct DriftOptions {
  bool all = false;    // false: held rows only; true: replayed and dismissed rows too
  std::string field;   // "" = every field
  int limit = 1000;    // at most this many rows
};

// Sorted by field, then count (most first), then value.
Result<std::vector<DriftRow>> VocabularyDrift(PgConn& conn, const DriftOptions& options = {});

// {"values":[{"field","value","count","held","first_seen","last_seen","sources":[...],"reason"}],"total":N}
std::string DriftJson(const std::vector<DriftRow>& rows);

// {"dead_letters":[{"id","inbox_id","source","stage","reason","location","raw_bytes","created_at"}]}, newest
// first; `source` "" = every source. The raw bytes themselves are never included (they may hold PII).
Result<std::string> DeadLettersJson(PgConn& conn, const std::string& source, int limit);

}  // namespace canon::store
