#include "hygiene/company.h"

#include <toml++/toml.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <memory>

#include "hygiene/email.h"
#include "hygiene/text.h"

namespace canon {
namespace {

// Legal forms are at most six words ("S.A. de C.V." is five): longer suffixes are never tried.
constexpr size_t kMaxLegalFormWords = 6;

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

const icu::Transliterator* LatinAsciiPrototype() {
  static const icu::Transliterator* const kProto = [] {
    UErrorCode status = U_ZERO_ERROR;
    icu::Transliterator* t = icu::Transliterator::createInstance("Latin-ASCII", UTRANS_FORWARD, status);
    return U_SUCCESS(status) ? t : nullptr;
  }();
  return kProto;
}

// Transliterator is not thread-safe: one clone per thread, made on first use in that thread.
const icu::Transliterator* LatinAscii() {
  thread_local std::unique_ptr<icu::Transliterator> mine;
  if (!mine) {
    const icu::Transliterator* proto = LatinAsciiPrototype();
    if (proto == nullptr) return nullptr;
    mine.reset(proto->clone());
  }
  return mine.get();
}

bool IsAscii(const icu::UnicodeString& u) {
  for (int32_t i = 0; i < u.length(); ++i) {
    if (u.charAt(i) >= 0x80) return false;
  }
  return true;
}

// The common case cheaply: accents on Latin letters (é, ñ, å) go by decomposition, which gives what Latin-ASCII
// would, at a fraction of the cost of running the transliterator. Marks on other scripts are left alone.
void StripLatinAccents(icu::UnicodeString& u) {
  static const icu::Normalizer2* const kNfd = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  if (kNfd == nullptr) return;
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString d = kNfd->normalize(u, status);
  if (U_FAILURE(status)) return;
  icu::UnicodeString out;
  UChar32 base = 0;
  for (int32_t i = 0; i < d.length();) {
    UChar32 c = d.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK && base < 0x250) continue;
    if (u_charType(c) != U_NON_SPACING_MARK) base = c;
    out.append(c);
  }
  u = std::move(out);
}

// Lower case, umlauts folded, Latin-ASCII; the words (runs of letters/digits) of the result.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string folded;
  if (IsAscii(text)) {
    folded.assign(text);
    for (char& c : folded) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  } else {
    icu::UnicodeString u =
        icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    u.toLower(icu::Locale::getRoot());
    u.findAndReplace(icu::UnicodeString(u'\u00E4'), icu::UnicodeString(u"ae"));
    u.findAndReplace(icu::UnicodeString(u'\u00F6'), icu::UnicodeString(u"oe"));
    u.findAndReplace(icu::UnicodeString(u'\u00FC'), icu::UnicodeString(u"ue"));
    u.findAndReplace(icu::UnicodeString(u'\u00DF'), icu::UnicodeString(u"ss"));
    StripLatinAccents(u);
    if (!IsAscii(u)) {
      if (const icu::Transliterator* t = LatinAscii()) t->transliterate(u);
      u.toLower(icu::Locale::getRoot());  // Latin-ASCII can produce capitals from ligatures and the like
    }
    u.toUTF8String(folded);
  }
  const auto* b = reinterpret_cast<const uint8_t*>(folded.data());
  const auto len = static_cast<int32_t>(folded.size());
  std::string cur;
  for (int32_t i = 0; i < len;) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(b, i, len, c);
    bool word_char = c >= 0 && (c < 0x80 ? ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                                         : (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK | U_GC_M_MASK)) != 0);
    if (word_char) {
      cur.append(folded, static_cast<size_t>(start), static_cast<size_t>(i - start));
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

std::string JoinWords(const std::vector<std::string>& w, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += w[i];
  return out;
}

}  // namespace

void AddLegalForm(CompanyRules& rules, std::string_view written) {
  std::vector<std::string> w = Words(written);
  if (!w.empty()) rules.legal_forms.insert(JoinWords(w, 0, w.size()));
}

CompanyResult NormalizeCompany(std::string_view raw, const CompanyRules& rules) {
  CompanyResult r;
  TextResult t = NormalizeText(raw);
  if (!t.error.ok()) {
    r.error = Status::Invalid("the company name is not valid UTF-8");
    return r;
  }
  r.value = std::move(t.value);
  std::vector<std::string> w = Words(r.value);
  if (w.empty()) {
    r.error = Status::Invalid("the company name has no letter or digit");
    return r;
  }
  bool removed = false;
  for (bool again = true; again && w.size() > 1;) {
    again = false;
    for (size_t n = std::min(kMaxLegalFormWords, w.size() - 1); n >= 1; --n) {
      if (rules.legal_forms.count(JoinWords(w, w.size() - n, w.size()))) {
        w.resize(w.size() - n);
        removed = again = true;
        break;
      }
    }
  }
  if (w.size() > 1 && rules.leading_articles.count(w.front())) w.erase(w.begin());
  if (w.size() > 2) {
    // Connectors only between words: a name that starts or ends with "and" keeps it.
    auto is_connector = [&](const std::string& x) { return rules.connectors.count(x) > 0; };
    w.erase(std::remove_if(w.begin() + 1, w.end() - 1, is_connector), w.end() - 1);
  }
  r.key = JoinWords(w, 0, w.size());
  if (removed) r.flags.push_back("legal_form_removed");
  return r;
}

