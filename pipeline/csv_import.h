// CSV import: one file of a CSV source -> source records and contacts, streamed in constant memory.
//
// The file on disk is the durable copy (it stays in the drop folder until the import is done), so rows do not
// pass through the inbox. Rows are read in batches; each batch is ONE transaction that writes its records, the
// refused rows (csv_import_error), and the import's progress (next byte offset and line). A crash or a stop
// between batches loses nothing: the next run finds the import by (source, file hash) and resumes at the
// committed offset. A row can never be written twice (source_record is unique on source + "hash:line").
//
// Used by canond's drop-folder watcher and by `canonctl import`. Blocking; one call per file; the connection is
// the caller's (options.writers opens more of the same database). `stop` (optional) is polled between batches.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "hygiene/rule_set.h"
#include "store/pg.h"

namespace canon::pipeline {

struct ImportProgress {
  long long import_id = 0;
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  long long rows_ok = 0;
  long long rows_refused = 0;
  // Rows written only once the batches before theirs had committed (they shared a blocking key with one of those,
  // or with a row of their own batch that did); the others are written while those batches are.
  long long rows_waited = 0;
  // Batch attempts rolled back and written again (one gave way to the batch before, PostgreSQL broke a deadlock, or
  // the batch before rolled back).
  long long batches_retried = 0;
  // Of those, the attempts that gave way to the batch before theirs on finding it waiting for them (the import's
  // own check; the others were deadlocks PostgreSQL broke after its deadlock_timeout, or followed the batch before).
  long long batches_gave_way = 0;
  double seconds = 0;
  // Where this run began: 0, or a resumed import's committed progress (so a caller can count this run's work).
  uint64_t bytes_start = 0;
  long long rows_ok_start = 0;
  long long rows_refused_start = 0;
};

struct ImportOptions {
  // Rows per transaction. 250: a batch's working memory (candidate members of every row, array parameters) grows
  // with the store's size; with 1000-row batches canond's peak resident set grew 1.32x from 100k to 1M rows
  // imported, and the per-batch statements cost little next to the rows' own work.
  size_t batch_rows = 250;
  std::function<void(const ImportProgress&)> on_progress;  // after each committed batch
  const std::atomic<bool>* stop = nullptr;
  // Rules are re-read per batch so a reload applies to the rest of a long file.
  std::function<std::shared_ptr<const RuleSet>()> rules;
  // Connections writing batches at once: the caller's and writers - 1 more of the same database (opened and closed
  // by the import; fewer when they cannot be opened). Batches still commit in file order. On two cores one writer
  // left a core idle while it waited for the server and the server for it.
  int writers = 2;
  // A batch that has waited this long for the batch before it to end gives way (rolls back, and is written again
  // once that batch has committed), whatever it waits for. The writers wait for each other in their process, where
  // PostgreSQL does not see it; a cycle that passes through such a wait of another import's writers would be seen
  // by nobody. The cycles seen (store::BlocksSession) give way within 20 ms.
  std::chrono::milliseconds give_way_after{2000};
  // Every batch but the file's last commits without waiting for its WAL to reach the disk (store::Tx::
  // BeginAsyncCommit). The file is the durable copy and a batch's progress commits with its rows: a server crash
  // loses the last such batches together with their progress, and the import goes on from the last one kept, no
  // row lost and none taken twice. The last batch, which marks the import done before the file is moved away,
  // commits as the server is set to (synchronously by default), which makes every batch before it durable too.
  bool async_commit = true;
  // Tests only: true for (batch number from 0, attempt from 1) rolls that attempt back once its rows are written,
  // as when PostgreSQL breaks a deadlock, so the batch and the one after it are written again.
  std::function<bool(long long batch, int attempt)> fail_batch;
  // Tests only: called on the writer's thread once an attempt holds its first group's keys (stage 0) and once it
  // has written that group (stage 1), so a test can order two writers' steps.
  std::function<void(long long batch, int attempt, int stage)> test_stage;
};

struct ImportResult {
  long long import_id = 0;
  std::string status;  // done, failed, stopped (resumable), duplicate (this file was imported before)
  std::string error;   // for failed: why the file could not be read
  ImportProgress progress;
};

Result<ImportResult> ImportCsvFile(store::PgConn& conn, const std::string& source_name, const std::string& path,
                                   const ImportOptions& options);

// Writes "line,reason" for every refused row of the import (RFC 4180 quoted) to `path`.
Status WriteImportReport(store::PgConn& conn, long long import_id, const std::string& path);

// SHA-256 of a file, hex.
Result<std::string> FileSha256(const std::string& path);

}  // namespace canon::pipeline
