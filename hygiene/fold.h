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

// FoldName: the comparison form of a person's name (the match model's `fold_accents`). Like FoldKey (NFKD, case
// folding, combining marks removed), but words stay apart (every run of other characters becomes one space,
// trimmed), the Latin letters that do not decompose are spelled out ("ø" -> "o", "ł" -> "l", "æ" -> "ae", "ß" ->
// "ss", "đ" -> "d", "þ" -> "th"), and the German vowel digraphs fold to their vowel ("ae" -> "a", "oe" -> "o",
// "ue" -> "u"), so "Müller", "Mueller" and "Muller" all give "muller", "María" gives "maria", "Søren" gives
// "soren". Both sides of a comparison are folded alike, so the digraph rule costs only pairs that were variants of
// one spelling anyway (Bauer/Baur). Same thread-safety and cost notes as FoldKey.
std::string FoldName(std::string_view text);

}  // namespace canon
