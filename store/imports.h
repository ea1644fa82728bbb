// csv_import bookkeeping: one row per (source, file hash), its progress, and its refused rows.
// All functions take the caller's connection; progress and errors are meant to commit in the caller's batch
// transaction together with the records they cover.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "store/pg.h"

namespace canon::store {

struct ImportState {
  long long id = 0;
  std::string status;  // running, done, failed
  long long next_offset = 0;
  long long next_line = 2;
  std::vector<std::string> header;  // empty until the header was read
  std::string delimiter;
  std::string encoding;
  long long rows_ok = 0;
  long long rows_refused = 0;
};

// A session-level lock on one drop-folder file (source and file name), so that of several nodes watching one
// folder only one imports a file. False: another session holds it. Released by UnlockImportFile, or when the
// session ends: a node that dies mid-import frees the file for the others, which resume it.
Result<bool> TryLockImportFile(PgConn& conn, const std::string& source, const std::string& file_name);
Status UnlockImportFile(PgConn& conn, const std::string& source, const std::string& file_name);

// Finds or creates the import of this file (by source and hash).
Result<ImportState> BeginImport(PgConn& conn, const std::string& source, const std::string& file_name,
                                const std::string& file_hash, long long file_size);
Status SaveImportHeader(PgConn& conn, long long id, const std::vector<std::string>& header,
                        const std::string& delimiter, const std::string& encoding);
// Whether the session of server process `pid` waits for a lock this session holds, directly or through sessions
// that wait in turn (pg_blocking_pids, followed): a writer that waits for that session outside PostgreSQL (the
// import's writers wait for the batch before in the process) sees the cycle it would close, which PostgreSQL,
// not seeing that wait, never would.
Result<bool> BlocksSession(PgConn& conn, int pid);
Status SaveImportProgress(PgConn& conn, long long id, long long next_offset, long long next_line, long long add_ok,
                          long long add_refused);
Status InsertImportErrors(PgConn& conn, long long id, const std::vector<std::pair<long long, std::string>>& errors);
Status FinishImport(PgConn& conn, long long id, const std::string& status, const std::string& error = {});
Result<std::vector<std::pair<long long, std::string>>> ImportErrors(PgConn& conn, long long id);
// The latest imports with their progress, as a JSON array (for GET /admin/imports).
Result<std::string> ImportsJson(PgConn& conn, int limit);

}  // namespace canon::store
