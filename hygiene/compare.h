// String, number and date comparators for record matching (pure functions).
//
// What: Jaro, Jaro–Winkler, Damerau–Levenshtein (true, unrestricted: Lowrance–Wagner) and optimal string
// alignment (OSA, "restricted" DL), a token-set similarity for multi-word names and companies, Double Metaphone
// (Lawrence Philips' published algorithm, primary + alternate, 4-character codes), exact-on-key, numeric and
// date distance.
// Text: every string comparator works on Unicode code points, never bytes: "Müller" has 6 letters, and a typo
// in a non-ASCII letter costs one edit. The UTF-8 overloads decode (invalid bytes become U+FFFD) and compare as
// given; FoldCase() lowercases code point by code point (ICU simple case mapping) for callers that want it —
// the match model folds once per record, not per pair.
// Ownership: all inputs are borrowed for the duration of the call; results are values.
// Thread-safety: no state; safe from any thread.
// Errors: none; empty inputs give similarity 0 (two empty strings: 1 for Jaro/JW, since they are equal).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canon {

// UTF-8 -> code points. Malformed or overlong sequences decode to U+FFFD, one per bad byte.
std::u32string DecodeUtf8(std::string_view s);
std::string EncodeUtf8(std::u32string_view s);
// Decodes and lowercases each code point (simple case mapping: no locale, no length change).
std::u32string FoldCase(std::string_view s);

// Jaro similarity in [0, 1]. Match window = max(|a|,|b|)/2 - 1; transpositions are half the matched characters
// out of order.
double Jaro(std::u32string_view a, std::u32string_view b);
// The general Jaro loop (any length). Jaro() takes a bit-mask path for strings of up to 64 code points; this
// one is public so tests can check that both give the same value.
double JaroLong(std::u32string_view a, std::u32string_view b);
// Jaro–Winkler: jaro + l * p * (1 - jaro), l = common prefix length capped at max_prefix. The standard
// parameters are p = 0.1, max_prefix = 4; the boost is applied at any Jaro value (no 0.7 threshold).
double JaroWinkler(std::u32string_view a, std::u32string_view b, double prefix_scale = 0.1, int max_prefix = 4);
double JaroWinkler(std::string_view a_utf8, std::string_view b_utf8);  // case-sensitive, on code points

// True Damerau–Levenshtein distance: insertions, deletions, substitutions and transpositions of adjacent
// characters, where a transposed pair may be edited again (DL("CA","ABC") = 2).
int DamerauLevenshtein(std::u32string_view a, std::u32string_view b);
int DamerauLevenshtein(std::string_view a_utf8, std::string_view b_utf8);
// Optimal string alignment ("restricted" DL): no substring is edited twice (OSA("CA","ABC") = 3).
int OsaDistance(std::u32string_view a, std::u32string_view b);
// True when the Damerau–Levenshtein distance is at most 1 (equal, or one insertion, deletion, substitution or
// adjacent transposition). O(n), no allocation: the common "one typo" comparison level.
bool WithinOneEdit(std::u32string_view a, std::u32string_view b);
// Plain Levenshtein, for reference and baselines.
int Levenshtein(std::u32string_view a, std::u32string_view b);

// Splits into lowercase word tokens (letters and digits; everything else separates).
std::vector<std::u32string> Tokenize(std::string_view utf8);
// Token-set similarity in [0, 1] for multi-word values: symmetric Monge–Elkan over Jaro–Winkler — for each
// token the best JW against the other side's tokens, averaged, then the mean of both directions. Word order
// does not matter ("Smith John" = "John Smith"), a typo in one word costs a little, and an extra word costs
// in proportion. Empty on either side gives 0.
double TokenSetSimilarity(const std::vector<std::u32string>& a, const std::vector<std::u32string>& b);
double TokenSetSimilarity(std::string_view a_utf8, std::string_view b_utf8);
// Jaccard overlap of exact token sets, in [0, 1].
double TokenJaccard(const std::vector<std::u32string>& a, const std::vector<std::u32string>& b);

struct MetaphoneCodes {
  std::string primary;
  std::string alternate;  // empty when the word has no alternate pronunciation
};
// Double Metaphone (Philips 2000), ported from the published C++ reference; codes truncated to max_len (4 is
// the published length). Letters with diacritics fold to their base letter except Ç (-> S) and Ñ (-> N), which
// the algorithm treats itself. Non-letters are skipped, as in the reference.
MetaphoneCodes DoubleMetaphone(std::string_view utf8_word, size_t max_len = 4);
// True when any code of one side equals any code of the other (the usual Double Metaphone match test).
bool MetaphoneMatch(const MetaphoneCodes& a, const MetaphoneCodes& b);

// Exact comparison of two matching keys; an empty key never matches (a missing value is not evidence).
inline bool ExactKey(std::string_view a, std::string_view b) { return !a.empty() && a == b; }

// |a - b|; and a similarity 1 - |a-b| / max(|a|,|b|) in [0, 1] (1 when both are 0).
double NumericDistance(double a, double b);
double NumericSimilarity(double a, double b);

// Days since 1970-01-01 of an ISO date "YYYY-MM-DD" or a compact "YYYYMMDD"; nullopt when not a valid date.
std::optional<int32_t> ParseDateDays(std::string_view s);
// |days(a) - days(b)|, or nullopt when either is not a valid date.
std::optional<int32_t> DateDistanceDays(std::string_view a, std::string_view b);

}  // namespace canon
