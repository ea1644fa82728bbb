// Finding a person: the steward page's search by e-mail, phone, name or company (GET /admin/search).
//
// The query is normalized by the rules in force, as a record holding that one field would be (a phone with the
// given country as its default region, so "+44 20 7946 0000" and "020 7946 0000" with country GB are the same
// number), and is looked up two ways: by the store keys such a record would be filed under (match_key: the
// e-mail key, the phone, the phonetic given + family name), and by the contact's own column (e-mail equal
// ignoring case, name or company containing the text ignoring case; a phone equal, when the rules file no phone
// key). Only live contacts (not merged
// into another) are returned, at most `limit`, most recently updated first.
//
// Cost: the key lookups and the e-mail column use indexes; the name and company columns are scanned (contact has
// no index on them), so a name or company search reads the contact table once (0.35-0.5 s at 200,000 contacts on
// a loaded 2-core machine); a phone is found by its key (0.02-0.04 s there; 0.13-0.28 s when it also read the
// column).
// Not thread-safe on one PgConn. Errors: SQL failures, as Status.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hygiene/rule_set.h"
#include "store/pg.h"

namespace canon::store {

enum class SearchKind { kEmail, kPhone, kName, kCompany };

// "email" | "phone" | "name" | "company".
bool SearchKindFromName(std::string_view name, SearchKind* out);

// A search returns at most this many contacts: it is a page for a person to read, not an export.
inline constexpr int kMaxSearchResults = 200;
// The longest query text taken (longer is refused): no e-mail, phone, name or company is longer.
inline constexpr size_t kMaxSearchText = 320;

struct SearchRequest {
  SearchKind kind = SearchKind::kName;
  std::string text;
  std::string country;  // ISO 3166 code: a phone's default region ("" = the normalizer's default)
  int limit = 50;       // 1..kMaxSearchResults
};

// What a query is compared with. Pure.
struct SearchTerms {
  std::string value;              // the normalized value ("+442079460000", "ann@example.org"), else the text
  std::string pattern;            // name, company: a LIKE pattern of the lowercased text (wildcards escaped)
  std::vector<std::string> keys;  // match_key keys (StoreKeys of the one-field record)
};
SearchTerms PrepareSearch(const SearchRequest& request, const RuleSet& rules);

// {"query":{"kind","text","normalized","keys":N},"results":[{"id","full_name","first_name","last_name","email",
// "phone","company","city","country","members","updated_at","matched_by":"key"|"value"}],"truncated":bool}
Result<std::string> SearchContactsJson(PgConn& conn, const SearchRequest& request, const RuleSet& rules);

}  // namespace canon::store