std::string CompanyDomain(std::string_view input, const std::unordered_set<std::string>& free_mail) {
  std::string_view s = TrimSpace(input);
  if (!IsValidUtf8(s) || s.size() > 2048) return {};
  if (size_t scheme = s.find("://"); scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
  size_t end = s.find_first_of("/?#");
  if (end != std::string_view::npos) s = s.substr(0, end);
  if (size_t at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);  // e-mail or user@host
  if (size_t colon = s.rfind(':'); colon != std::string_view::npos) s = s.substr(0, colon);
  auto ascii = DomainToAscii(s);
  if (!ascii.ok()) return {};
  std::string host = std::move(*ascii);
  if (host.rfind("www.", 0) == 0 && host.find('.', 4) != std::string::npos) host.erase(0, 4);
  if (free_mail.count(host)) return {};
  return host;
}

namespace {

constexpr const char* kDefaultLegalForms[] = {
    // English-speaking countries
    "Inc", "Incorporated", "Corp", "Corporation", "Co", "Company Limited", "LLC", "L.L.C.", "LLP", "LP", "Ltd",
    "Limited", "PLC", "Pty Ltd", "Pty", "PC", "PLLC",
    // German-speaking countries
    "GmbH", "gGmbH", "mbH", "AG", "KG", "KGaA", "OHG", "GbR", "e.V.", "eG", "UG", "UG (haftungsbeschränkt)",
    "GmbH & Co. KG", "SE", "Aktiengesellschaft",
    "Gesellschaft mit beschränkter Haftung",
    // French, Spanish, Portuguese, Italian
    "S.A.", "SA", "SAS", "SASU", "SARL", "S.à r.l.", "EURL", "SCI", "S.L.", "SL", "S.L.U.", "S.A. de C.V.",
    "S. de R.L.", "Ltda", "S.p.A.", "S.r.l.", "S.n.c.", "S.a.s.",
    // Benelux, Nordics, others
    "B.V.", "BV", "N.V.", "NV", "VOF", "Oy", "Oyj", "AB", "ApS", "A/S", "AS", "ASA", "Sp. z o.o.", "s.r.o.",
    "a.s.", "Kft", "Zrt", "d.o.o.", "OOO", "K.K.", "Pte Ltd", "Sdn Bhd", "Bhd"};

}  // namespace

CompanyRules DefaultCompanyRules() {
  CompanyRules r;
  for (const char* f : kDefaultLegalForms) AddLegalForm(r, f);
  r.leading_articles = {"the"};
  r.connectors = {"and", "und", "et"};
  return r;
}

namespace {

std::string WhereOf(const std::string& path, const toml::source_region& s) {
  return path + ":" + std::to_string(s.begin.line) + ":" + std::to_string(s.begin.column);
}

}  // namespace

Result<CompanyRules> ParseCompanyRules(std::string_view toml_text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(toml_text, path);
  } catch (const toml::parse_error& e) {
    return Status::Invalid(std::string(e.description()), WhereOf(path, e.source()));
  }
  CompanyRules r;
  for (const auto& [k, v] : root) {
    std::string key(k.str());
    if (key == "example") continue;
    if (key != "legal_forms" && key != "leading_articles" && key != "connectors") {
      return Status::Invalid("unknown key '" + key + "' (expected legal_forms, leading_articles, connectors, example)",
                             WhereOf(path, v.source()));
    }
    const toml::array* a = v.as_array();
    if (a == nullptr) return Status::Invalid("'" + key + "' must be an array of strings", WhereOf(path, v.source()));
    for (const toml::node& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr || Words(s->get()).empty()) {
        return Status::Invalid("'" + key + "' must hold strings with a letter or digit", WhereOf(path, e.source()));
      }
      if (key == "legal_forms") {
        AddLegalForm(r, s->get());
      } else {
        std::vector<std::string> w = Words(s->get());
        if (w.size() != 1) {
          return Status::Invalid("'" + key + "' entries must be single words", WhereOf(path, e.source()));
        }
        (key == "leading_articles" ? r.leading_articles : r.connectors).insert(w[0]);
      }
    }
  }
  return r;
}

}  // namespace canon
