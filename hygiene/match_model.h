// MatchModel: the Fellegi–Sunter record-pair model of rules/match.toml, with its explanation ("waterfall").
//
// What: per field an ordered list of comparison levels (exact, jw >= 0.92, nickname, ..., else), each with
// m = P(level | same entity) and u = P(level | different entities). A pair's match weight is
//   prior + Σ_fields log2(m/u of the first level that applies)
// where prior = log2(λ / (1 - λ)) and a field missing on either side adds 0. With `tf = true` on a field, an
// exact agreement uses the value's term frequency as u (u = share of records holding that value, floored at
// tf_min_u): a shared rare surname weighs more than a shared "smith". Two thresholds split the weight into
// new (< lower) | review (>= lower) | merge (>= upper).
// Correlated fields: `implied_by = "postcode"` on a field (city) makes it add nothing when the named field, declared
// above it, agrees at its first (exact) level: a shared postcode already says the city is shared, and counting both
// as independent evidence gave different people of one postcode a merge. Training sees such a pair's field as
// missing, so its m and u are estimated where the implying field did not agree.
// Shared contact points (CRM data): a phone, mailbox or address can belong to many people (a switchboard, a
// household landline, info@). Fields marked `contact_point = true` count their agreement only when the pair's
// person field ([model] person_field = "given_name") does not disagree outright: when both given names are present
// and fall to the "different" level (no nickname, no initial, no close spelling, no swap), a contact point's
// positive weight is dropped and the explanation says "shared: given names differ" — unless a `personal = true`
// field (birth date, national id) agrees: relatives share a phone and an address, not a birth date (twins are the
// exception this accepts; census-style data with replaced given names is the rule it serves). A value the record itself marks
// shared (a role mailbox) never counts ("shared: role mailbox"). Disagreement still counts against.
// With the same given name and family names that differ outright ([model] family_field), the contact points are
// dropped too ("shared: family names differ": two colleagues named Thierry on one switchboard) except a field
// marked `one_holder = true` (an e-mail address that is not a role mailbox): one address under two family names
// is one person after a marriage. Given names that agree only at a `jw` level and start with different letters
// (Anna/Hanna) are treated the same way ("shared: given names not the same").
// Corroboration: names (and a city) are shared by namesakes; a pair whose `identifier = true` fields add no positive
// weight scores at most [model] uncorroborated_max (set below `lower`: such a pair is never merged nor queued), and
// the explanation says "no identifier agrees".
// Cross-field levels: given_name's `swapped` and `name_split` compare both name fields at once and `covers`
// family_name (which then adds 0); email_key's `email_name` reads the local part against the other side's name;
// company_key's `email_domain` reads a work e-mail's domain against the other side's company.
// Speed: Prepare() does every per-record step (case folding, code points, metaphone, tokens, nickname groups,
// dates, term frequencies) once; Weight() on two PreparedRecords then only compares. Explain() gives the same
// total with the per-field breakdown.
// Ownership: a MatchModel is an immutable value (cheap to share by const&/shared_ptr); PreparedRecord owns its
// data and borrows nothing. Thread-safety: all const methods are safe to call concurrently.
// Errors: FromToml returns Invalid with "path:line:col" in where() for any problem in the file.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hygiene/compare.h"
#include "hygiene/status.h"

namespace canon {

struct NormalizedRecord;

// The normalized values the matcher compares. A fixed set, so a field is an array index, not a map lookup.
enum class MatchField : uint8_t {
  kGivenName,
  kFamilyName,
  kEmailKey,
  kPhone,
  kDob,
  kStreetNumber,
  kStreet,
  kStreet2,
  kPostcode,
  kCity,
  kRegion,
  kCountry,
  kCompanyKey,
  kExternalId,
  kCount
};
constexpr size_t kMatchFieldCount = static_cast<size_t>(MatchField::kCount);
const char* MatchFieldName(MatchField f);  // "given_name", "family_name", "email_key", ...
bool MatchFieldFromName(std::string_view name, MatchField* out);

struct MatchInput {
  std::string id;  // the caller's record id; carried along, never compared
  std::array<std::string, kMatchFieldCount> values;
  // Fields whose value is known to be shared by several people (bit = MatchField): a role mailbox (the
  // normalizer's "email:role" flag). Agreement on such a value is not evidence of one person.
  uint32_t shared = 0;
  // The e-mail's domain when it is a work domain (not free-mail, not disposable): "acme.co.uk". Compared with the
  // other side's company (an `email_domain` level on company_key).
  std::string work_domain;

