// The steward's side of matching: the review queue (merge_candidate), approve / reject / defer, unmerge, field
// edits ("steward edit wins"), and the entity view. Used by the admin API (daemon/routes_queue.cc), `canonctl
// queue` (tools/cmd_queue.cc) and the record writer (MergeContacts).
//
// Each mutating function except MergeContacts runs its own transaction on `conn` (the caller must not be
// inside one) and records who (actor) and when in merge_event. Approve merges the proposed pair: the newer
// entity's members and match keys move to the older one, the newer contact gets merged_into, and the survivor
// is recomputed by survivorship. Reject and unmerge remember the pair by record fingerprints (rejected_pair),
// so re-ingesting either side never proposes nor auto-merges them again. Errors: NotFound (no such
// candidate/contact), FailedPrecondition (already decided, merged contact, bad member list), SQL failures.
// Not thread-safe on one PgConn (the daemon serializes admin calls on its admin connection).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hygiene/normalize.h"
#include "hygiene/record.h"
#include "hygiene/rule_set.h"
#include "store/pg.h"

namespace canon::store {

// How the queue is listed. kScore: highest score first (the default). kLearn: the pairs whose decision would teach
// the match model most first, as active-learning tools order them: a pair near a threshold is one the model is
// least sure of, and a pair at a level few decided pairs have shown is one whose m/u rests on the least evidence
// (`canonctl match train` learns from those decisions). Each item then carries "learn":{"distance","evidence",
// "priority"}:
//   distance = |score - the nearer of `lower` and `upper`| (bits);
//   evidence = fewest approved or rejected candidates holding one of the pair's field levels (from the stored
//              explanations; a level no decision has shown gives 0);
//   priority = distance + log2(1 + evidence), ascending, then id: every doubling of the evidence counts as one
//              bit further from a threshold.
struct QueueOrder {
  enum Kind { kScore, kLearn } kind = kScore;
  double lower = 0, upper = 0;  // kLearn: the thresholds of the match model in force
};

// Open candidates (status pending, or `status` = "deferred" / "all") in `order`, as a JSON array.
Result<std::string> QueueListJson(PgConn& conn, const std::string& status, int limit, const QueueOrder& order = {});
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

// A steward's field edit, checked and normalized with the rules in force, ready for EditEntity.
struct StewardEdit {
  Record raw;                   // source = the rules' steward_source, fields as the steward typed them
  NormalizedRecord normalized;  // only the typed fields (+ phone_ext split off a typed phone) and their keys
  std::string bad_field;        // set when refused: the first field that failed, and why
  std::string reason;

  bool ok() const { return bad_field.empty(); }
};

// Pure. Every typed field must be a canonical contact column (ContactColumns()) with a non-empty value that
// Normalize keeps without quarantine, rejection or an ":invalid" flag (an invalid phone is stored with a flag for
// a lead, but a steward's correction must be right). Record-level rules (require_any, required fields) do not
// apply: an edit is a correction of some fields, not a lead. Fields the steward did not type are never derived
// into the edit (typing a first name must not rewrite full_name). An empty map is refused (bad_field "fields").
// `default_country` (the contact's country code, ContactCountry) is the phone's default region when the edit
// types no country, so a steward may type a national number.
StewardEdit PrepareStewardEdit(const std::map<std::string, std::string>& fields, const RuleSet& rules,
                               const std::string& default_country = {});

// The contact's canonical country ("" when it has none). Errors: NotFound (no contact), SQL failures.
Result<std::string> ContactCountry(PgConn& conn, long long contact);

// Stores a steward edit (from PrepareStewardEdit) on live contact `contact` in its own transaction: a
// source_record of the steward source (raw = typed, normalized = normalized, is_test as the contact) that joins the
// entity (entity_member, decided_by = actor), its match keys, a survivorship recompute (a steward member wins over
// every policy, so lineage points the edited columns at this record) and a merge_event "edit" (actor, fields,
// note). Returns the new source_record id. Errors: NotFound (no contact), FailedPrecondition (the contact was
// merged into another), InvalidArgument (not a steward record), SQL failures.
Result<long long> EditEntity(PgConn& conn, long long contact, const Record& raw, const NormalizedRecord& normalized,
                             const std::string& actor, const std::string& note, const RuleSet& rules);

// {"contact":{...},"lineage":{...},"members":[...]}; "" when there is no such contact.
Result<std::string> EntityJson(PgConn& conn, long long contact);

}  // namespace canon::store
