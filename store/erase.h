// Erasure of a person (GDPR art. 17, CCPA deletion) and suppression of their later leads.
//
// ErasePerson finds the person by contact id, e-mail and/or phone and removes them everywhere the store holds
// them, in ONE transaction (it opens its own; the caller must not be inside one):
//   who:  the contacts holding the e-mail (canonical column, or a record's normalized key, normalized or raw value)
//         or the phone (E.164), or the contact given; then, to a fixed point, every contact merged into one of them
//         or that one was merged into (merged_into, both ways), all their members, and every record or contact
//         holding any e-mail those records carry (so a record a steward unmerged off the person, still carrying
//         the person's e-mail, goes too; a split-off record that shares no e-mail is another person by the
//         steward's decision and stays). Phones find records only when the request names one: an office phone
//         is shared by colleagues.
//   what: contact rows (lineage with them), entity_member, source_record, match_key, over_common_key rows of the
//         person's keys, term_count (each erased record's counts are subtracted, so term frequencies do not drift;
//         a value no one else holds disappears), quarantine rows of those records, merge_candidate pairs touching
//         them, rejected_pair rows of their records or fingerprints, merge_event details of their contacts or
//         naming one of their values (kind, ids, actor and time stay), inbox payloads the records came from or
//         that mention an e-mail or phone of the person (a payload that also holds another person's stored
//         record is emptied rather than deleted), dead letters of those payloads or mentioning the person, and
//         csv_import_error rows naming the person's values. Files on disk (CSV drop folders' done/ copies and
//         reports) are outside the store and not touched.
//   audit: one erasure_event row: salted SHA-256 of each normalized e-mail key and phone, actor, time, counts.
//          The salt is the install's (erasure_salt, migration 008).
//   suppress: also stores those hashes in erasure_suppression; the worker then drops a later record carrying one
//          of them before anything is written (SuppressedRecords).
// Payloads are matched by e-mail (lower case, also with '@' as %40) and by the last 9 digits of each phone among a
// payload's digits: a scan of inbox and dead_letter, meant for an occasional request, not a hot path.
// Errors: NotFound (contact id given and no such contact), InvalidArgument (nothing to find the person by), SQL.
#pragma once

#include <string>
#include <vector>

#include "hygiene/normalize.h"
#include "hygiene/rule_set.h"
#include "store/pg.h"

namespace canon::store {

struct ErasureRequest {
  long long contact_id = 0;  // 0: none
  std::string email;         // as a person typed it; normalized with the rules in force
  std::string phone;         // likewise (E.164)
  bool suppress = false;
  std::string actor;
};

struct ErasureResult {
  long long event_id = 0;
  int contacts = 0;
  int records = 0;
  int payloads = 0;  // inbox rows deleted or emptied
  int dead_letters = 0;
  int email_hashes = 0;
  int phone_hashes = 0;
};

Result<ErasureResult> ErasePerson(PgConn& conn, const ErasureRequest& request, const RuleSet& rules);

// For the worker, inside its transaction: for each record, whether its normalized e-mail key or phone (E.164) is
// on the suppression list. One query; none when no record has either.
Result<std::vector<bool>> SuppressedRecords(PgConn& conn, const std::vector<const NormalizedRecord*>& records);

// Empties acknowledged payloads whose records were suppressed (body, headers, query), in the
// caller's transaction. The row stays, so a redelivery with the same key is still recognized.
Status EmptyPayloads(PgConn& conn, const std::vector<long long>& inbox_ids);

// {"id","contacts",...} of an ErasureResult, for the admin API and canonctl.
std::string ErasureResultJson(const ErasureResult& r);

}  // namespace canon::store