  const std::string& Get(MatchField f) const { return values[static_cast<size_t>(f)]; }
  void Set(MatchField f, std::string v) { values[static_cast<size_t>(f)] = std::move(v); }
};

// Builds a MatchInput from the normalizer's output by field and key name only:
//   given_name <- fields first_name; family_name <- last_name; email_key <- keys email_key (else lowercased
//   email); phone <- keys phone_e164 | phone_key (else phone's digits); dob <- birth_date; street <- street (a
//   leading house number is split off into street_number); street_2, postcode <- postal_code, city, region, country;
//   company_key <- keys company_key (else company); external_id. An e-mail flagged "email:role" marks email_key as
//   shared; a work e-mail's domain (not flagged free_mail or disposable) goes to work_domain.
MatchInput MatchInputFromNormalized(const NormalizedRecord& rec, std::string id);

// The normalized fields, keys and flags MatchInputFromNormalized reads, by name, so that a reader of stored
// records can pick only those. MatchInputFromValues builds the same MatchInput from their values, given in these orders
// (a missing one is ""; a short vector counts as missing values) and the flags as bits (bit i: flags[i] is set).
struct MatchInputSources {
  std::vector<std::string> fields, keys, flags;
};
const MatchInputSources& MatchInputSourceNames();
MatchInput MatchInputFromValues(const std::vector<std::string_view>& fields, const std::vector<std::string_view>& keys,
                                uint32_t flags, std::string id);

// Given-name nickname groups from rules/nicknames.toml ([names] canonical = [nicknames]).
class NicknameTable {
 public:
  static Result<NicknameTable> FromToml(std::string_view text, const std::string& path);
  // Group ids of a lowercase name (a canonical name and its nicknames share one id); empty when unknown.
  const std::vector<uint32_t>* Groups(const std::string& lower_name) const;
  // True when the two names share a group (Bob ~ Robert, Bob ~ Robbie), case-insensitive.
  bool Equivalent(std::string_view a, std::string_view b) const;
  size_t size() const { return groups_.size(); }

  // Given names of one sex, from a list file (rules/lists/given_name_sex.toml: `[map]` name = "male" | "female",
  // names lowercase without accents). The gender_pair level reads them: Lars/Lara, Marco/Marta.
  Status AddSexes(std::string_view list_toml, const std::string& path);
  // 1 male, 2 female, 0 unknown, for a name in its comparison form (FoldName). A name not in the list but one
  // edit from listed names that are all of one sex (a typing error: "Chrisrian" is one edit from Christian only)
  // gets that sex with kSexInferred set; names shorter than 4 letters are never inferred.
  static constexpr uint8_t kSexInferred = 4;
  uint8_t Sex(const std::string& folded_name) const;
  size_t sexes() const { return sex_.size(); }

 private:
  // Sex of a name not in the list, from the listed names one edit away.
  uint8_t InferSex(const std::string& folded_name) const;
  std::unordered_map<std::string, std::vector<uint32_t>> groups_;
  std::unordered_map<std::string, uint8_t> sex_;
  std::unordered_map<std::string, uint8_t> sex_deletes_;  // each listed name less one letter -> sex bits (1|2)
  // This table's content, for Sex's per-thread memo of the names it inferred: new on every change of the sexes (a
  // copy has its original's content, and id).
  uint64_t sexes_id_ = 0;
};

// Term frequencies per field: value (as the matcher sees it: case-folded) -> share of records, in (0, 1].
class TermFrequencies {
 public:
  // Counts the values of `fields` over `records`.
  static TermFrequencies Count(const std::vector<MatchInput>& records, const std::vector<MatchField>& fields);
  void Set(MatchField f, const std::string& folded_value, double share);
  // Share of records holding `folded_value`, or 0 when unknown.
  double Get(MatchField f, const std::string& folded_value) const;

