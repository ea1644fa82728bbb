#include "hygiene/match_model.h"

#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "hygiene/fold.h"
#include "hygiene/normalize.h"
#include "hygiene/rule_parse.h"

namespace canon {
namespace {

constexpr const char* kFieldNames[kMatchFieldCount] = {
    "given_name", "family_name", "email_key", "phone",  "dob",     "street_number", "street",
    "street_2",   "postcode",    "city",      "region", "country", "company_key",   "external_id"};

// What Prepare must compute for a field, from the level kinds the model uses on it.
enum Need : uint8_t {
  kNeedText = 1,
  kNeedMetaphone = 2,
  kNeedTokens = 4,
  kNeedNick = 8,
  kNeedDays = 16,
  kNeedNumber = 32,
  kNeedSex = 64,
};

std::string Where(const std::string& path, const toml::source_region& r) {
  return path + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

std::string ToLowerAscii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c += 32;
  return s;
}

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(ws) - b + 1));
}

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty() || s.size() > 30) return false;
  char buf[32];
  std::copy(s.begin(), s.end(), buf);
  buf[s.size()] = 0;
  char* end = nullptr;
  double v = std::strtod(buf, &end);
  if (end != buf + s.size()) return false;
  *out = v;
  return true;
}

struct KindName {
  const char* name;
  LevelKind kind;
};
constexpr KindName kKinds[] = {
    {"exact", LevelKind::kExact},         {"jw", LevelKind::kJaroWinkler},   {"token_set", LevelKind::kTokenSet},
    {"dl", LevelKind::kDamerau},          {"nickname", LevelKind::kNickname}, {"metaphone", LevelKind::kMetaphone},
    {"initial", LevelKind::kInitial},     {"date_days", LevelKind::kDateDays}, {"numeric", LevelKind::kNumeric},
    {"else", LevelKind::kElse},           {"swapped", LevelKind::kSwapped},  {"name_split", LevelKind::kNameSplit},
    {"token_subset", LevelKind::kTokenSubset}, {"date_swap", LevelKind::kDateSwap},
    {"date_part", LevelKind::kDatePart},  {"email_name", LevelKind::kEmailName},
    {"email_domain", LevelKind::kEmailDomain}, {"gender_pair", LevelKind::kGenderPair}, {"email_numbered", LevelKind::kEmailNumbered},
    {"name_tokens", LevelKind::kNameTokens}, {"national_number", LevelKind::kNationalNumber},
};
constexpr const char* kKindList =
    "exact, jw, token_set, dl, nickname, metaphone, initial, date_days, numeric, swapped, name_split, "
    "token_subset, name_tokens, date_swap, date_part, email_name, email_domain, gender_pair, national_number, email_numbered, else";

// The keys each table of match.toml may hold: anything else is a misspelling and refused.
bool KnownKey(std::string_view key, std::initializer_list<std::string_view> known) {
  for (auto k : known)
    if (key == k) return true;
  return false;
}

const char* KindToName(LevelKind k) {
  for (const auto& kn : kKinds)
    if (kn.kind == k) return kn.name;
  return "else";
}

double Log2Ratio(double m, double u) { return std::log2(m / u); }

std::string FormatDouble(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

const char* MatchFieldName(MatchField f) { return kFieldNames[static_cast<size_t>(f)]; }

bool MatchFieldFromName(std::string_view name, MatchField* out) {
  for (size_t i = 0; i < kMatchFieldCount; ++i) {
    if (name == kFieldNames[i]) {
      *out = static_cast<MatchField>(i);
      return true;
    }
  }
  return false;
}

namespace {

// A phone libphonenumber could not place (no country to read a national number by, or not valid for it) is kept
// raw by the normalizer. Compared, it is its digits ("+" kept in front when written): "(020) 7946-0321" and
// "020 7946 0321" are one number, and the national_number level can find it inside an E.164 number.
std::string PhoneDigits(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (c >= '0' && c <= '9') out.push_back(c);
    else if (c == '+' && out.empty()) out.push_back(c);
  }
  return out == "+" ? std::string() : out;
}

}  // namespace

namespace {

// The normalized fields, keys and flags a MatchInput is built from, by name; the indexes below are into these.
const MatchInputSources kSources = {
    {"first_name", "last_name", "email", "birth_date", "street", "street_2", "postal_code", "city", "region",
     "country", "company", "external_id", "phone"},
    {"email_key", "phone_e164", "phone_key", "company_key"},
    {"email:role", "email:free_mail", "email:disposable"}};
enum SourceField { kFirst, kLast, kEmail, kBirth, kStreetF, kStreet2F, kPostal, kCityF, kRegionF, kCountryF,
                   kCompanyF, kExternal, kPhoneF };
enum SourceKey { kEmailKeyK, kPhoneE164K, kPhoneKeyK, kCompanyKeyK };
enum SourceFlag { kRoleF, kFreeMailF, kDisposableF };

// `field(i)` and `key(i)` give a source's value by its index above ("" when absent), `flagged(i)` a flag.
template <class Field, class Key, class Flagged>
MatchInput BuildMatchInput(const Field& field_raw, const Key& key_raw, const Flagged& flagged, std::string id) {
  MatchInput in;
  in.id = std::move(id);
  auto field = [&](int i) -> std::string { return Trim(field_raw(i)); };
  auto key = [&](int i) -> std::string { return std::string(key_raw(i)); };
  in.Set(MatchField::kGivenName, field(kFirst));
  in.Set(MatchField::kFamilyName, field(kLast));
  std::string email = key(kEmailKeyK);
  in.Set(MatchField::kEmailKey, email.empty() ? ToLowerAscii(field(kEmail)) : email);
  std::string phone = key(kPhoneE164K);
  if (phone.empty()) phone = key(kPhoneKeyK);
  if (phone.empty()) phone = PhoneDigits(field(kPhoneF));
  in.Set(MatchField::kPhone, phone);
  in.Set(MatchField::kDob, field(kBirth));
  // A leading house number is its own evidence ("44 forbes street" vs "45 forbes street" are two houses), so
  // the street is split into number and name.
  std::string street = field(kStreetF);
  size_t digits = 0;
  while (digits < street.size() && std::isdigit(static_cast<unsigned char>(street[digits]))) ++digits;
  size_t rest = digits;
  while (rest < street.size() && std::isalpha(static_cast<unsigned char>(street[rest]))) ++rest;  // "12a"
  if (digits > 0 && (rest == street.size() || street[rest] == ' ' || street[rest] == ',')) {
    in.Set(MatchField::kStreetNumber, street.substr(0, rest));
    in.Set(MatchField::kStreet, Trim(std::string_view(street).substr(rest)));
  } else {
    in.Set(MatchField::kStreet, street);
  }
  in.Set(MatchField::kStreet2, field(kStreet2F));
  in.Set(MatchField::kPostcode, field(kPostal));
  in.Set(MatchField::kCity, field(kCityF));
  in.Set(MatchField::kRegion, field(kRegionF));
  in.Set(MatchField::kCountry, field(kCountryF));
  std::string company = key(kCompanyKeyK);
  in.Set(MatchField::kCompanyKey, company.empty() ? field(kCompanyF) : company);
  in.Set(MatchField::kExternalId, field(kExternal));
  if (flagged(kRoleF)) in.shared |= uint32_t{1} << static_cast<size_t>(MatchField::kEmailKey);
  std::string_view address = field_raw(kEmail);
  const size_t at = address.rfind('@');
  if (at != std::string_view::npos && !flagged(kFreeMailF) && !flagged(kDisposableF))
    in.work_domain = ToLowerAscii(std::string(address.substr(at + 1)));
  return in;
}

}  // namespace

const MatchInputSources& MatchInputSourceNames() { return kSources; }

MatchInput MatchInputFromNormalized(const NormalizedRecord& rec, std::string id) {
  auto field = [&](int i) -> const std::string& { return rec.Get(kSources.fields[i]); };
  auto key = [&](int i) -> std::string_view {
    auto it = rec.keys.find(kSources.keys[i]);
    return it == rec.keys.end() ? std::string_view() : std::string_view(it->second);
  };
  auto flagged = [&](int i) {
    return std::find(rec.flags.begin(), rec.flags.end(), kSources.flags[i]) != rec.flags.end();
  };
  return BuildMatchInput(field, key, flagged, std::move(id));
}

