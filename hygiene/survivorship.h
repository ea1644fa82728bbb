// Survivorship: which member record's value an entity's canonical field takes, recomputed from all members.
//
// What: rules/survivorship.toml gives per field a policy:
//   most_recent      the newest member's non-empty value (default)
//   source_priority  the value of the first source in `sources` that has one; ties and unlisted -> most_recent
//   most_complete    the longest non-empty value (ties -> most recent)
//   most_frequent    the value most members agree on (ties -> most recent)
// Over every policy: a member whose source is `steward_source` ("steward") wins (newest steward edit first),
// and a value is never replaced by an empty one (empty values are not candidates at all). A value the normalizer
// kept as given because it did not validate (a phone libphonenumber rejects: SurvivorMember::unvalidated) is a
// candidate only when no member has a validated value of that field, whatever the policy. Each chosen value
// remembers the member it came from (lineage). original_source is the earliest member's source; latest_source
// the newest's (steward members are not sources of a lead: they count only when there is nothing else).
// Attribution survives as a touch, never field by field: `[touch] fields` (lead_source, channel, utm_*, click ids,
// referrer, page_url) are the fields of one visit. A member with any of them is a touch; the oldest touch gives
// every `original_<field>` column and the unprefixed touch fields, the newest gives every `latest_<field>`, so a
// contact never shows a lead_source, gclid and utm_source from three different visits. Lineage names the touch's
// record for each of those columns, and "original_touch" / "latest_touch" name the two records. Per-field policies
// do not apply to touch fields; a steward's edit of a touch field still wins for the unprefixed column only.
// Recompute is pure and total: the same members always give the same result, which is what makes join and
// unmerge the same operation.
// Ownership: values. Thread-safety: pure. Errors: FromToml returns Invalid with path:line:col.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hygiene/status.h"

namespace canon {

struct FieldPolicy {
  enum class Kind { kMostRecent, kSourcePriority, kMostComplete, kMostFrequent };
  Kind kind = Kind::kMostRecent;
  std::vector<std::string> sources;  // kSourcePriority, best first
};

struct SurvivorshipRules {
  FieldPolicy default_policy;
  std::map<std::string, FieldPolicy> fields;
  std::string steward_source = "steward";
  std::vector<std::string> touch_fields;  // [touch] fields: the fields of one visit, surviving together

  const FieldPolicy& For(const std::string& field) const;
  static Result<SurvivorshipRules> FromToml(std::string_view text, const std::string& path);
};

struct SurvivorMember {
  long long id = 0;           // source_record id
  std::string source;
  double received_at = 0;     // seconds since the epoch; ties broken by id (higher = newer)
  std::map<std::string, std::string> fields;
  std::set<std::string> unvalidated;  // fields whose value is kept as given, not valid (UnvalidatedFields, normalize.h)
  // When set, the member's fields are these and `fields` is not read: the record writer lends its records'
  // normalized fields instead of copying them. They must outlive the Recompute call.
  const std::map<std::string, std::string>* fields_ref = nullptr;

  const std::map<std::string, std::string>& Fields() const { return fields_ref ? *fields_ref : fields; }
};

struct Survivor {
  std::map<std::string, std::string> values;    // field -> value (only non-empty)
  std::map<std::string, long long> lineage;     // field -> member id that gave it
  std::string original_source, latest_source;
  long long original_touch = 0, latest_touch = 0;  // member ids of the oldest and newest touch (0: none)
};

// `columns`: the fields to compute (others in members are ignored).
Survivor Recompute(const SurvivorshipRules& rules, const std::vector<SurvivorMember>& members,
                   const std::vector<std::string>& columns);

}  // namespace canon
