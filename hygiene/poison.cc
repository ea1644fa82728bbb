#include "hygiene/poison.h"

#include <unicode/utf8.h>

#include <cstdint>
#include <cstring>
#include <map>

namespace canon {
namespace {

std::optional<FieldIssue> PoisonIn(std::string_view key, std::string_view value) {
  for (bool name : {true, false}) {
    std::string_view text = name ? key : value;
    size_t bad = FirstPoisonByte(text);
    if (bad == std::string_view::npos) continue;
    std::string problem = text[bad] == '\0' ? "holds a NUL byte" : "is not valid UTF-8";
    return FieldIssue{EscapeBytes(key), "",
                      std::string(name ? "(its name) " : "") + problem + " (byte " + std::to_string(bad) + ")"};
  }
  return std::nullopt;
}

std::optional<FieldIssue> PoisonInMap(const std::map<std::string, std::string>& m) {
  for (const auto& [k, v] : m)
    if (auto issue = PoisonIn(k, v)) return issue;
  return std::nullopt;
}

}  // namespace

size_t FirstPoisonByte(std::string_view s) {
  const auto* b = reinterpret_cast<const uint8_t*>(s.data());
  const auto len = static_cast<int32_t>(s.size());
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  for (int32_t i = 0; i < len;) {
    // ASCII other than NUL is a code point of its own and never poison: skipped without decoding, eight bytes at
    // a time while none of them has its high bit set or is zero.
    if (len - i >= 8) {
      uint64_t w;
      std::memcpy(&w, b + i, 8);
      if (((w | ((w - kOnes) & ~w)) & kHighs) == 0) {
        i += 8;
        continue;
      }
    }
    if (b[i] - 1u < 0x7fu) {
      ++i;
      continue;
    }
    int32_t start = i;
    UChar32 c;
    U8_NEXT(b, i, len, c);
    if (c <= 0) return static_cast<size_t>(start);
  }
  return std::string_view::npos;
}

std::string EscapeBytes(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (size_t bad = FirstPoisonByte(s); bad != std::string_view::npos; bad = FirstPoisonByte(s)) {
    out.append(s.substr(0, bad));
    auto byte = static_cast<unsigned char>(s[bad]);
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
    s.remove_prefix(bad + 1);
  }
  out.append(s);
  return out;
}

std::optional<FieldIssue> PoisonInRecord(const Record& record) {
  if (auto issue = PoisonInMap(record.fields)) return issue;
  return PoisonInMap(record.extra);
}

std::optional<FieldIssue> PoisonInNormalized(const NormalizedRecord& n) {
  if (auto issue = PoisonInMap(n.fields)) return issue;
  return PoisonInMap(n.keys);
}

}  // namespace canon