MatchInput MatchInputFromValues(const std::vector<std::string_view>& fields, const std::vector<std::string_view>& keys,
                                uint32_t flags, std::string id) {
  auto field = [&](int i) { return i < static_cast<int>(fields.size()) ? fields[i] : std::string_view(); };
  auto key = [&](int i) { return i < static_cast<int>(keys.size()) ? keys[i] : std::string_view(); };
  auto flagged = [&](int i) { return (flags >> i) & 1u; };
  return BuildMatchInput(field, key, flagged, std::move(id));
}

// ----------------------------------------------------------------------------------------------------------
Result<NicknameTable> NicknameTable::FromToml(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    return Status::Invalid(std::string(err.description()), Where(path, err.source()));
  }
  if (Status s = rule_parse::CheckKeys(path, root, {"names", "example"}, "nicknames.toml"); !s.ok()) return s;
  const toml::table* names = root["names"].as_table();
  if (!names) return Status::Invalid("nickname file needs a [names] table", path + ":1:1");
  NicknameTable t;
  uint32_t gid = 0;
  for (const auto& [key, node] : *names) {
    const toml::array* arr = node.as_array();
    if (!arr) return Status::Invalid("'" + std::string(key.str()) + "' must be an array of names",
                                     Where(path, node.source()));
    auto add = [&](const std::string& n) {
      auto& v = t.groups_[ToLowerAscii(n)];
      if (std::find(v.begin(), v.end(), gid) == v.end()) v.push_back(gid);
    };
    add(std::string(key.str()));
    for (const auto& el : *arr) {
      auto s = el.value<std::string>();
      if (!s || s->empty())
        return Status::Invalid("nicknames must be non-empty strings", Where(path, el.source()));
      add(*s);
    }
    ++gid;
  }
  return t;
}

const std::vector<uint32_t>* NicknameTable::Groups(const std::string& lower_name) const {
  auto it = groups_.find(lower_name);
  return it == groups_.end() ? nullptr : &it->second;
}

Status NicknameTable::AddSexes(std::string_view list_toml, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(list_toml, path);
  } catch (const toml::parse_error& err) {
    return Status::Invalid(std::string(err.description()), Where(path, err.source()));
  }
  const toml::table* map = root["map"].as_table();
  if (!map) return Status::Invalid("a given-name sex list needs a [map] table (name = \"male\" | \"female\")", path + ":1:1");
  // Keyed by the names' comparison form (FoldName, as the given_name field is compared): two listed names that fold
  // to one form with opposite sexes ("Michael" and "Michal" do not; a form of both sexes would) are dropped.
  std::unordered_map<std::string, uint8_t> folded;
  for (const auto& [key, node] : *map) {
    auto v = node.value<std::string>();
    const uint8_t sex = !v ? 0 : *v == "male" ? 1 : *v == "female" ? 2 : 0;
    if (!sex)
      return Status::Invalid("'" + std::string(key.str()) + "' must be \"male\" or \"female\"", Where(path, node.source()));
    const std::string name = FoldName(key.str());
    if (name.empty()) continue;
    auto [it, fresh] = folded.emplace(name, sex);
    if (!fresh && it->second != sex) it->second = 3;
  }
  for (const auto& [name, sex] : folded) {
    if (sex == 3) continue;
    sex_[name] = sex;
    for (size_t i = 0; i < name.size(); ++i) sex_deletes_[name.substr(0, i) + name.substr(i + 1)] |= sex;
  }
  static std::atomic<uint64_t> next_id{0};
  sexes_id_ = ++next_id;
  return Status::Ok();
}

uint8_t NicknameTable::Sex(const std::string& folded_name) const {
  if (auto it = sex_.find(folded_name); it != sex_.end()) return it->second;
  if (folded_name.size() < 4) return 0;
  // An unlisted name costs two lookups per letter: the answer is kept per thread (the matcher asks again for every
  // candidate member with that name; it was 2.8% of canond's CPU with 1,000,000 contacts stored).
  struct Memo {
    uint64_t table = 0;
    std::unordered_map<std::string, uint8_t> sex;
  };
  thread_local Memo memo;
  if (memo.table != sexes_id_ || memo.sex.size() > 100000) {
    memo.sex.clear();
    memo.table = sexes_id_;
  }
  if (auto it = memo.sex.find(folded_name); it != memo.sex.end()) return it->second;
  return memo.sex[folded_name] = InferSex(folded_name);
}

uint8_t NicknameTable::InferSex(const std::string& folded_name) const {
  // Listed names one edit away: one letter more (the name is a deletion of it), one letter less, or one other.
  uint8_t near = 0;
  if (auto it = sex_deletes_.find(folded_name); it != sex_deletes_.end()) near |= it->second;
  for (size_t i = 0; i < folded_name.size() && near != 3; ++i) {
    const std::string del = folded_name.substr(0, i) + folded_name.substr(i + 1);
    if (auto it = sex_.find(del); it != sex_.end()) near |= it->second;
    if (auto it = sex_deletes_.find(del); it != sex_deletes_.end()) near |= it->second;
  }
  return near == 1 || near == 2 ? static_cast<uint8_t>(near | kSexInferred) : 0;
}

namespace {
bool GroupsMeet(const std::vector<uint32_t>* a, const std::vector<uint32_t>* b) {
  if (!a || !b) return false;
  for (uint32_t x : *a)
    for (uint32_t y : *b)
      if (x == y) return true;
  return false;
}
}  // namespace

bool NicknameTable::Equivalent(std::string_view a, std::string_view b) const {
  return GroupsMeet(Groups(EncodeUtf8(FoldCase(a))), Groups(EncodeUtf8(FoldCase(b))));
}

TermFrequencies TermFrequencies::Count(const std::vector<MatchInput>& records, const std::vector<MatchField>& fields) {
  TermFrequencies tf;
  for (MatchField f : fields) {
    auto& m = tf.share_[static_cast<size_t>(f)];
    size_t n = 0;
    for (const auto& r : records) {
      const std::string& v = r.Get(f);
      if (v.empty()) continue;
      m[EncodeUtf8(FoldCase(v))] += 1;
      ++n;
    }
    for (auto& [k, c] : m) c /= static_cast<double>(n);
  }
  return tf;
}

void TermFrequencies::Set(MatchField f, const std::string& folded_value, double share) {
  share_[static_cast<size_t>(f)][folded_value] = share;
}

double TermFrequencies::Get(MatchField f, const std::string& folded_value) const {
  const auto& m = share_[static_cast<size_t>(f)];
  auto it = m.find(folded_value);
  return it == m.end() ? 0.0 : it->second;
}

