#include "hygiene/name.h"

#include <toml++/toml.h>
#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>

#include "hygiene/text.h"

namespace canon {
namespace {

// A name field longer than this is not a name; bounds the work on hostile input.
constexpr size_t kMaxNameCodePoints = 512;

enum class Shape { kNone, kUpper, kLower, kMixed };

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

Shape ShapeOf(std::string_view w) {
  bool upper = false, lower = false;
  const auto* b = reinterpret_cast<const uint8_t*>(w.data());
  const auto len = static_cast<int32_t>(w.size());
  for (int32_t i = 0; i < len;) {
    UChar32 c;
    U8_NEXT(b, i, len, c);
    if (c < 0) continue;
    if (u_isUUppercase(c) || u_istitle(c)) upper = true;
    if (u_isULowercase(c)) lower = true;
  }
  if (upper && lower) return Shape::kMixed;
  if (upper) return Shape::kUpper;
  if (lower) return Shape::kLower;
  return Shape::kNone;
}

std::string Lower(std::string_view s) {
  if (IsAscii(s)) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  u.toLower(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

// `s` is already lower case: title-cases its first letter.
std::string CapitalizeLower(std::string_view s) {
  std::string out(s);
  if (IsAscii(s)) {
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') {
        c = static_cast<char>(c - 'a' + 'A');
        break;
      }
      if (c >= 'A' && c <= 'Z') break;
    }
    return out;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    int32_t n = U16_LENGTH(c);
    if (u_isalpha(c)) {
      icu::UnicodeString first(c);
      // One code point is one segment whatever the break rules: titled as a whole string, which spares ICU
      // building a word BreakIterator per call (tests/norm_name_test.cc checks every letter gives the same).
      first.toTitle(nullptr, icu::Locale::getRoot(),
                    U_TITLECASE_WHOLE_STRING | U_TITLECASE_NO_LOWERCASE | U_TITLECASE_NO_BREAK_ADJUSTMENT);
      u.replace(i, n, first);
      break;
    }
    i += n;
  }
  out.clear();
  u.toUTF8String(out);
  return out;
}

std::string RuleKey(std::string_view word) {
  std::string k = Lower(word);
  k.erase(std::remove(k.begin(), k.end(), '.'), k.end());
  while (!k.empty() && k.back() == ',') k.pop_back();
  return k;
}

std::vector<std::string> SplitSpaces(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// Length in bytes of an apostrophe (' or U+2019) at s[pos], or 0.
size_t ApostropheAt(std::string_view s, size_t pos) {
  if (pos < s.size() && s[pos] == '\'') return 1;
  if (pos + 2 < s.size() && s.substr(pos, 3) == "\xE2\x80\x99") return 3;
  return 0;
}

class Recaser {
 public:
  explicit Recaser(const NameRules& rules) : rules_(rules) {}

  // `particle_ok`: the word sits inside a family name before its last word, where particles stay lower case.
  std::string Word(const std::string& word, bool in_family, bool particle_ok) {
    // A one-letter apostrophe prefix does not count: "d'ARC" is a capitalized family name after "d'".
    size_t a = ApostropheAt(word, 1);
    Shape shape = ShapeOf(a > 0 && word.size() > 1 + a ? std::string_view(word).substr(1 + a) : std::string_view(word));
    if (shape != Shape::kUpper && shape != Shape::kLower) return word;
    std::string lw = Lower(word);
    std::string out;
    if (particle_ok && rules_.particles.count(lw)) {
      out = lw;
    } else if (auto it = rules_.mac_names.find(lw); it != rules_.mac_names.end()) {
      out = it->second;
    } else {
      size_t start = 0;
      while (true) {
        size_t dash = lw.find('-', start);
        std::string_view seg = std::string_view(lw).substr(start, dash == std::string::npos ? std::string::npos
                                                                                          : dash - start);
        out += Segment(seg, in_family);
        if (dash == std::string::npos) break;
        out += '-';
        start = dash + 1;
      }
    }
    if (out != word) recased = true;
    return out;
  }

  bool recased = false;

 private:
  std::string Segment(std::string_view seg, bool in_family) {
    if (seg.empty()) return {};
    // One letter + apostrophe + rest: O'Neill, d'Angelo.
    if (size_t a = ApostropheAt(seg, 1); a > 0 && seg.size() > 1 + a && static_cast<unsigned char>(seg[0]) < 0x80) {
      std::string prefix(seg.substr(0, 1 + a));
      std::string key = std::string(1, seg[0]) + "'";
      if (!(in_family && rules_.particles.count(key))) prefix[0] = static_cast<char>(std::toupper(prefix[0]));
      return prefix + Segment(seg.substr(1 + a), in_family);
    }
    if (auto it = rules_.mac_names.find(std::string(seg)); it != rules_.mac_names.end()) return it->second;
    if (seg.size() > 2 && seg.substr(0, 2) == "mc") return "Mc" + CapitalizeLower(seg.substr(2));
    return CapitalizeLower(seg);
  }

  const NameRules& rules_;
};

struct Parts {
  std::vector<std::string> honorifics, given, family, suffixes;
};

bool IsHonorific(const NameRules& r, const std::string& w, std::string* display) {
  auto it = r.honorifics.find(RuleKey(w));
  if (it == r.honorifics.end()) return false;
  *display = it->second;
  return true;
}

bool IsSuffix(const NameRules& r, const std::string& w, std::string* display) {
  auto it = r.suffixes.find(RuleKey(w));
  if (it == r.suffixes.end()) return false;
  *display = it->second;
  return true;
}

void StripComma(std::string& w) {
  while (!w.empty() && w.back() == ',') w.pop_back();
}

// `keep`: how many words must remain (1 for a full name: "Dr." alone is somebody's name).
void TakeHonorifics(const NameRules& r, std::vector<std::string>& words, std::vector<std::string>& out,
                    size_t keep = 1) {
  std::string d;
  while (words.size() > keep && IsHonorific(r, words.front(), &d)) {
    out.push_back(d);
    words.erase(words.begin());
  }
}

void TakeSuffixes(const NameRules& r, std::vector<std::string>& words, std::vector<std::string>& out) {
  std::string d;
  std::vector<std::string> found;
  while (words.size() > 1 && IsSuffix(r, words.back(), &d)) {
    found.insert(found.begin(), d);
    words.pop_back();
  }
  if (!words.empty()) StripComma(words.back());
  out.insert(out.end(), found.begin(), found.end());
}

Parts SplitFull(const NameRules& r, std::vector<std::string> words) {
  Parts p;
  TakeSuffixes(r, words, p.suffixes);
  TakeHonorifics(r, words, p.honorifics);
  // "Family, Given": a comma after a word that is not the last one.
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    if (!words[i].empty() && words[i].back() == ',') {
      p.family.assign(words.begin(), words.begin() + static_cast<long>(i) + 1);
      p.given.assign(words.begin() + static_cast<long>(i) + 1, words.end());
      StripComma(p.family.back());
      TakeHonorifics(r, p.given, p.honorifics);
      for (auto& w : p.given) StripComma(w);
      return p;
    }
  }
  for (auto& w : words) StripComma(w);
  if (words.size() == 1) {
    p.family = words;
    return p;
  }
  size_t start = words.size() - 1;
  for (size_t i = 1; i + 1 < words.size(); ++i) {
    if (r.particles.count(Lower(words[i]))) {
      start = i;
      break;
    }
  }
  p.given.assign(words.begin(), words.begin() + static_cast<long>(start));
  p.family.assign(words.begin() + static_cast<long>(start), words.end());
  return p;
}

bool HasDigit(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

NameResult NormalizePersonName(std::string_view first, std::string_view last, std::string_view full,
                               const NameRules& rules) {
  NameResult r;
  TextOptions opts;
  opts.max_code_points = kMaxNameCodePoints;
  std::string clean[3];
  std::string_view in[3] = {first, last, full};
  const char* label[3] = {"first name", "last name", "full name"};
  const char* field[3] = {"first_name", "last_name", "full_name"};
  for (int i = 0; i < 3; ++i) {
    TextResult t = NormalizeText(in[i], opts);
    if (!t.error.ok()) {
      bool utf8 = !IsValidUtf8(in[i]);
      r.error = Status::Invalid(std::string("the ") + label[i] + (utf8 ? " is not valid UTF-8" : ": ") +
                                    (utf8 ? std::string() : t.error.message()),
                                field[i]);
      return r;
    }
    clean[i] = std::move(t.value);
  }
  std::vector<std::string> given = SplitSpaces(clean[0]);
  std::vector<std::string> family = SplitSpaces(clean[1]);
  std::vector<std::string> honorifics, suffixes;
  // A first-name field holding only a salutation ("Herr", "Dr.") next to a last name is a salutation: forms
  // without a salutation field get it there.
  TakeHonorifics(rules, given, honorifics, family.empty() ? 1 : 0);
  TakeSuffixes(rules, family, suffixes);
  bool single = false;
  if ((given.empty() || family.empty()) && !clean[2].empty()) {
    std::vector<std::string> words = SplitSpaces(clean[2]);
    single = words.size() == 1 && given.empty() && family.empty();
    Parts p = SplitFull(rules, std::move(words));
    if (given.empty()) given = std::move(p.given);
    if (family.empty()) family = std::move(p.family);
    if (honorifics.empty()) honorifics = std::move(p.honorifics);
    if (suffixes.empty()) suffixes = std::move(p.suffixes);
  }
  if (given.empty() && family.empty()) {
    r.error = Status::Invalid("no name given");
    return r;
  }
  Recaser recase(rules);
  for (auto& w : given) w = recase.Word(w, /*in_family=*/false, /*particle_ok=*/false);
  for (size_t i = 0; i < family.size(); ++i) {
    family[i] = recase.Word(family[i], /*in_family=*/true, /*particle_ok=*/i + 1 < family.size());
  }
  r.given = Join(given, " ");
  r.family = Join(family, " ");
  r.honorific = Join(honorifics, " ");
  r.suffix = Join(suffixes, ", ");
  r.full = Join({r.given, r.family}, " ");
  if (recase.recased) r.flags.push_back("recased");
  if (single) r.flags.push_back("single_name");
  if (HasDigit(r.full)) r.flags.push_back("has_digits");
  return r;
}

namespace {

void AddDisplay(std::unordered_map<std::string, std::string>& m, std::initializer_list<const char*> displays) {
  for (const char* d : displays) m[RuleKey(d)] = d;
}

}  // namespace

NameRules DefaultNameRules() {
  NameRules r;
  AddDisplay(r.honorifics, {"Mr.", "Mrs.", "Ms.", "Miss", "Mx.", "Dr.", "Prof.", "Rev.", "Sir", "Dame", "Herr",
                            "Frau", "Mme", "Mlle", "Sra.", "Srta.", "Dott.", "Hon."});
  r.honorifics["doctor"] = "Dr.";
  r.honorifics["professor"] = "Prof.";
  r.honorifics["mister"] = "Mr.";
  AddDisplay(r.suffixes, {"Jr.", "Sr.", "II", "III", "IV", "PhD", "MD", "DDS", "DMD", "DVM", "Esq.", "MBA", "CPA",
                          "CFA", "JD", "LLM", "RN"});
  r.suffixes["jnr"] = "Jr.";
  r.suffixes["snr"] = "Sr.";
  r.particles = {"van", "von", "der", "den", "de", "del", "della", "dei", "degli", "di", "da", "das", "dos",
                 "do", "du", "la", "le", "les", "lo", "ter", "ten", "te", "vom", "zu", "zum", "zur", "y",
                 "bin", "binti", "ibn", "al", "el", "ap", "af", "av", "d'", "l'"};
  for (const char* d : {"MacAllister", "MacArthur", "MacAskill", "MacAulay", "MacBride", "MacCallum",
                        "MacCormack", "MacDermott", "MacDonald", "MacDougall", "MacDowell", "MacEwan",
                        "MacFarlane", "MacGill", "MacGowan", "MacGregor", "MacInnes", "MacIntosh", "MacIntyre",
                        "MacKay", "MacKenzie", "MacKinlay", "MacKinnon", "MacLachlan", "MacLaren", "MacLean",
                        "MacLennan", "MacLeod", "MacMillan", "MacNab", "MacNeil", "MacNeill", "MacPherson",
                        "MacQuarrie", "MacQueen", "MacRae", "MacSween", "MacTavish"}) {
    r.mac_names[Lower(d)] = d;
  }
  return r;
}

namespace {

std::string WhereOf(const std::string& path, const toml::source_region& s) {
  return path + ":" + std::to_string(s.begin.line) + ":" + std::to_string(s.begin.column);
}

Status ReadStringArray(const std::string& path, const toml::node& n, const std::string& key,
                       std::vector<std::string>* out) {
  const toml::array* a = n.as_array();
  if (a == nullptr) return Status::Invalid("'" + key + "' must be an array of strings", WhereOf(path, n.source()));
  for (const toml::node& e : *a) {
    const auto* s = e.as_string();
    if (s == nullptr || s->get().empty()) {
      return Status::Invalid("'" + key + "' must hold non-empty strings", WhereOf(path, e.source()));
    }
    out->push_back(s->get());
  }
  return Status::Ok();
}

Status ReadAliases(const std::string& path, const toml::node& n, const std::string& key,
                   std::unordered_map<std::string, std::string>* out) {
  const toml::table* t = n.as_table();
  if (t == nullptr) return Status::Invalid("'" + key + "' must be a table", WhereOf(path, n.source()));
  for (const auto& [k, v] : *t) {
    const auto* s = v.as_string();
    if (s == nullptr) return Status::Invalid("'" + key + "." + std::string(k.str()) + "' must be a string",
                                             WhereOf(path, v.source()));
    (*out)[RuleKey(k.str())] = s->get();
  }
  return Status::Ok();
}

}  // namespace

Result<NameRules> ParseNameRules(std::string_view toml_text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(toml_text, path);
  } catch (const toml::parse_error& e) {
    return Status::Invalid(std::string(e.description()), WhereOf(path, e.source()));
  }
  NameRules r;
  for (const auto& [k, v] : root) {
    std::string key(k.str());
    std::vector<std::string> list;
    Status st;
    if (key == "honorifics" || key == "suffixes" || key == "particles" || key == "mac_names") {
      st = ReadStringArray(path, v, key, &list);
      if (!st.ok()) return st;
      for (const auto& d : list) {
        if (key == "honorifics") r.honorifics[RuleKey(d)] = d;
        if (key == "suffixes") r.suffixes[RuleKey(d)] = d;
        if (key == "particles") r.particles.insert(Lower(d));
        if (key == "mac_names") r.mac_names[Lower(d)] = d;
      }
    } else if (key == "honorific_aliases") {
      st = ReadAliases(path, v, key, &r.honorifics);
    } else if (key == "suffix_aliases") {
      st = ReadAliases(path, v, key, &r.suffixes);
    } else if (key != "example") {
      return Status::Invalid("unknown key '" + key +
                                 "' (expected honorifics, honorific_aliases, suffixes, suffix_aliases, particles, "
                                 "mac_names, example)",
                             WhereOf(path, v.source()));
    }
    if (!st.ok()) return st;
  }
  return r;
}

}  // namespace canon
