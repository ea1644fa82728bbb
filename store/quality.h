// The data-quality report behind the steward page's quality view (GET /admin/report/quality).
//
// What it measures, over a window of the last `days` UTC days (today included):
//   fields     per canonical field: completeness, the share of live contacts that have a value; validity, of the
//              newest records of the window (at most kQualitySample) that carried the field, the share whose
//              value was kept as valid: not quarantined (a governed value that mapped to nothing) and not
//              flagged "<field>:invalid" (a phone libphonenumber rejected, kept raw);
//   duplicates live contacts against real (non-test) source records: duplicate_rate = 1 - contacts / records;
//   per_day    source records by UTC day, source and outcome (new contact, joined an entity, queued for review,
//              test lead) and dead letters by day and source;
//   merges     merge_event merges by day, by the matcher (also_merge) and by stewards, and unmerges;
//   quarantine the most frequent held values (store/reports.h VocabularyDrift, by count);
//   queue      open review candidates by age, and the oldest.
//
// Cost: the window's source records and dead letters are scanned once each (source_record has no index on its
// time; the window bounds the rows aggregated, not the rows read); the validity sample reads at most
// kQualitySample records by primary key. Measured at 200,000 contacts and 300,000 records on a loaded 2-core
// machine: 3.0-3.3 s for 14 days, 4.3-4.7 s for 90. Not thread-safe on one PgConn. Errors: SQL failures, as Status.
#pragma once

#include <string>

#include "store/pg.h"

namespace canon::store {

inline constexpr int kMaxQualityDays = 90;         // per-day charts longer than a quarter are unreadable
inline constexpr int kQualitySample = 50000;       // validity from the newest records: enough, and bounded
inline constexpr int kQualityTopQuarantined = 10;  // the chart's bars; the drift report has them all

// {"days","generated_at","contacts","records","duplicate_rate",
//  "fields":[{"field","filled","valid","checked","present"}], "sample":N,
//  "per_day":[{"day","source","outcome","count"}], "merges":[{"day","matcher","steward","unmerge"}],
//  "quarantine":{"values":[...],"total"} (DriftJson), "queue":{"open","pending","deferred","oldest",
//  "ages":[{"label","count"}]}}
Result<std::string> QualityJson(PgConn& conn, int days);

}  // namespace canon::store
