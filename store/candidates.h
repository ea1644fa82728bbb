// Candidate lookup over PostgreSQL: blocking key -> entities (match_key), and entities' members with their
// normalized data (source_record.normalized), for the matcher and for survivorship.
//
// All functions run inside the caller's transaction. Over-common keys (held by more than their cap, BlockingRules::CapFor:
// a shared office phone, info@) are not followed; the writer reports them.
// Errors: SQL failures as Status.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hygiene/match_model.h"
#include "hygiene/normalize.h"
#include "hygiene/survivorship.h"
#include "store/pg.h"
#include "store/term_counts.h"

namespace canon::store {

// What every member row carries.
struct MemberHead {
  long long contact_id = 0;
  long long id = 0;  // source_record id
  std::string source;
  std::string fingerprint;
  bool is_test = false;
};

struct Member : MemberHead {
  double received_at = 0;  // epoch seconds
  NormalizedRecord normalized;  // fields and keys only
};

// match_key files a key by KeyHash(key): the first 8 bytes of the SHA-256 of its UTF-8 text, big-endian, as a
// signed bigint; migration 015's SQL function canon_key_hash(text) computes the same. A collision (two keys, one
// hash) only makes an entity a candidate it was not: it is then scored like any candidate, so it changes no
// decision a shared key would not. The advisory locks (LockKeys) take the same value.
long long KeyHash(std::string_view key);
std::vector<long long> KeyHashes(const std::vector<std::string>& keys);

// The holders of a batch's keys: for each key, the contacts holding it (lowest ids first), at most its `limits`
// entry of them; a key with more holders than its cap (BlockingRules::CapFor) is over-common, so a key's limit is
// its cap + 1 (with 1,000,000 contacts stored the largest cap + 1 for every key read 27.6 holders per record, most
// of them of name keys whose own cap is lower). One query for all keys (`hashes` not empty, of distinct keys), built
// as a statement for the record writer's pipeline (PgConn::ExecPipeline), given the keys' KeyHash values;
// ParseKeyHolders reads its result, given the same hashes: entry i holds the holders of hashes[i] (ascending, none
// when nobody holds it).
Statement KeyHoldersStatement(const std::vector<long long>& hashes, const std::vector<long long>& limits);
std::vector<std::vector<long long>> ParseKeyHolders(const PgResult& r, const std::vector<long long>& hashes);

// Keys a writer has seen held by more entities than their cap, remembered for kTtl so the holder lookup skips
// them: with 1,000,000 contacts stored, about 70% of the holder rows the lookup read were the cap + 1 holders of
// keys already known to be over-common (mostly name keys, "given_family", whose cap is 20). A key's holders only
// grow as records arrive; a merge or an erasure can take one away, and the memo forgets the key within kTtl, so a
// key back under its cap is followed again at most kTtl later. Each entry keeps how many holders were seen, so a
// rule file that raises the cap past that makes the key followed again at once. Holds at most kMaxKeys keys
// (emptied when full). One per connection (WriterState), used by the thread that holds the connection.
class OverCommonMemo {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kTtl{60};
  static constexpr size_t kMaxKeys = 65536;

  // The key of hash `key_hash` (KeyHash) was seen with `held` holders (more than its cap), at `now`.
  void Note(long long key_hash, size_t held, Clock::time_point now);
  // Whether the key of hash `key_hash` was seen with more than `cap` holders within kTtl before `now`.
  bool Over(long long key_hash, size_t cap, Clock::time_point now) const;
  void Clear() { seen_.clear(); }
  size_t size() const { return seen_.size(); }

 private:
  struct Seen {
    size_t held;
    Clock::time_point at;
  };
  std::unordered_map<long long, Seen> seen_;  // by KeyHash, as match_key files keys
};

// What a writer's session remembers between batches: kept with its connection (PgConn::writer_state), made on
// first use, dropped when the connection reconnects.
struct WriterState {
  OverCommonMemo over_common;
  TermCountCache term_counts;

