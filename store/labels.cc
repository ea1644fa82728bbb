#include "store/labels.h"

#include <map>

#include "store/candidates.h"

namespace canon::store {
namespace {

// The columns MembersStatement returns, so ParseMembers reads these rows too (contact 0 for a record that is in no
// entity).
const char* kRecordColumns =
    "SELECT coalesce(e.contact_id, 0), s.id, s.source, s.fingerprint, extract(epoch FROM s.received_at)::float8, "
    "       s.is_test, coalesce(s.normalized -> 'fields', '{}')::text, coalesce(s.normalized -> 'keys', '{}')::text, "
    "       coalesce(s.normalized -> 'flags', '[]')::text "
    "FROM source_record s LEFT JOIN entity_member e ON e.source_record_id = s.id ";

}  // namespace

Result<std::vector<LabelledPair>> LoadLabels(PgConn& c, const std::string& exclude_source) {
  auto pairs = c.Exec(
      "SELECT lo, hi, match FROM ("
      " SELECT DISTINCT ON (lo, hi) lo, hi, match FROM ("
      "  SELECT least(source_record_id, other_record_id) AS lo, greatest(source_record_id, other_record_id) AS hi, "
      "         true AS match, decided_at AS at "
      "  FROM merge_candidate WHERE status = 'approved' AND source_record_id <> other_record_id "
      "  UNION ALL "
      "  SELECT least(record_a, record_b), greatest(record_a, record_b), false, created_at "
      "  FROM rejected_pair WHERE record_a <> record_b"
      " ) l ORDER BY lo, hi, at DESC NULLS LAST) d "
      "ORDER BY lo, hi",
      {});
  if (!pairs.ok()) return pairs.status();
  std::vector<long long> ids;
  for (int i = 0; i < pairs->rows(); ++i) {
    ids.push_back(pairs->Int(i, 0));
    ids.push_back(pairs->Int(i, 1));
  }
  std::vector<LabelledPair> out;
  if (ids.empty()) return out;
  auto recs = c.Exec(std::string(kRecordColumns) + "WHERE s.id = ANY($1::bigint[]) AND ($2 = '' OR s.source <> $2)",
                     {IntArray(ids), exclude_source});
  if (!recs.ok()) return recs.status();
  std::map<long long, MatchInput> inputs;
  Status s = ParseMembers(*recs, [&inputs](const Member& m) {
    inputs[m.id] = MatchInputFromNormalized(m.normalized, std::to_string(m.id));
  });
  if (!s.ok()) return s;
  for (int i = 0; i < pairs->rows(); ++i) {
    auto a = inputs.find(pairs->Int(i, 0)), b = inputs.find(pairs->Int(i, 1));
    if (a == inputs.end() || b == inputs.end()) continue;  // a steward's edit (or a record since deleted)
    out.push_back({a->second, b->second, pairs->Get(i, 2) == "t"});
  }
  return out;
}

Result<std::vector<MatchInput>> LoadTrainingRecords(PgConn& c, size_t limit, const std::string& exclude_source) {
  auto r = c.Exec(std::string(kRecordColumns) +
                      "WHERE ($2 = '' OR s.source <> $2) ORDER BY s.id DESC LIMIT nullif($1::bigint, 0)",
                  {std::to_string(limit), exclude_source});
  if (!r.ok()) return r.status();
  std::vector<MatchInput> out;
  out.reserve(static_cast<size_t>(r->rows()));
  Status s = ParseMembers(*r, [&out](const Member& m) {
    out.push_back(MatchInputFromNormalized(m.normalized, std::to_string(m.id)));
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace canon::store
