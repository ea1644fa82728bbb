#include "hygiene/match_model.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

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
    {"else", LevelKind::kElse},
};

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

MatchInput MatchInputFromNormalized(const NormalizedRecord& rec, std::string id) {
  MatchInput in;
  in.id = std::move(id);
  auto field = [&](const char* name) -> std::string { return Trim(rec.Get(name)); };
  auto key = [&](const char* name) -> std::string {
    auto it = rec.keys.find(name);
    return it == rec.keys.end() ? std::string() : it->second;
  };
  in.Set(MatchField::kGivenName, field("first_name"));
  in.Set(MatchField::kFamilyName, field("last_name"));
  std::string email = key("email_key");
  in.Set(MatchField::kEmailKey, email.empty() ? ToLowerAscii(field("email")) : email);
  std::string phone = key("phone_e164");
  if (phone.empty()) phone = key("phone_key");
  if (phone.empty()) phone = field("phone");
  in.Set(MatchField::kPhone, phone);
  in.Set(MatchField::kDob, field("birth_date"));
  // A leading house number is its own evidence ("44 forbes street" vs "45 forbes street" are two houses), so
  // the street is split into number and name.
  std::string street = field("street");
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
  in.Set(MatchField::kStreet2, field("street_2"));
  in.Set(MatchField::kPostcode, field("postal_code"));
  in.Set(MatchField::kCity, field("city"));
  in.Set(MatchField::kRegion, field("region"));
  in.Set(MatchField::kCountry, field("country"));
  std::string company = key("company_key");
  in.Set(MatchField::kCompanyKey, company.empty() ? field("company") : company);
  in.Set(MatchField::kExternalId, field("external_id"));
  return in;
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
    s += f.level + (f.tf_adjusted ? " (tf)" : "") + " " + buf + " (" + f.value_a + "|" + f.value_b + ")";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", total);
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
  if (Status s = rule_parse::CheckKeys(path, *m, {"lambda", "upper", "lower"}, "[model]"); !s.ok()) return s;
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
  Status st = num(*m, "lambda", &model.lambda_, true);
  if (st.ok()) st = num(*m, "upper", &model.upper_, true);
  if (st.ok()) st = num(*m, "lower", &model.lower_, true);
  if (!st.ok()) return st;
  if (!(model.lambda_ > 0 && model.lambda_ < 1))
    return Status::Invalid("'lambda' must be in (0, 1)", Where(path, m->get("lambda")->source()));
  if (model.lower_ > model.upper_)
    return Status::Invalid("'lower' must not exceed 'upper'", Where(path, m->get("lower")->source()));
  model.prior_weight_ = Log2Ratio(model.lambda_, 1 - model.lambda_);

  const toml::array* fields = root["field"].as_array();
  if (!fields || fields->empty()) return Status::Invalid("match rules need at least one [[field]]", path + ":1:1");
  for (const auto& fnode : *fields) {
    const toml::table* ft = fnode.as_table();
    if (!ft) return Status::Invalid("[[field]] entries must be tables", Where(path, fnode.source()));
    if (Status s = rule_parse::CheckKeys(path, *ft, {"name", "tf", "tf_min_u", "implied_by", "levels", "note"},
                                         "[[field]]");
        !s.ok())
      return s;
    FieldModel fm;
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
      if (Status s = rule_parse::CheckKeys(path, *lt, {"name", "kind", "m", "u", "threshold", "max", "note"},
                                           "a level");
          !s.ok())
        return s;
      ComparisonLevel lv;
      auto kind = (*lt)["kind"].value<std::string>();
      if (!kind) return Status::Invalid("level needs a 'kind'", Where(path, lt->source()));
      bool found = false;
      for (const auto& kn : kKinds)
        if (*kind == kn.name) {
          lv.kind = kn.kind;
          found = true;
        }
      if (!found)
        return Status::Invalid("unknown level kind '" + *kind +
                                   "' (exact, jw, token_set, dl, nickname, metaphone, initial, date_days, "
                                   "numeric, else)",
                               Where(path, lt->get("kind")->source()));
      lv.name = (*lt)["name"].value_or(*kind);
      st = num(*lt, "m", &lv.m, true);
      if (st.ok()) st = num(*lt, "u", &lv.u, true);
      if (!st.ok()) return st;
      if (!(lv.m > 0 && lv.m <= 1) || !(lv.u > 0 && lv.u <= 1))
        return Status::Invalid("m and u must be in (0, 1]", Where(path, lt->source()));
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
      if (lv.kind == LevelKind::kMetaphone) need |= kNeedMetaphone;
      if (lv.kind == LevelKind::kTokenSet) need |= kNeedTokens;
      if (lv.kind == LevelKind::kDateDays) need |= kNeedDays;
      if (lv.kind == LevelKind::kNumeric) need |= kNeedNumber;
      lv.weight = Log2Ratio(lv.m, lv.u);
      fm.levels.push_back(std::move(lv));
    }
    if (fm.levels.back().kind != LevelKind::kElse)
      return Status::Invalid("the last level of field '" + fm.name + "' must be kind = \"else\"",
                             Where(path, levels->back().source()));
    model.needs_[static_cast<size_t>(fm.field)] = need;
    model.fields_.push_back(std::move(fm));
  }
  return model;
}

