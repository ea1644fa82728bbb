#include "store/candidates.h"

namespace canon::store {

Result<CandidateLookup> FindCandidates(PgConn& c, const std::vector<std::string>& keys, size_t max_per_key,
                                       size_t max_candidates) {
  CandidateLookup out;
  if (keys.empty()) return out;
  // Per key, count at most max_per_key + 1 holders: the LIMIT keeps a key held by a million entities cheap.
  auto counts = c.Exec(
      "SELECT k, (SELECT count(*) FROM (SELECT 1 FROM match_key m WHERE m.key = k LIMIT $2) s) "
      "FROM unnest($1::text[]) AS k",
      {TextArray(keys), std::to_string(max_per_key + 1)});
  if (!counts.ok()) return counts.status();
  std::vector<std::string> kept;
  for (int i = 0; i < counts->rows(); ++i) {
    long long n = counts->Int(i, 1);
    if (n == 0) continue;
    if (static_cast<size_t>(n) > max_per_key) out.over_common.push_back(counts->Str(i, 0));
    else kept.push_back(counts->Str(i, 0));
  }
  if (kept.empty()) return out;
  auto r = c.Exec(
      "SELECT contact_id FROM match_key WHERE key = ANY($1::text[]) GROUP BY contact_id "
      "ORDER BY count(*) DESC, contact_id LIMIT $2",
      {TextArray(kept), std::to_string(max_candidates)});
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) out.entities.push_back(r->Int(i, 0));
  return out;
}

Result<std::map<std::string, std::vector<long long>>> KeyHolders(PgConn& c, const std::vector<std::string>& keys,
                                                                  size_t limit) {
  std::map<std::string, std::vector<long long>> out;
  if (keys.empty()) return out;
  // The primary key (key, contact_id) gives each key's holders in id order; the LIMIT keeps a key held by a
  // million entities cheap.
  auto r = c.Exec(
      "SELECT k, array(SELECT m.contact_id FROM match_key m WHERE m.key = k ORDER BY m.contact_id LIMIT $2)::text "
      "FROM unnest($1::text[]) AS k",
      {TextArray(keys), std::to_string(limit)});
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    auto ids = ParseIntArray(r->Get(i, 1));
    if (!ids.empty()) out[r->Str(i, 0)] = std::move(ids);
  }
  return out;
}

Result<std::vector<Member>> LoadMembers(PgConn& c, const std::vector<long long>& contacts, int newest_per_contact) {
  std::vector<Member> out;
  if (contacts.empty()) return out;
  // The JSON is flattened by PostgreSQL (jsonb_each_text), one row per field or key, so no JSON parser is needed.
  auto r = c.Exec(
      "SELECT em.contact_id, sr.id, sr.source, sr.fingerprint, extract(epoch FROM sr.received_at)::float8, "
      "       f.kind, f.key, f.value, sr.is_test "
      "FROM (SELECT source_record_id, contact_id, row_number() OVER (PARTITION BY contact_id "
      "      ORDER BY source_record_id DESC) AS nth FROM entity_member WHERE contact_id = ANY($1::bigint[])) em "
      "JOIN source_record sr ON sr.id = em.source_record_id "
      "LEFT JOIN LATERAL (SELECT 'f' AS kind, key, value FROM jsonb_each_text(sr.normalized -> 'fields') "
      "                   UNION ALL "
      "                   SELECT 'k', key, value FROM jsonb_each_text(sr.normalized -> 'keys')) f ON true "
      "WHERE ($2::int = 0 OR em.nth <= $2::int) ORDER BY em.contact_id, sr.id",
      {IntArray(contacts), std::to_string(newest_per_contact)});
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    long long id = r->Int(i, 1);
    if (out.empty() || out.back().id != id) {
      Member m;
      m.contact_id = r->Int(i, 0);
      m.id = id;
      m.source = r->Str(i, 2);
      m.fingerprint = r->Str(i, 3);
      m.received_at = std::stod(r->Str(i, 4));
      m.is_test = r->Get(i, 8) == "t";
      out.push_back(std::move(m));
    }
    if (r->IsNull(i, 5)) continue;
    auto& target = r->Get(i, 5) == "f" ? out.back().normalized.fields : out.back().normalized.keys;
    target[r->Str(i, 6)] = r->Str(i, 7);
  }
  return out;
}

Result<std::vector<std::string>> RejectedWith(PgConn& c, const std::string& fp) {
  auto r = c.Exec(
      "SELECT fp_b FROM rejected_pair WHERE fp_a = $1 UNION SELECT fp_a FROM rejected_pair WHERE fp_b = $1", {fp});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->Str(i, 0));
  return out;
}

Result<std::map<std::string, std::set<std::string>>> RejectedAmong(PgConn& c, const std::vector<std::string>& fps) {
  std::map<std::string, std::set<std::string>> out;
  if (fps.empty()) return out;
  auto r = c.Exec("SELECT fp_a, fp_b FROM rejected_pair WHERE fp_a = ANY($1::text[]) OR fp_b = ANY($1::text[])",
                  {TextArray(fps)});
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    out[r->Str(i, 0)].insert(r->Str(i, 1));
    out[r->Str(i, 1)].insert(r->Str(i, 0));
  }
  return out;
}

SurvivorMember ToSurvivorMember(const Member& m) {
  SurvivorMember s;
  s.id = m.id;
  s.source = m.source;
  s.received_at = m.received_at;
  s.fields = m.normalized.fields;
  return s;
}

}  // namespace canon::store
