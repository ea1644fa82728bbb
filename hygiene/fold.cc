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
  // Decode by hand so invalid sequences are dropped instead of becoming U+FFFD (which is a symbol anyway, but
  // this keeps the rule simple to state).
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

}  // namespace canon
