#include "hygiene/compare.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

namespace canon {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Names and keys are short; a stack buffer avoids a heap allocation per comparison in the scoring kernel.
constexpr size_t kStackChars = 64;

template <typename T>
class SmallBuf {
 public:
  explicit SmallBuf(size_t n) : heap_(n > kStackChars ? n : 0), p_(n > kStackChars ? heap_.data() : stack_) {
    std::fill(p_, p_ + n, T{});
  }
  T& operator[](size_t i) { return p_[i]; }

 private:
  T stack_[kStackChars];
  std::vector<T> heap_;
  T* p_;
};

}  // namespace

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    }
    int len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
               (cp >= 0xD800 && cp <= 0xDFFF)))
      ok = false;
    if (!ok) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string EncodeUtf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::u32string FoldCase(std::string_view s) {
  std::u32string out = DecodeUtf8(s);
  for (char32_t& c : out) {
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') c += 32;
    } else {
      c = static_cast<char32_t>(u_tolower(static_cast<UChar32>(c)));
    }
  }
  return out;
}

namespace {

// Jaro for strings of at most 64 code points (names, keys: nearly every call): the matched flags are two
// 64-bit masks, so there is no buffer to clear and the transposition walk jumps from set bit to set bit. Same
// result as the general loop (tests/match_compare_test.cc compares both on random strings).
double JaroShort(std::u32string_view a, std::u32string_view b) {
  const size_t la = a.size(), lb = b.size();
  const size_t window = std::max(la, lb) / 2 > 0 ? std::max(la, lb) / 2 - 1 : 0;
  uint64_t ma = 0, mb = 0;
  size_t matches = 0;
  for (size_t i = 0; i < la; ++i) {
    const size_t lo = i > window ? i - window : 0;
    const size_t hi = std::min(lb, i + window + 1);
    for (size_t j = lo; j < hi; ++j) {
      if (!((mb >> j) & 1) && a[i] == b[j]) {
        ma |= uint64_t{1} << i;
        mb |= uint64_t{1} << j;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  size_t half_transpositions = 0;
  while (ma) {
    const int i = __builtin_ctzll(ma), j = __builtin_ctzll(mb);
    half_transpositions += a[i] != b[j];
    ma &= ma - 1;
    mb &= mb - 1;
  }
  const double m = static_cast<double>(matches);
  const double t = static_cast<double>(half_transpositions / 2);
  return (m / la + m / lb + (m - t) / m) / 3.0;
}

}  // namespace

double Jaro(std::u32string_view a, std::u32string_view b) {
  const size_t la = a.size(), lb = b.size();
  if (la == 0 && lb == 0) return 1.0;
  if (la == 0 || lb == 0) return 0.0;
  if (la <= 64 && lb <= 64) return JaroShort(a, b);
  return JaroLong(a, b);
}

double JaroLong(std::u32string_view a, std::u32string_view b) {
  const size_t la = a.size(), lb = b.size();
  if (la == 0 && lb == 0) return 1.0;
  if (la == 0 || lb == 0) return 0.0;
  const size_t window = std::max(la, lb) / 2 > 0 ? std::max(la, lb) / 2 - 1 : 0;
  SmallBuf<char> ma(la), mb(lb);
  size_t matches = 0;
  for (size_t i = 0; i < la; ++i) {
    size_t lo = i > window ? i - window : 0;
    size_t hi = std::min(lb, i + window + 1);
    for (size_t j = lo; j < hi; ++j) {
      if (!mb[j] && a[i] == b[j]) {
        ma[i] = mb[j] = 1;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  size_t half_transpositions = 0;
  for (size_t i = 0, j = 0; i < la; ++i) {
    if (!ma[i]) continue;
    while (!mb[j]) ++j;
    if (a[i] != b[j]) ++half_transpositions;
    ++j;
  }
  const double m = static_cast<double>(matches);
  const double t = static_cast<double>(half_transpositions / 2);
  return (m / la + m / lb + (m - t) / m) / 3.0;
}

double JaroWinkler(std::u32string_view a, std::u32string_view b, double prefix_scale, int max_prefix) {
  double j = Jaro(a, b);
  size_t limit = std::min({a.size(), b.size(), static_cast<size_t>(std::max(max_prefix, 0))});
  size_t l = 0;
  while (l < limit && a[l] == b[l]) ++l;
  return j + static_cast<double>(l) * prefix_scale * (1.0 - j);
}

double JaroWinkler(std::string_view a_utf8, std::string_view b_utf8) {
  return JaroWinkler(DecodeUtf8(a_utf8), DecodeUtf8(b_utf8));
}

int DamerauLevenshtein(std::u32string_view a, std::u32string_view b) {
  // Lowrance–Wagner: the table has a sentinel row/column of "infinity" and remembers, per character, the last
  // row where it was seen, so a transposition may span edited characters.
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  const int inf = la + lb;
  const int w = lb + 2;
  std::vector<int> d(static_cast<size_t>(la + 2) * w);
  auto at = [&](int i, int j) -> int& { return d[static_cast<size_t>(i + 1) * w + (j + 1)]; };
  at(-1, -1) = inf;
  for (int i = 0; i <= la; ++i) {
    at(i, -1) = inf;
    at(i, 0) = i;
  }
  for (int j = 0; j <= lb; ++j) {
    at(-1, j) = inf;
    at(0, j) = j;
  }
  std::unordered_map<char32_t, int> last_row;
  for (int i = 1; i <= la; ++i) {
    int last_col = 0;
    for (int j = 1; j <= lb; ++j) {
      auto it = last_row.find(b[j - 1]);
      int i1 = it == last_row.end() ? 0 : it->second;
      int j1 = last_col;
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      if (cost == 0) last_col = j;
      at(i, j) = std::min({at(i - 1, j - 1) + cost, at(i, j - 1) + 1, at(i - 1, j) + 1,
                           at(i1 - 1, j1 - 1) + (i - i1 - 1) + 1 + (j - j1 - 1)});
    }
    last_row[a[i - 1]] = i;
  }
  return at(la, lb);
}

int DamerauLevenshtein(std::string_view a_utf8, std::string_view b_utf8) {
  return DamerauLevenshtein(DecodeUtf8(a_utf8), DecodeUtf8(b_utf8));
}

bool WithinOneEdit(std::u32string_view a, std::u32string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  const size_t la = a.size(), lb = b.size();
  if (lb - la > 1) return false;
  size_t i = 0;
  while (i < la && a[i] == b[i]) ++i;
  if (i == la) return true;  // equal, or b has one extra character at the end
  if (la == lb) {
    // One substitution at i, or a transposition of i and i+1.
    if (a.substr(i + 1) == b.substr(i + 1)) return true;
    return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && a.substr(i + 2) == b.substr(i + 2);
  }
  return a.substr(i) == b.substr(i + 1);  // one insertion into a at i
}

int OsaDistance(std::u32string_view a, std::u32string_view b) {
  const size_t la = a.size(), lb = b.size();
  std::vector<int> d((la + 1) * (lb + 1));
  auto at = [&](size_t i, size_t j) -> int& { return d[i * (lb + 1) + j]; };
  for (size_t i = 0; i <= la; ++i) at(i, 0) = static_cast<int>(i);
  for (size_t j = 0; j <= lb; ++j) at(0, j) = static_cast<int>(j);
  for (size_t i = 1; i <= la; ++i) {
    for (size_t j = 1; j <= lb; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, at(i - 2, j - 2) + 1);
      at(i, j) = v;
    }
  }
  return at(la, lb);
}

int Levenshtein(std::u32string_view a, std::u32string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::u32string> Tokenize(std::string_view utf8) {
  std::vector<std::u32string> out;
  std::u32string cur;
  for (char32_t c : FoldCase(utf8)) {
    bool word = c < 0x80 ? ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                         : (u_isalnum(static_cast<UChar32>(c)) != 0);
    if (word) {
      cur.push_back(c);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

namespace {

double MongeElkan(const std::vector<std::u32string>& a, const std::vector<std::u32string>& b) {
  double sum = 0;
  for (const auto& x : a) {
    double best = 0;
    for (const auto& y : b) best = std::max(best, JaroWinkler(x, y));
    sum += best;
  }
  return sum / static_cast<double>(a.size());
}

}  // namespace

double TokenSetSimilarity(const std::vector<std::u32string>& a, const std::vector<std::u32string>& b) {
  if (a.empty() || b.empty()) return 0.0;
  return 0.5 * (MongeElkan(a, b) + MongeElkan(b, a));
}

double TokenSetSimilarity(std::string_view a_utf8, std::string_view b_utf8) {
  return TokenSetSimilarity(Tokenize(a_utf8), Tokenize(b_utf8));
}

double TokenJaccard(const std::vector<std::u32string>& a, const std::vector<std::u32string>& b) {
  std::vector<std::u32string> sa(a), sb(b);
  std::sort(sa.begin(), sa.end());
  sa.erase(std::unique(sa.begin(), sa.end()), sa.end());
  std::sort(sb.begin(), sb.end());
  sb.erase(std::unique(sb.begin(), sb.end()), sb.end());
  if (sa.empty() && sb.empty()) return 0.0;
  std::vector<std::u32string> inter;
  std::set_intersection(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(inter));
  return static_cast<double>(inter.size()) / static_cast<double>(sa.size() + sb.size() - inter.size());
}

// ---------------------------------------------------------------------------------------------------------
// Double Metaphone. A line-by-line port of Lawrence Philips' reference implementation (dmetaph.cpp, 2000); the
// rule comments are his examples. The word is uppercased Latin-1 ("Ç" and "Ñ" kept as single bytes), padded
// with spaces so look-ahead never runs off the end.
namespace {

constexpr char kCCedilla = '\xC7';
constexpr char kNTilde = '\xD1';

// Latin-1 Supplement letters -> base letter (uppercase); 0 = drop. Ç and Ñ are kept for the algorithm.
char FoldLatin(char32_t c) {
  if (c >= 'a' && c <= 'z') return static_cast<char>(c - 32);
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c);
  if (c == ' ' || c == '-' || c == '\'') return c == ' ' ? ' ' : 0;
  char32_t u = static_cast<char32_t>(u_toupper(static_cast<UChar32>(c)));
  switch (u) {
    case 0xC0: case 0xC1: case 0xC2: case 0xC3: case 0xC4: case 0xC5: return 'A';
    case 0xC6: return 'E';
    case 0xC7: return kCCedilla;
    case 0xC8: case 0xC9: case 0xCA: case 0xCB: return 'E';
    case 0xCC: case 0xCD: case 0xCE: case 0xCF: return 'I';
    case 0xD0: return 'D';
    case 0xD1: return kNTilde;
    case 0xD2: case 0xD3: case 0xD4: case 0xD5: case 0xD6: case 0xD8: return 'O';
    case 0xD9: case 0xDA: case 0xDB: case 0xDC: return 'U';
    case 0xDD: case 0x178: return 'Y';
    case 0xDF: return 'S';
    default: return 0;
  }
}

class DoubleMetaphoneRun {
 public:
  DoubleMetaphoneRun(std::string word, size_t max_len) : w_(std::move(word)), max_len_(max_len) {
    length_ = static_cast<int>(w_.size());
    last_ = length_ - 1;
    w_ += "     ";
    slavo_germanic_ = w_.find('W') != std::string::npos || w_.find('K') != std::string::npos ||
                      w_.find("CZ") != std::string::npos || w_.find("WITZ") != std::string::npos;
  }

  MetaphoneCodes Run();

 private:
  char At(int i) const { return i < 0 || i >= static_cast<int>(w_.size()) ? '\0' : w_[i]; }
  bool IsVowel(int i) const {
    if (i < 0 || i >= length_) return false;
    char c = w_[i];
    return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' || c == 'Y';
  }
  // True when the `len` characters at `start` equal one of the options.
  bool StringAt(int start, int len, std::initializer_list<const char*> options) const {
    if (start < 0 || start + len > static_cast<int>(w_.size())) return false;
    for (const char* o : options)
      if (std::memcmp(w_.data() + start, o, len) == 0) return true;
    return false;
  }
  void Add(const char* main) {
    primary_ += main;
    secondary_ += main;
  }
  void Add(const char* main, const char* alt) {
    primary_ += main;
    if (*alt) {
      alternate_ = true;
      if (alt[0] != ' ') secondary_ += alt;
    } else if (*main && main[0] != ' ') {
      secondary_ += main;
    }
  }
  bool Germanic() const { return StringAt(0, 4, {"VAN ", "VON "}) || StringAt(0, 3, {"SCH"}); }

  std::string w_;
  size_t max_len_;
  int length_ = 0;
  int last_ = 0;
  bool slavo_germanic_ = false;
  bool alternate_ = false;
  std::string primary_, secondary_;
};

MetaphoneCodes DoubleMetaphoneRun::Run() {
  int current = 0;
  if (length_ < 1) return {};
  if (StringAt(0, 2, {"GN", "KN", "PN", "WR", "PS"})) current += 1;
  if (At(0) == 'X') {  // initial X is pronounced Z, e.g. 'Xavier'
    Add("S");
    current += 1;
  }
  while (primary_.size() < max_len_ || secondary_.size() < max_len_) {
    if (current >= length_) break;
    switch (At(current)) {
      case 'A': case 'E': case 'I': case 'O': case 'U': case 'Y':
        if (current == 0) Add("A");  // all initial vowels map to 'A'
        current += 1;
        break;
      case 'B':  // "-mb", e.g. "dumb", already skipped over
        Add("P");
        current += At(current + 1) == 'B' ? 2 : 1;
        break;
      case kCCedilla:
        Add("S");
        current += 1;
        break;
      case 'C':
        // various germanic
        if (current > 1 && !IsVowel(current - 2) && StringAt(current - 1, 3, {"ACH"}) &&
            (At(current + 2) != 'I' && (At(current + 2) != 'E' || StringAt(current - 2, 6, {"BACHER", "MACHER"})))) {
          Add("K");
          current += 2;
          break;
        }
        if (current == 0 && StringAt(current, 6, {"CAESAR"})) {  // 'caesar'
          Add("S");
          current += 2;
          break;
        }
        if (StringAt(current, 4, {"CHIA"})) {  // italian 'chianti'
          Add("K");
          current += 2;
          break;
        }
        if (StringAt(current, 2, {"CH"})) {
          if (current > 0 && StringAt(current, 4, {"CHAE"})) {  // 'michael'
            Add("K", "X");
            current += 2;
            break;
          }
          // greek roots, e.g. 'chemistry', 'chorus'
          if (current == 0 &&
              (StringAt(current + 1, 5, {"HARAC", "HARIS"}) || StringAt(current + 1, 3, {"HOR", "HYM", "HIA", "HEM"})) &&
              !StringAt(0, 5, {"CHORE"})) {
            Add("K");
            current += 2;
            break;
          }
          // germanic, greek, or otherwise 'ch' for 'kh' sound
          if (Germanic() || StringAt(current - 2, 6, {"ORCHES", "ARCHIT", "ORCHID"}) ||
              StringAt(current + 2, 1, {"T", "S"}) ||
              ((StringAt(current - 1, 1, {"A", "O", "U", "E"}) || current == 0) &&
               StringAt(current + 2, 1, {"L", "R", "N", "M", "B", "H", "F", "V", "W", " "}))) {
            Add("K");
          } else if (current > 0) {
            if (StringAt(0, 2, {"MC"}))
              Add("K");  // 'McHugh'
            else
              Add("X", "K");
          } else {
            Add("X");
          }
          current += 2;
          break;
        }
        if (StringAt(current, 2, {"CZ"}) && !StringAt(current - 2, 4, {"WICZ"})) {  // 'czerny'
          Add("S", "X");
          current += 2;
          break;
        }
        if (StringAt(current + 1, 3, {"CIA"})) {  // 'focaccia'
          Add("X");
          current += 3;
          break;
        }
        // double 'C', but not if e.g. 'McClellan'
        if (StringAt(current, 2, {"CC"}) && !(current == 1 && At(0) == 'M')) {
          // 'bellocchio' but not 'bacchus'
          if (StringAt(current + 2, 1, {"I", "E", "H"}) && !StringAt(current + 2, 2, {"HU"})) {
            if ((current == 1 && At(current - 1) == 'A') || StringAt(current - 1, 5, {"UCCEE", "UCCES"}))
              Add("KS");  // 'accident', 'accede', 'succeed'
            else
              Add("X");  // 'bacci', 'bertucci', other italian
            current += 3;
            break;
          }
          Add("K");  // Pierce's rule
          current += 2;
          break;
        }
        if (StringAt(current, 2, {"CK", "CG", "CQ"})) {
          Add("K");
          current += 2;
          break;
        }
        if (StringAt(current, 2, {"CI", "CE", "CY"})) {
          if (StringAt(current, 3, {"CIO", "CIE", "CIA"}))
            Add("S", "X");  // italian vs. english
          else
            Add("S");
          current += 2;
          break;
        }
        Add("K");
        if (StringAt(current + 1, 2, {" C", " Q", " G"}))  // 'mac caffrey', 'mac gregor'
          current += 3;
        else if (StringAt(current + 1, 1, {"C", "K", "Q"}) && !StringAt(current + 1, 2, {"CE", "CI"}))
          current += 2;
        else
          current += 1;
        break;
      case 'D':
        if (StringAt(current, 2, {"DG"})) {
          if (StringAt(current + 2, 1, {"I", "E", "Y"})) {  // 'edge'
            Add("J");
            current += 3;
          } else {  // 'edgar'
            Add("TK");
            current += 2;
          }
          break;
        }
        Add("T");
        current += StringAt(current, 2, {"DT", "DD"}) ? 2 : 1;
        break;
      case 'F':
        current += At(current + 1) == 'F' ? 2 : 1;
        Add("F");
        break;
      case 'G':
        if (At(current + 1) == 'H') {
          if (current > 0 && !IsVowel(current - 1)) {
            Add("K");
            current += 2;
            break;
          }
          if (current == 0) {  // 'ghislane', 'ghiradelli'
            Add(At(current + 2) == 'I' ? "J" : "K");
            current += 2;
            break;
          }
          // Parker's rule (with some further refinements), e.g. 'hugh', 'bough', 'broughton'
          if ((current > 1 && StringAt(current - 2, 1, {"B", "H", "D"})) ||
              (current > 2 && StringAt(current - 3, 1, {"B", "H", "D"})) ||
              (current > 3 && StringAt(current - 4, 1, {"B", "H"}))) {
            current += 2;
            break;
          }
          // 'laugh', 'McLaughlin', 'cough', 'gough', 'rough', 'tough'
          if (current > 2 && At(current - 1) == 'U' && StringAt(current - 3, 1, {"C", "G", "L", "R", "T"})) {
            Add("F");
          } else if (current > 0 && At(current - 1) != 'I') {
            Add("K");
          }
          current += 2;
          break;
        }
        if (At(current + 1) == 'N') {
          if (current == 1 && IsVowel(0) && !slavo_germanic_) {
            Add("KN", "N");
          } else if (!StringAt(current + 2, 2, {"EY"}) && At(current + 1) != 'Y' && !slavo_germanic_) {
            Add("N", "KN");  // not e.g. 'cagney'
          } else {
            Add("KN");
          }
          current += 2;
          break;
        }
        if (StringAt(current + 1, 2, {"LI"}) && !slavo_germanic_) {  // 'tagliaro'
          Add("KL", "L");
          current += 2;
          break;
        }
        // -ges-, -gep-, -gel-, -gie- at beginning
        if (current == 0 && (At(current + 1) == 'Y' || StringAt(current + 1, 2, {"ES", "EP", "EB", "EL", "EY", "IB",
                                                                                  "IL", "IN", "IE", "EI", "ER"}))) {
          Add("K", "J");
          current += 2;
          break;
        }
        // -ger-, -gy-
        if ((StringAt(current + 1, 2, {"ER"}) || At(current + 1) == 'Y') &&
            !StringAt(0, 6, {"DANGER", "RANGER", "MANGER"}) && !StringAt(current - 1, 1, {"E", "I"}) &&
            !StringAt(current - 1, 3, {"RGY", "OGY"})) {
          Add("K", "J");
          current += 2;
          break;
        }
        // italian, e.g. 'biaggi'
        if (StringAt(current + 1, 1, {"E", "I", "Y"}) || StringAt(current - 1, 4, {"AGGI", "OGGI"})) {
          if (Germanic() || StringAt(current + 1, 2, {"ET"}))  // obvious germanic
            Add("K");
          else if (StringAt(current + 1, 4, {"IER "}))  // always soft if french ending
            Add("J");
          else
            Add("J", "K");
          current += 2;
          break;
        }
        current += At(current + 1) == 'G' ? 2 : 1;
        Add("K");
        break;
      case 'H':
        // only keep if first & before vowel or between 2 vowels
        if ((current == 0 || IsVowel(current - 1)) && IsVowel(current + 1)) {
          Add("H");
          current += 2;
        } else {  // also takes care of 'HH'
          current += 1;
        }
        break;
      case 'J':
        // obvious spanish, 'jose', 'san jacinto'
        if (StringAt(current, 4, {"JOSE"}) || StringAt(0, 4, {"SAN "})) {
          if ((current == 0 && At(current + 4) == ' ') || StringAt(0, 4, {"SAN "}))
            Add("H");
          else
            Add("J", "H");
          current += 1;
          break;
        }
        if (current == 0 && !StringAt(current, 4, {"JOSE"})) {
          Add("J", "A");  // Yankelovich/Jankelowicz
        } else if (IsVowel(current - 1) && !slavo_germanic_ && (At(current + 1) == 'A' || At(current + 1) == 'O')) {
          Add("J", "H");  // spanish pronunciation of e.g. 'bajador'
        } else if (current == last_) {
          Add("J", " ");
        } else if (!StringAt(current + 1, 1, {"L", "T", "K", "S", "N", "M", "B", "Z"}) &&
                   !StringAt(current - 1, 1, {"S", "K", "L"})) {
          Add("J");
        }
        current += At(current + 1) == 'J' ? 2 : 1;
        break;
      case 'K':
        current += At(current + 1) == 'K' ? 2 : 1;
        Add("K");
        break;
      case 'L':
        if (At(current + 1) == 'L') {
          // spanish, e.g. 'cabrillo', 'gallegos'
          if ((current == length_ - 3 && StringAt(current - 1, 4, {"ILLO", "ILLA", "ALLE"})) ||
              ((StringAt(last_ - 1, 2, {"AS", "OS"}) || StringAt(last_, 1, {"A", "O"})) &&
               StringAt(current - 1, 4, {"ALLE"}))) {
            Add("L", " ");
            current += 2;
            break;
          }
          current += 2;
        } else {
          current += 1;
        }
        Add("L");
        break;
      case 'M':
        if ((StringAt(current - 1, 3, {"UMB"}) && (current + 1 == last_ || StringAt(current + 2, 2, {"ER"}))) ||
            At(current + 1) == 'M')  // 'dumb', 'thumb'
          current += 2;
        else
          current += 1;
        Add("M");
        break;
      case 'N':
        current += At(current + 1) == 'N' ? 2 : 1;
        Add("N");
        break;
      case kNTilde:
        current += 1;
        Add("N");
        break;
      case 'P':
        if (At(current + 1) == 'H') {
          Add("F");
          current += 2;
          break;
        }
        current += StringAt(current + 1, 1, {"P", "B"}) ? 2 : 1;  // 'campbell', 'raspberry'
        Add("P");
        break;
      case 'Q':
        current += At(current + 1) == 'Q' ? 2 : 1;
        Add("K");
        break;
      case 'R':
        // french, e.g. 'rogier', but exclude 'hochmeier'
        if (current == last_ && !slavo_germanic_ && StringAt(current - 2, 2, {"IE"}) &&
            !StringAt(current - 4, 2, {"ME", "MA"}))
          Add("", "R");
        else
          Add("R");
        current += At(current + 1) == 'R' ? 2 : 1;
        break;
      case 'S':
        if (StringAt(current - 1, 3, {"ISL", "YSL"})) {  // 'island', 'isle', 'carlisle', 'carlysle'
          current += 1;
          break;
        }
        if (current == 0 && StringAt(current, 5, {"SUGAR"})) {  // 'sugar-'
          Add("X", "S");
          current += 1;
          break;
        }
        if (StringAt(current, 2, {"SH"})) {
          if (StringAt(current + 1, 4, {"HEIM", "HOEK", "HOLM", "HOLZ"}))  // germanic
            Add("S");
          else
            Add("X");
          current += 2;
          break;
        }
        if (StringAt(current, 3, {"SIO", "SIA"}) || StringAt(current, 4, {"SIAN"})) {  // italian & armenian
          if (!slavo_germanic_)
            Add("S", "X");
          else
            Add("S");
          current += 3;
          break;
        }
        // german & anglicisations, e.g. 'smith' match 'schmidt', 'snider' match 'schneider'; also -sz- in slavic
        if ((current == 0 && StringAt(current + 1, 1, {"M", "N", "L", "W"})) || StringAt(current + 1, 1, {"Z"})) {
          Add("S", "X");
          current += StringAt(current + 1, 1, {"Z"}) ? 2 : 1;
          break;
        }
        if (StringAt(current, 2, {"SC"})) {
          if (At(current + 2) == 'H') {  // Schlesinger's rule
            // dutch origin, e.g. 'school', 'schooner'
            if (StringAt(current + 3, 2, {"OO", "ER", "EN", "UY", "ED", "EM"})) {
              if (StringAt(current + 3, 2, {"ER", "EN"}))  // 'schermerhorn', 'schenker'
                Add("X", "SK");
              else
                Add("SK");
              current += 3;
              break;
            }
            if (current == 0 && !IsVowel(3) && At(3) != 'W')
              Add("X", "S");
            else
              Add("X");
            current += 3;
            break;
          }
          if (StringAt(current + 2, 1, {"I", "E", "Y"})) {
            Add("S");
            current += 3;
            break;
          }
          Add("SK");
          current += 3;
          break;
        }
        if (current == last_ && StringAt(current - 2, 2, {"AI", "OI"}))  // french, e.g. 'resnais', 'artois'
          Add("", "S");
        else
          Add("S");
        current += StringAt(current + 1, 1, {"S", "Z"}) ? 2 : 1;
        break;
      case 'T':
        if (StringAt(current, 4, {"TION"})) {
          Add("X");
          current += 3;
          break;
        }
        if (StringAt(current, 3, {"TIA", "TCH"})) {
          Add("X");
          current += 3;
          break;
        }
        if (StringAt(current, 2, {"TH"}) || StringAt(current, 3, {"TTH"})) {
          // special case 'thomas', 'thames' or germanic
          if (StringAt(current + 2, 2, {"OM", "AM"}) || Germanic())
            Add("T");
          else
            Add("0", "T");
          current += 2;
          break;
        }
        current += StringAt(current + 1, 1, {"T", "D"}) ? 2 : 1;
        Add("T");
        break;
      case 'V':
        current += At(current + 1) == 'V' ? 2 : 1;
        Add("F");
        break;
      case 'W':
        if (StringAt(current, 2, {"WR"})) {  // can also be in middle of word
          Add("R");
          current += 2;
          break;
        }
        if (current == 0 && (IsVowel(current + 1) || StringAt(current, 2, {"WH"}))) {
          if (IsVowel(current + 1))
            Add("A", "F");  // Wasserman should match Vasserman
          else
            Add("A");  // need Uomo to match Womo
        }
        // Arnow should match Arnoff
        if ((current == last_ && IsVowel(current - 1)) ||
            StringAt(current - 1, 5, {"EWSKI", "EWSKY", "OWSKI", "OWSKY"}) || StringAt(0, 3, {"SCH"})) {
          Add("", "F");
          current += 1;
          break;
        }
        if (StringAt(current, 4, {"WICZ", "WITZ"})) {  // polish, e.g. 'filipowicz'
          Add("TS", "FX");
          current += 4;
          break;
        }
        current += 1;
        break;
      case 'X':
        // french, e.g. 'breaux'
        if (!(current == last_ && (StringAt(current - 3, 3, {"IAU", "EAU"}) || StringAt(current - 2, 2, {"AU", "OU"}))))
          Add("KS");
        current += StringAt(current + 1, 1, {"C", "X"}) ? 2 : 1;
        break;
      case 'Z':
        if (At(current + 1) == 'H') {  // chinese pinyin, e.g. 'zhao'
          Add("J");
          current += 2;
          break;
        }
        if (StringAt(current + 1, 2, {"ZO", "ZI", "ZA"}) || (slavo_germanic_ && current > 0 && At(current - 1) != 'T'))
          Add("S", "TS");
        else
          Add("S");
        current += At(current + 1) == 'Z' ? 2 : 1;
        break;
      default:
        current += 1;
    }
  }
  MetaphoneCodes out;
  out.primary = primary_.substr(0, max_len_);
  if (alternate_) out.alternate = secondary_.substr(0, max_len_);
  return out;
}

}  // namespace

MetaphoneCodes DoubleMetaphone(std::string_view utf8_word, size_t max_len) {
  std::string word;
  for (char32_t c : DecodeUtf8(utf8_word)) {
    char f = FoldLatin(c);
    if (f) word.push_back(f);
  }
  // Leading and trailing blanks would shift the reference's position tests ("current == 0", "== last").
  size_t b = word.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  word = word.substr(b, word.find_last_not_of(' ') - b + 1);
  return DoubleMetaphoneRun(std::move(word), max_len).Run();
}

bool MetaphoneMatch(const MetaphoneCodes& a, const MetaphoneCodes& b) {
  if (a.primary.empty() || b.primary.empty()) return false;
  if (a.primary == b.primary) return true;
  if (!b.alternate.empty() && a.primary == b.alternate) return true;
  if (!a.alternate.empty() && (a.alternate == b.primary || a.alternate == b.alternate)) return true;
  return false;
}

double NumericDistance(double a, double b) { return std::fabs(a - b); }

double NumericSimilarity(double a, double b) {
  double m = std::max(std::fabs(a), std::fabs(b));
  if (m == 0) return 1.0;
  return std::max(0.0, 1.0 - std::fabs(a - b) / m);
}

std::optional<int32_t> ParseDateDays(std::string_view s) {
  int y, m, d;
  auto digits = [&](size_t pos, size_t n, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    if (!digits(0, 4, &y) || !digits(5, 2, &m) || !digits(8, 2, &d)) return std::nullopt;
  } else if (s.size() == 8) {
    if (!digits(0, 4, &y) || !digits(4, 2, &m) || !digits(6, 2, &d)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

std::optional<int32_t> DateDistanceDays(std::string_view a, std::string_view b) {
  auto da = ParseDateDays(a), db = ParseDateDays(b);
  if (!da || !db) return std::nullopt;
  return *da > *db ? *da - *db : *db - *da;
}

}  // namespace canon