// ----------------------------------------------------------------------------------------------------------
std::string Explanation::ToString() const {
  char prior_buf[32];
  std::snprintf(prior_buf, sizeof prior_buf, "%+.2f", prior);
  std::string s = std::string("prior ") + prior_buf;
  for (const auto& f : fields) {
    s += "; " + f.field + " ";
    if (f.level.empty()) {
      s += "missing 0";
      continue;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.2f", f.weight);
    s += f.level + (f.tf_adjusted ? " (tf)" : "") + " " + buf;
    if (!f.note.empty() && f.note != f.level) s += " [" + f.note + "]";
    s += " (" + f.value_a + "|" + f.value_b + ")";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", total);
  if (!two_people.empty()) s += "; two people (" + two_people + "): capped";
  else if (capped) s += "; no identifier agrees: capped";
  return s + "; total " + buf;
}

const char* DecisionName(Decision d) {
  switch (d) {
    case Decision::kNew: return "new";
    case Decision::kReview: return "review";
    case Decision::kMerge: return "merge";
  }
  return "new";
}

Result<MatchModel> MatchModel::FromToml(std::string_view text, const std::string& path,
                                        std::shared_ptr<const NicknameTable> nicknames) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    return Status::Invalid(std::string(err.description()), Where(path, err.source()));
  }
  MatchModel model;
  model.nicknames_ = std::move(nicknames);
  for (const auto& [key, node] : root) {
    if (key != "model" && key != "field" && key != "blocking" && key != "blocking_limits")
      return Status::Invalid("unknown section '" + std::string(key.str()) +
                                 "' (expected model, field, blocking, blocking_limits)",
                             Where(path, node.source()));
  }
  const toml::table* m = root["model"].as_table();
  if (!m) return Status::Invalid("match rules need a [model] table (lambda, upper, lower)", path + ":1:1");
  auto num = [&](const toml::table& t, const char* k, double* out, bool required) -> Status {
    const toml::node* n = t.get(k);
    if (!n) return required ? Status::Invalid(std::string("missing '") + k + "'", Where(path, t.source()))
                            : Status::Ok();
    auto d = n->value<double>();
    if (!d || !std::isfinite(*d)) return Status::Invalid(std::string("'") + k + "' must be a number",
                                                         Where(path, n->source()));
    *out = *d;
    return Status::Ok();
  };
  for (const auto& [key, node] : *m)
    if (!KnownKey(key.str(), {"lambda", "upper", "lower", "person_field", "family_field", "uncorroborated_max"}))
      return Status::Invalid("unknown key '" + std::string(key.str()) +
                                 "' in [model] (expected lambda, upper, lower, person_field, family_field, "
                                 "uncorroborated_max)",
                             Where(path, key.source()));
  Status st = num(*m, "lambda", &model.lambda_, true);
  if (st.ok()) st = num(*m, "upper", &model.upper_, true);
  if (st.ok()) st = num(*m, "lower", &model.lower_, true);
  if (st.ok()) st = num(*m, "uncorroborated_max", &model.uncorroborated_max_, false);
  if (!st.ok()) return st;
  if (!(model.lambda_ > 0 && model.lambda_ < 1))
    return Status::Invalid("'lambda' must be in (0, 1)", Where(path, m->get("lambda")->source()));
  if (model.lower_ > model.upper_)
    return Status::Invalid("'lower' must not exceed 'upper'", Where(path, m->get("lower")->source()));
  model.prior_weight_ = Log2Ratio(model.lambda_, 1 - model.lambda_);

  struct PendingCover {
    size_t field, level;
    std::string name, where;
  };
  std::vector<PendingCover> pending_covers;
  const toml::array* fields = root["field"].as_array();
  if (!fields || fields->empty()) return Status::Invalid("match rules need at least one [[field]]", path + ":1:1");
  for (const auto& fnode : *fields) {
    const toml::table* ft = fnode.as_table();
    if (!ft) return Status::Invalid("[[field]] entries must be tables", Where(path, fnode.source()));
    FieldModel fm;
    for (const auto& [key, node] : *ft)
      if (!KnownKey(key.str(),
                    {"name", "tf", "tf_min_u", "implied_by", "levels", "fold_accents", "contact_point", "personal",
                     "identifier", "one_holder"}))
        return Status::Invalid("unknown key '" + std::string(key.str()) +
                                   "' in [[field]] (expected name, levels, tf, tf_min_u, implied_by, fold_accents, "
                                   "contact_point, personal, identifier, one_holder)",
                               Where(path, key.source()));
    auto name = (*ft)["name"].value<std::string>();
    if (!name) return Status::Invalid("field needs a 'name'", Where(path, ft->source()));
    fm.name = *name;
    if (!MatchFieldFromName(fm.name, &fm.field))
      return Status::Invalid("unknown match field '" + fm.name + "'", Where(path, ft->get("name")->source()));
    for (const auto& other : model.fields_)
      if (other.field == fm.field)
        return Status::Invalid("field '" + fm.name + "' declared twice", Where(path, ft->source()));
    if (const toml::node* n = ft->get("tf")) {
      auto b = n->value<bool>();
      if (!b) return Status::Invalid("'tf' must be true or false", Where(path, n->source()));
      fm.tf = *b;
    }
    for (auto [flag, out] : {std::pair<const char*, bool*>{"fold_accents", &fm.fold_accents},
                             std::pair<const char*, bool*>{"contact_point", &fm.contact_point},
                             std::pair<const char*, bool*>{"personal", &fm.personal},
                             std::pair<const char*, bool*>{"identifier", &fm.identifier},
                             std::pair<const char*, bool*>{"one_holder", &fm.one_holder}}) {
      if (const toml::node* n = ft->get(flag)) {
        auto b = n->value<bool>();
        if (!b) return Status::Invalid(std::string("'") + flag + "' must be true or false", Where(path, n->source()));
        *out = *b;
      }
    }
    st = num(*ft, "tf_min_u", &fm.tf_min_u, false);
    if (!st.ok()) return st;
    if (const toml::node* n = ft->get("implied_by")) {
      auto other = n->value<std::string>();
      if (!other) return Status::Invalid("'implied_by' must be a field name", Where(path, n->source()));
      for (size_t k = 0; k < model.fields_.size(); ++k)
        if (model.fields_[k].name == *other) fm.implied_by = static_cast<int>(k);
      if (fm.implied_by < 0)
        return Status::Invalid("'implied_by' names '" + *other + "', which is not a field declared above '" +
                                   fm.name + "'",
                               Where(path, n->source()));
      if (model.fields_[fm.implied_by].implied_by >= 0)
        return Status::Invalid("'implied_by' must name a field that is not itself implied by another",
                               Where(path, n->source()));
    }
    const toml::array* levels = (*ft)["levels"].as_array();
    if (!levels || levels->empty())
      return Status::Invalid("field '" + fm.name + "' needs a non-empty 'levels' array", Where(path, ft->source()));
    uint8_t need = kNeedText;
    for (const auto& lnode : *levels) {
      const toml::table* lt = lnode.as_table();
      if (!lt) return Status::Invalid("levels must be inline tables", Where(path, lnode.source()));
      ComparisonLevel lv;
      for (const auto& [key, node] : *lt)
        if (!KnownKey(key.str(), {"name", "kind", "m", "u", "threshold", "max", "covers", "ignore",
                                   "same_digits", "same_separators"}))
          return Status::Invalid("unknown key '" + std::string(key.str()) +
                                     "' in a level (expected name, kind, m, u, threshold, max, covers, ignore, "
                                     "same_digits, same_separators)",
                                 Where(path, key.source()));
      auto kind = (*lt)["kind"].value<std::string>();
      if (!kind) return Status::Invalid("level needs a 'kind'", Where(path, lt->source()));
      bool found = false;
      for (const auto& kn : kKinds)
        if (*kind == kn.name) {
          lv.kind = kn.kind;
          found = true;
        }
      if (!found)
        return Status::Invalid("unknown level kind '" + *kind + "' (" + kKindList + ")",
                               Where(path, lt->get("kind")->source()));
      // Cross-field kinds read particular fields, so each belongs to one field.
      auto only_on = [&](LevelKind k, MatchField f) -> Status {
        if (lv.kind == k && fm.field != f)
          return Status::Invalid("level kind '" + *kind + "' applies to field '" + MatchFieldName(f) + "' only",
                                 Where(path, lt->get("kind")->source()));
        return Status::Ok();
      };
      for (auto [k, f] : {std::pair{LevelKind::kSwapped, MatchField::kGivenName},
                          std::pair{LevelKind::kNameSplit, MatchField::kGivenName},
                          std::pair{LevelKind::kNameTokens, MatchField::kGivenName},
                          std::pair{LevelKind::kEmailName, MatchField::kEmailKey},
                          std::pair{LevelKind::kEmailDomain, MatchField::kCompanyKey},
                          std::pair{LevelKind::kNationalNumber, MatchField::kPhone},
                          std::pair{LevelKind::kEmailNumbered, MatchField::kEmailKey},
                          std::pair{LevelKind::kGenderPair, MatchField::kGivenName}}) {
        st = only_on(k, f);
        if (!st.ok()) return st;
      }
      lv.name = (*lt)["name"].value_or(*kind);
      st = num(*lt, "m", &lv.m, true);
      if (st.ok()) st = num(*lt, "u", &lv.u, true);
      if (!st.ok()) return st;
      if (!(lv.m > 0 && lv.m <= 1) || !(lv.u > 0 && lv.u <= 1))
        return Status::Invalid("m and u must be in (0, 1]", Where(path, lt->source()));
      if (lv.kind == LevelKind::kSwapped) lv.threshold = 0.92;  // each name against the other's, JW at least this
      if (lv.kind == LevelKind::kGenderPair) lv.threshold = 0.80;  // two listed names of opposite sex this close
      if ((lv.kind == LevelKind::kSwapped || lv.kind == LevelKind::kGenderPair) && lt->get("threshold")) {
        st = num(*lt, "threshold", &lv.threshold, true);
        if (!st.ok()) return st;
      }
      if (const toml::node* n = lt->get("covers")) {
        auto other = n->value<std::string>();
        if (!other) return Status::Invalid("'covers' must be a field name", Where(path, n->source()));
        pending_covers.push_back({model.fields_.size(), fm.levels.size(), *other, Where(path, n->source())});
      }
      if (const toml::node* n = lt->get("ignore")) {
        const toml::array* words = n->as_array();
        if (!words || lv.kind != LevelKind::kTokenSubset)
          return Status::Invalid("'ignore' is a list of words, on a token_subset level", Where(path, n->source()));
        for (const auto& w : *words) {
          auto word = w.value<std::string>();
          if (!word || word->empty()) return Status::Invalid("'ignore' words must be non-empty strings",
                                                             Where(path, w.source()));
          lv.ignore.push_back(DecodeUtf8(FoldName(*word)));
        }
      }
      if (const toml::node* n = lt->get("same_digits")) {
        auto b = n->value<bool>();
        if (!b || lv.kind != LevelKind::kDamerau)
          return Status::Invalid("'same_digits' is true or false, on a dl level", Where(path, n->source()));
        lv.same_digits = *b;
      }
      if (const toml::node* n = lt->get("same_separators")) {
        auto b = n->value<bool>();
        if (!b || lv.kind != LevelKind::kDamerau)
          return Status::Invalid("'same_separators' is true or false, on a dl level", Where(path, n->source()));
        lv.same_separators = *b;
      }
      bool needs_threshold = lv.kind == LevelKind::kJaroWinkler || lv.kind == LevelKind::kTokenSet;
      bool needs_distance = lv.kind == LevelKind::kDamerau || lv.kind == LevelKind::kDateDays ||
                            lv.kind == LevelKind::kNumeric;
      if (needs_threshold) {
        st = num(*lt, "threshold", &lv.threshold, true);
        if (!st.ok()) return st;
        if (lv.threshold <= 0 || lv.threshold > 1)
          return Status::Invalid("threshold must be in (0, 1]", Where(path, lt->get("threshold")->source()));
      }
      if (needs_distance) {
        st = num(*lt, "max", &lv.max_distance, true);
        if (!st.ok()) return st;
        if (lv.max_distance < 0) return Status::Invalid("max must be >= 0", Where(path, lt->get("max")->source()));
      }
      if (lv.kind == LevelKind::kNickname) {
        if (!model.nicknames_)
          return Status::Invalid("field '" + fm.name + "' has a nickname level but no nickname table was loaded",
                                 Where(path, lt->source()));
        need |= kNeedNick;
      }
      if (lv.kind == LevelKind::kGenderPair) need |= kNeedSex;
      if (lv.kind == LevelKind::kMetaphone) need |= kNeedMetaphone;
      if (lv.kind == LevelKind::kTokenSet) need |= kNeedTokens;
      if (lv.kind == LevelKind::kDateDays || lv.kind == LevelKind::kDateSwap || lv.kind == LevelKind::kDatePart)
        need |= kNeedDays;
      if (lv.kind == LevelKind::kNumeric) need |= kNeedNumber;
      lv.weight = Log2Ratio(lv.m, lv.u);
      if (lv.kind == LevelKind::kEmailDomain) fm.cross_missing = true;
      fm.levels.push_back(std::move(lv));
    }
    if (fm.levels.back().kind != LevelKind::kElse)
      return Status::Invalid("the last level of field '" + fm.name + "' must be kind = \"else\"",
                             Where(path, levels->back().source()));
    model.needs_[static_cast<size_t>(fm.field)] = need;
    model.fields_.push_back(std::move(fm));
  }
  if (model.fields_.size() > 64) return Status::Invalid("at most 64 [[field]] entries", path + ":1:1");
  for (const auto& pc : pending_covers) {
    int target = -1;
    for (size_t k = pc.field + 1; k < model.fields_.size(); ++k)
      if (model.fields_[k].name == pc.name) target = static_cast<int>(k);
    if (target < 0)
      return Status::Invalid("'covers' names '" + pc.name + "', which is not a field declared below this one",
                             pc.where);
    model.fields_[pc.field].levels[pc.level].covers = target;
  }
  for (auto [key, out] : {std::pair<const char*, int*>{"person_field", &model.person_field_},
                          std::pair<const char*, int*>{"family_field", &model.family_field_}}) {
    const toml::node* n = m->get(key);
    if (!n) continue;
    auto name = n->value<std::string>();
    for (size_t k = 0; name && k < model.fields_.size(); ++k)
      if (model.fields_[k].name == *name) *out = static_cast<int>(k);
    if (*out < 0) return Status::Invalid(std::string("'") + key + "' must name a [[field]]", Where(path, n->source()));
    for (size_t k = 0; k < static_cast<size_t>(*out); ++k)
      if (model.fields_[k].contact_point)
        return Status::Invalid(std::string("the ") + key + " '" + *name +
                                   "' must be declared before every contact_point field ('" + model.fields_[k].name +
                                   "')",
                               Where(path, n->source()));
  }
  if (model.family_field_ >= 0 && model.family_field_ < model.person_field_)
    return Status::Invalid("'family_field' must be declared after 'person_field'",
                           Where(path, m->get("family_field")->source()));
  return model;
}

