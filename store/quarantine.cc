#include "store/quarantine.h"

#include <algorithm>

#include "hygiene/normalize.h"
#include "store/entities.h"

namespace canon::store {

Result<std::vector<HeldRow>> HeldQuarantine(PgConn& conn, const std::string& field) {
  auto r = conn.Exec(
      "SELECT id, source_record_id, field, value FROM quarantine "
      "WHERE status = 'held' AND source_record_id IS NOT NULL AND ($1 = '' OR field = $1) ORDER BY id",
      {field});
  if (!r.ok()) return r.status();
  std::vector<HeldRow> rows;
  rows.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) rows.push_back({r->Int(i, 0), r->Int(i, 1), r->Str(i, 2), r->Str(i, 3)});
  return rows;
}

namespace {

Result<ReplayOutcome> ReplayInTx(PgConn& c, const RuleSet& rules, long long quarantine_id) {
  ReplayOutcome out;
  std::string qid = std::to_string(quarantine_id);
  // Locks the row: two replays running at once handle it once.
  auto q = c.Exec(
      "SELECT q.source_record_id, q.field, q.value, sr.source, sr.is_test, sr.record_index, "
      "  coalesce(sr.delivery_key, '') "
      "FROM quarantine q JOIN source_record sr ON sr.id = q.source_record_id "
      "WHERE q.id = $1 AND q.status = 'held' FOR UPDATE OF q",
      {qid});
  if (!q.ok()) return q.status();
  if (q->rows() == 0) {
    out.result = ReplayResult::kGone;
    return out;
  }
  std::string srid = q->Str(0, 0);
  std::string field = q->Str(0, 1);
  std::string held_value = q->Str(0, 2);
  Record record;
  record.source = q->Str(0, 3);
  record.is_test = q->Get(0, 4) == "t";
  record.index = static_cast<int>(q->Int(0, 5));
  record.delivery_key = q->Str(0, 6);
  auto raw = c.Exec(
      "SELECT 'f', key, value FROM source_record, jsonb_each_text(coalesce(raw->'fields', '{}'::jsonb)) "
      "WHERE id = $1 "
      "UNION ALL SELECT 'x', key, value FROM source_record, jsonb_each_text(coalesce(raw->'extra', '{}'::jsonb)) "
      "WHERE id = $1",
      {srid});
  if (!raw.ok()) return raw.status();
  for (int i = 0; i < raw->rows(); ++i)
    (raw->Get(i, 0) == "f" ? record.fields : record.extra)[raw->Str(i, 1)] = raw->Str(i, 2);

  NormalizedRecord n = Normalize(record, rules);
  bool still_held = std::any_of(n.quarantined.begin(), n.quarantined.end(),
                                [&](const FieldIssue& i) { return i.field == field; });
  if (still_held || n.Get(field).empty()) {
    out.result = ReplayResult::kStillHeld;
    return out;
  }
  out.canonical = n.Get(field);
  // The column name goes into SQL: only the fixed list of contact columns is allowed.
  const auto& columns = ContactColumns();
  if (std::find(columns.begin(), columns.end(), field) == columns.end()) {
    out.result = ReplayResult::kNoContact;
    return out;
  }

  // The record's contact, or the one it was merged into (bounded: a cycle would be a bug, not a reason to hang).
  auto member = c.Exec("SELECT contact_id FROM entity_member WHERE source_record_id = $1", {srid});
  if (!member.ok()) return member.status();
  if (member->rows() == 0) {
    out.result = ReplayResult::kNoContact;
    return out;
  }
  long long contact = member->Int(0, 0);
  for (int hop = 0; hop < 16; ++hop) {
    auto m = c.Exec("SELECT merged_into FROM contact WHERE id = $1", {std::to_string(contact)});
    if (!m.ok()) return m.status();
    if (m->rows() == 0 || m->IsNull(0, 0)) break;
    contact = m->Int(0, 0);
  }
  out.contact_id = contact;
  std::string cid = std::to_string(contact);

  // Lock the contact, then decide: empty field, or a value whose lineage names an older source record.
  auto cur = c.Exec(
      "SELECT coalesce(ct." + field + ", ''), ct.lineage->>$2, "
      "  (SELECT (lin.received_at, lin.id) < (me.received_at, me.id) "
      "     FROM source_record lin, source_record me "
      "    WHERE lin.id = (ct.lineage->>$2)::bigint AND me.id = $3) "
      "FROM contact ct WHERE ct.id = $1 FOR UPDATE",
      {cid, field, srid});
  if (!cur.ok()) return cur.status();
  if (cur->rows() == 0) {
    out.result = ReplayResult::kNoContact;
    return out;
  }
  bool empty = cur->Get(0, 0).empty();
  bool older = !cur->IsNull(0, 2) && cur->Get(0, 2) == "t";
  bool write = empty || older;
  // lifecycle_stage only moves forward (docs/rules.md): an older, lower stage found late must not demote a contact.
  if (write && !empty && field == "lifecycle_stage" &&
      !LifecycleMayMove(rules, cur->Get(0, 0), out.canonical, /*by_steward=*/false))
    write = false;
  if (write) {
    auto up = c.Exec("UPDATE contact SET " + field +
                         " = $2, lineage = lineage || jsonb_build_object($3::text, $4::bigint), updated_at = now() "
                         "WHERE id = $1",
                     {cid, out.canonical, field, srid});
    if (!up.ok()) return up.status();
  }
  out.result = write ? ReplayResult::kWritten : ReplayResult::kKeptNewer;
  auto mark = c.Exec("UPDATE quarantine SET status = 'replayed', replayed_at = now() WHERE id = $1", {qid});
  if (!mark.ok()) return mark.status();
  std::string detail = "{\"field\":" + JsonEscape(field) + ",\"value\":" + JsonEscape(out.canonical) +
                       ",\"held_value\":" + JsonEscape(held_value) + ",\"source_record\":" + srid +
                       ",\"quarantine_id\":" + qid + ",\"rules_version\":" + JsonEscape(rules.version()) +
                       ",\"applied\":" + (write ? "true" : "false") + "}";
  auto ev = c.Exec(
      "INSERT INTO merge_event (kind, contact_id, actor, detail) VALUES ('quarantine_replay', $1, 'canonctl', "
      "$2::jsonb)",
      {cid, detail});
  if (!ev.ok()) return ev.status();
  return out;
}

}  // namespace

Result<ReplayOutcome> ReplayQuarantineRow(PgConn& conn, const RuleSet& rules, long long quarantine_id,
                                          bool dry_run) {
  Tx tx(conn);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto out = ReplayInTx(conn, rules, quarantine_id);
  if (!out.ok() || dry_run) return out;  // Tx rolls back on destruction
  if (out->result == ReplayResult::kWritten || out->result == ReplayResult::kKeptNewer) {
    if (Status s = tx.Commit(); !s.ok()) return s;
  }
  return out;
}

}  // namespace canon::store
