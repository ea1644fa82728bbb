// The inbox: every accepted payload, raw, before any parsing.
//
// InsertInbox writes a batch of payloads in ONE statement (the caller's group commit); it returns one receipt per
// item in order. A redelivery (same source and delivery key as an earlier row) inserts nothing and returns the
// earlier row's id with duplicate=true. ClaimPending/MarkInbox run inside the caller's transaction: rows are
// claimed with FOR UPDATE SKIP LOCKED so several workers and several nodes can share the queue, and a crash
// before COMMIT leaves the rows pending: nothing is lost or taken twice.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/pg.h"

namespace canon::store {

struct InboxItem {
  std::string source;
  std::string content_type;
  std::string headers_json;  // a JSON object of the headers kept for the worker
  std::string query;
  std::string body;          // raw bytes, stored as bytea exactly
  std::string delivery_key;  // empty: none
  // A payload refused after authentication (bad shape): stored as a failed row plus a dead letter, so it is
  // kept for inspection; the sender gets a 4xx once both are committed.
  bool refused = false;
  std::string refusal_stage;
  std::string refusal_reason;
  std::string refusal_where;
  // A notification of a fetch-based source (meta_leads, linkedin_leads): its redelivery starts the dead fetch jobs of the first
  // delivery again (store/fetch_jobs.h RestartDeadFetches) instead of being only a duplicate of the failure.
  bool restart_fetches = false;
};

struct InboxReceipt {
  long long id = 0;
  bool duplicate = false;
  int restarted = 0;  // a redelivery: fetch jobs of the first delivery that were dead and now start again
};

// Refused items are written in the same transaction as the others (status 'failed' + a dead_letter row).
Result<std::vector<InboxReceipt>> InsertInbox(PgConn& conn, const std::vector<const InboxItem*>& items);

struct InboxRow {
  long long id = 0;
  std::string source;
  std::string content_type;
  std::string headers_json;
  std::string query;
  std::string body;
  std::string delivery_key;
  std::string received_at;  // timestamptz as text
  int attempts = 0;
};

// Must run inside a transaction. Returns up to `limit` pending rows, oldest first, locked for this transaction
// (FOR UPDATE SKIP LOCKED: a lock, no write). `attempts` is the row's count with this claim; the row's column
// counts it when the same transaction marks the row (MarkInbox, MarkInboxRows), so every claimed row must be
// marked before COMMIT, and a claim rolled back counts nothing (as before).
Result<std::vector<InboxRow>> ClaimPending(PgConn& conn, int limit);
// The same for the given rows only: those of `ids` still pending and not locked by another transaction (a worker
// retrying the rows of its failed batch one by one, which another worker may have claimed meanwhile).
Result<std::vector<InboxRow>> ClaimRows(PgConn& conn, const std::vector<long long>& ids);

// Pending rows, counted up to `cap` (a bounded scan of the pending index, however long the queue). No transaction.
Result<long long> CountPending(PgConn& conn, long long cap);

// status: "done" or "failed" (error says why), and attempts + 1 (the claim). Inside the claiming transaction. Error texts and dead-letter
// reasons are stored through MaskPii (hygiene/pii_mask.h): they are shown by the admin API and copied into
// tickets, so a value that slipped into a message must not reach them; the payload's own bytes are in `raw`.
Status MarkInbox(PgConn& conn, long long id, const std::string& status, const std::string& error = {});

struct InboxMark {
  long long id = 0;
  std::string status;
  std::string error;
};
// Many rows in one statement.
Status MarkInboxRows(PgConn& conn, const std::vector<InboxMark>& marks);

// (inbox_id, record_index) of the source records already written from these inbox rows: a payload handled again
// (a replay, a fetched lead fetched again) skips them, so its records are written once. Empty input: no query.
Result<std::set<std::pair<long long, int>>> StoredRecordIndexes(PgConn& conn, const std::vector<long long>& inbox_ids);

// A bytea column of a text-format result, decoded.
Result<std::string> ByteaValue(const PgResult& r, int row, int col);

struct DeadLetter {
  long long inbox_id = 0;  // 0: none
  std::string source;
  std::string stage;     // intake, parse, validate, fetch, store
  std::string reason;
  std::string location;  // JSON Pointer, line number, form key
  std::string raw;       // the payload as received
  long long fetch_job_id = 0;  // 0: none; else the lead's fetch_job (a replay fetches the lead again)
};
Status InsertDeadLetter(PgConn& conn, const DeadLetter& dl);

}  // namespace canon::store