 private:
  std::array<std::unordered_map<std::string, double>, kMatchFieldCount> share_;
};

enum class LevelKind : uint8_t {
  kExact,      // equal after case folding
  kJaroWinkler,  // JW >= threshold
  kTokenSet,   // TokenSetSimilarity >= threshold
  kDamerau,    // Damerau–Levenshtein <= max_distance
  kNickname,   // same nickname group
  kMetaphone,  // Double Metaphone codes meet
  kInitial,    // one side is a single letter equal to the other's first letter
  kDateDays,   // both valid dates within max_distance days
  kNumeric,    // both numbers within max_distance
  kElse,       // always applies (the "different" level)
  // Cross-field and structured levels (CRM data):
  kSwapped,     // given_name only: each side's given name is the other's family name (exact or JW >= threshold)
  kNameSplit,   // given_name only: given + family read as one name agree, split differently (Mary Ann|Smith,
                // Mary|Ann Smith)
  kNameTokens,  // given_name only: every word of one full name (given + family) is a word of the other, at least two
                // (Gacasejo / Nuria against Nuria Gacasejo Mircasaña: swapped and one family name dropped)
  kTokenSubset, // every token of the shorter value (less the level's `ignore` words) is a token of the longer:
                // compound and particle family names (Garcia Lopez ~ Garcia, van den Berg ~ Berg)
  kDateSwap,    // both valid dates, day and month transposed (2001-03-04 ~ 2001-04-03)
  kDatePart,    // both valid dates, exactly one of year, month, day differs
  kEmailName,   // email_key only: different addresses whose local parts each fit the other record's name
                // (tschroder@, thomas.schroder31@, schroder.t@ for Thomas Schröder)
  kGenderPair,  // the masculine and feminine forms of one name (Paul/Paula, Daniel/Daniela, Mario/Maria, Simon/
                // Simone, Gabriel/Gabrielle), or two names of opposite sex in the given-name list that are close in
                // spelling (JW >= the level's threshold, default 0.80: Lars/Lara, Marco/Marta): two people, as the
                // "different" level is (see PersonConflict)
  kEmailDomain, // company_key only: one side's work e-mail domain names the other side's company; applies also
                // when one side has no company
  kNationalNumber,  // phone only: one side in E.164 (+4930123456), the other a number libphonenumber could not
                    // place (national form, no country: 030 123456), whose digits less leading zeros are the
                    // E.164 number's last digits after a country code of at most 3 digits; at least 7 digits
  kEmailNumbered,   // email_key only: one domain, local parts equal but for their digits, which differ
                    // (charlotte.taylor@ and charlotte.taylor2@ of one company: a mail admin numbers a namesake's
                    // address). Two people: the pair scores at most [model] uncorroborated_max, unless a personal
                    // field (birth date, national id) agrees
};

struct ComparisonLevel {
  std::string name;  // shown in explanations: "exact", "jw>=0.92", "nickname", "different"
  LevelKind kind = LevelKind::kElse;
  double threshold = 0;     // kJaroWinkler, kTokenSet
  double max_distance = 0;  // kDamerau, kDateDays, kNumeric
  double m = 0.5;
  double u = 0.5;
  double weight = 0;  // log2(m/u), precomputed
  int covers = -1;    // index in fields() of a later field this level also accounts for (it then adds 0)
  std::vector<std::u32string> ignore;  // kTokenSubset: words that are not evidence (van, den, de, ...)
  bool same_digits = false;  // kDamerau: applies only when both values hold the same digits in the same order
                             // (pierre95@ and pierre96@ are two mailboxes, not a typing error)
  bool same_separators = false;  // kDamerau: applies only when both hold the same separators (., _, -) in the same
                                 // order (jennifer.johnson@ and jennifer_johnson@ are two mailboxes)
};

struct FieldModel {
  std::string name;  // as in the rule file; usually the MatchField name
  MatchField field = MatchField::kGivenName;
  std::vector<ComparisonLevel> levels;  // ordered: the first level that applies wins
  bool tf = false;                      // term-frequency adjustment of the exact level
  double tf_min_u = 0.0001;             // floor of a tf-adjusted u (a value seen once is not infinite evidence)
  int implied_by = -1;                  // index in fields() of the field whose first-level agreement implies this one
  bool fold_accents = false;            // compare the FoldName form (no accents, "Müller" = "Mueller" = "Muller")
  bool contact_point = false;           // a phone, mailbox or address people can share (see MatchModel)
  bool personal = false;                // a value of one person (birth date, national id): when it agrees, the
                                        // pair is not two people sharing contact points
  bool identifier = false;              // agreement here corroborates a name match (e-mail, phone, street, company,
                                        // birth date, id); see [model] uncorroborated_max
  bool one_holder = false;              // a contact point of one person (an e-mail address): it still counts when
                                        // only the family names differ (a new married name), see MatchModel
  bool cross_missing = false;           // a level can apply with the field missing on one side (email_domain)
};

// One field's pre-digested value (see MatchModel::Prepare). Compact on purpose: the scoring kernel is bound by
// memory, so a record's fields are small fixed slots and all their code points live in one buffer of the
// record (PreparedRecord::chars), not in a heap string per field. A field's text is capped at kMaxFieldChars code
// points (longer values compare on their first kMaxFieldChars).
constexpr size_t kMaxFieldChars = 255;
constexpr size_t kMaxTokens = 16;

struct PreparedField {
  bool present = false;
  bool has_days = false;
  bool has_number = false;
  uint8_t len = 0;         // code points of the case-folded text
  uint16_t off = 0;        // its offset in PreparedRecord::chars
  uint16_t tok_off = 0;    // tokens: (offset, length) pairs in PreparedRecord::tokens
  uint8_t tok_count = 0;
  uint8_t sex = 0;         // given name: NicknameTable::Sex of its first word (1 male, 2 female, | kSexInferred)
  uint64_t char_mask = 0;  // bit (c % 64) set for each code point c of the text: a cheap bound for Jaro
  uint32_t metaphone = 0;  // Double Metaphone primary code (up to 8 letters: 4 packed, longer hashed); 0 = none
  uint32_t metaphone_alt = 0;
  const std::vector<uint32_t>* nick_groups = nullptr;  // points into the model's NicknameTable
  int32_t days = 0;
  float number = 0;
  float tf_u = 0;  // term-frequency u of this value, 0 when none
};

struct PreparedRecord {
  std::string id;
  std::u32string chars;  // every field's case-folded code points, then every token's, back to back
  struct Token {
    uint16_t off;  // in chars
    uint8_t len;
    uint64_t char_mask;  // as PreparedField::char_mask
  };
  std::vector<Token> tokens;
  uint32_t present = 0;  // bit i = fields[i].present: lets the kernel skip missing fields without reading them
  uint32_t shared = 0;   // MatchInput::shared
  std::array<PreparedField, kMatchFieldCount> fields;
  std::u32string email_local;  // the e-mail's local part as name letters only (folded like names), for kEmailName
  std::u32string work_label;   // the work domain's name part, letters and digits only ("acme" of acme.co.uk)

