// Entity writes: a normalized record becomes a source_record, and joins or creates a contact.
//
// All functions run inside the caller's transaction on one connection. Entity resolution here is by exact
// blocking key (match_key); LockKeys must be called first, in the same transaction, with every key the batch
// will look up, so that two workers or two nodes that see the same new person at once make one contact, not
// two (the second waits on the advisory lock, then finds the first one's contact).
#pragma once

#include <string>
#include <vector>

#include "hygiene/normalize.h"
#include "hygiene/record.h"
#include "store/pg.h"

namespace canon::store {

// The canonical contact columns that normalized fields may fill (a fixed list: identifiers in SQL never come from
// input).
const std::vector<std::string>& ContactColumns();

// Takes transaction-scoped advisory locks on the keys, in sorted order (no deadlock between batches).
Status LockKeys(PgConn& conn, std::vector<std::string> keys);

// The blocking keys the store indexes for a normalized record ("email:ann@example.com", ...).
std::vector<std::string> StoreKeys(const NormalizedRecord& n);

struct WriteOutcome {
  long long source_record_id = 0;
  long long contact_id = 0;
  bool created = false;  // a new contact was made
};

struct SourceMeta {
  long long inbox_id = 0;
  std::string received_at;
};

Result<WriteOutcome> WriteRecord(PgConn& conn, const SourceMeta& meta, const Record& raw,
                                 const NormalizedRecord& normalized);

// For canonctl and tests: the contact with this normalized e-mail, with its source records, as one JSON object;
// "" when none.
Result<std::string> FindContactJsonByEmail(PgConn& conn, const std::string& email);

}  // namespace canon::store
