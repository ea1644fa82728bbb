#include "store/inbox.h"

#include <algorithm>

#include "hygiene/pii_mask.h"
#include "store/fetch_jobs.h"

namespace canon::store {

Result<std::vector<InboxReceipt>> InsertInbox(PgConn& c, const std::vector<const InboxItem*>& items) {
  std::vector<InboxReceipt> out(items.size());
  if (items.empty()) return out;
  bool any_refused = false;
  for (const InboxItem* it : items) any_refused |= it->refused;
  // Without refusals the single INSERT is its own transaction; with them the dead letters must commit with it.
  Tx tx(c);
  if (any_refused) {
    if (Status s = tx.Begin(); !s.ok()) return s;
  }
  // One statement text for any number of rows (prepared once per connection), its columns as binary arrays read
  // in step by unnest in the select list; the bodies go as bytea[] exactly as received. It had been a VALUES list
  // of six parameters a row, a statement text (and a prepared statement) per group size.
  std::vector<std::optional<std::string_view>> source, content_type, headers, query, delivery_key, status, error;
  std::vector<std::string_view> body;
  for (auto* v : {&source, &content_type, &headers, &query, &delivery_key, &status, &error}) v->reserve(items.size());
  body.reserve(items.size());
  for (const InboxItem* it : items) {
    source.emplace_back(it->source);
    content_type.emplace_back(it->content_type);
    headers.emplace_back(it->headers_json.empty() ? std::string_view("{}") : std::string_view(it->headers_json));
    query.emplace_back(it->query);
    body.emplace_back(it->body);
    delivery_key.push_back(it->delivery_key.empty() ? std::nullopt : std::optional<std::string_view>(it->delivery_key));
    status.emplace_back(it->refused ? "failed" : "pending");
    error.push_back(it->refused ? std::optional<std::string_view>("refused at intake") : std::nullopt);
  }
  // RETURNING gives the rows in the order they were inserted, which is the arrays' order; skipped (conflicting)
  // rows are simply absent, which the walk below accounts for.
  const std::string sql =
      "INSERT INTO inbox (source, content_type, headers, query, body, delivery_key, status, error) "
      "SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::text[])::jsonb, unnest($4::text[]), "
      "       unnest($5::bytea[]), unnest($6::text[]), unnest($7::text[]), unnest($8::text[]) "
      "ON CONFLICT (source, delivery_key) WHERE delivery_key IS NOT NULL DO NOTHING "
      "RETURNING id, source, delivery_key";
  std::vector<Param> params = {TextViewArrayParam(source), TextViewArrayParam(content_type),
                               TextViewArrayParam(headers), TextViewArrayParam(query),
                               ByteaArrayParam(body),       TextViewArrayParam(delivery_key),
                               TextViewArrayParam(status),  TextViewArrayParam(error)};
  auto r = c.Exec(sql, params);
  if (!r.ok()) return r.status();
  int row = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const InboxItem& it = *items[i];
    bool match = row < r->rows() && r->Get(row, 1) == it.source &&
                 (it.delivery_key.empty() ? r->IsNull(row, 2) : r->Get(row, 2) == it.delivery_key);
    if (match) {
      out[i].id = r->Int(row, 0);
      ++row;
      continue;
    }
    auto d = c.Exec("SELECT id FROM inbox WHERE source = $1 AND delivery_key = $2", {it.source, it.delivery_key});
    if (!d.ok()) return d.status();
    if (d->rows() != 1) return Status::Internal("inbox insert lost a row for source " + it.source);
    out[i].id = d->Int(0, 0);
    out[i].duplicate = true;
    if (it.restart_fetches) {
      auto n = RestartDeadFetches(c, out[i].id);
      if (!n.ok()) return n.status();
      out[i].restarted = *n;
    }
  }
  if (any_refused) {
    for (size_t i = 0; i < items.size(); ++i) {
      const InboxItem& it = *items[i];
      if (!it.refused || out[i].duplicate) continue;
      Status s = InsertDeadLetter(c, {out[i].id, it.source, it.refusal_stage, it.refusal_reason, it.refusal_where,
                                      it.body});
      if (!s.ok()) return s;
    }
    if (Status s = tx.Commit(); !s.ok()) return s;
  }
  return out;
}

