#include "store/imports.h"

#include <simdjson.h>

#include "hygiene/pii_mask.h"

namespace canon::store {

Result<bool> TryLockImportFile(PgConn& c, const std::string& source, const std::string& file_name) {
  auto r = c.Exec("SELECT pg_try_advisory_lock(hashtextextended('csv_drop:' || $1 || '/' || $2, 0))",
                  {source, file_name});
  if (!r.ok()) return r.status();
  return r->Get(0, 0) == "t";
}

Status UnlockImportFile(PgConn& c, const std::string& source, const std::string& file_name) {
  auto r = c.Exec("SELECT pg_advisory_unlock(hashtextextended('csv_drop:' || $1 || '/' || $2, 0))",
                  {source, file_name});
  return r.ok() ? Status::Ok() : r.status();
}

Result<ImportState> BeginImport(PgConn& c, const std::string& source, const std::string& file_name,
                                const std::string& file_hash, long long file_size) {
  auto r = c.Exec(
      "INSERT INTO csv_import (source, file_name, file_hash, file_size) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (source, file_hash) DO UPDATE SET updated_at = now() "
      "RETURNING id, status, next_offset, next_line, coalesce(header::text, '[]'), coalesce(delimiter, ''), "
      "coalesce(encoding, ''), rows_ok, rows_refused",
      {source, file_name, file_hash, std::to_string(file_size)});
  if (!r.ok()) return r.status();
  ImportState s;
  s.id = r->Int(0, 0);
  s.status = r->Str(0, 1);
  s.next_offset = r->Int(0, 2);
  s.next_line = r->Int(0, 3);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string header_json = r->Str(0, 4);
  if (!parser.parse(header_json).get(doc) && doc.is_array()) {
    simdjson::dom::array arr = doc.get_array().value();
    for (auto el : arr) {
      std::string_view v;
      if (!el.get_string().get(v)) s.header.emplace_back(v);
    }
  }
  s.delimiter = r->Str(0, 5);
  s.encoding = r->Str(0, 6);
  s.rows_ok = r->Int(0, 7);
  s.rows_refused = r->Int(0, 8);
  return s;
}

Status SaveImportHeader(PgConn& c, long long id, const std::vector<std::string>& header, const std::string& delimiter,
                        const std::string& encoding) {
  std::string json = "[";
  for (size_t i = 0; i < header.size(); ++i) json += (i ? "," : "") + JsonEscape(header[i]);
  json += "]";
  auto r = c.Exec("UPDATE csv_import SET header = $2::jsonb, delimiter = $3, encoding = $4 WHERE id = $1",
                  {std::to_string(id), json, delimiter, encoding});
  return r.ok() ? Status::Ok() : r.status();
}

Result<bool> BlocksSession(PgConn& c, int pid) {
  // UNION, not UNION ALL: a cycle among other sessions ends the walk.
  auto r = c.Exec("WITH RECURSIVE w(pid) AS (SELECT unnest(pg_blocking_pids($1::int)) "
                  "UNION SELECT unnest(pg_blocking_pids(w.pid)) FROM w) "
                  "SELECT EXISTS (SELECT 1 FROM w WHERE w.pid = pg_backend_pid())",
                  {std::to_string(pid)});
  if (!r.ok()) return r.status();
  return r->Get(0, 0) == "t";
}

Status SaveImportProgress(PgConn& c, long long id, long long next_offset, long long next_line, long long add_ok,
                          long long add_refused) {
  auto r = c.Exec(
      "UPDATE csv_import SET next_offset = $2, next_line = $3, rows_ok = rows_ok + $4, "
      "rows_refused = rows_refused + $5, updated_at = now() WHERE id = $1",
      {std::to_string(id), std::to_string(next_offset), std::to_string(next_line), std::to_string(add_ok),
       std::to_string(add_refused)});
  return r.ok() ? Status::Ok() : r.status();
}

Status InsertImportErrors(PgConn& c, long long id, const std::vector<std::pair<long long, std::string>>& errors) {
  if (errors.empty()) return Status::Ok();
  std::vector<std::string> lines, reasons;
  for (const auto& [l, why] : errors) {
    lines.push_back(std::to_string(l));
    reasons.push_back(MaskPii(why));
  }
  auto r = c.Exec(
      "INSERT INTO csv_import_error (import_id, line, reason) "
      "SELECT $1, l, r FROM unnest($2::bigint[], $3::text[]) AS u(l, r) ON CONFLICT DO NOTHING",
      {std::to_string(id), TextArray(lines), TextArray(reasons)});
  return r.ok() ? Status::Ok() : r.status();
}

Status FinishImport(PgConn& c, long long id, const std::string& status, const std::string& error) {
  auto r = c.Exec(
      "UPDATE csv_import SET status = $2, error = nullif($3, ''), finished_at = now(), updated_at = now() "
      "WHERE id = $1",
      {std::to_string(id), status, MaskPii(error)});
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<std::pair<long long, std::string>>> ImportErrors(PgConn& c, long long id) {
  auto r = c.Exec("SELECT line, reason FROM csv_import_error WHERE import_id = $1 ORDER BY line",
                  {std::to_string(id)});
  if (!r.ok()) return r.status();
  std::vector<std::pair<long long, std::string>> out;
  for (int i = 0; i < r->rows(); ++i) out.emplace_back(r->Int(i, 0), r->Str(i, 1));
  return out;
}

Result<std::string> ImportsJson(PgConn& c, int limit) {
  auto r = c.Exec(
      "SELECT coalesce(jsonb_agg(x ORDER BY x.id DESC), '[]')::text FROM ("
      " SELECT id, source, file_name, status, file_size, next_offset AS bytes_done, "
      "  round(100.0 * next_offset / greatest(file_size, 1), 1) AS percent, rows_ok, rows_refused, error, "
      "  started_at, updated_at, finished_at, "
      "  round((rows_ok + rows_refused) / greatest(extract(epoch FROM coalesce(finished_at, updated_at) - "
      "        started_at), 0.001)) AS rows_per_s "
      " FROM csv_import ORDER BY id DESC LIMIT $1) x",
      {std::to_string(limit)});
  if (!r.ok()) return r.status();
  return r->Str(0, 0);
}

}  // namespace canon::store
