#include "store/entities.h"

#include <algorithm>
#include <set>

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

std::vector<std::string> StoreKeys(const NormalizedRecord& n) {
  std::vector<std::string> keys;
  auto it = n.keys.find("email_key");
  if (it != n.keys.end() && !it->second.empty()) keys.push_back("email:" + it->second);
  return keys;
}

Result<WriteOutcome> WriteRecord(PgConn& c, const SourceMeta& meta, const Record& raw,
                                 const NormalizedRecord& n) {
  WriteOutcome out;
  std::map<std::string, std::string> raw_all = raw.fields;
  std::string raw_json = "{\"fields\":" + MapJson(raw.fields) + ",\"extra\":" + MapJson(raw.extra) + "}";
  auto sr = c.Exec(
      "INSERT INTO source_record (inbox_id, source, record_index, delivery_key, is_test, raw, normalized, "
      "rules_version, received_at) VALUES (nullif($1,'0')::bigint, $2, $3, nullif($4,''), $5, $6::jsonb, "
      "$7::jsonb, $8, coalesce(nullif($9,'')::timestamptz, now())) RETURNING id",
      {std::to_string(meta.inbox_id), raw.source, std::to_string(raw.index), raw.delivery_key,
       raw.is_test ? "true" : "false", raw_json, NormalizedJson(n), n.rules_version, meta.received_at});
  if (!sr.ok()) return sr.status();
  out.source_record_id = sr->Int(0, 0);
  std::string srid = std::to_string(out.source_record_id);

  for (const auto& q : n.quarantined) {
    auto r = c.Exec(
        "INSERT INTO quarantine (source_record_id, source, field, value, reason) VALUES ($1,$2,$3,$4,$5)",
        {srid, raw.source, q.field, q.value, q.reason});
    if (!r.ok()) return r.status();
  }

  std::vector<std::string> keys = StoreKeys(n);
  long long contact = 0;
  if (!keys.empty()) {
    auto found = c.Exec(
        "SELECT min(contact_id) FROM match_key WHERE key = ANY($1::text[])", {TextArray(keys)});
    if (!found.ok()) return found.status();
    if (!found->IsNull(0, 0)) contact = found->Int(0, 0);
  }

  // Canonical values from this record: never replace a value with an empty one; most recent non-empty wins.
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& col : ContactColumns()) {
    auto it = n.fields.find(col);
    if (it != n.fields.end() && !it->second.empty()) values.emplace_back(col, it->second);
  }
  std::map<std::string, std::string> lineage;
  for (const auto& [col, v] : values) lineage[col] = srid;
  std::string lineage_json = "{";
  {
    bool first = true;
    for (const auto& [col, id] : lineage) {
      lineage_json += (first ? "" : ",") + JsonEscape(col) + ":" + id;
      first = false;
    }
    lineage_json += "}";
  }

  std::vector<Param> params;
  if (contact == 0) {
    std::string cols = "original_source, latest_source, is_test, lineage";
    std::string vals = "$1, $1, $2, $3::jsonb";
    params = {raw.source, raw.is_test ? "true" : "false", lineage_json};
    for (const auto& [col, v] : values) {
      cols += ", " + col;
      vals += ", $" + std::to_string(params.size() + 1);
      params.emplace_back(v);
    }
    auto ins = c.Exec("INSERT INTO contact (" + cols + ") VALUES (" + vals + ") RETURNING id", params);
    if (!ins.ok()) return ins.status();
    contact = ins->Int(0, 0);
    out.created = true;
  } else {
    std::string sets = "latest_source = $2, updated_at = now(), lineage = lineage || $3::jsonb";
    params = {std::to_string(contact), raw.source, lineage_json};
    for (const auto& [col, v] : values) {
      sets += ", " + col + " = $" + std::to_string(params.size() + 1);
      params.emplace_back(v);
    }
    auto up = c.Exec("UPDATE contact SET " + sets + " WHERE id = $1", params);
    if (!up.ok()) return up.status();
  }
  out.contact_id = contact;
  std::string cid = std::to_string(contact);
  auto mem = c.Exec("INSERT INTO entity_member (source_record_id, contact_id) VALUES ($1, $2)", {srid, cid});
  if (!mem.ok()) return mem.status();
  if (!keys.empty()) {
    auto mk = c.Exec(
        "INSERT INTO match_key (key, contact_id) SELECT k, $2 FROM unnest($1::text[]) AS k "
        "ON CONFLICT DO NOTHING",
        {TextArray(keys), cid});
    if (!mk.ok()) return mk.status();
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