std::string MatchModel::ToToml() const {
  std::ostringstream o;
  o << "[model]\n";
  o << "lambda = " << FormatDouble(lambda_) << "  # prior probability that two records match\n";
  o << "upper = " << FormatDouble(upper_) << "  # weight at or above: merge automatically\n";
  o << "lower = " << FormatDouble(lower_) << "  # weight at or above (below upper): review queue\n";
  if (person_field_ >= 0) o << "person_field = \"" << fields_[person_field_].name << "\"\n";
  if (family_field_ >= 0) o << "family_field = \"" << fields_[family_field_].name << "\"\n";
  if (uncorroborated_max_ < 1e9) o << "uncorroborated_max = " << FormatDouble(uncorroborated_max_) << "\n";
  for (const auto& f : fields_) {
    o << "\n[[field]]\nname = \"" << f.name << "\"\n";
    if (f.tf) o << "tf = true\ntf_min_u = " << FormatDouble(f.tf_min_u) << "\n";
    if (f.implied_by >= 0) o << "implied_by = \"" << fields_[f.implied_by].name << "\"\n";
    if (f.fold_accents) o << "fold_accents = true\n";
    if (f.contact_point) o << "contact_point = true\n";
    if (f.personal) o << "personal = true\n";
    if (f.identifier) o << "identifier = true\n";
    if (f.one_holder) o << "one_holder = true\n";
    o << "levels = [\n";
    for (const auto& l : f.levels) {
      o << "  { name = \"" << l.name << "\", kind = \"" << KindToName(l.kind) << "\"";
      if (l.kind == LevelKind::kJaroWinkler || l.kind == LevelKind::kTokenSet || l.kind == LevelKind::kSwapped ||
          l.kind == LevelKind::kGenderPair)
        o << ", threshold = " << FormatDouble(l.threshold);
      if (l.covers >= 0) o << ", covers = \"" << fields_[l.covers].name << "\"";
      if (!l.ignore.empty()) {
        o << ", ignore = [";
        for (size_t w = 0; w < l.ignore.size(); ++w) o << (w ? ", " : "") << "\"" << EncodeUtf8(l.ignore[w]) << "\"";
        o << "]";
      }
      if (l.kind == LevelKind::kDamerau || l.kind == LevelKind::kDateDays || l.kind == LevelKind::kNumeric)
        o << ", max = " << FormatDouble(l.max_distance);
      if (l.same_digits) o << ", same_digits = true";
      if (l.same_separators) o << ", same_separators = true";
      o << ", m = " << FormatDouble(l.m) << ", u = " << FormatDouble(l.u) << " },";
      char buf[48];
      std::snprintf(buf, sizeof buf, "  # weight %+.2f\n", l.weight);
      o << buf;
    }
    o << "]\n";
  }
  return o.str();
}

