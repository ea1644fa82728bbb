// Touches: a contact's visits, the records that carry its attribution, listed oldest first.
//
// A touch is a member source record (not a steward's edit) with a non-empty value of any of the rule set's
// touch fields (survivorship.toml [touch]: lead_source, channel, utm_*, click ids, referrer, page_url). The
// contact's original_* columns come from the oldest, latest_* from the newest (hygiene/survivorship.h);
// `original_touch` and `latest_touch` are the ids its lineage names for them (null before the contact was
// recomputed by a version that knows touches). JSON (docs/architecture.md, GET /admin/entities/{id}/touches):
//   {"contact_id":7,"original_touch":12,"latest_touch":40,
//    "touches":[{"source_record":12,"source":"website","received_at":"2026-12-03T12:00:00+00:00",
//                "fields":{"channel":"paid_search","gclid":"...","page_url":"..."}}, ...]}
// A merged contact's id answers for the contact it was merged into (contact_id says which).
// Runs one statement on the caller's connection; "" when there is no such contact.
#pragma once

#include <string>
#include <vector>

#include "hygiene/status.h"
#include "store/pg.h"

namespace canon::store {

Result<std::string> TouchesJson(PgConn& conn, long long contact_id,
                                const std::vector<std::string>& touch_fields,
                                const std::string& steward_source);

}  // namespace canon::store
