// The fault harness (issue 17, item 5): a steady load of distinct, numbered records through canond's real HTTP
// intake (web forms, JSON and Google Ads lead webhooks, to addresses of this machine only) while faults are
// injected — kill -9 of canond (restarted at once), PostgreSQL fast and immediate restarts on a private cluster,
// and a network cut — then a reconciliation of every acknowledgement against source_record.
//
// With a network cut, the nodes (three by default) run each in its own network namespace (tests/faults/netns.h):
// one is cut off with `ip link set down` for `cut_seconds` while the load goes on, and its sessions end
// `idle_in_tx_ms` after going idle inside a transaction (idle_in_transaction_session_timeout), so the other nodes
// finish what it had claimed. Namespaces need root: without them the cut is skipped and the tally says why; the
// other faults run on nodes on loopback.
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
  int nodes = 1;               // canond nodes sharing the database; senders spread over them
  int network_cuts = 0;        // 0 or 1: one node cut off while the load runs (needs root; see above)
  int cut_seconds = 30;
  int idle_in_tx_ms = 5000;    // the nodes' idle_in_transaction_session_timeout when a cut is planned
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
  // Entities (ReconcileEntities): live contacts whose stored canonical columns, latest_source and lineage were
  // compared with survivorship recomputed from their members (store::ComputeSurvivors), and how many differed.
  long long contacts_checked = 0;
  long long contacts_inconsistent = 0;
  std::string first_inconsistent;      // the first few: contact id and the differing column names (no values)
  long long members_not_live = 0;      // entity_member rows whose contact is missing or merged into another
  long long records_without_entity = 0;  // non-test source records in no entity (a test lead in one counts too)
  long long member_copies_differ = 0;  // entity_member rows whose match form is not their record's (migration 021)
  int kills = 0, fast_restarts = 0, immediate_restarts = 0, network_cuts = 0;
  std::string cut_skipped;             // why a planned cut did not happen ("" when it did, or none was planned)
  long long cut_tx_sessions_before = -1;  // the cut node's sessions inside a transaction as the cut began
  long long cut_tx_sessions_end = -1;     // ... and as it ended (-1: not measured, e.g. the database was down)
  long long cut_reconnects_failed = -1;   // the cut node's failed reconnect attempts, read after the cut
  std::string first_refusal;              // the first 4xx: node, status and body
  std::string Summary() const;
};

// Checks every live contact against its members: survivorship recomputed by the store's own code
// (store::ComputeSurvivors, what RecomputeContacts writes) equals the stored ContactColumns(), latest_source and
// lineage. original_source is not compared: the store sets it once and never rewrites it. Also counts entity
// members whose contact is not live and source records in no entity. Fills the tally's entity counts.
void ReconcileEntities(const std::string& conninfo, const std::string& rules_dir, FaultTally* tally);

// Runs the plan against a fresh private cluster; fails the running Catch2 test on set-up errors only. The caller
// asserts on the tally.
FaultTally RunFaultHarness(const FaultPlan& plan);

}  // namespace canon::test