std::vector<MatchField> MatchModel::TfFields() const {
  std::vector<MatchField> out;
  for (const auto& f : fields_)
    if (f.tf) out.push_back(f.field);
  return out;
}

MatchModel MatchModel::WithParameters(double lambda,
                                      const std::vector<std::vector<std::pair<double, double>>>& mu) const {
  MatchModel m = *this;
  m.lambda_ = lambda;
  m.prior_weight_ = Log2Ratio(lambda, 1 - lambda);
  for (size_t i = 0; i < m.fields_.size() && i < mu.size(); ++i) {
    for (size_t j = 0; j < m.fields_[i].levels.size() && j < mu[i].size(); ++j) {
      auto& l = m.fields_[i].levels[j];
      l.m = mu[i][j].first;
      l.u = mu[i][j].second;
      l.weight = Log2Ratio(l.m, l.u);
    }
  }
  return m;
}

MatchModel MatchModel::WithThresholds(double lower, double upper) const {
  MatchModel m = *this;
  m.lower_ = lower;
  m.upper_ = upper;
  return m;
}

namespace {

// The metaphone comparison level reads codes of up to 8 letters, not the 4 of blocking keys: 4 letters keep only
// a long name's first syllables ("Credordorvin" and "Gardormor" are both KRTR).
constexpr size_t kCompareMetaphoneLen = 8;

// A code of up to 4 letters packed as is; a longer one as a 32-bit FNV-1a hash with the top bit set (a packed
// code's top byte is an ASCII letter or 0, so the two never meet; two long codes share a hash with odds 2^-31).
uint32_t PackCode(const std::string& code) {
  uint32_t v = 0;
  if (code.size() <= 4) {
    for (size_t i = 0; i < code.size(); ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(code[i])) << (8 * i);
    return v;
  }
  v = 2166136261u;
  for (unsigned char c : code) v = (v ^ c) * 16777619u;
  return v | 0x80000000u;
}

bool PackedMetaphoneMatch(const PreparedField& a, const PreparedField& b) {
  if (a.metaphone == 0 || b.metaphone == 0) return false;
  return a.metaphone == b.metaphone || (b.metaphone_alt && a.metaphone == b.metaphone_alt) ||
         (a.metaphone_alt && (a.metaphone_alt == b.metaphone || a.metaphone_alt == b.metaphone_alt));
}

// Upper bound of Jaro–Winkler from character presence and the common prefix (no transposition counted):
// lets the kernel skip Jaro for pairs that cannot reach a threshold.
double JaroWinklerBound(std::u32string_view ta, uint64_t mask_a, std::u32string_view tb, uint64_t mask_b) {
  if (ta.empty() || tb.empty()) return 0;
  size_t ma = 0, mb = 0;
  for (char32_t c : ta) ma += (mask_b >> (c & 63)) & 1;
  for (char32_t c : tb) mb += (mask_a >> (c & 63)) & 1;
  const double m = static_cast<double>(std::min(ma, mb));
  size_t prefix = 0;
  while (prefix < 4 && prefix < ta.size() && prefix < tb.size() && ta[prefix] == tb[prefix]) ++prefix;
  const double best_jaro = m == 0 ? 0 : (m / ta.size() + m / tb.size() + 1.0) / 3.0;
  return best_jaro + 0.1 * static_cast<double>(prefix) * (1 - best_jaro) + 1e-12;
}

// Symmetric Monge–Elkan over Jaro–Winkler (TokenSetSimilarity) on the record's token slots. A token pair whose
// upper bound cannot beat what its row and column already have is not computed.
double TokenSim(const PreparedRecord& ra, const PreparedField& a, const PreparedRecord& rb, const PreparedField& b) {
  if (a.tok_count == 0 || b.tok_count == 0) return 0.0;
  double row[kMaxTokens] = {}, col[kMaxTokens] = {};
  for (size_t i = 0; i < a.tok_count; ++i) {
    const auto& x = ra.tokens[a.tok_off + i];
    const std::u32string_view tx(ra.chars.data() + x.off, x.len);
    for (size_t j = 0; j < b.tok_count; ++j) {
      const auto& y = rb.tokens[b.tok_off + j];
      const std::u32string_view ty(rb.chars.data() + y.off, y.len);
      double sim;
      if (tx == ty) {
        sim = 1.0;
      } else {
        const double bound = JaroWinklerBound(tx, x.char_mask, ty, y.char_mask);
        if (bound <= row[i] && bound <= col[j]) continue;
        sim = JaroWinkler(tx, ty);
      }
      row[i] = std::max(row[i], sim);
      col[j] = std::max(col[j], sim);
    }
  }
  double ab = 0, ba = 0;
  for (size_t i = 0; i < a.tok_count; ++i) ab += row[i];
  for (size_t j = 0; j < b.tok_count; ++j) ba += col[j];
  return 0.5 * (ab / a.tok_count + ba / b.tok_count);
}

// The digits of a and b, in order, are the same (john.smith73 / jonh.smith73, not pierre95 / pierre96).
// kNationalNumber: `e164` is "+" and digits, `raw` digits only; raw less its leading zeros (trunk prefix, or the
// 00 of an international call prefix) is e164's tail after a country code of 0 to 3 digits, 7 digits at least.
bool SameNationalNumber(std::u32string_view e164, std::u32string_view raw) {
  if (e164.size() < 2 || e164[0] != U'+' || raw.empty() || raw[0] == U'+') return false;
  size_t z = 0;
  while (z < raw.size() && raw[z] == U'0') ++z;
  raw.remove_prefix(z);
  const std::u32string_view digits = e164.substr(1);
  if (raw.size() < 7 || raw.size() > digits.size() || digits.size() - raw.size() > 3) return false;
  return digits.substr(digits.size() - raw.size()) == raw;
}

bool SameDigits(std::u32string_view a, std::u32string_view b) {
  size_t i = 0, j = 0;
  for (;;) {
    while (i < a.size() && !(a[i] >= U'0' && a[i] <= U'9')) ++i;
    while (j < b.size() && !(b[j] >= U'0' && b[j] <= U'9')) ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (a[i++] != b[j++]) return false;
  }
}

// The separators (anything but a letter or digit) of each value, in order, are the same: jennifer.johnson and
// jennifer_johnson are two mailboxes, not one mistyped.
bool SameSeparators(std::u32string_view a, std::u32string_view b) {
  auto sep = [](char32_t c) { return !(c >= U'0' && c <= U'9') && !(c >= U'a' && c <= U'z') && c < 0x80; };
  size_t i = 0, j = 0;
  for (;;) {
    while (i < a.size() && !sep(a[i])) ++i;
    while (j < b.size() && !sep(b[j])) ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (a[i++] != b[j++]) return false;
  }
}

// One domain, local parts equal but for their digits, and the digits differ (charlotte.taylor@ against
// charlotte.taylor2@, j.smith71@ against j.smith@): a second mailbox numbered for a namesake.
bool NumberedApart(std::u32string_view a, std::u32string_view b) {
  const size_t at_a = a.rfind(U'@'), at_b = b.rfind(U'@');
  if (at_a == std::u32string_view::npos || at_b == std::u32string_view::npos) return false;
  if (a.substr(at_a) != b.substr(at_b)) return false;
  std::u32string la, lb, da, db;
  for (char32_t c : a.substr(0, at_a)) (c >= U'0' && c <= U'9' ? da : la).push_back(c);
  for (char32_t c : b.substr(0, at_b)) (c >= U'0' && c <= U'9' ? db : lb).push_back(c);
  return la.size() >= 2 && la == lb && da != db;
}

// Two given names this close by Jaro–Winkler or closer may be spellings of one name (Sara/Sarah 0.96, Jon/John
// 0.93); below it, two names that are both listed are two names (Marie/Marta 0.81).
constexpr double kVariantJaroWinkler = 0.9;

// An identifier corroborates a name match only with real evidence: at least 4 bits (16:1 odds), so a weak level
// (an e-mail that merely fits the name, a birth date one part off) does not.
constexpr double kCorroborationBits = 4.0;

constexpr size_t kFamily = static_cast<size_t>(MatchField::kFamilyName);

bool NameClose(std::u32string_view x, std::u32string_view y, double threshold) {
  if (x.empty() || y.empty()) return false;
  return x == y || JaroWinkler(x, y) >= threshold;
}

std::u32string Squash(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s)
    if (c != U' ') out.push_back(c);
  return out;
}

