// Steward decisions read back as training labels for `canonctl match train` (hygiene/match_train.h).
//
// A label is a pair of source records: an approved merge_candidate (the record pair the matcher scored, status
// 'approved') is a match; a rejected_pair row (written by a reject, every member of one side against every member
// of the other, and by an unmerge) is a non-match. When one record pair was both approved and later rejected (an
// approve undone by an unmerge), the later decision wins. Both records come with their normalized values from
// source_record, as the matcher compares them (MatchInputFromNormalized); the MatchInput id is the source_record
// id.
// Runs plain reads on `conn` (no transaction needed). Errors: SQL failures, unreadable stored JSON.
#pragma once

#include <string>
#include <vector>

#include "hygiene/match_train.h"
#include "store/pg.h"

namespace canon::store {

// Every labelled pair, ordered by (lower record id, higher record id), leaving out pairs with a record of
// `exclude_source` (the steward source: a reject pairs every member, and a steward's edit is a few corrected fields,
// not a person's record, so its pairs would teach u from one field).
Result<std::vector<LabelledPair>> LoadLabels(PgConn& conn, const std::string& exclude_source);

// The newest `limit` source records (all when 0), leaving out `exclude_source` (the steward source: an edit is a
// correction of some fields, not a record of a person), as the population for u and EM.
Result<std::vector<MatchInput>> LoadTrainingRecords(PgConn& conn, size_t limit, const std::string& exclude_source);

}  // namespace canon::store
