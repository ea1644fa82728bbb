// The fault harness (issue 17, item 5): a steady load of distinct, numbered records through canond's real HTTP
// intake (web forms, JSON and Google Ads lead webhooks, to 127.0.0.1 only) while faults are injected — kill -9 of
// canond (restarted at once), PostgreSQL fast and immediate restarts on a private cluster — then a reconciliation
// of every acknowledgement against source_record.
//
// Senders behave like the vendors: each record carries a delivery key (Idempotency-Key, or the Google lead_id) and
// is retried on a 5xx or a failed connection for a bounded time, so "acknowledged" and "stored once" can be
// compared exactly. Bounded: at most `max_records` records and `seconds` of sending.
#pragma once

#include <string>

namespace canon::test {

struct FaultPlan {
  int seconds = 40;       // of sending; faults fall between 10% and 85% of it
  int kills = 1;          // kill -9 of canond, restarted at once
  int fast_restarts = 1;  // pg_ctl stop -m fast, start
  int immediate_restarts = 0;  // pg_ctl stop -m immediate (crash recovery), start
  int senders = 4;
  long long max_records = 200000;
  unsigned seed = 0;  // 0: from the clock (printed)
};

struct FaultTally {
  long long sent = 0;          // distinct records sent at least once
  long long acknowledged = 0;  // answered 2xx
  long long refused = 0;       // answered 4xx: a broken sender or source set-up, never expected
  long long stored = 0;        // acknowledged and present exactly once
  long long lost = 0;          // acknowledged and absent
  long long duplicated = 0;    // present more than once (acknowledged or not)
  long long unacked_stored = 0;  // not acknowledged, present once (committed, answer lost): allowed
  long long stuck = 0;         // inbox rows still pending after the drain
  int kills = 0, fast_restarts = 0, immediate_restarts = 0;
  std::string Summary() const;
};

// Runs the plan against a fresh private cluster; fails the running Catch2 test on set-up errors only. The caller
// asserts on the tally.
FaultTally RunFaultHarness(const FaultPlan& plan);

}  // namespace canon::test
