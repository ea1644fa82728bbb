// Entity writes: a normalized record becomes a source_record, and joins, is proposed for, or creates a contact.
//
// All functions run inside the caller's transaction on one connection.
// Matching (when the rule set has a match.toml): the record's blocking keys (StoreKeys) find candidate entities in
// match_key (for a whole batch in one query, see WriteBatch); their members are loaded from source_record.normalized, prepared and scored (hygiene/clusterer.h
// Resolve). Merge (>= upper) joins the best entity; review (>= lower) starts a new contact and files a
// merge_candidate pair for a steward; below that a new contact. A shared exact e-mail key always joins (an e-mail
// address identifies a CRM contact), unless a steward rejected the pair. Entities holding a member a steward
// declared different from this record (rejected_pair, by fingerprint) are never candidates.
// Locking: LockKeys must be called first, in the same transaction, with every StoreKeys of the batch: two workers
// or nodes that see the same new person at once then serialize on a shared key, and the second finds the first
// one's entity (any two records that could be candidates of each other share a key by construction).
// Canonical values are recomputed from all members by survivorship (hygiene/survivorship.h) on every change.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hygiene/match_model.h"
#include "hygiene/normalize.h"
#include "hygiene/record.h"
#include "hygiene/rule_set.h"
#include "hygiene/survivorship.h"
#include "store/pg.h"

namespace canon::store {

// The canonical contact columns that normalized fields may fill (a fixed list: identifiers in SQL never come from
// input).
const std::vector<std::string>& ContactColumns();

// Takes transaction-scoped advisory locks on the keys (on their KeyHash, store/candidates.h), in sorted order (no
// deadlock between batches).
Status LockKeys(PgConn& conn, const std::vector<std::string>& keys);
// The same, given the keys' KeyHash values (WritePrep::key_hashes).
Status LockKeyHashes(PgConn& conn, std::vector<long long> hashes);

// Tries each key's lock without waiting (a batch whose records may step aside instead: the workers'), in one round
// trip. Returns, per key, whether this transaction now holds it (a key asked twice is held both times: the locks are
// re-entrant). A record whose keys are not all held must not be written by this transaction. Taking no lock with a
// wait, it cannot deadlock with LockKeys.
Result<std::vector<bool>> TryLockKeys(PgConn& conn, const std::vector<std::string>& keys);
Result<std::vector<bool>> TryLockKeyHashes(PgConn& conn, const std::vector<long long>& hashes);

// The keys the store indexes for a normalized record: "email:<email_key>" and, when the rules have a match.toml,
// every blocking key (hygiene/blocking.h), deduplicated.
std::vector<std::string> StoreKeys(const NormalizedRecord& n, const RuleSet& rules);

// The term_count rows one record adds to (and an erasure takes away from): (field, case-folded value) for each of
// the model's tf fields the record has, each followed by (field, "") for the field's total.
std::vector<std::pair<std::string, std::string>> TermCountRows(const MatchModel& model, const MatchInput& input);

struct WriteOutcome {
  long long source_record_id = 0;
  long long contact_id = 0;
  bool created = false;        // a new contact was made
  std::string decision;        // "new", "review", "merge", or "test" (a test lead: source record only, contact_id 0)
  double weight = 0;           // best candidate score (0 when none)
  long long proposed = 0;      // review: the entity proposed
  long long candidate_id = 0;  // review: merge_candidate id
  std::vector<std::string> over_common_keys;
  std::vector<long long> merged_entities;  // merge: other entities folded into contact_id (their own evidence)
  std::string fingerprint;                 // of the source record
};

struct SourceMeta {
  long long inbox_id = 0;
  std::string received_at;
};

// What WriteBatch derives from a record before it speaks to the store: the raw and normalized JSON it stores,
// the record's keys (StoreKeys) and its comparison form. Pure work: a caller with a thread to spare (the CSV
// import's reader) makes it there with PrepareWrite, and the writer's thread is left with the store's work.
struct WritePrep {
  std::string raw_json;
  std::string normalized_json;
  // Where its "fields" object, "keys" object and "flags" array are in normalized_json ([begin, end) each): a
  // member row's copy of its record's match form is these three texts (store/candidates.h, kMemberFormColumns).
  size_t fields_at[2] = {0, 0}, keys_at[2] = {0, 0}, flags_at[2] = {0, 0};
  std::vector<std::string> keys;
  std::vector<long long> key_hashes;  // KeyHash of each key (store/candidates.h), hashed once, off the writer
  MatchInput input;  // empty without a match.toml
};
WritePrep PrepareWrite(const Record& raw, const NormalizedRecord& normalized, const RuleSet& rules);

struct WriteItem {
  SourceMeta meta;
  const Record* raw = nullptr;                  // borrowed for the call
  const NormalizedRecord* normalized = nullptr;  // accepted records only
  WritePrep* prep = nullptr;  // optional, PrepareWrite(*raw, *normalized, rules); WriteBatch moves from it
  // The source record's id, taken from source_record_id_seq by the caller (a batch written in two calls keeps its
  // ids in the order of its rows: a higher id is a newer record for survivorship); 0: the next from the sequence.
  long long record_id = 0;
};

// Writes a batch of records in a fixed number of statements, whatever the batch size: source records, keys,
// candidate holders, candidate members, rejected pairs, term frequencies, contacts, members, merges and review
// pairs each take one round trip. Decisions are made in batch order, in memory; a record sees the entities the
// records before it in the batch created or joined (two copies of one new person in a batch make one contact).
// Outcomes are in the order of `items`.
Result<std::vector<WriteOutcome>> WriteBatch(PgConn& conn, const std::vector<WriteItem>& items, const RuleSet& rules);

// One record: WriteBatch of one.
Result<WriteOutcome> WriteRecord(PgConn& conn, const SourceMeta& meta, const Record& raw,
                                 const NormalizedRecord& normalized, const RuleSet& rules);

// What survivorship gives contacts from their members as stored now (one load; no lock, no write): contact id ->
// Survivor over ContactColumns(). Contacts without members are absent. RecomputeContacts writes exactly this, and
// the fault harness compares it with the stored rows.
Result<std::map<long long, Survivor>> ComputeSurvivors(PgConn& conn, const std::vector<long long>& contacts,
                                                       const RuleSet& rules);

// Recomputes contacts' canonical columns, lineage and sources from their members (locks the rows, one load and
// one UPDATE for all).
Status RecomputeContacts(PgConn& conn, std::vector<long long> contacts, const RuleSet& rules);

// Recomputes a contact's canonical columns, lineage and sources from its members (locks the row).
Status RecomputeContact(PgConn& conn, long long contact_id, const RuleSet& rules);

// Rebuilds a contact's match_key rows (KeyHash of each key) from its members.
Status RebuildKeys(PgConn& conn, long long contact_id, const RuleSet& rules);

// For canonctl and tests: the contact with this normalized e-mail, with its source records, as one JSON object;
// "" when none.
Result<std::string> FindContactJsonByEmail(PgConn& conn, const std::string& email);

}  // namespace canon::store