// Words of a name-folded text (FoldName separates words by one space).
std::vector<std::u32string_view> Words(std::u32string_view s, const std::vector<std::u32string>& ignore) {
  std::vector<std::u32string_view> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find(U' ', b);
    if (e == std::u32string_view::npos) e = s.size();
    std::u32string_view w = s.substr(b, e - b);
    if (!w.empty() && std::find(ignore.begin(), ignore.end(), w) == ignore.end()) out.push_back(w);
    b = e + 1;
  }
  return out;
}

// Every word of the side with fewer words (less the ignored ones) is a word of the other side.
bool TokenSubset(std::u32string_view a, std::u32string_view b, const std::vector<std::u32string>& ignore) {
  auto wa = Words(a, ignore), wb = Words(b, ignore);
  if (wa.size() > wb.size()) std::swap(wa, wb);
  if (wa.empty()) return false;
  for (auto w : wa)
    if (std::find(wb.begin(), wb.end(), w) == wb.end()) return false;
  return true;
}

// An e-mail local part (letters only, name-folded) fits a person's name: it holds the family name, and what is
// left is nothing, the given name's initial, or holds the given name ("tschroder", "thomasschroder", "schrodert").
bool FitsName(std::u32string_view local, std::u32string_view given, std::u32string_view family) {
  const std::u32string fam = Squash(family);
  if (fam.size() < 2 || local.size() < fam.size()) return false;
  const size_t pos = local.find(fam);
  if (pos == std::u32string_view::npos) return false;
  std::u32string rest(local.substr(0, pos));
  rest += local.substr(pos + fam.size());
  if (rest.empty()) return true;
  const std::u32string g = Squash(given);
  if (g.empty()) return false;
  if (rest.size() == 1) return rest[0] == g[0];
  return rest.find(g) != std::u32string::npos;
}

// The masculine and feminine forms of one name: the longer is the shorter plus "a", "e", "ne", "le", "s" or "n"
// (Paul/Paula, Simon/Simone, Jean/Jeanne, Daniel/Danielle, Andrea/Andreas, Julie/Julien), or both end in one of a/o/e and differ only there (Mario/Maria).
bool GenderPair(std::u32string_view x, std::u32string_view y) {
  if (x.size() > y.size()) std::swap(x, y);
  if (x.size() < 3 || x == y) return false;
  if (y.substr(0, x.size()) == x) {
    const std::u32string_view tail = y.substr(x.size());
    return tail == U"a" || tail == U"e" || tail == U"ne" || tail == U"le" || tail == U"s" || tail == U"n";
  }
  // Christian/Christina: the last two letters "an" and "na".
  if (x.size() == y.size() && x.size() > 3 && x.substr(0, x.size() - 2) == y.substr(0, y.size() - 2)) {
    const std::u32string_view tx = x.substr(x.size() - 2), ty = y.substr(y.size() - 2);
    if ((tx == U"an" && ty == U"na") || (tx == U"na" && ty == U"an")) return true;
  }
  auto vowel = [](char32_t c) { return c == U'a' || c == U'o' || c == U'e'; };
  return x.size() == y.size() && x.substr(0, x.size() - 1) == y.substr(0, y.size() - 1) && vowel(x.back()) &&
         vowel(y.back());
}

// Days since 1970-01-01 -> civil date (H. Hinnant's algorithm).
void CivilFromDays(int32_t z, int* y, int* m, int* d) {
  z += 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const uint32_t doe = static_cast<uint32_t>(z - era * 146097);
  const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint32_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe) + era * 400 + (*m <= 2);
}

}  // namespace

PreparedRecord MatchModel::Prepare(const MatchInput& in, const TermFrequencies* tf) const {
  PreparedRecord r;
  r.id = in.id;
  r.shared = in.shared;
  std::vector<std::u32string> pending_tokens[kMatchFieldCount];
  for (const auto& fm : fields_) {
    const size_t i = static_cast<size_t>(fm.field);
    PreparedField& p = r.fields[i];
    std::string v = Trim(in.values[i]);
    if (v.empty()) continue;
    // Term frequencies and nicknames are looked up by the case-folded value (what the store counts); the levels
    // compare the name-folded form when the field asks for it.
    const std::string folded = EncodeUtf8(FoldCase(v));
    std::u32string text = fm.fold_accents ? DecodeUtf8(FoldName(v)) : DecodeUtf8(folded);
    if (text.empty()) continue;
    if (text.size() > kMaxFieldChars) text.resize(kMaxFieldChars);
    p.present = true;
    r.present |= uint32_t{1} << i;
    p.off = static_cast<uint16_t>(r.chars.size());
    p.len = static_cast<uint8_t>(text.size());
    for (char32_t c : text) p.char_mask |= uint64_t{1} << (c & 63);
    r.chars += text;
    const uint8_t need = needs_[i];
    if (need & kNeedMetaphone) {
      MetaphoneCodes c = DoubleMetaphone(folded, kCompareMetaphoneLen);
      p.metaphone = PackCode(c.primary);
      if (!c.alternate.empty() && c.alternate != c.primary) p.metaphone_alt = PackCode(c.alternate);
    }
    if (need & kNeedTokens) {
      pending_tokens[i] = Tokenize(fm.fold_accents ? EncodeUtf8(text) : folded);
      if (pending_tokens[i].size() > kMaxTokens) pending_tokens[i].resize(kMaxTokens);
    }
    if ((need & kNeedNick) && nicknames_) p.nick_groups = nicknames_->Groups(folded);
    if ((need & kNeedSex) && nicknames_ && nicknames_->sexes()) {
      // The first word of the accent-free name: "Christian Jörg" is read as Christian.
      std::string first = EncodeUtf8(text);
      if (const size_t sp = first.find_first_of(" -"); sp != std::string::npos) first.resize(sp);
      p.sex = nicknames_->Sex(first);
    }
    if (need & kNeedDays) {
      auto d = ParseDateDays(folded);
      if (d) {
        p.days = *d;
        p.has_days = true;
      }
    }
    if (need & kNeedNumber) {
      double n = 0;
      p.has_number = ParseNumber(folded, &n);
      p.number = static_cast<float>(n);
    }
    if (fm.tf && tf) p.tf_u = static_cast<float>(tf->Get(fm.field, folded));
  }
  const std::string& email = in.Get(MatchField::kEmailKey);
  if (const size_t at = email.find('@'); at != std::string::npos) {
    for (char32_t c : DecodeUtf8(FoldName(email.substr(0, at))))
      if (c != U' ' && !(c >= U'0' && c <= U'9')) r.email_local.push_back(c);
  }
  if (!in.work_domain.empty()) {
    // The domain's name part: the label before the public suffix, where a suffix is the last label, or the last
    // two when a country code follows a short second level ("acme" of acme.com, mail.acme.de, acme.co.uk).
    std::vector<std::string> labels(1);
    for (char c : in.work_domain) {
      if (c == '.') {
        labels.emplace_back();
      } else if (std::isalnum(static_cast<unsigned char>(c))) {
        labels.back().push_back(c);
      }
    }
    const size_t n = labels.size();
    size_t pick = n >= 2 ? n - 2 : n;
    if (n >= 3 && labels[n - 1].size() == 2 && labels[n - 2].size() <= 3) pick = n - 3;
    if (pick < n && labels[pick].size() >= 2) r.work_label = DecodeUtf8(labels[pick]);
  }
  for (size_t i = 0; i < kMatchFieldCount; ++i) {
    if (pending_tokens[i].empty()) continue;
    r.fields[i].tok_off = static_cast<uint16_t>(r.tokens.size());
    r.fields[i].tok_count = static_cast<uint8_t>(pending_tokens[i].size());
    for (auto& t : pending_tokens[i]) {
      if (t.size() > kMaxFieldChars) t.resize(kMaxFieldChars);
      uint64_t mask = 0;
      for (char32_t c : t) mask |= uint64_t{1} << (c & 63);
      r.tokens.push_back({static_cast<uint16_t>(r.chars.size()), static_cast<uint8_t>(t.size()), mask});
      r.chars += t;
    }
  }
  return r;
}

