#include "hygiene/email.h"

#include <unicode/bytestream.h>
#include <unicode/idna.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>

#include "hygiene/text.h"

namespace canon {
namespace {

// RFC 5321 4.5.3.1: local part 64 octets, path 256 octets including "<>" -> 254 for the address itself,
// domain 255 octets minus the trailing root -> 253, a label 63.
constexpr size_t kMaxLocal = 64;
constexpr size_t kMaxAddress = 254;
constexpr size_t kMaxDomain = 253;
constexpr size_t kMaxLabel = 63;

const icu::IDNA* Uts46() {
  // Non-transitional processing is what browsers and registries use today ("ß" stays "ß", not "ss").
  static const icu::IDNA* const kIdna = [] {
    UErrorCode status = U_ZERO_ERROR;
    icu::IDNA* idna = icu::IDNA::createUTS46Instance(
        UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ, status);
    return U_SUCCESS(status) ? idna : nullptr;
  }();
  return kIdna;
}

bool IsAtext(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '/':
    case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool HasNonAscii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Checks the dot-atom local part; sets *utf8 when it holds non-ASCII letters.
Status CheckLocal(std::string_view local, bool* utf8) {
  if (local.empty()) return Status::Invalid("the part before '@' is empty");
  if (local.size() > kMaxLocal) return Status::Invalid("the part before '@' is longer than 64 bytes");
  if (local.front() == '"') return Status::Invalid("quoted local parts are not accepted");
  if (local.front() == '.') return Status::Invalid("the part before '@' starts with a dot");
  if (local.back() == '.') return Status::Invalid("the part before '@' ends with a dot");
  if (local.find("..") != std::string_view::npos) return Status::Invalid("the part before '@' has two dots in a row");
  const auto* b = reinterpret_cast<const uint8_t*>(local.data());
  const auto len = static_cast<int32_t>(local.size());
  int32_t i = 0;
  while (i < len) {
    if (b[i] < 0x80) {
      unsigned char c = b[i++];
      if (c != '.' && !IsAtext(c)) {
        if (c == ' ') return Status::Invalid("the part before '@' contains a space");
        if (c < 0x20 || c == 0x7F) return Status::Invalid("the part before '@' contains a control character");
        return Status::Invalid(std::string("character '") + static_cast<char>(c) + "' is not allowed before '@'");
      }
      continue;
    }
    UChar32 c;
    U8_NEXT(b, i, len, c);
    // RFC 6531 allows any non-ASCII UTF-8; in practice only letters, marks and digits are deliverable.
    if (c < 0 || !(U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK))) {
      return Status::Invalid("the part before '@' contains a non-ASCII character that is not a letter");
    }
    *utf8 = true;
  }
  return Status::Ok();
}

// Lowercases, converts to ASCII (IDNA) and checks the domain; returns the ASCII form in *out.
Status CheckDomain(std::string_view domain, std::string* out) {
  if (domain.empty()) return Status::Invalid("the domain after '@' is empty");
  if (domain.front() == '[') return Status::Invalid("address literals such as [192.0.2.1] are not accepted");
  if (domain.back() == '.') domain.remove_suffix(1);  // the DNS root dot is allowed and means nothing here
  std::string ascii;
  if (HasNonAscii(domain)) {
    const icu::IDNA* idna = Uts46();
    if (idna == nullptr) return Status::Internal("ICU IDNA is unavailable");
    icu::StringByteSink<std::string> sink(&ascii);
    icu::IDNAInfo info;
    UErrorCode status = U_ZERO_ERROR;
    idna->nameToASCII_UTF8(icu::StringPiece(domain.data(), static_cast<int32_t>(domain.size())), sink, info, status);
    if (U_FAILURE(status) || info.hasErrors()) {
      return Status::Invalid("domain " + Quote(domain) + " is not a valid internationalized domain name");
    }
  } else {
    ascii = AsciiLower(domain);
  }
  if (ascii.size() > kMaxDomain) return Status::Invalid("the domain is longer than 253 characters");
  size_t labels = 0;
  size_t start = 0;
  std::string_view last;
  while (true) {
    size_t dot = ascii.find('.', start);
    std::string_view label = std::string_view(ascii).substr(start, dot == std::string::npos ? std::string::npos
                                                                                              : dot - start);
    if (label.empty()) return Status::Invalid("domain " + Quote(ascii) + " has an empty label (two dots in a row)");
    if (label.size() > kMaxLabel) return Status::Invalid("a domain label is longer than 63 characters");
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) {
        if (c == '_') return Status::Invalid("domain " + Quote(ascii) + " contains '_'");
        return Status::Invalid(std::string("character '") + c + "' is not allowed in the domain");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return Status::Invalid("domain label " + Quote(label) + " starts or ends with a hyphen");
    }
    ++labels;
    last = label;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (labels < 2) return Status::Invalid("domain " + Quote(ascii) + " has no top-level domain (such as .com)");
  bool tld_ok = last.size() >= 2 && (last.substr(0, 4) == "xn--" ||
                                     std::all_of(last.begin(), last.end(), [](char c) { return c >= 'a' && c <= 'z'; }));
  if (!tld_ok) return Status::Invalid("top-level domain " + Quote(last) + " is not a valid one");
  *out = std::move(ascii);
  return Status::Ok();
}

bool InDomainSet(const std::unordered_set<std::string>& set, std::string_view domain, bool parents) {
  if (set.empty()) return false;
  while (true) {
    if (set.count(std::string(domain))) return true;
    size_t dot = domain.find('.');
    if (!parents || dot == std::string_view::npos) return false;
    domain.remove_prefix(dot + 1);
    if (domain.find('.') == std::string_view::npos) return false;  // never match a bare TLD
  }
}

}  // namespace

Result<std::string> DomainToAscii(std::string_view domain) {
  std::string out;
  Status st = CheckDomain(domain, &out);
  if (!st.ok()) return st;
  return out;
}

EmailResult NormalizeEmail(std::string_view raw, const EmailRules& rules) {
  EmailResult r;
  std::string_view s = TrimSpace(raw);
  if (s.empty()) {
    r.error = Status::Invalid("the e-mail address is empty");
    return r;
  }
  if (!IsValidUtf8(s)) {
    r.error = Status::Invalid("the e-mail address is not valid UTF-8");
    return r;
  }
  if (s.size() >= 7 && AsciiLower(s.substr(0, 7)) == "mailto:") s = TrimSpace(s.substr(7));
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = TrimSpace(s.substr(1, s.size() - 2));
  if (s.size() > kMaxAddress * 4) {  // generous for IDN before conversion; bounds the work on hostile input
    r.error = Status::Invalid("the e-mail address is longer than 254 characters");
    return r;
  }
  size_t at = s.find('@');
  if (at == std::string_view::npos) {
    r.error = Status::Invalid("the e-mail address has no '@'");
    return r;
  }
  if (s.find('@', at + 1) != std::string_view::npos) {
    r.error = Status::Invalid("the e-mail address has more than one '@'");
    return r;
  }
  std::string_view local = s.substr(0, at);
  bool utf8 = false;
  if (Status st = CheckLocal(local, &utf8); !st.ok()) {
    r.error = st;
    return r;
  }
  std::string domain;
  if (Status st = CheckDomain(s.substr(at + 1), &domain); !st.ok()) {
    r.error = st;
    return r;
  }
  if (auto it = rules.domain_typos.find(domain); it != rules.domain_typos.end()) {
    domain = it->second;
    r.flags.push_back("typo_fixed");
  }
  if (local.size() + 1 + domain.size() > kMaxAddress) {
    r.error = Status::Invalid("the e-mail address is longer than 254 characters");
    return r;
  }
  r.value.reserve(local.size() + 1 + domain.size());
  r.value.append(local).append(1, '@').append(domain);

  std::string key_local = AsciiLower(local);
  std::string role_local = key_local.substr(0, key_local.find('+'));
  if (rules.role_locals.count(role_local)) r.flags.push_back("role");
  if (InDomainSet(rules.disposable, domain, /*parents=*/true)) r.flags.push_back("disposable");
  if (InDomainSet(rules.free_mail, domain, /*parents=*/false)) r.flags.push_back("free_mail");
  if (utf8) r.flags.push_back("smtputf8");

  std::string key_domain = domain;
  if (auto it = rules.providers.find(domain); it != rules.providers.end()) {
    const ProviderRule& p = it->second;
    if (!p.tag_separators.empty()) {
      size_t cut = key_local.find_first_of(p.tag_separators);
      if (cut != std::string::npos && cut > 0) key_local.resize(cut);
    }
    if (p.ignore_dots) key_local.erase(std::remove(key_local.begin(), key_local.end(), '.'), key_local.end());
    if (!p.canonical_domain.empty()) key_domain = p.canonical_domain;
  }
  r.key = key_local + "@" + key_domain;
  return r;
}

std::unordered_map<std::string, ProviderRule> DefaultProviderRules() {
  std::unordered_map<std::string, ProviderRule> p;
  // Gmail: dots are ignored and "+tag" is dropped; googlemail.com is the same mailbox (Google's own help pages).
  p["gmail.com"] = {true, "+", "gmail.com"};
  p["googlemail.com"] = {true, "+", "gmail.com"};
  // Microsoft consumer mail: plus addressing since 2013; dots are significant.
  for (const char* d : {"outlook.com", "hotmail.com", "live.com", "msn.com"}) p[d] = {false, "+", ""};
  // Apple: one mailbox answers at icloud.com, me.com and mac.com; plus addressing supported.
  for (const char* d : {"icloud.com", "me.com", "mac.com"}) p[d] = {false, "+", "icloud.com"};
  for (const char* d : {"fastmail.com", "fastmail.fm"}) p[d] = {false, "+", ""};
  // Proton: plus aliases; proton.me and protonmail.com are separate address spaces, so no domain folding.
  for (const char* d : {"proton.me", "protonmail.com", "pm.me"}) p[d] = {false, "+", ""};
  for (const char* d : {"yandex.ru", "yandex.com"}) p[d] = {false, "+", ""};
  return p;
}

EmailRules DefaultEmailRules() {
  EmailRules r;
  r.providers = DefaultProviderRules();
  r.domain_typos = {{"gmial.com", "gmail.com"},     {"gmal.com", "gmail.com"},     {"gmai.com", "gmail.com"},
                    {"gmail.co", "gmail.com"},      {"gnail.com", "gmail.com"},    {"hotmial.com", "hotmail.com"},
                    {"hotmal.com", "hotmail.com"},  {"hotmail.co", "hotmail.com"}, {"yaho.com", "yahoo.com"},
                    {"yahooo.com", "yahoo.com"},    {"outlok.com", "outlook.com"}, {"iclod.com", "icloud.com"}};
  r.role_locals = {"admin", "billing", "contact", "hello", "help",    "hr",      "info",    "jobs",
                   "marketing", "noreply", "no-reply", "office", "postmaster", "sales", "support", "team",
                   "webmaster"};
  r.free_mail = {"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
                 "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me", "protonmail.com",
                 "yandex.ru", "mail.ru", "qq.com", "163.com"};
  r.disposable = {"mailinator.com", "guerrillamail.com", "10minutemail.com", "trashmail.com", "yopmail.com",
                  "tempmail.com", "sharklasers.com"};
  return r;
}

}  // namespace canon