namespace {

// The columns both claims return, in this order. A claim is a row lock, not a write: `attempts` counts the claim
// here (+ 1) and in the row when the same transaction marks it (MarkInbox, MarkInboxRows), so an UPDATE of the claim
// no longer writes a second version of every row (its payload, its index entries, its WAL).
constexpr const char* kClaimColumns =
    "SELECT id, source, content_type, headers::text, query, body, coalesce(delivery_key, ''), received_at::text, "
    "attempts + 1 FROM inbox ";

Result<std::vector<InboxRow>> ClaimedRows(const Result<PgResult>& r) {
  if (!r.ok()) return r.status();
  std::vector<InboxRow> rows(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    InboxRow& row = rows[i];
    row.id = r->Int(i, 0);
    row.source = r->Str(i, 1);
    row.content_type = r->Str(i, 2);
    row.headers_json = r->Str(i, 3);
    row.query = r->Str(i, 4);
    auto body = ByteaValue(*r, i, 5);
    if (!body.ok()) return body.status();
    row.body = std::move(*body);
    row.delivery_key = r->Str(i, 6);
    row.received_at = r->Str(i, 7);
    row.attempts = static_cast<int>(r->Int(i, 8));
  }
  std::sort(rows.begin(), rows.end(), [](const InboxRow& a, const InboxRow& b) { return a.id < b.id; });
  return rows;
}

}  // namespace

Result<std::vector<InboxRow>> ClaimPending(PgConn& c, int limit) {
  return ClaimedRows(
      c.Exec(std::string(kClaimColumns) + "WHERE status = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
             {std::to_string(limit)}));
}

Result<std::vector<InboxRow>> ClaimRows(PgConn& c, const std::vector<long long>& ids) {
  return ClaimedRows(c.Exec(
      std::string(kClaimColumns) + "WHERE id = ANY($1::bigint[]) AND status = 'pending' FOR UPDATE SKIP LOCKED",
      {IntArrayParam(ids)}));
}

Result<long long> CountPending(PgConn& c, long long cap) {
  auto r = c.Exec("SELECT count(*) FROM (SELECT 1 FROM inbox WHERE status = 'pending' LIMIT $1) s",
                  {std::to_string(cap)});
  if (!r.ok()) return r.status();
  return r->Int(0, 0);
}

Result<std::set<std::pair<long long, int>>> StoredRecordIndexes(PgConn& c, const std::vector<long long>& inbox_ids) {
  std::set<std::pair<long long, int>> out;
  if (inbox_ids.empty()) return out;
  auto r = c.Exec("SELECT inbox_id, record_index FROM source_record WHERE inbox_id = ANY($1::bigint[])",
                  {IntArrayParam(inbox_ids)});
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) out.insert({r->Int(i, 0), static_cast<int>(r->Int(i, 1))});
  return out;
}

Result<std::string> ByteaValue(const PgResult& r, int row, int col) {
  size_t n = 0;
  unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r.get(), row, col)), &n);
  if (!bytes) return Status::Internal("cannot decode a bytea value");
  std::string out(reinterpret_cast<char*>(bytes), n);
  PQfreemem(bytes);
  return out;
}

Status MarkInbox(PgConn& c, long long id, const std::string& status, const std::string& error) {
  auto r = c.Exec("UPDATE inbox SET status = $2, processed_at = now(), error = nullif($3, ''), attempts = attempts + 1 "
                  "WHERE id = $1",
                  {std::to_string(id), status, MaskPii(error)});
  return r.ok() ? Status::Ok() : r.status();
}

Status MarkInboxRows(PgConn& c, const std::vector<InboxMark>& marks) {
  if (marks.empty()) return Status::Ok();
  std::vector<long long> ids;
  std::vector<std::string> status, error;
  for (const auto& m : marks) {
    ids.push_back(m.id);
    status.push_back(m.status);
    error.push_back(MaskPii(m.error));
  }
  auto r = c.Exec(
      "UPDATE inbox i SET status = u.s, processed_at = now(), error = nullif(u.e, ''), attempts = i.attempts + 1 "
      "FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, s, e) WHERE i.id = u.id",
      {IntArrayParam(ids), TextArrayParam(status), TextArrayParam(error)});
  return r.ok() ? Status::Ok() : r.status();
}

Status InsertDeadLetter(PgConn& c, const DeadLetter& dl) {
  std::string inbox = std::to_string(dl.inbox_id);
  auto r = c.Exec(
      "INSERT INTO dead_letter (inbox_id, source, stage, reason, location, raw, fetch_job_id) "
      "VALUES (nullif($1, '0')::bigint, $2, $3, $4, $5, $6::bytea, nullif($7, '0')::bigint)",
      {inbox, dl.source, dl.stage, MaskPii(dl.reason), dl.location, Param(std::string_view(dl.raw), true),
       std::to_string(dl.fetch_job_id)});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace canon::store
