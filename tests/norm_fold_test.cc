#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "hygiene/fold.h"

using canon::FoldKey;

TEST_CASE("FoldKey drops case, spaces and punctuation of ASCII", "[norm][fold]") {
  CHECK(FoldKey("Paid-Search") == "paidsearch");
  CHECK(FoldKey("paid search") == "paidsearch");
  CHECK(FoldKey("PAID_SEARCH") == "paidsearch");
  CHECK(FoldKey("  Google Ads!! ") == "googleads");
  CHECK(FoldKey("E-Mail") == "email");
  CHECK(FoldKey("3M Co.") == "3mco");
  CHECK(FoldKey("U.S.A.") == "usa");
  CHECK(FoldKey("") == "");
  CHECK(FoldKey("   ") == "");
  CHECK(FoldKey("--/..") == "");
}

TEST_CASE("FoldKey strips accents and folds case beyond ASCII", "[norm][fold]") {
  CHECK(FoldKey("Côte d'Ivoire") == "cotedivoire");
  CHECK(FoldKey("Österreich") == "osterreich");
  CHECK(FoldKey("São Tomé") == "saotome");
  CHECK(FoldKey("Straße") == "strasse");
  CHECK(FoldKey("STRASSE") == "strasse");
  CHECK(FoldKey("İstanbul") == "istanbul");
  CHECK(FoldKey("Ångström") == "angstrom");
  // NFKD compatibility: full-width letters and ligatures become plain letters.
  CHECK(FoldKey("ＡＢＣ") == "abc");
  CHECK(FoldKey("ﬁnance") == "finance");
  // Decomposed input (e + combining acute) folds like precomposed input.
  CHECK(FoldKey("Cafe\xCC\x81") == FoldKey("Café"));
  CHECK(FoldKey("Café") == "cafe");
  // Non-Latin letters stay, folded.
  CHECK(FoldKey("日本") == "日本");
  CHECK(FoldKey("Россия") == "россия");
  CHECK(FoldKey("Ελλάδα") == "ελλαδα");
  // Non-breaking and other Unicode spaces and dashes are dropped like ASCII ones.
  CHECK(FoldKey("paid\xC2\xA0search\xE2\x80\x94x") == "paidsearchx");
}

TEST_CASE("FoldKey drops invalid UTF-8 bytes instead of failing", "[norm][fold]") {
  CHECK(FoldKey("ab\xFF\xFE" "cd") == "abcd");
  CHECK(FoldKey("\xC3") == "");
  CHECK(FoldKey("\xC3(") == "");
  CHECK(FoldKey("x\xE2\x82") == "x");
}

TEST_CASE("FoldKey survives random bytes", "[norm][fold][robust]") {
  std::mt19937 rng(1234);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 64, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    std::string k = FoldKey(s);
    // The output is letters and digits only: no ASCII space or punctuation survives.
    for (unsigned char c : k) {
      if (c < 0x80) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')));
    }
  }
}
