#include "store/touches.h"

namespace canon::store {

Result<std::string> TouchesJson(PgConn& c, long long contact_id, const std::vector<std::string>& touch_fields,
                                const std::string& steward_source) {
  // The live contact (merged_into followed, bounded), then its members' touch fields, oldest first: the order
  // survivorship reads them in (received_at, then id).
  auto r = c.Exec(
      "WITH RECURSIVE live(id, merged_into, depth) AS ("
      "  SELECT id, merged_into, 0 FROM contact WHERE id = $1"
      "  UNION ALL SELECT ct.id, ct.merged_into, l.depth + 1 FROM contact ct JOIN live l ON ct.id = "
      "l.merged_into"
      "  WHERE l.depth < 64) "
      "SELECT jsonb_build_object('contact_id', ct.id, 'original_touch', ct.lineage->'original_touch', "
      "  'latest_touch', ct.lineage->'latest_touch', 'touches', coalesce(("
      "    SELECT jsonb_agg(jsonb_build_object('source_record', sr.id, 'source', sr.source, "
      "             'received_at', sr.received_at, 'fields', t.f) ORDER BY sr.received_at, sr.id) "
      "    FROM entity_member em JOIN source_record sr ON sr.id = em.source_record_id "
      "    CROSS JOIN LATERAL (SELECT jsonb_object_agg(k, v) AS f "
      "      FROM jsonb_each_text(sr.normalized->'fields') AS e(k, v) WHERE k = ANY($2::text[]) AND v <> '') "
      "t "
      "    WHERE em.contact_id = ct.id AND sr.source <> $3 AND t.f IS NOT NULL), '[]'::jsonb))::text "
      "FROM contact ct WHERE ct.id = (SELECT id FROM live WHERE merged_into IS NULL LIMIT 1)",
      {std::to_string(contact_id), TextArray(touch_fields), steward_source});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::string();
  return r->Str(0, 0);
}

}  // namespace canon::store