int MatchModel::LevelOf(const FieldModel& f, const PreparedRecord& ra, const PreparedRecord& rb) const {
  const size_t fi = static_cast<size_t>(f.field);
  const PreparedField& a = ra.fields[fi];
  const PreparedField& b = rb.fields[fi];
  if (!a.present || !b.present) {
    // One side has no value: only an email_domain level can apply (that side's work e-mail names the company).
    if (a.present == b.present) return -1;
    const PreparedRecord& has = a.present ? ra : rb;
    const PreparedRecord& other = a.present ? rb : ra;
    if (other.work_label.empty()) return -1;
    for (size_t i = 0; i < f.levels.size(); ++i)
      if (f.levels[i].kind == LevelKind::kEmailDomain && Squash(has.Text(f.field)) == other.work_label)
        return static_cast<int>(i);
    return -1;
  }
  const std::u32string_view ta = ra.Text(a), tb = rb.Text(b);
  // Jaro–Winkler is computed at most once per field and pair, and skipped when even a perfect alignment of the
  // shorter string could not reach the level's threshold.
  double jw = -1;
  double jw_bound = -1;
  double token_sim = -1;
  const int n = static_cast<int>(f.levels.size());
  for (int i = 0; i < n; ++i) {
    const ComparisonLevel& l = f.levels[i];
    switch (l.kind) {
      case LevelKind::kExact:
        if (ta == tb) return i;
        break;
      case LevelKind::kJaroWinkler: {
        if (jw_bound < 0) jw_bound = JaroWinklerBound(ta, a.char_mask, tb, b.char_mask);
        if (jw_bound < l.threshold) break;
        if (jw < 0) jw = JaroWinkler(ta, tb);
        if (jw >= l.threshold) return i;
        break;
      }
      case LevelKind::kTokenSet:
        if (token_sim < 0) token_sim = TokenSim(ra, a, rb, b);
        if (token_sim >= l.threshold) return i;
        break;
      case LevelKind::kDamerau: {
        const double diff = std::fabs(static_cast<double>(ta.size()) - static_cast<double>(tb.size()));
        if (diff > l.max_distance) break;
        if (l.same_digits && !SameDigits(ta, tb)) break;
        if (l.same_separators && !SameSeparators(ta, tb)) break;
        if (l.max_distance < 2 ? (l.max_distance >= 1 ? WithinOneEdit(ta, tb) : ta == tb)
                               : DamerauLevenshtein(ta, tb) <= l.max_distance)
          return i;
        break;
      }
      case LevelKind::kNickname:
        if (GroupsMeet(a.nick_groups, b.nick_groups)) return i;
        break;
      case LevelKind::kMetaphone:
        if (PackedMetaphoneMatch(a, b)) return i;
        break;
      case LevelKind::kInitial:
        if ((ta.size() == 1 || tb.size() == 1) && ta[0] == tb[0]) return i;
        break;
      case LevelKind::kDateDays:
        if (a.has_days && b.has_days && std::abs(a.days - b.days) <= l.max_distance) return i;
        break;
      case LevelKind::kNumeric:
        if (a.has_number && b.has_number && std::fabs(a.number - b.number) <= l.max_distance) return i;
        break;
      case LevelKind::kElse:
        return i;
      case LevelKind::kSwapped: {
        const PreparedField& fa = ra.fields[kFamily];
        const PreparedField& fb = rb.fields[kFamily];
        if (fa.present && fb.present && NameClose(ta, rb.Text(fb), l.threshold) &&
            NameClose(ra.Text(fa), tb, l.threshold))
          return i;
        break;
      }
      case LevelKind::kNameSplit: {
        const PreparedField& fa = ra.fields[kFamily];
        const PreparedField& fb = rb.fields[kFamily];
        if (fa.present && fb.present && Squash(ta) + Squash(ra.Text(fa)) == Squash(tb) + Squash(rb.Text(fb)))
          return i;
        break;
      }
      case LevelKind::kTokenSubset:
        if (TokenSubset(ta, tb, l.ignore)) return i;
        break;
      case LevelKind::kNameTokens: {
        const PreparedField& fa = ra.fields[kFamily];
        const PreparedField& fb = rb.fields[kFamily];
        if (!fa.present || !fb.present) break;
        std::u32string full_a(ta), full_b(tb);
        full_a += U' ';
        full_a += ra.Text(fa);
        full_b += U' ';
        full_b += rb.Text(fb);
        if (std::min(Words(full_a, l.ignore).size(), Words(full_b, l.ignore).size()) >= 2 &&
            TokenSubset(full_a, full_b, l.ignore))
          return i;
        break;
      }
      case LevelKind::kDateSwap:
      case LevelKind::kDatePart: {
        if (!a.has_days || !b.has_days) break;
        int ya, ma, da, yb, mb, db;
        CivilFromDays(a.days, &ya, &ma, &da);
        CivilFromDays(b.days, &yb, &mb, &db);
        if (l.kind == LevelKind::kDateSwap ? (ya == yb && ma == db && da == mb && ma != mb)
                                           : ((ya != yb) + (ma != mb) + (da != db) == 1))
          return i;
        break;
      }
      case LevelKind::kNationalNumber:
        if (SameNationalNumber(ta, tb) || SameNationalNumber(tb, ta)) return i;
        break;
      case LevelKind::kEmailNumbered:
        if (NumberedApart(ta, tb)) return i;
        break;
      case LevelKind::kEmailName:
        if (!ra.email_local.empty() && !rb.email_local.empty() &&
            (FitsName(ra.email_local, rb.Text(MatchField::kGivenName), rb.Text(MatchField::kFamilyName)) ||
             FitsName(rb.email_local, ra.Text(MatchField::kGivenName), ra.Text(MatchField::kFamilyName))))
          return i;
        break;
      case LevelKind::kGenderPair:
        if (GenderPair(ta, tb)) return i;
        if ((a.sex & 3) && (b.sex & 3) && (a.sex & 3) != (b.sex & 3)) {
          if (jw < 0) jw = JaroWinkler(ta, tb);
          if (jw >= l.threshold) return i;
        }
        break;
      case LevelKind::kEmailDomain:
        if ((!rb.work_label.empty() && Squash(ta) == rb.work_label) ||
            (!ra.work_label.empty() && Squash(tb) == ra.work_label))
          return i;
        break;
    }
  }
  return n - 1;
}

double MatchModel::LevelWeight(const FieldModel& f, int level, const PreparedField& a, const PreparedField& b,
                               bool* tf_adjusted) const {
  const ComparisonLevel& l = f.levels[level];
  if (f.tf && l.kind == LevelKind::kExact) {
    double u = std::max(a.tf_u, b.tf_u);  // float: a share needs no more than 7 digits
    if (u > 0) {
      *tf_adjusted = true;
      return Log2Ratio(l.m, std::max(u, f.tf_min_u));
    }
  }
  return l.weight;
}