  static WriterState& For(PgConn& conn);
};

// A member row holds a copy of what matching reads of its source record (migration 021): these columns of
// entity_member. The writer's batch fills them from what it sent for the record (its normalized JSON's sections,
// as text); every other INSERT INTO entity_member (a steward's edit, the migration) with kMemberFormSelect over the
// record as `s`. Either way the copy is its record's: the same values, the JSON perhaps not the same text.
inline constexpr const char* kMemberFormColumns = "source, fingerprint, is_test, received_at, fields, keys, flags";
inline constexpr const char* kMemberFormSelect =
    "s.source, s.fingerprint, s.is_test, s.received_at, coalesce(s.normalized -> 'fields', '{}')::text, "
    "coalesce(s.normalized -> 'keys', '{}')::text, coalesce(s.normalized -> 'flags', '[]')::text";
// SQL counting the members whose copy is not their record's now (the JSON compared as jsonb; 0 when every copy
// is right): the fault harness's and the tests' check.
std::string MemberCopiesDifferingSql();

// Members of the contacts, ordered by contact, then source_record id. `newest_per_contact` > 0 keeps only that
// many newest members of each contact (scoring a record against a huge entity must not load all of it).
// `exclude_source` (when not empty) leaves out members of that source: the matcher passes the steward source, as a
// steward's edit is a correction to an entity, not a person to score a record against.
Result<std::vector<Member>> LoadMembers(PgConn& conn, const std::vector<long long>& contacts,
                                        int newest_per_contact = 0, const std::string& exclude_source = {});

// The same members one at a time (`visit` sees each in turn; the Member is reused, nothing is kept): the matcher
// turns each into its compact comparison form without holding every member's field maps at once.
Status ForEachMember(PgConn& conn, const std::vector<long long>& contacts, int newest_per_contact,
                     const std::string& exclude_source, const std::function<void(const Member&)>& visit);

// The same as a statement for a pipeline (`contacts` not empty), and the reading of its result.
Statement MembersStatement(const std::vector<long long>& contacts, int newest_per_contact,
                           const std::string& exclude_source);
// Columns: contact id, record id, source, fingerprint, received_at epoch, is_test, normalized fields, keys and
// flags (JSON text); another query that feeds ParseMembers selects the same nine.
Status ParseMembers(const PgResult& r, const std::function<void(const Member&)>& visit);
// For the matcher only: the members' MatchInput (hygiene/match_model.h), built straight from their stored JSON
// (the fields, keys and flags MatchInputSourceNames() lists) without the field maps of a Member (parsing into
// maps and building the input from them was 14% of the CSV import's CPU). The same members, order and limits as
// MembersStatement.
struct MatchMember : MemberHead {
  std::string email_key;  // normalized keys' email_key
  MatchInput input;       // its id is the source record's id
};
Statement MatchMembersStatement(const std::vector<long long>& contacts, int newest_per_contact,
                                const std::string& exclude_source);
// `visit` may move from the member it is given. Errors: stored JSON that is not the writer's (Internal).
Status ParseMatchMembers(const PgResult& r, const std::function<void(MatchMember&)>& visit);

// Rejected pairs touching any of the fingerprints, both directions: fingerprint -> fingerprints declared different.
using RejectedMap = std::map<std::string, std::set<std::string>>;
Result<RejectedMap> RejectedAmong(PgConn& conn, const std::vector<std::string>& fingerprints);
// The same as a statement for a pipeline (`fingerprints` not empty), and the reading of its result.
Statement RejectedStatement(const std::vector<std::string>& fingerprints);
RejectedMap ParseRejected(const PgResult& r);

// `schema`: the rules' fields, to tell which stored values were kept unvalidated (UnvalidatedFields). The result
// borrows m's normalized fields (SurvivorMember::fields_ref): `m` must outlive it.
SurvivorMember ToSurvivorMember(const Member& m, const FieldSchema& schema);

}  // namespace canon::store