  const PreparedField& Get(MatchField f) const { return fields[static_cast<size_t>(f)]; }
  std::u32string_view Text(const PreparedField& f) const { return {chars.data() + f.off, f.len}; }
  std::u32string_view Text(MatchField f) const { return Text(Get(f)); }
};

struct FieldContribution {
  std::string field;
  std::string level;  // "" when the field is missing on either side
  double weight = 0;
  std::string value_a, value_b;
  bool tf_adjusted = false;
  // Why the field added less than its level's weight: "shared: role mailbox", "shared: given names differ",
  // "implied by postcode", "counted with given_name". Empty when it added its level's weight.
  std::string note;
};

struct Explanation {
  double prior = 0;
  double total = 0;  // prior + Σ field weights
  std::vector<FieldContribution> fields;
  // "prior -13.3; family_name exact +7.2 (smith|smith); given_name jw>=0.92 +5.1 (jon|john); ..."
  std::string ToString() const;
  bool shared_contact = false;  // some contact point agreed but counted as shared (role mailbox or conflicting names)
  bool capped = false;          // no identifier agreed: the total was cut to uncorroborated_max
  // Set when a level says two people (an e-mail numbered apart on one domain): the total was cut to
  // uncorroborated_max for that reason, whatever else agreed.
  std::string two_people;
};

enum class Decision { kNew, kReview, kMerge };
const char* DecisionName(Decision d);

class MatchModel {
 public:
  // Parses rules/match.toml. `nicknames` is required when a field declares a nickname level.
  static Result<MatchModel> FromToml(std::string_view text, const std::string& path,
                                     std::shared_ptr<const NicknameTable> nicknames = nullptr);
  // The model as a rule file (for `canonctl match train`): same fields and levels, the current m/u/λ.
  std::string ToToml() const;

