#include "store/reports.h"

namespace canon::store {

Result<std::vector<DriftRow>> VocabularyDrift(PgConn& conn, const DriftOptions& options) {
  // Sources are joined with a newline: source names are identifiers from rules/sources.toml, never multi-line.
  auto r = conn.Exec(
      "SELECT field, value, count(*), count(*) FILTER (WHERE status = 'held'), "
      "  to_char(min(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
      "  to_char(max(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
      "  string_agg(DISTINCT source, E'\\n' ORDER BY source), "
      "  (array_agg(reason ORDER BY created_at DESC, id DESC))[1] "
      "FROM quarantine WHERE ($1 = 'true' OR status = 'held') AND ($2 = '' OR field = $2) "
      "GROUP BY field, value ORDER BY CASE WHEN $4 THEN '' ELSE field END, count(*) DESC, field, value LIMIT $3",
      {options.all ? "true" : "false", options.field, std::to_string(options.limit),
       options.by_count ? "true" : "false"});
  if (!r.ok()) return r.status();
  std::vector<DriftRow> rows;
  rows.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    DriftRow row;
    row.field = r->Str(i, 0);
    row.value = r->Str(i, 1);
    row.count = r->Int(i, 2);
    row.held = r->Int(i, 3);
    row.first_seen = r->Str(i, 4);
    row.last_seen = r->Str(i, 5);
    std::string sources = r->Str(i, 6);
    for (size_t start = 0; start <= sources.size();) {
      size_t end = sources.find('\n', start);
      if (end == std::string::npos) end = sources.size();
      if (end > start) row.sources.push_back(sources.substr(start, end - start));
      start = end + 1;
    }
    row.reason = r->Str(i, 7);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string DriftJson(const std::vector<DriftRow>& rows) {
  std::string out = "{\"values\":[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const DriftRow& row = rows[i];
    if (i) out += ',';
    out += "{\"field\":" + JsonEscape(row.field) + ",\"value\":" + JsonEscape(row.value) +
           ",\"count\":" + std::to_string(row.count) + ",\"held\":" + std::to_string(row.held) +
           ",\"first_seen\":" + JsonEscape(row.first_seen) + ",\"last_seen\":" + JsonEscape(row.last_seen) +
           ",\"sources\":[";
    for (size_t s = 0; s < row.sources.size(); ++s) out += (s ? "," : "") + JsonEscape(row.sources[s]);
    out += "],\"reason\":" + JsonEscape(row.reason) + "}";
  }
  out += "],\"total\":" + std::to_string(rows.size()) + "}";
  return out;
}

Statement NoteOverCommonKeysStatement(const std::vector<std::string>& keys) {
  // ON CONFLICT cannot touch one row twice in a statement: duplicates are summed first.
  return {"INSERT INTO over_common_key AS o (key, kind, hits) "
          "SELECT k, split_part(k, ':', 1), count(*) FROM unnest($1::text[]) AS u(k) GROUP BY k ORDER BY k "
          "ON CONFLICT (key) DO UPDATE SET hits = o.hits + excluded.hits, last_seen = now()",
          {TextArray(keys)}};
}

Status NoteOverCommonKeys(PgConn& conn, const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::Ok();
  Statement st = NoteOverCommonKeysStatement(keys);
  auto r = conn.Exec(st.sql, st.params);
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<OverCommonKeyRow>> OverCommonKeys(PgConn& conn, int limit) {
  auto r = conn.Exec(
      "SELECT o.key, o.kind, "
      "  (SELECT count(*) FROM (SELECT 1 FROM match_key m WHERE m.key_hash = canon_key_hash(o.key) LIMIT $2) h), o.hits, "
      "  to_char(o.first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
      "  to_char(o.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
      "FROM over_common_key o ORDER BY o.hits DESC, o.key LIMIT $1",
      {std::to_string(limit), std::to_string(kHoldersCap)});
  if (!r.ok()) return r.status();
  std::vector<OverCommonKeyRow> rows;
  rows.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i)
    rows.push_back({r->Str(i, 0), r->Str(i, 1), r->Int(i, 2), r->Int(i, 3), r->Str(i, 4), r->Str(i, 5)});
  return rows;
}

Result<std::string> OverCommonKeysJson(PgConn& conn, int limit) {
  auto rows = OverCommonKeys(conn, limit);
  if (!rows.ok()) return rows.status();
  std::string out = "{\"keys\":[";
  for (size_t i = 0; i < rows->size(); ++i) {
    const OverCommonKeyRow& row = (*rows)[i];
    if (i) out += ',';
    out += "{\"key\":" + JsonEscape(row.key) + ",\"kind\":" + JsonEscape(row.kind) +
           ",\"holders\":" + std::to_string(row.holders) + ",\"hits\":" + std::to_string(row.hits) +
           ",\"first_seen\":" + JsonEscape(row.first_seen) + ",\"last_seen\":" + JsonEscape(row.last_seen) +
           "}";
  }
  out += "],\"total\":" + std::to_string(rows->size()) + "}";
  return out;
}

}  // namespace canon::store
