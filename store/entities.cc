#include "store/entities.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "hygiene/blocking.h"
#include "hygiene/clusterer.h"
#include "hygiene/compare.h"
#include "hygiene/match_model.h"
#include "hygiene/survivorship.h"
#include "store/candidates.h"

namespace canon::store {
namespace {

std::string MapJson(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ',';
    first = false;
    out += JsonEscape(k);
    out += ':';
    out += JsonEscape(v);
  }
  out += '}';
  return out;
}

std::string IssuesJson(const std::vector<FieldIssue>& issues) {
  std::string out = "[";
  for (size_t i = 0; i < issues.size(); ++i) {
    if (i) out += ',';
    out += "{\"field\":" + JsonEscape(issues[i].field) + ",\"value\":" + JsonEscape(issues[i].value) +
           ",\"reason\":" + JsonEscape(issues[i].reason) + "}";
  }
  return out + "]";
}

std::string NormalizedJson(const NormalizedRecord& n) {
  std::string flags = "[";
  for (size_t i = 0; i < n.flags.size(); ++i) flags += (i ? "," : "") + JsonEscape(n.flags[i]);
  flags += "]";
  return "{\"fields\":" + MapJson(n.fields) + ",\"keys\":" + MapJson(n.keys) + ",\"flags\":" + flags +
         ",\"quarantined\":" + IssuesJson(n.quarantined) + "}";
}

std::string Num(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", d);
  return buf;
}

// The waterfall a steward reads: prior, then each field's level, weight and both values.
std::string ExplanationJson(const Explanation& e, long long record, long long other_record) {
  std::string out = "{\"total\":" + Num(e.total) + ",\"prior\":" + Num(e.prior) +
                    ",\"record\":" + std::to_string(record) + ",\"other_record\":" + std::to_string(other_record) +
                    ",\"text\":" + JsonEscape(e.ToString()) + ",\"fields\":[";
  for (size_t i = 0; i < e.fields.size(); ++i) {
    const auto& f = e.fields[i];
    out += (i ? "," : "");
    out += "{\"field\":" + JsonEscape(f.field) + ",\"level\":" + JsonEscape(f.level) + ",\"weight\":" +
           Num(f.weight) + ",\"a\":" + JsonEscape(f.value_a) + ",\"b\":" + JsonEscape(f.value_b) +
           ",\"tf_adjusted\":" + (f.tf_adjusted ? "true" : "false") + "}";
  }
  return out + "]}";
}

// Follows merged_into to the live contact and locks it (FOR UPDATE), so a join racing a steward's merge lands on
// the survivor.
Result<long long> LockLive(PgConn& c, long long id) {
  for (int hops = 0; hops < 64; ++hops) {
    auto r = c.Exec("SELECT merged_into FROM contact WHERE id = $1 FOR UPDATE", {std::to_string(id)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return Status::NotFound("contact " + std::to_string(id) + " does not exist");
    if (r->IsNull(0, 0)) return id;
    id = r->Int(0, 0);
  }
  return Status::Internal("merged_into chain too long");
}

Status InsertKeys(PgConn& c, long long contact, const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::Ok();
  auto mk = c.Exec(
      "INSERT INTO match_key (key, contact_id) SELECT k, $2 FROM unnest($1::text[]) AS k ON CONFLICT DO NOTHING",
      {TextArray(keys), std::to_string(contact)});
  return mk.ok() ? Status::Ok() : mk.status();
}

// Term frequencies of the values being compared, from term_seen (counts capped at kTfCap, so a value held by
// everyone costs one bounded index scan). Not used below kTfMinRecords records: shares estimated on a handful of
// records would turn every name into a "common" one.
constexpr int kTfCap = 1000;
// Members of one candidate entity scored against a record: the newest ones (an entity's recent records carry its
// current values; an entity of thousands of records would otherwise make every join load all of them).
constexpr int kMembersPerCandidate = 50;
constexpr long long kTfMinRecords = 1000;

Status LoadTermFrequencies(PgConn& c, const MatchModel& model, const MatchInput& rec,
                           const std::vector<MatchInput>& others, TermFrequencies* tf, bool* used) {
  *used = false;
  std::vector<std::string> fields, values;
  std::set<std::pair<std::string, std::string>> seen;
  for (MatchField f : model.TfFields()) {
    auto add = [&](const MatchInput& in) {
      if (in.Get(f).empty()) return;
      std::string v = EncodeUtf8(FoldCase(in.Get(f)));
      if (seen.emplace(MatchFieldName(f), v).second) {
        fields.push_back(MatchFieldName(f));
        values.push_back(std::move(v));
      }
    };
    add(rec);
    for (const auto& o : others) add(o);
  }
  if (fields.empty()) return Status::Ok();
  auto r = c.Exec(
      "SELECT f, v, (SELECT count(*) FROM (SELECT 1 FROM term_seen t WHERE t.field = f AND t.value = v LIMIT $3) s), "
      "  (SELECT last_value FROM source_record_id_seq) "
      "FROM unnest($1::text[], $2::text[]) AS x(f, v)",
      {TextArray(fields), TextArray(values), std::to_string(kTfCap)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status::Ok();
  long long total = r->Int(0, 3);
  if (total < kTfMinRecords) return Status::Ok();
  for (int i = 0; i < r->rows(); ++i) {
    MatchField f;
    if (!MatchFieldFromName(r->Get(i, 0), &f)) continue;
    long long n = std::max<long long>(1, r->Int(i, 2));
    tf->Set(f, r->Str(i, 1), static_cast<double>(n) / static_cast<double>(total));
  }
  *used = true;
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& ContactColumns() {
  static const std::vector<std::string> kColumns = {
      "email", "phone", "phone_ext", "first_name", "last_name", "full_name", "honorific", "suffix",
      "job_title", "company", "company_domain", "website", "country", "region", "city", "postal_code",
      "street", "street_2", "birth_date", "external_id", "lead_source", "lifecycle_stage", "consent", "owner",
      "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "msclkid"};
  return kColumns;
}

Status LockKeys(PgConn& c, std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  if (keys.empty()) return Status::Ok();
  // One round trip for the whole batch; ORDER BY keeps the lock order the same for every locker.
  auto r = c.Exec(
      "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k ORDER BY k",
      {TextArray(keys)});
  return r.ok() ? Status::Ok() : r.status();
}

std::vector<std::string> StoreKeys(const NormalizedRecord& n, const RuleSet& rules) {
  std::vector<std::string> keys;
  auto it = n.keys.find("email_key");
  if (it != n.keys.end() && !it->second.empty()) keys.push_back("email:" + it->second);
  if (const MatchConfig* mc = rules.match()) {
    for (auto& k : BlockingKeys(MatchInputFromNormalized(n, ""), mc->blocking))
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
  }
  return keys;
}

Status RecomputeContact(PgConn& c, long long contact, const RuleSet& rules) {
  auto live = LockLive(c, contact);
  if (!live.ok()) return live.status();
  auto members = LoadMembers(c, {contact});
  if (!members.ok()) return members.status();
  std::vector<SurvivorMember> sm;
  for (const auto& m : *members) sm.push_back(ToSurvivorMember(m));
  Survivor s = Recompute(rules.survivorship(), sm, ContactColumns());
  std::string lineage = "{";
  for (const auto& [col, id] : s.lineage) lineage += (lineage.size() > 1 ? "," : "") + JsonEscape(col) + ":" + std::to_string(id);
  lineage += "}";
  // original_source is set once (coalesce) and never rewritten; latest_source follows the newest member.
  std::string sets =
      "original_source = coalesce(original_source, nullif($2,'')), latest_source = nullif($3,''), "
      "lineage = $4::jsonb, updated_at = now()";
  std::vector<Param> params = {std::to_string(contact), s.original_source, s.latest_source, lineage};
  for (const auto& col : ContactColumns()) {
    auto it = s.values.find(col);
    sets += ", " + col + " = $" + std::to_string(params.size() + 1);
    params.push_back(it == s.values.end() ? Param() : Param(it->second));
  }
  auto up = c.Exec("UPDATE contact SET " + sets + " WHERE id = $1", params);
  return up.ok() ? Status::Ok() : up.status();
}

Status RebuildKeys(PgConn& c, long long contact, const RuleSet& rules) {
  auto members = LoadMembers(c, {contact});
  if (!members.ok()) return members.status();
  auto del = c.Exec("DELETE FROM match_key WHERE contact_id = $1", {std::to_string(contact)});
  if (!del.ok()) return del.status();
  std::vector<std::string> keys;
  for (const auto& m : *members)
    for (auto& k : StoreKeys(m.normalized, rules)) keys.push_back(std::move(k));
  return InsertKeys(c, contact, keys);
}

Result<WriteOutcome> WriteRecord(PgConn& c, const SourceMeta& meta, const Record& raw, const NormalizedRecord& n,
                                 const RuleSet& rules) {
  WriteOutcome out;
  out.decision = "new";
  std::string raw_json = "{\"fields\":" + MapJson(raw.fields) + ",\"extra\":" + MapJson(raw.extra) + "}";
  auto sr = c.Exec(
      "INSERT INTO source_record (inbox_id, source, record_index, delivery_key, is_test, raw, normalized, "
      "rules_version, received_at) VALUES (nullif($1,'0')::bigint, $2, $3, nullif($4,''), $5, $6::jsonb, "
      "$7::jsonb, $8, coalesce(nullif($9,'')::timestamptz, now())) RETURNING id, fingerprint",
      {std::to_string(meta.inbox_id), raw.source, std::to_string(raw.index), raw.delivery_key,
       raw.is_test ? "true" : "false", raw_json, NormalizedJson(n), n.rules_version, meta.received_at});
  if (!sr.ok()) return sr.status();
  out.source_record_id = sr->Int(0, 0);
  std::string fingerprint = sr->Str(0, 1);
  std::string srid = std::to_string(out.source_record_id);

  for (const auto& q : n.quarantined) {
    auto r = c.Exec(
        "INSERT INTO quarantine (source_record_id, source, field, value, reason) VALUES ($1,$2,$3,$4,$5)",
        {srid, raw.source, q.field, q.value, q.reason});
    if (!r.ok()) return r.status();
  }

  std::vector<std::string> keys = StoreKeys(n, rules);
  const MatchConfig* mc = rules.match();
  long long contact = 0;
  long long review_with = 0, review_member = 0;
  std::string review_explanation;
  MatchInput input;
  if (mc) input = MatchInputFromNormalized(n, srid);
  if (mc) {
    // Term frequencies: file this record's tf values (insert-only, no hot counter rows).
    std::vector<std::string> tf_fields, tf_values;
    for (MatchField f : mc->model->TfFields())
      if (!input.Get(f).empty()) {
        tf_fields.push_back(MatchFieldName(f));
        tf_values.push_back(EncodeUtf8(FoldCase(input.Get(f))));
      }
    if (!tf_fields.empty()) {
      auto t = c.Exec("INSERT INTO term_seen (field, value, source_record_id) SELECT f, v, $3 "
                      "FROM unnest($1::text[], $2::text[]) AS x(f, v)",
                      {TextArray(tf_fields), TextArray(tf_values), srid});
      if (!t.ok()) return t.status();
    }
  }
  if (!keys.empty()) {
    size_t per_key = mc ? mc->blocking.max_per_key : 1000000;
    size_t max_cand = mc ? mc->blocking.max_candidates : 1;
    auto found = FindCandidates(c, keys, per_key, max_cand);
    if (!found.ok()) return found.status();
    out.over_common_keys = found->over_common;
    std::vector<Member> members;
    std::set<long long> excluded;
    if (!found->entities.empty()) {
      auto loaded = LoadMembers(c, found->entities, kMembersPerCandidate);
      if (!loaded.ok()) return loaded.status();
      members = std::move(*loaded);
      auto rejected = RejectedWith(c, fingerprint);
      if (!rejected.ok()) return rejected.status();
      std::set<std::string> rejected_fps(rejected->begin(), rejected->end());
      // Test leads (vendor test submissions) and real people never share an entity, even on the same e-mail.
      for (const auto& m : members)
        if (rejected_fps.count(m.fingerprint) || m.is_test != raw.is_test) excluded.insert(m.contact_id);
    }

    // A shared exact e-mail key joins deterministically (what the spine promised before fuzzy matching), and so
    // does the same normalized record again (a re-sent lead). Lowest contact id first: stable across workers.
    auto email = n.keys.find("email_key");
    for (const auto& m : members) {
      if (excluded.count(m.contact_id)) continue;
      auto me = m.normalized.keys.find("email_key");
      bool same_email = email != n.keys.end() && !email->second.empty() && me != m.normalized.keys.end() &&
                        me->second == email->second;
      if ((same_email || m.fingerprint == fingerprint) && (contact == 0 || m.contact_id < contact))
        contact = m.contact_id;
    }
    if (contact) out.decision = "merge";
    if (contact == 0 && mc && !members.empty()) {
      std::vector<MatchInput> inputs;
      inputs.reserve(members.size());
      for (const auto& m : members) inputs.push_back(MatchInputFromNormalized(m.normalized, std::to_string(m.id)));
      TermFrequencies tf;
      bool use_tf = false;
      if (Status s = LoadTermFrequencies(c, *mc->model, input, inputs, &tf, &use_tf); !s.ok()) return s;
      const TermFrequencies* tfp = use_tf ? &tf : nullptr;
      PreparedRecord rec = mc->model->Prepare(input, tfp);
      std::vector<PreparedRecord> prepared;
      prepared.reserve(members.size());
      for (const auto& in : inputs) prepared.push_back(mc->model->Prepare(in, tfp));
      std::vector<CandidateEntity> cands;
      for (size_t i = 0; i < members.size(); ++i) {
        const Member& m = members[i];
        if (excluded.count(m.contact_id)) continue;
        if (cands.empty() || cands.back().id != m.contact_id) cands.push_back({m.contact_id, {}});
        cands.back().members.push_back(&prepared[i]);
      }
      Resolution res = Resolve(*mc->model, rec, cands);
      if (res.entity) out.weight = res.weight;
      if (res.decision == Decision::kMerge) {
        contact = res.entity;
        out.decision = "merge";
      } else if (res.decision == Decision::kReview && res.best_member) {
        out.decision = "review";
        review_with = res.entity;
        review_member = std::stoll(res.best_member->id);
        review_explanation = ExplanationJson(mc->model->Explain(rec, *res.best_member), out.source_record_id,
                                             review_member);
      }
    }
  }

  if (contact != 0) {
    auto live = LockLive(c, contact);
    if (!live.ok()) return live.status();
    contact = *live;
  } else {
    // A new contact has one member: its survivorship is computed here, in one INSERT (the common case).
    SurvivorMember only;
    only.id = out.source_record_id;
    only.source = raw.source;
    only.fields = n.fields;
    Survivor sv = Recompute(rules.survivorship(), {only}, ContactColumns());
    std::string lineage = "{";
    for (const auto& [col, id] : sv.lineage)
      lineage += (lineage.size() > 1 ? "," : "") + JsonEscape(col) + ":" + std::to_string(id);
    lineage += "}";
    std::string cols = "original_source, latest_source, is_test, lineage";
    std::string vals = "$1, $1, $2, $3::jsonb";
    std::vector<Param> params = {raw.source, raw.is_test ? "true" : "false", lineage};
    for (const auto& [col, v] : sv.values) {
      cols += ", " + col;
      vals += ", $" + std::to_string(params.size() + 1);
      params.emplace_back(v);
    }
    auto ins = c.Exec("INSERT INTO contact (" + cols + ") VALUES (" + vals + ") RETURNING id", params);
    if (!ins.ok()) return ins.status();
    contact = ins->Int(0, 0);
    out.created = true;
  }
  out.contact_id = contact;
  std::string cid = std::to_string(contact);
  auto mem = c.Exec("INSERT INTO entity_member (source_record_id, contact_id, match_weight) VALUES ($1, $2, $3)",
                    {srid, cid, out.decision == "new" ? Param() : Param(Num(out.weight))});
  if (!mem.ok()) return mem.status();
  if (Status s = InsertKeys(c, contact, keys); !s.ok()) return s;
  if (!out.created)
    if (Status s = RecomputeContact(c, contact, rules); !s.ok()) return s;
  if (review_with) {
    auto mc_row = c.Exec(
        "INSERT INTO merge_candidate (contact_id, other_id, source_record_id, other_record_id, score, explanation) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id",
        {cid, std::to_string(review_with), srid, std::to_string(review_member), Num(out.weight),
         review_explanation});
    if (!mc_row.ok()) return mc_row.status();
    out.proposed = review_with;
    out.candidate_id = mc_row->Int(0, 0);
  }
  return out;
}

Result<std::string> FindContactJsonByEmail(PgConn& c, const std::string& email) {
  auto r = c.Exec(
      "SELECT jsonb_build_object('contact', to_jsonb(ct) - 'lineage', 'lineage', ct.lineage, "
      "  'source_records', coalesce((SELECT jsonb_agg(jsonb_build_object('id', sr.id, 'source', sr.source, "
      "     'received_at', sr.received_at, 'rules_version', sr.rules_version, 'raw', sr.raw, "
      "     'normalized', sr.normalized) ORDER BY sr.id) "
      "   FROM entity_member em JOIN source_record sr ON sr.id = em.source_record_id "
      "   WHERE em.contact_id = ct.id), '[]'::jsonb))::text "
      "FROM contact ct WHERE ct.id = (SELECT min(contact_id) FROM match_key WHERE key = $1) "
      "   OR (lower(ct.email) = lower($2) AND ct.merged_into IS NULL) "
      "ORDER BY ct.id LIMIT 1",
      {"email:" + email, email});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::string();
  return r->Str(0, 0);
}

}  // namespace canon::store
