// Quarantine replay: once stewards add an alias, values held in quarantine can be mapped after the fact.
//
// For one held quarantine row: rebuild the Record from source_record.raw, Normalize it with the given rules, and
// when the held field now maps, write the canonical value to the contact that record belongs to (following
// merged_into), unless that contact already has a value for the field that came from a newer source record
// (by received_at, then id) or from no source record at all (a steward's edit): a replay never overwrites newer
// data, and never moves lifecycle_stage backwards. The row is then marked replayed and a merge_event (kind 'quarantine_replay') records what happened.
// Everything for one row runs in one transaction on `conn` (rolled back on error, or always with dry_run).
// The caller owns the connection (one thread at a time); the RuleSet is only read.
#pragma once

#include <string>
#include <vector>

#include "hygiene/rule_set.h"
#include "store/pg.h"

namespace canon::store {

struct HeldRow {
  long long id = 0;
  long long source_record_id = 0;
  std::string field;
  std::string value;
};

// Held quarantine rows that have a source record, oldest first; `field` "" = every field.
Result<std::vector<HeldRow>> HeldQuarantine(PgConn& conn, const std::string& field = {});

enum class ReplayResult {
  kWritten,       // the contact's field now has the canonical value
  kKeptNewer,     // the value maps, but the contact keeps a newer, steward-set or later-stage value; row replayed
  kStillHeld,     // the current rules still do not map the value; nothing changed
  kNoContact,     // the source record belongs to no contact, or the field is no contact column; nothing changed
  kGone,          // the row is no longer held (another replay got it first)
};

struct ReplayOutcome {
  ReplayResult result = ReplayResult::kStillHeld;
  std::string canonical;  // the mapped value (kWritten, kKeptNewer)
  long long contact_id = 0;
};

Result<ReplayOutcome> ReplayQuarantineRow(PgConn& conn, const RuleSet& rules, long long quarantine_id,
                                          bool dry_run = false);

}  // namespace canon::store