double MatchModel::Eval(const PreparedRecord& a, const PreparedRecord& b, Explanation* e, int8_t* levels) const {
  double w = prior_weight_;
  if (e) {
    e->prior = prior_weight_;
    e->fields.clear();
  }
  const uint32_t both = a.present & b.present;
  uint64_t covered = 0;       // bit k: fields_[k] is accounted for by an earlier field's level (covers)
  uint64_t first_agreed = 0;  // bit k: fields_[k] agreed at its first level (for implied_by)
  bool conflict = false;      // the person field disagreed outright
  // Only the names' spelling is in doubt: family names that differ outright under the same given name, or given
  // names close in spelling that do not start with the same letter (Anna/Hanna; typing errors rarely hit the first
  // letter). Then only a one_holder contact point counts. 0: none, else the explanation's reason.
  const char* soft = nullptr;
  int person_level = -1;      // the person field's level on this pair (-1: missing)
  bool personal = false;      // a personal field (birth date, national id) agreed: not relatives, one person
  const char* two_people = nullptr;  // a level said two people (email_numbered): capped unless `personal`
  double held = 0;            // positive weight of contact points, counted only if not (conflict && !personal)
  uint64_t held_fields = 0;   // bit k: fields_[k]'s weight is in `held`
  uint64_t identified = 0;    // bit k: identifier field k agreed (one held and then dropped does not corroborate)
  for (size_t k = 0; k < fields_.size(); ++k) {
    const FieldModel& f = fields_[k];
    const size_t i = static_cast<size_t>(f.field);
    FieldContribution* c = nullptr;
    if (e) {
      c = &e->fields.emplace_back();
      c->field = f.name;
      c->value_a = EncodeUtf8(a.Text(a.fields[i]));
      c->value_b = EncodeUtf8(b.Text(b.fields[i]));
    }
    if (levels) levels[k] = -1;
    const bool present = (both >> i) & 1;
    if (!present && !(f.cross_missing && ((a.present | b.present) >> i & 1))) continue;  // missing: weight 0
    if (present && (covered >> k & 1)) {
      for (size_t j = 0; c && j < k; ++j)
        for (const auto& l : fields_[j].levels)
          if (l.covers == static_cast<int>(k)) c->level = c->note = "counted with " + fields_[j].name;
      continue;
    }
    if (present && f.implied_by >= 0 && (first_agreed >> f.implied_by & 1)) {
      if (c) c->level = c->note = "implied by " + fields_[static_cast<size_t>(f.implied_by)].name;
      continue;
    }
    const int level = LevelOf(f, a, b);
    if (levels) levels[k] = static_cast<int8_t>(level);
    if (level < 0) continue;
    const ComparisonLevel& l = f.levels[static_cast<size_t>(level)];
    if (level == 0 && f.levels.size() > 1) first_agreed |= uint64_t{1} << k;
    if (l.kind == LevelKind::kEmailNumbered) two_people = "e-mails numbered apart on one domain";
    if (l.covers >= 0) covered |= uint64_t{1} << l.covers;
    if (static_cast<int>(k) == person_field_) {
      person_level = level;
      if (l.kind == LevelKind::kElse || l.kind == LevelKind::kGenderPair) conflict = true;
      const auto ta = a.Text(a.fields[i]), tb = b.Text(b.fields[i]);
      if (l.kind == LevelKind::kJaroWinkler && !ta.empty() && !tb.empty() && ta[0] != tb[0])
        soft = "shared: given names not the same";
      // Two listed given names, both spelt as listed, that only look alike (Marie/Marta): two names, not a
      // typing error. Close variants of one name (Sara/Sarah, Jon/John) agree at the higher jw levels.
      if (l.kind == LevelKind::kJaroWinkler && l.threshold < kVariantJaroWinkler && a.fields[i].sex &&
          b.fields[i].sex && !((a.fields[i].sex | b.fields[i].sex) & NicknameTable::kSexInferred))
        soft = "shared: given names not the same";
    }
    // Family names that differ outright, under given names that are not the same (Tom Shelkingswood, Thomas
    // Cartley): two people. Under the same given name (Thierry Villefort, Thierry Roschamtaine) it is two
    // colleagues on one switchboard, or one person under a new married name: then only a contact point of one
    // holder (`one_holder`: a personal or work e-mail address that is not a role mailbox) counts.
    if (static_cast<int>(k) == family_field_ && l.kind == LevelKind::kElse) {
      if (person_level > 0) conflict = true;
      else if (person_level == 0) soft = "shared: family names differ";
    }
    bool tf_adjusted = false;
    double lw = LevelWeight(f, level, a.fields[i], b.fields[i], &tf_adjusted);
    if (f.personal && lw > 0) personal = true;
    if (f.identifier && lw >= kCorroborationBits && !((a.shared | b.shared) >> i & 1)) identified |= uint64_t{1} << k;
    bool role = false, held_here = false;
    if (lw > 0 && f.contact_point) {
      if ((a.shared | b.shared) >> i & 1) {
        role = true;
        lw = 0;
      } else if (conflict || (soft && !f.one_holder)) {
        held += lw;  // decided after the personal fields are seen
        held_here = true;
        held_fields |= uint64_t{1} << k;
      }
    }
    if (!held_here) w += lw;
    if (c) {
      c->level = l.name;
      c->weight = lw;
      c->tf_adjusted = tf_adjusted;
      if (role) {
        c->note = "shared: role mailbox";
        e->shared_contact = true;
      } else if (held_here) {
        c->note = "held";
      }
    }
  }
  const bool drop_held = (conflict || soft) && !personal;
  if (!drop_held) w += held;
  const bool corroborated = (identified & ~(drop_held ? held_fields : 0)) != 0;
  const bool split = two_people && !personal;
  const bool capped = (!corroborated || split) && w > uncorroborated_max_;
  if (capped) w = uncorroborated_max_;
  if (e && capped) {
    e->capped = true;
    if (split) e->two_people = two_people;
  }
  if (e) {
    for (auto& c : e->fields) {
      if (c.note != "held") continue;
      if (drop_held) {
        c.weight = 0;
        c.note = conflict ? "shared: given names differ" : soft;
        e->shared_contact = true;
      } else {
        c.note.clear();
      }
    }
    e->total = w;
  }
  return w;
}

double MatchModel::Weight(const PreparedRecord& a, const PreparedRecord& b) const { return Eval(a, b, nullptr, nullptr); }

bool MatchModel::PersonConflict(const PreparedRecord& a, const PreparedRecord& b) const {
  if (person_field_ < 0) return false;
  const FieldModel& f = fields_[static_cast<size_t>(person_field_)];
  const int level = LevelOf(f, a, b);
  if (level < 0) return false;
  const ComparisonLevel& l = f.levels[static_cast<size_t>(level)];
  if (l.kind == LevelKind::kElse || l.kind == LevelKind::kGenderPair) return true;
  if (family_field_ < 0 || level == 0 || l.covers == family_field_) return false;
  const FieldModel& g = fields_[static_cast<size_t>(family_field_)];
  const int family_level = LevelOf(g, a, b);
  return family_level >= 0 && g.levels[static_cast<size_t>(family_level)].kind == LevelKind::kElse;
}

bool MatchModel::EmailShared(const PreparedRecord& a, const PreparedRecord& b) const {
  constexpr uint32_t kEmailBit = uint32_t{1} << static_cast<size_t>(MatchField::kEmailKey);
  return ((a.shared | b.shared) & kEmailBit) || PersonConflict(a, b);
}

namespace {

void PrefetchLines(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(c + off);
}

}  // namespace

void MatchModel::WeightMany(const PreparedRecord& a, const PreparedRecord* const* bs, size_t n, double* out) const {
  // Two stages: the record two ahead (its field slots and the headers of its buffers), then the buffers of the
  // record one ahead, whose headers have arrived by then.
  if (n > 0) PrefetchLines(bs[0], sizeof(PreparedRecord));
  if (n > 1) PrefetchLines(bs[1], sizeof(PreparedRecord));
  for (size_t i = 0; i < n; ++i) {
    if (i + 2 < n) PrefetchLines(bs[i + 2], sizeof(PreparedRecord));
    if (i + 1 < n) {
      const PreparedRecord& next = *bs[i + 1];
      PrefetchLines(next.chars.data(), next.chars.size() * sizeof(char32_t));
      PrefetchLines(next.tokens.data(), next.tokens.size() * sizeof(PreparedRecord::Token));
    }
    out[i] = Weight(a, *bs[i]);
  }
}

Explanation MatchModel::Explain(const PreparedRecord& a, const PreparedRecord& b) const {
  Explanation e;
  Eval(a, b, &e, nullptr);
  return e;
}

Explanation MatchModel::Score(const MatchInput& a, const MatchInput& b) const {
  return Explain(Prepare(a), Prepare(b));
}

void MatchModel::Levels(const PreparedRecord& a, const PreparedRecord& b, int8_t* out) const {
  Eval(a, b, nullptr, out);
}

Decision MatchModel::Decide(double weight) const {
  if (weight >= upper_) return Decision::kMerge;
  if (weight >= lower_) return Decision::kReview;
  return Decision::kNew;
}

}  // namespace canon