  PreparedRecord Prepare(const MatchInput& in, const TermFrequencies* tf = nullptr) const;

  double Weight(const PreparedRecord& a, const PreparedRecord& b) const;
  // out[i] = Weight(a, *bs[i]) for i < n. The loop to use when `a` is scored against many candidates: while one
  // candidate is scored, the next ones' records are prefetched (a candidate read from a large store is cold in
  // cache, and waiting for its ~20 cache lines one by one costs as much as comparing it).
  void WeightMany(const PreparedRecord& a, const PreparedRecord* const* bs, size_t n, double* out) const;
  Explanation Explain(const PreparedRecord& a, const PreparedRecord& b) const;
  // Convenience: prepares both sides (slow path; use Prepare + Weight in loops).
  Explanation Score(const MatchInput& a, const MatchInput& b) const;
  // The level index per model field (-1 = missing), for training. `out` gets fields().size() entries.
  void Levels(const PreparedRecord& a, const PreparedRecord& b, int8_t* out) const;

  Decision Decide(double weight) const;

  // True when the model's person field (`person_field`, given_name) is present on both sides and disagrees
  // outright (its last, "different" level, or a gender_pair level), or `family_field` does while the given names are
  // not the same: two people, whatever contact points they share.
  bool PersonConflict(const PreparedRecord& a, const PreparedRecord& b) const;
  // True when an equal e-mail on this pair is not evidence of one person: a role mailbox, or names in conflict.
  // The store's "a shared exact e-mail joins" rule asks this first.
  bool EmailShared(const PreparedRecord& a, const PreparedRecord& b) const;

  double prior_weight() const { return prior_weight_; }
  double lambda() const { return lambda_; }
  double upper() const { return upper_; }
  double lower() const { return lower_; }
  const std::vector<FieldModel>& fields() const { return fields_; }
  // The fields with tf = true (what a TermFrequencies table should count).
  std::vector<MatchField> TfFields() const;

  // For training: a copy with new λ and m/u (same shapes as fields()); weights recomputed.
  MatchModel WithParameters(double lambda, const std::vector<std::vector<std::pair<double, double>>>& mu) const;
  MatchModel WithThresholds(double lower, double upper) const;

 private:
  int LevelOf(const FieldModel& f, const PreparedRecord& ra, const PreparedRecord& rb) const;
  double LevelWeight(const FieldModel& f, int level, const PreparedField& a, const PreparedField& b,
                     bool* tf_adjusted) const;
  // The one scoring loop behind Weight, Explain and Levels (each pointer may be null).
  double Eval(const PreparedRecord& a, const PreparedRecord& b, Explanation* e, int8_t* levels) const;

  std::vector<FieldModel> fields_;
  std::shared_ptr<const NicknameTable> nicknames_;
  double lambda_ = 1e-4;
  double prior_weight_ = 0;
  double upper_ = 0;
  double lower_ = 0;
  int person_field_ = -1;  // index in fields_ of [model] person_field
  int family_field_ = -1;  // index in fields_ of [model] family_field
  double uncorroborated_max_ = 1e9;  // [model] uncorroborated_max: the most a pair scores with no identifier agreeing
  std::array<uint8_t, kMatchFieldCount> needs_{};  // what Prepare must compute per field (bit flags)
};

}  // namespace canon
