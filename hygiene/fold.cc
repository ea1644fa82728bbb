#include "hygiene/fold.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace canon {
namespace {

const icu::Normalizer2* Nfkd() {
  // getNFKDInstance returns a process-wide immutable singleton; caching the pointer avoids the lookup per call.
  static const icu::Normalizer2* const kNfkd = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKDInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return kNfkd;
}

bool AllAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// UTF-8 -> NFKD, case-folded. Decoded by hand so invalid sequences are dropped instead of becoming U+FFFD (which
// is a symbol anyway, but this keeps the rule simple to state).
icu::UnicodeString DecomposedFolded(std::string_view text) {
  icu::UnicodeString u;
  int32_t i = 0;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto len = static_cast<int32_t>(text.size());
  while (i < len) {
    UChar32 c;
    U8_NEXT(bytes, i, len, c);
    if (c >= 0) u.append(c);
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = Nfkd();
  icu::UnicodeString d = nfkd ? nfkd->normalize(u, status) : u;
  if (U_FAILURE(status)) d = u;
  d.foldCase();
  return d;
}

}  // namespace

std::string FoldKey(std::string_view text) {
  std::string out;
  if (AllAscii(text)) {
    out.reserve(text.size());
    for (unsigned char c : text) {
      if (c >= 'A' && c <= 'Z') {
        out.push_back(static_cast<char>(c - 'A' + 'a'));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        out.push_back(static_cast<char>(c));
      }
    }
    return out;
  }
  icu::UnicodeString d = DecomposedFolded(text);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = Nfkd();
  // Case folding can produce characters that decompose further (rare, e.g. U+1E9E); normalize once more so
  // their marks are removed too.
  status = U_ZERO_ERROR;
  if (nfkd && !nfkd->isNormalized(d, status)) {
    status = U_ZERO_ERROR;
    icu::UnicodeString again = nfkd->normalize(d, status);
    if (U_SUCCESS(status)) d = std::move(again);
  }
  icu::UnicodeString kept;
  for (int32_t k = 0; k < d.length();) {
    UChar32 c = d.char32At(k);
    k += U16_LENGTH(c);
    int32_t mask = U_GET_GC_MASK(c);
    if (mask & (U_GC_L_MASK | U_GC_N_MASK)) kept.append(c);
  }
  kept.toUTF8String(out);
  return out;
}

namespace {

// Letters with no canonical decomposition, spelled as their usual Latin transliteration (lowercase input).
const char* SpellOut(UChar32 c) {
  switch (c) {
    case 0x00F8: return "o";   // ø
    case 0x0142: return "l";   // ł
    case 0x00E6: return "ae";  // æ
    case 0x0153: return "oe";  // œ
    case 0x00DF: return "ss";  // ß
    case 0x0111: return "d";   // đ
    case 0x00F0: return "d";   // ð
    case 0x00FE: return "th";  // þ
    case 0x0131: return "i";   // dotless ı
    default: return nullptr;
  }
}

}  // namespace

std::string FoldName(std::string_view text) {
  std::string words;
  words.reserve(text.size());
  bool pending_space = false;
  auto put = [&](std::string_view piece) {
    if (pending_space && !words.empty()) words.push_back(' ');
    pending_space = false;
    words.append(piece);
  };
  if (AllAscii(text)) {
    for (unsigned char c : text) {
      if (c >= 'A' && c <= 'Z') {
        char l = static_cast<char>(c - 'A' + 'a');
        put(std::string_view(&l, 1));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        put(std::string_view(reinterpret_cast<const char*>(&c), 1));
      } else {
        pending_space = true;
      }
    }
  } else {
    const icu::UnicodeString d = DecomposedFolded(text);
    for (int32_t k = 0; k < d.length();) {
      UChar32 c = d.char32At(k);
      k += U16_LENGTH(c);
      const int32_t mask = U_GET_GC_MASK(c);
      if (mask & U_GC_M_MASK) continue;  // a combining mark: the accent of the letter before it
      if (const char* spelled = SpellOut(c)) {
        put(spelled);
      } else if (mask & (U_GC_L_MASK | U_GC_N_MASK)) {
        std::string one;
        icu::UnicodeString(c).toUTF8String(one);
        put(one);
      } else {
        pending_space = true;
      }
    }
  }
  std::string out;
  out.reserve(words.size());
  for (size_t k = 0; k < words.size(); ++k) {
    const char c = words[k];
    out.push_back(c);
    if (k + 1 < words.size() && words[k + 1] == 'e' && (c == 'a' || c == 'o' || c == 'u')) ++k;
  }
  return out;
}

}  // namespace canon
