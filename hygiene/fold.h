// FoldKey: the insensitive-matching form of a short text (vocabulary aliases, company and name keys).
//
// Contract: FoldKey(s) = Unicode NFKD, full case folding (so "ß" -> "ss", "İ" -> "i"), every combining mark
// removed (accents: "é" -> "e", "Å" -> "a"), and then only letters (L*) and digits (N*) kept: spaces,
// punctuation, symbols and control characters are dropped. Two aliases that differ only in case, accents,
// spacing or punctuation fold to the same key: "Paid-Search", "paid search" and "PAID_SEARCH" all give
// "paidsearch"; "Côte d'Ivoire" gives "cotedivoire"; "Deutschland" gives "deutschland".
// Non-Latin letters are kept (folded), so "日本" stays "日本". Digits stay ("3M" -> "3m").
// Bytes that are not valid UTF-8 are dropped (they never match anything), so the function never fails; callers
// that must reject bad input check it first (IsValidUtf8 in hygiene/text.h).
// Note: German umlauts fold to the bare vowel here ("Müller" -> "muller"); the company key uses its own
// ä->ae folding first (hygiene/company.h) because "Mueller" is a common spelling of the same name.
//
// Thread-safety: pure function; safe from any thread (uses only ICU's immutable Normalizer2 singletons).
// Cost: ASCII input takes a fast path without ICU (about the cost of one copy).
#pragma once

#include <string>
#include <string_view>

namespace canon {

std::string FoldKey(std::string_view text);

}  // namespace canon
