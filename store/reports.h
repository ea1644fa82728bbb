// Reports for stewards and operators: vocabulary drift (governed values held in quarantine) and over-common
// blocking keys (dead letters: store/dead_letters.h).
//
// Read-only queries (except NoteOverCommonKeys, the record writer's upsert) on one connection; the caller
// owns the connection and uses it from one thread at a time (the daemon locks App::admin_mutex() around it).
// Errors are the server's, as Status.
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
  bool by_count = false;  // sort by count over every field (the top values), not field first
};

// Sorted by field, then count (most first), then value; with by_count, by count, then field and value.
Result<std::vector<DriftRow>> VocabularyDrift(PgConn& conn, const DriftOptions& options = {});

// {"values":[{"field","value","count","held","first_seen","last_seen","sources":[...],"reason"}],"total":N}
std::string DriftJson(const std::vector<DriftRow>& rows);

// Records that these blocking keys were met while over-common (held by more entities than max_per_key): one
// upsert of over_common_key, hits += the times each key occurs in `keys` (one per record that met it),
// last_seen = now(). Rows are written in key order, so concurrent writers lock them in the same order.
// Runs in the caller's transaction (WriteBatch's). No-op for an empty vector.
Status NoteOverCommonKeys(PgConn& conn, const std::vector<std::string>& keys);
// The same as a statement for the writer's pipeline (`keys` not empty).
Statement NoteOverCommonKeysStatement(const std::vector<std::string>& keys);

// One over-common blocking key. Keys are PII (a phone, an e-mail): admin reports, never logs.
struct OverCommonKeyRow {
  std::string key;         // "<kind>:<parts>"
  std::string kind;        // the blocking rule's name
  long long holders = 0;   // match_key rows holding the key now, counted up to kHoldersCap
  long long hits = 0;      // records that met the key while it was over-common
  std::string first_seen;  // ISO 8601 UTC
  std::string last_seen;   // ISO 8601 UTC
};

// A key can be held by millions of entities; the report need only show that it is huge.
inline constexpr long long kHoldersCap = 10000;

// Most hits first (then key), at most `limit`.
Result<std::vector<OverCommonKeyRow>> OverCommonKeys(PgConn& conn, int limit);

// {"keys":[{"key","kind","holders","hits","first_seen","last_seen"}],"total":N}: OverCommonKeys as JSON.
Result<std::string> OverCommonKeysJson(PgConn& conn, int limit);

}  // namespace canon::store