std::string MatchModel::ToToml() const {
  std::ostringstream o;
  o << "[model]\n";
  o << "lambda = " << FormatDouble(lambda_) << "  # prior probability that two records match\n";
  o << "upper = " << FormatDouble(upper_) << "  # weight at or above: merge automatically\n";
  o << "lower = " << FormatDouble(lower_) << "  # weight at or above (below upper): review queue\n";
  for (const auto& f : fields_) {
    o << "\n[[field]]\nname = \"" << f.name << "\"\n";
    if (f.tf) o << "tf = true\ntf_min_u = " << FormatDouble(f.tf_min_u) << "\n";
    if (f.implied_by >= 0) o << "implied_by = \"" << fields_[f.implied_by].name << "\"\n";
    o << "levels = [\n";
    for (const auto& l : f.levels) {
      o << "  { name = \"" << l.name << "\", kind = \"" << KindToName(l.kind) << "\"";
      if (l.kind == LevelKind::kJaroWinkler || l.kind == LevelKind::kTokenSet)
        o << ", threshold = " << FormatDouble(l.threshold);
      if (l.kind == LevelKind::kDamerau || l.kind == LevelKind::kDateDays || l.kind == LevelKind::kNumeric)
        o << ", max = " << FormatDouble(l.max_distance);
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

}  // namespace

PreparedRecord MatchModel::Prepare(const MatchInput& in, const TermFrequencies* tf) const {
  PreparedRecord r;
  r.id = in.id;
  std::vector<std::u32string> pending_tokens[kMatchFieldCount];
  for (const auto& fm : fields_) {
    const size_t i = static_cast<size_t>(fm.field);
    PreparedField& p = r.fields[i];
    std::string v = Trim(in.values[i]);
    if (v.empty()) continue;
    std::u32string text = FoldCase(v);
    if (text.size() > kMaxFieldChars) text.resize(kMaxFieldChars);
    const std::string folded = EncodeUtf8(text);
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
      pending_tokens[i] = Tokenize(folded);
      if (pending_tokens[i].size() > kMaxTokens) pending_tokens[i].resize(kMaxTokens);
    }
    if ((need & kNeedNick) && nicknames_) p.nick_groups = nicknames_->Groups(folded);
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
  if (!a.present || !b.present) return -1;
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

bool MatchModel::Implied(const FieldModel& f, const PreparedRecord& a, const PreparedRecord& b) const {
  if (f.implied_by < 0) return false;
  const FieldModel& g = fields_[static_cast<size_t>(f.implied_by)];
  const size_t j = static_cast<size_t>(g.field);
  if (!((a.present & b.present) >> j & 1)) return false;
  return LevelOf(g, a, b) == 0 && g.levels.size() > 1;
}

double MatchModel::Weight(const PreparedRecord& a, const PreparedRecord& b) const {
  double w = prior_weight_;
  bool tf_adjusted;
  for (const auto& f : fields_) {
    const size_t i = static_cast<size_t>(f.field);
    if (!((a.present & b.present) >> i & 1)) continue;  // missing on a side: weight 0
    if (Implied(f, a, b)) continue;
    int level = LevelOf(f, a, b);
    if (level >= 0) w += LevelWeight(f, level, a.fields[i], b.fields[i], &tf_adjusted);
  }
  return w;
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
  e.prior = prior_weight_;
  e.total = prior_weight_;
  for (const auto& f : fields_) {
    const size_t i = static_cast<size_t>(f.field);
    FieldContribution c;
    c.field = f.name;
    c.value_a = EncodeUtf8(a.Text(a.fields[i]));
    c.value_b = EncodeUtf8(b.Text(b.fields[i]));
    if (Implied(f, a, b) && a.fields[i].present && b.fields[i].present) {
      c.level = "implied by " + fields_[static_cast<size_t>(f.implied_by)].name;
      e.fields.push_back(std::move(c));
      continue;
    }
    int level = LevelOf(f, a, b);
    if (level >= 0) {
      c.level = f.levels[level].name;
      c.weight = LevelWeight(f, level, a.fields[i], b.fields[i], &c.tf_adjusted);
      e.total += c.weight;
    }
    e.fields.push_back(std::move(c));
  }
  return e;
}

Explanation MatchModel::Score(const MatchInput& a, const MatchInput& b) const {
  return Explain(Prepare(a), Prepare(b));
}

void MatchModel::Levels(const PreparedRecord& a, const PreparedRecord& b, int8_t* out) const {
  for (size_t k = 0; k < fields_.size(); ++k) {
    out[k] = Implied(fields_[k], a, b) ? int8_t{-1} : static_cast<int8_t>(LevelOf(fields_[k], a, b));
  }
}

Decision MatchModel::Decide(double weight) const {
  if (weight >= upper_) return Decision::kMerge;
  if (weight >= lower_) return Decision::kReview;
  return Decision::kNew;
}

}  // namespace canon
