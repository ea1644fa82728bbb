// The steward's side of matching: the review queue (merge_candidate), approve / reject / defer, unmerge, and the
// entity view. Used by the admin API (daemon/routes_queue.cc) and `canonctl queue` (tools/cmd_queue.cc).
//
// Each mutating function runs its own transaction on `conn` (the caller must not be inside one) and records who
// (actor) and when in merge_event. Approve merges the proposed pair: the newer entity's members and match keys
// move to the older one, the newer contact gets merged_into, and the survivor is recomputed by survivorship.
// Reject and unmerge remember the pair by record fingerprints (rejected_pair), so re-ingesting either side never
// proposes nor auto-merges them again. Errors: NotFound (no such candidate/contact), FailedPrecondition (already
// decided, merged contact, bad member list), SQL failures.
#pragma once

#include <string>
#include <vector>

#include "hygiene/rule_set.h"
#include "store/pg.h"

namespace canon::store {

// Open candidates (status pending, or `status` = "deferred" / "all"), highest score first, as a JSON array.
Result<std::string> QueueListJson(PgConn& conn, const std::string& status, int limit);
// One candidate with both contacts side by side and the explanation; "" when there is no such candidate.
Result<std::string> QueueShowJson(PgConn& conn, long long candidate_id);

// Merges the live entities behind contacts `a` and `b` (each followed along merged_into) and returns the survivor.
// Runs INSIDE the caller's transaction (opens none): locks both live contacts in id order, the older (lower id)
// survives; the newer one's members (decided_by = actor) and match keys move to it, merge_candidate rows follow,
// pairs now inside one entity are superseded, the newer contact gets merged_into, the survivor is recomputed by
// survivorship, and merge_event gets a "merge" row (detail = reason_json, which must be a JSON value). When both
// already are one entity it returns that entity and writes nothing. Callers: ApproveCandidate and the record
// writer (the clusterer's also_merge). Errors: NotFound (no such contact), SQL failures (the caller rolls back).
Result<long long> MergeContacts(PgConn& conn, long long a, long long b, const std::string& actor,
                                const std::string& reason_json, const RuleSet& rules);

// Approves a pending/deferred pair and merges it (MergeContacts); returns the surviving contact id.
Result<long long> ApproveCandidate(PgConn& conn, long long candidate_id, const std::string& actor,
                                   const RuleSet& rules);
Status RejectCandidate(PgConn& conn, long long candidate_id, const std::string& actor);
Status DeferCandidate(PgConn& conn, long long candidate_id, const std::string& actor);

// Splits `members` (source_record ids of `contact`) into a new contact; returns its id.
Result<long long> UnmergeMembers(PgConn& conn, long long contact, const std::vector<long long>& members,
                                 const std::string& actor, const RuleSet& rules);

// {"contact":{...},"lineage":{...},"members":[...]}; "" when there is no such contact.
Result<std::string> EntityJson(PgConn& conn, long long contact);

}  // namespace canon::store
