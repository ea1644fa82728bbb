#include "store/search.h"

#include "hygiene/normalize.h"
#include "hygiene/survivorship.h"
#include "store/candidates.h"
#include "store/entities.h"

namespace canon::store {
namespace {

// The record field a query of `kind` is normalized as.
const char* FieldOf(SearchKind kind) {
  switch (kind) {
    case SearchKind::kEmail: return "email";
    case SearchKind::kPhone: return "phone";
    case SearchKind::kName: return "full_name";
    case SearchKind::kCompany: return "company";
  }
  return "full_name";
}

const char* KindName(SearchKind kind) { return kind == SearchKind::kName ? "name" : FieldOf(kind); }

// The contact column test of each kind ($2: SearchTerms::value or pattern). Fixed text: nothing from the
// request becomes SQL.
const char* ColumnTest(SearchKind kind) {
  switch (kind) {
    case SearchKind::kEmail: return "lower(ct.email) = lower($2)";  // the contact_email index
    case SearchKind::kPhone: return "ct.phone = $2";
    case SearchKind::kName: return "(lower(ct.full_name) LIKE lower($2) OR lower(ct.last_name) LIKE lower($2))";
    case SearchKind::kCompany: return "lower(ct.company) LIKE lower($2)";
  }
  return "false";
}

std::string Trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) return {};
  size_t b = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(a, b - a + 1));
}

// "%text%" with LIKE's own characters escaped (backslash is LIKE's default escape).
std::string ContainsPattern(std::string_view text) {
  std::string out = "%";
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "%";
}

}  // namespace

bool SearchKindFromName(std::string_view name, SearchKind* out) {
  for (SearchKind k : {SearchKind::kEmail, SearchKind::kPhone, SearchKind::kName, SearchKind::kCompany}) {
    if (name == KindName(k)) {
      *out = k;
      return true;
    }
  }
  return false;
}

SearchTerms PrepareSearch(const SearchRequest& request, const RuleSet& rules) {
  SearchTerms t;
  const std::string text = Trim(request.text);
  Record probe;
  probe.source = rules.survivorship().steward_source;
  probe.fields[FieldOf(request.kind)] = text;
  if (!request.country.empty()) probe.fields["country"] = request.country;
  NormalizedRecord n = Normalize(probe, rules);
  t.value = n.Get(FieldOf(request.kind));
  if (t.value.empty()) t.value = text;
  if (request.kind == SearchKind::kName || request.kind == SearchKind::kCompany) t.pattern = ContainsPattern(text);
  // Only the queried field's keys (a country alone files nothing today, but the rules may change).
  n.fields.erase("country");
  t.keys = StoreKeys(n, rules);
  return t;
}

Result<std::string> SearchContactsJson(PgConn& conn, const SearchRequest& request, const RuleSet& rules) {
  SearchTerms t = PrepareSearch(request, rules);
  const std::string& compared = t.pattern.empty() ? t.value : t.pattern;
  // Every phone has its key (the E.164 form, or the text of a number that does not validate, as the contact keeps
  // it), and every contact holding the number holds the key: the phone column (no index) is read only when the
  // rules file no phone key. Without the column branch the statement still names $2, so its type is known.
  const bool by_column = !(request.kind == SearchKind::kPhone && !t.keys.empty());
  const std::string column_branch =
      by_column ? std::string("  UNION ALL SELECT ct.id, 'value' FROM contact ct WHERE ct.merged_into IS NULL AND ") +
                      ColumnTest(request.kind)
                : std::string("  AND $2::text IS NOT NULL");
  int limit = request.limit < 1 ? 1 : request.limit > kMaxSearchResults ? kMaxSearchResults : request.limit;
  // One row more than asked says whether there were more.
  auto r = conn.Exec(
      "WITH hit AS (SELECT contact_id AS id, 'key' AS how FROM match_key WHERE key_hash = ANY($1::bigint[]) " +
          column_branch +
          "), found AS ("
          "  SELECT ct.id, min(hit.how) AS how FROM hit JOIN contact ct ON ct.id = hit.id "
          "  WHERE ct.merged_into IS NULL AND NOT ct.is_test GROUP BY ct.id, ct.updated_at "
          "  ORDER BY ct.updated_at DESC, ct.id LIMIT $3::int + 1), "
          "ranked AS (SELECT f.how, ct.*, row_number() OVER (ORDER BY ct.updated_at DESC, ct.id) AS n "
          "  FROM found f JOIN contact ct ON ct.id = f.id) "
          "SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'full_name', full_name, "
          "  'first_name', first_name, 'last_name', last_name, 'email', email, 'phone', phone, "
          "  'company', company, 'city', city, 'country', country, 'updated_at', updated_at, "
          "  'matched_by', how, "
          "  'members', (SELECT count(*) FROM entity_member em WHERE em.contact_id = ranked.id)) "
          "  ORDER BY n) FILTER (WHERE n <= $3::int), '[]'::jsonb)::text, count(*) > $3::int "
          "FROM ranked",
      {IntArray(KeyHashes(t.keys)), compared, std::to_string(limit)});
  if (!r.ok()) return r.status();
  return "{\"query\":{\"kind\":\"" + std::string(KindName(request.kind)) +
         "\",\"text\":" + JsonEscape(Trim(request.text)) + ",\"normalized\":" + JsonEscape(t.value) +
         ",\"keys\":" + std::to_string(t.keys.size()) + "},\"results\":" + r->Str(0, 0) +
         ",\"truncated\":" + (r->Str(0, 1) == "t" ? "true" : "false") + "}";
}

}  // namespace canon::store
