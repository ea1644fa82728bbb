#include "store/review.h"

#include <algorithm>
#include <set>

#include "store/candidates.h"
#include "store/entities.h"

namespace canon::store {
namespace {

std::string IdArray(const std::vector<long long>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

// The live contact behind `id` (follows merged_into), row-locked.
Result<long long> LockLiveContact(PgConn& c, long long id) {
  for (int hops = 0; hops < 64; ++hops) {
    auto r = c.Exec("SELECT merged_into FROM contact WHERE id = $1 FOR UPDATE", {std::to_string(id)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return Status::NotFound("no contact " + std::to_string(id));
    if (r->IsNull(0, 0)) return id;
    id = r->Int(0, 0);
  }
  return Status::Internal("merged_into chain too long");
}

Status Event(PgConn& c, const std::string& kind, long long contact, long long other, const std::string& actor,
             const std::string& detail) {
  auto r = c.Exec("INSERT INTO merge_event (kind, contact_id, other_id, actor, detail) VALUES ($1,$2,$3,$4,$5::jsonb)",
                  {kind, std::to_string(contact), other ? Param(std::to_string(other)) : Param(), actor, detail});
  return r.ok() ? Status::Ok() : r.status();
}

// Every member of `a` against every member of `b`: "never the same person".
Status RememberRejected(PgConn& c, long long a, long long b, const std::string& reason) {
  auto r = c.Exec(
      "INSERT INTO rejected_pair (fp_a, fp_b, record_a, record_b, reason) "
      "SELECT least(x.fingerprint, y.fingerprint), greatest(x.fingerprint, y.fingerprint), x.id, y.id, $3 "
      "FROM entity_member ex JOIN source_record x ON x.id = ex.source_record_id, "
      "     entity_member ey JOIN source_record y ON y.id = ey.source_record_id "
      "WHERE ex.contact_id = $1 AND ey.contact_id = $2 AND x.fingerprint <> y.fingerprint "
      "ON CONFLICT DO NOTHING",
      {std::to_string(a), std::to_string(b), reason});
  return r.ok() ? Status::Ok() : r.status();
}

struct CandidateRow {
  long long contact = 0, other = 0;
  std::string status;
};

Result<CandidateRow> LockCandidate(PgConn& c, long long id) {
  auto r = c.Exec("SELECT contact_id, other_id, status FROM merge_candidate WHERE id = $1 FOR UPDATE",
                  {std::to_string(id)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status::NotFound("no merge candidate " + std::to_string(id));
  CandidateRow row{r->Int(0, 0), r->Int(0, 1), r->Str(0, 2)};
  if (row.status != "pending" && row.status != "deferred")
    return Status(Code::kFailedPrecondition, "merge candidate " + std::to_string(id) + " is already " + row.status);
  return row;
}

Status Decide(PgConn& c, long long id, const std::string& status, const std::string& actor) {
  auto r = c.Exec("UPDATE merge_candidate SET status = $2, decided_by = $3, decided_at = now() WHERE id = $1",
                  {std::to_string(id), status, actor});
  return r.ok() ? Status::Ok() : r.status();
}

// Pairs left open between what is now one entity have nothing left to decide.
Status SupersedeSelfPairs(PgConn& c, long long contact, const std::string& actor) {
  auto r = c.Exec("UPDATE merge_candidate SET status = 'superseded', decided_by = $2, decided_at = now() "
                  "WHERE contact_id = other_id AND status IN ('pending', 'deferred') AND contact_id = $1",
                  {std::to_string(contact), actor});
  return r.ok() ? Status::Ok() : r.status();
}

std::string ObjectJson(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "{" : ",") + JsonEscape(k) + ":" + JsonEscape(v);
  return out.empty() ? "{}" : out + "}";
}

// The same shape WriteRecord stores (fields, keys, flags, quarantined), so members read back alike.
std::string StewardNormalizedJson(const NormalizedRecord& n) {
  std::string flags;
  for (const auto& f : n.flags) flags += (flags.empty() ? "" : ",") + JsonEscape(f);
  return "{\"fields\":" + ObjectJson(n.fields) + ",\"keys\":" + ObjectJson(n.keys) + ",\"flags\":[" + flags +
         "],\"quarantined\":[]}";
}

const char* kContactJson = "(to_jsonb(ct) - 'lineage')";

}  // namespace

Result<std::string> QueueListJson(PgConn& c, const std::string& status, int limit, const QueueOrder& order) {
  std::string where = status == "all" ? "true" : status == "deferred" ? "mc.status = 'deferred'" : "mc.status = 'pending'";
  const bool learn = order.kind == QueueOrder::kLearn;
  // kLearn: evidence per (field, level) over decided pairs, each open pair's weakest level, its distance to the
  // nearer threshold ($2, $3).
  std::string learn_cte =
      "WITH ev AS (SELECT f ->> 'field' AS field, f ->> 'level' AS level, count(*) AS n "
      "  FROM merge_candidate d, jsonb_array_elements(coalesce(d.explanation -> 'fields', '[]'::jsonb)) f "
      "  WHERE d.status IN ('approved', 'rejected') AND f ->> 'level' <> '' GROUP BY 1, 2), "
      "weakest AS (SELECT mc.id, min(coalesce(ev.n, 0)) AS evidence "
      "  FROM merge_candidate mc CROSS JOIN jsonb_array_elements(coalesce(mc.explanation -> 'fields', '[]'::jsonb)) f "
      "  LEFT JOIN ev ON ev.field = f ->> 'field' AND ev.level = f ->> 'level' "
      "  WHERE " + where + " AND f ->> 'level' <> '' GROUP BY mc.id), "
      "open AS (SELECT mc.id, least(abs(mc.score - $2::float8), abs(mc.score - $3::float8)) AS distance, "
      "  coalesce(w.evidence, 0) AS evidence FROM merge_candidate mc LEFT JOIN weakest w ON w.id = mc.id "
      "  WHERE " + where + "), "
      "ranked AS (SELECT id, distance, evidence, distance + ln(1 + evidence::float8) / ln(2.0::float8) AS priority "
      "  FROM open) ";
  std::vector<Param> params = {std::to_string(limit)};
  if (learn) {
    params.push_back(std::to_string(order.lower));
    params.push_back(std::to_string(order.upper));
  }
  auto r = c.Exec(
      (learn ? learn_cte : std::string()) +
          "SELECT coalesce(jsonb_agg(j ORDER BY rk, id), '[]'::jsonb)::text FROM ("
          " SELECT mc.id, " + (learn ? "rd.priority" : "-mc.score") + " AS rk, jsonb_build_object('id', mc.id, "
          "   'score', mc.score, 'status', mc.status, "
          "   'contact_id', mc.contact_id, 'other_id', mc.other_id, 'created_at', mc.created_at, "
          "   'contact_name', concat_ws(' ', a.first_name, a.last_name), 'other_name', concat_ws(' ', b.first_name, b.last_name), "
          "   'summary', mc.explanation ->> 'text'" +
          (learn ? ", 'learn', jsonb_build_object('distance', round(rd.distance::numeric, 4), 'evidence', rd.evidence, "
                   "'priority', round(rd.priority::numeric, 4))"
                 : "") +
          ") AS j "
          " FROM merge_candidate mc JOIN contact a ON a.id = mc.contact_id JOIN contact b ON b.id = mc.other_id " +
          (learn ? "JOIN ranked rd ON rd.id = mc.id " : "") + " WHERE " + where + " ORDER BY rk, mc.id LIMIT $1) s",
      params);
  if (!r.ok()) return r.status();
  return r->Str(0, 0);
}

Result<std::string> QueueShowJson(PgConn& c, long long id) {
  auto r = c.Exec(std::string(
      "SELECT jsonb_build_object('id', mc.id, 'score', mc.score, 'status', mc.status, 'decided_by', mc.decided_by, "
      "  'decided_at', mc.decided_at, 'explanation', mc.explanation, "
      "  'contact', ") + kContactJson + ", 'other', (to_jsonb(ot) - 'lineage'), "
      "  'record', (SELECT sr.normalized -> 'fields' FROM source_record sr WHERE sr.id = mc.source_record_id), "
      "  'other_record', (SELECT sr.normalized -> 'fields' FROM source_record sr WHERE sr.id = mc.other_record_id))::text "
      "FROM merge_candidate mc JOIN contact ct ON ct.id = mc.contact_id JOIN contact ot ON ot.id = mc.other_id "
      "WHERE mc.id = $1",
      {std::to_string(id)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::string();
  return r->Str(0, 0);
}

Result<long long> MergeContacts(PgConn& c, long long a, long long b, const std::string& actor,
                                const std::string& reason_json, const RuleSet& rules) {
  // Lock both contacts in id order (the same order every steward and worker uses), then follow merges since.
  auto x = LockLiveContact(c, std::min(a, b));
  if (!x.ok()) return x.status();
  auto y = LockLiveContact(c, std::max(a, b));
  if (!y.ok()) return y.status();
  long long winner = std::min(*x, *y), loser = std::max(*x, *y);  // the older entity survives
  if (winner == loser) return winner;
  std::string w = std::to_string(winner), l = std::to_string(loser);
  const std::vector<std::pair<const char*, std::vector<Param>>> steps = {
      {"UPDATE entity_member SET contact_id = $1, decided_by = $3 WHERE contact_id = $2", {w, l, actor}},
      {"INSERT INTO match_key (key_hash, contact_id) SELECT key_hash, $1 FROM match_key WHERE contact_id = $2 "
       "ON CONFLICT DO NOTHING",
       {w, l}},
      {"DELETE FROM match_key WHERE contact_id = $1", {l}},
      {"UPDATE contact SET merged_into = $1, updated_at = now() WHERE id = $2", {w, l}},
      {"UPDATE merge_candidate SET contact_id = $1 WHERE contact_id = $2", {w, l}},
      {"UPDATE merge_candidate SET other_id = $1 WHERE other_id = $2", {w, l}}};
  for (const auto& [sql, params] : steps) {
    auto r = c.Exec(sql, params);
    if (!r.ok()) return r.status();
  }
  if (Status s = RecomputeContact(c, winner, rules); !s.ok()) return s;
  if (Status s = SupersedeSelfPairs(c, winner, actor); !s.ok()) return s;
  if (Status s = Event(c, "merge", winner, loser, actor, reason_json); !s.ok()) return s;
  return winner;
}

Result<long long> ApproveCandidate(PgConn& c, long long id, const std::string& actor, const RuleSet& rules) {
  Tx tx(c);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto row = LockCandidate(c, id);
  if (!row.ok()) return row.status();
  if (Status s = Decide(c, id, "approved", actor); !s.ok()) return s;
  std::string reason = "{\"candidate\":" + std::to_string(id) + "}";
  auto a = LockLiveContact(c, std::min(row->contact, row->other));
  if (!a.ok()) return a.status();
  auto b = LockLiveContact(c, std::max(row->contact, row->other));
  if (!b.ok()) return b.status();
  long long winner = *a;
  if (*a == *b) {
    // Merged since the proposal (by another pair or the matcher): the decision is still audited.
    if (Status s = SupersedeSelfPairs(c, winner, actor); !s.ok()) return s;
    if (Status s = Event(c, "merge", winner, winner, actor, reason); !s.ok()) return s;
  } else {
    auto m = MergeContacts(c, *a, *b, actor, reason, rules);
    if (!m.ok()) return m.status();
    winner = *m;
  }
  if (Status s = tx.Commit(); !s.ok()) return s;
  return winner;
}

Status RejectCandidate(PgConn& c, long long id, const std::string& actor) {
  Tx tx(c);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto row = LockCandidate(c, id);
  if (!row.ok()) return row.status();
  if (Status s = RememberRejected(c, row->contact, row->other, "rejected candidate " + std::to_string(id)); !s.ok())
    return s;
  if (Status s = Decide(c, id, "rejected", actor); !s.ok()) return s;
  if (Status s = Event(c, "reject", row->contact, row->other, actor, "{\"candidate\":" + std::to_string(id) + "}");
      !s.ok())
    return s;
  return tx.Commit();
}

Status DeferCandidate(PgConn& c, long long id, const std::string& actor) {
  Tx tx(c);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto row = LockCandidate(c, id);
  if (!row.ok()) return row.status();
  if (Status s = Decide(c, id, "deferred", actor); !s.ok()) return s;
  if (Status s = Event(c, "defer", row->contact, row->other, actor, "{\"candidate\":" + std::to_string(id) + "}");
      !s.ok())
    return s;
  return tx.Commit();
}

Result<long long> UnmergeMembers(PgConn& c, long long contact, const std::vector<long long>& members,
                                 const std::string& actor, const RuleSet& rules) {
  if (members.empty()) return Status(Code::kFailedPrecondition, "no members to split off");
  Tx tx(c);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto live = LockLiveContact(c, contact);
  if (!live.ok()) return live.status();
  if (*live != contact)
    return Status(Code::kFailedPrecondition,
                  "contact " + std::to_string(contact) + " was merged into " + std::to_string(*live));
  std::string cid = std::to_string(contact);
  auto have = c.Exec(
      "SELECT count(*) FILTER (WHERE source_record_id = ANY($2::bigint[])), count(*) FROM entity_member "
      "WHERE contact_id = $1",
      {cid, IdArray(members)});
  if (!have.ok()) return have.status();
  std::vector<long long> uniq = members;
  std::sort(uniq.begin(), uniq.end());
  uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
  if (have->Int(0, 0) != static_cast<long long>(uniq.size()))
    return Status(Code::kFailedPrecondition, "not every listed record is a member of contact " + cid);
  if (have->Int(0, 0) == have->Int(0, 1))
    return Status(Code::kFailedPrecondition, "cannot split off every member; at least one must stay");
  auto ins = c.Exec("INSERT INTO contact (is_test) SELECT is_test FROM contact WHERE id = $1 RETURNING id", {cid});
  if (!ins.ok()) return ins.status();
  long long fresh = ins->Int(0, 0);
  std::string nid = std::to_string(fresh);
  auto mv = c.Exec("UPDATE entity_member SET contact_id = $1, decided_by = $3 WHERE source_record_id = ANY($2::bigint[])",
                   {nid, IdArray(uniq), actor});
  if (!mv.ok()) return mv.status();
  for (long long id : {contact, fresh}) {
    if (Status s = RebuildKeys(c, id, rules); !s.ok()) return s;
    if (Status s = RecomputeContact(c, id, rules); !s.ok()) return s;
  }
  if (Status s = RememberRejected(c, contact, fresh, "unmerge of contact " + cid); !s.ok()) return s;
  std::string detail = "{\"members\":[";
  for (size_t i = 0; i < uniq.size(); ++i) detail += (i ? "," : "") + std::to_string(uniq[i]);
  detail += "],\"new_contact\":" + nid + "}";
  if (Status s = Event(c, "unmerge", contact, fresh, actor, detail); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  return fresh;
}

StewardEdit PrepareStewardEdit(const std::map<std::string, std::string>& fields, const RuleSet& rules,
                               const std::string& default_country) {
  StewardEdit e;
  e.raw.source = rules.survivorship().steward_source;
  e.raw.fields = fields;
  auto refuse = [&e](const std::string& field, const std::string& reason) {
    e.bad_field = field;
    e.reason = reason;
    return e;
  };
  if (fields.empty()) return refuse("fields", "no field to edit");
  const auto& columns = ContactColumns();
  for (const auto& [f, v] : fields) {
    if (std::find(columns.begin(), columns.end(), f) == columns.end())
      return refuse(f, "not a contact field");
    if (v.find_first_not_of(" \t\r\n") == std::string::npos) return refuse(f, "empty value");
  }
  Record probe = e.raw;
  if (!default_country.empty() && !fields.count("country")) probe.fields["country"] = default_country;
  NormalizedRecord n = Normalize(probe, rules);
  for (const auto& [f, v] : fields) {
    for (const auto* issues : {&n.rejected, &n.quarantined})
      for (const FieldIssue& i : *issues)
        if (i.field == f) return refuse(f, i.reason);
    if (std::find(n.flags.begin(), n.flags.end(), f + ":invalid") != n.flags.end())
      return refuse(f, "not a valid " + f);
    if (n.Get(f).empty()) return refuse(f, "normalizes to no value");
  }
  // Only what was typed (a typed phone's extension belongs to it): derived fields of a partial record would
  // overrule the members' better ones, since a steward value wins every policy.
  std::set<std::string> typed;
  for (const auto& [f, v] : fields) typed.insert(f);
  if (typed.count("phone") && !n.Get("phone_ext").empty()) typed.insert("phone_ext");
  e.normalized.rules_version = n.rules_version;
  for (const auto& f : typed) e.normalized.fields[f] = n.Get(f);
  for (const auto& [k, v] : n.keys)
    if (k.size() > 4 && typed.count(k.substr(0, k.size() - 4))) e.normalized.keys[k] = v;
  for (const auto& flag : n.flags)
    if (typed.count(flag.substr(0, flag.find(':')))) e.normalized.flags.push_back(flag);
  return e;
}

Result<std::string> ContactCountry(PgConn& c, long long contact) {
  auto r = c.Exec("SELECT coalesce(country, '') FROM contact WHERE id = $1", {std::to_string(contact)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status::NotFound("no contact " + std::to_string(contact));
  return r->Str(0, 0);
}

Result<long long> EditEntity(PgConn& c, long long contact, const Record& raw, const NormalizedRecord& n,
                             const std::string& actor, const std::string& note, const RuleSet& rules) {
  if (raw.source != rules.survivorship().steward_source || n.fields.empty())
    return Status::Invalid("a steward edit needs source '" + rules.survivorship().steward_source + "' and fields");
  Tx tx(c);
  if (Status s = tx.Begin(); !s.ok()) return s;
  // Keys before the contact row: the order workers take them (LockKeys, then contacts), so no deadlock.
  std::vector<std::string> keys = StoreKeys(n, rules);
  if (Status s = LockKeys(c, keys); !s.ok()) return s;
  auto live = LockLiveContact(c, contact);
  if (!live.ok()) return live.status();
  std::string cid = std::to_string(contact);
  if (*live != contact)
    return Status(Code::kFailedPrecondition, "contact " + cid + " was merged into " + std::to_string(*live));
  std::string rv = n.rules_version.empty() ? rules.version() : n.rules_version;
  auto ins = c.Exec(
      "INSERT INTO source_record (source, is_test, raw, normalized, rules_version, received_at) "
      "SELECT $1, is_test, $2::jsonb, $3::jsonb, $4, now() FROM contact WHERE id = $5 RETURNING id",
      {raw.source, "{\"fields\":" + ObjectJson(raw.fields) + ",\"extra\":{}}", StewardNormalizedJson(n), rv, cid});
  if (!ins.ok()) return ins.status();
  std::string rec = std::to_string(ins->Int(0, 0));
  auto mem = c.Exec(std::string("INSERT INTO entity_member (source_record_id, contact_id, decided_by, ") +
                        kMemberFormColumns + ") SELECT s.id, $2, $3, " + kMemberFormSelect +
                        " FROM source_record s WHERE s.id = $1",
                    {rec, cid, actor});
  if (!mem.ok()) return mem.status();
  if (!keys.empty()) {
    auto k = c.Exec("INSERT INTO match_key (key_hash, contact_id) SELECT unnest($1::bigint[]), $2 "
                    "ON CONFLICT DO NOTHING",
                    {IntArray(KeyHashes(keys)), cid});
    if (!k.ok()) return k.status();
  }
  if (Status s = RecomputeContact(c, contact, rules); !s.ok()) return s;
  std::string detail = "{\"source_record\":" + rec + ",\"fields\":" + ObjectJson(raw.fields) +
                       ",\"normalized\":" + ObjectJson(n.fields) + ",\"note\":" + JsonEscape(note) + "}";
  if (Status s = Event(c, "edit", contact, 0, actor, detail); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  return ins->Int(0, 0);
}

Result<std::string> EntityJson(PgConn& c, long long contact) {
  auto r = c.Exec(std::string(
      "SELECT jsonb_build_object('contact', ") + kContactJson + ", 'lineage', ct.lineage, "
      "  'members', coalesce((SELECT jsonb_agg(jsonb_build_object('id', sr.id, 'source', sr.source, "
      "     'received_at', sr.received_at, 'match_weight', em.match_weight, 'decided_by', em.decided_by, "
      "     'fields', sr.normalized -> 'fields') ORDER BY sr.id) "
      "   FROM entity_member em JOIN source_record sr ON sr.id = em.source_record_id "
      "   WHERE em.contact_id = ct.id), '[]'::jsonb), "
      "  'events', coalesce((SELECT jsonb_agg(jsonb_build_object('kind', e.kind, 'other_id', e.other_id, "
      "     'actor', e.actor, 'at', e.created_at, 'detail', e.detail) ORDER BY e.id) FROM merge_event e "
      "   WHERE e.contact_id = ct.id OR e.other_id = ct.id), '[]'::jsonb))::text "
      "FROM contact ct WHERE ct.id = $1",
      {std::to_string(contact)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::string();
  return r->Str(0, 0);
}

}  // namespace canon::store
