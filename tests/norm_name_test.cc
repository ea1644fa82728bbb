#include <catch2/catch.hpp>
#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "hygiene/name.h"
#include "hygiene/text.h"

using namespace canon;

namespace {
const NameRules& Rules() {
  static const NameRules kRules = DefaultNameRules();
  return kRules;
}
NameResult N(std::string_view first, std::string_view last, std::string_view full = {}) {
  return NormalizePersonName(first, last, full, Rules());
}
NameResult Full(std::string_view full) { return NormalizePersonName({}, {}, full, Rules()); }
// "given / family" for compact checks.
std::string GF(const NameResult& r) { return r.error.ok() ? r.given + " / " + r.family : "ERR " + r.error.message(); }
bool HasFlag(const NameResult& r, const std::string& f) {
  return std::find(r.flags.begin(), r.flags.end(), f) != r.flags.end();
}
}  // namespace

TEST_CASE("names: the issue's examples", "[norm][name]") {
  auto a = Full("JOHN MCDONALD");
  CHECK(GF(a) == "John / McDonald");
  CHECK(a.full == "John McDonald");
  CHECK(HasFlag(a, "recased"));
  CHECK(GF(N("JOHN", "MCDONALD")) == "John / McDonald");

  CHECK(GF(Full("ludwig VAN BEETHOVEN")) == "Ludwig / van Beethoven");
  CHECK(GF(N("ludwig", "VAN BEETHOVEN")) == "Ludwig / van Beethoven");

  auto j = Full("Dr. Jane O'NEILL PhD");
  CHECK(GF(j) == "Jane / O'Neill");
  CHECK(j.honorific == "Dr.");
  CHECK(j.suffix == "PhD");
  CHECK(j.full == "Jane O'Neill");
  auto j2 = N("Dr. Jane", "O'NEILL PhD");
  CHECK(GF(j2) == "Jane / O'Neill");
  CHECK(j2.honorific == "Dr.");
  CHECK(j2.suffix == "PhD");
}

TEST_CASE("names: Mc and Mac", "[norm][name]") {
  CHECK(N("", "mcdonald").family == "McDonald");
  CHECK(N("", "MACARTHUR").family == "MacArthur");
  CHECK(N("", "macleod").family == "MacLeod");
  CHECK(N("", "MACK").family == "Mack");
  CHECK(N("", "macy").family == "Macy");
  CHECK(N("", "MACHADO").family == "Machado");
  CHECK(N("", "MACE").family == "Mace");
  CHECK(N("", "MC").family == "Mc");
  CHECK(N("", "SMITH-MACARTHUR").family == "Smith-MacArthur");
  // Mixed case is how the person writes it: kept.
  CHECK(N("", "Macdonald").family == "Macdonald");
  CHECK(N("", "MacDonald").family == "MacDonald");
}

TEST_CASE("names: apostrophes, hyphens and particles", "[norm][name]") {
  CHECK(N("", "O'BRIEN").family == "O'Brien");
  CHECK(N("", "o'neill").family == "O'Neill");
  CHECK(N("", "O\xE2\x80\x99" "BRIEN").family == "O\xE2\x80\x99" "Brien");
  CHECK(N("", "D'ANGELO").family == "d'Angelo");
  CHECK(GF(Full("Jean d'ARC")) == "Jean / d'Arc");
  CHECK(N("", "O'neill").family == "O'Neill");
  CHECK(N("", "O'Neill").family == "O'Neill");
  CHECK(N("d'andre", "SMITH").given == "D'Andre");  // "d'" stays lower only in a family name
  CHECK(N("JEAN-LUC", "PICARD").given == "Jean-Luc");
  CHECK(N("", "SMITH-JONES").family == "Smith-Jones");
  CHECK(N("", "o'brien-mcdonald").family == "O'Brien-McDonald");
  CHECK(GF(Full("jean-luc DE LA CRUZ")) == "Jean-Luc / de la Cruz");
  CHECK(GF(Full("Maria dos Santos")) == "Maria / dos Santos");
  CHECK(GF(Full("VINCENT VAN GOGH")) == "Vincent / van Gogh");
  CHECK(N("", "van der berg").family == "van der Berg");
  CHECK(N("", "VAN DER BERG").family == "van der Berg");
  // A particle that is the whole family name is a name.
  CHECK(N("john", "VAN").family == "Van");
  // Title-case particles are how the person writes them ("Dick Van Dyke").
  CHECK(GF(Full("Dick Van Dyke")) == "Dick / Van Dyke");
  CHECK(GF(Full("Van Morrison")) == "Van / Morrison");
}

TEST_CASE("names: capitalization only for all-caps or all-lower words", "[norm][name]") {
  auto r = N("DeAndre", "McDonald");
  CHECK(GF(r) == "DeAndre / McDonald");
  CHECK_FALSE(HasFlag(r, "recased"));
  CHECK(GF(N("mARY", "sMITH")) == "mARY / sMITH");
  CHECK(GF(N("MÜLLER", "ÇELIK")) == "Müller / Çelik");
  CHECK(GF(N("élodie", "ÉCUYER")) == "Élodie / Écuyer");
  CHECK(GF(N("ΟΔΥΣΣΕΑΣ", "ΠΑΠΑΔΟΠΟΥΛΟΣ")) == "Οδυσσεας / Παπαδοπουλος");
  CHECK(GF(N("太郎", "山田")) == "太郎 / 山田");
  CHECK(GF(N("j.", "SMITH")) == "J. / Smith");
}

TEST_CASE("names: NFC and whitespace", "[norm][name]") {
  CHECK(N("Jose\xCC\x81", "Garcia").given == "Jos\xC3\xA9");
  CHECK(GF(N("  Mary   Ann \t", " Smith\n")) == "Mary Ann / Smith");
  CHECK(GF(N("Ann\x01", "Lee\xC2\xA0")) == "Ann / Lee");
}

TEST_CASE("names: honorifics and suffixes", "[norm][name]") {
  auto p = Full("PROF. DR. HANS MÜLLER");
  CHECK(GF(p) == "Hans / Müller");
  CHECK(p.honorific == "Prof. Dr.");
  auto m = Full("Mr John Smith Jr.");
  CHECK(m.honorific == "Mr.");
  CHECK(m.suffix == "Jr.");
  CHECK(GF(m) == "John / Smith");
  auto k = Full("Martin Luther King, Jr.");
  CHECK(GF(k) == "Martin Luther / King");
  CHECK(k.suffix == "Jr.");
  auto s = Full("John Smith Jr., PhD");
  CHECK(GF(s) == "John / Smith");
  CHECK(s.suffix == "Jr., PhD");
  CHECK(Full("Henry Ford III").suffix == "III");
  CHECK(Full("Frau Anna Schmidt").honorific == "Frau");
  CHECK(Full("doctor who").honorific == "Dr.");
  // A first-name field holding only a salutation, next to a last name, is a salutation.
  CHECK(N("Herr", "Schmidt").honorific == "Herr");
  CHECK(GF(N("Herr", "Schmidt")) == " / Schmidt");
  CHECK(N("Herr", "Schmidt").full == "Schmidt");
  CHECK(GF(N("DR", "SMITH", "Dr. John Smith")) == "John / Smith");
  CHECK(N("DR", "SMITH", "Dr. John Smith").honorific == "Dr.");
  // Without a last name it stays the only name there is.
  CHECK(GF(N("Herr", "")) == "Herr / ");
  // An honorific or suffix alone is a name, not an honorific.
  CHECK(GF(Full("Dr.")) == " / Dr.");
}

TEST_CASE("names: full name split when parts are missing", "[norm][name]") {
  CHECK(GF(Full("Mary Ann Smith")) == "Mary Ann / Smith");
  CHECK(GF(Full("SMITH, JOHN")) == "John / Smith");
  CHECK(GF(Full("van Beethoven, Ludwig")) == "Ludwig / van Beethoven");
  CHECK(Full("McDonald, Dr. John").honorific == "Dr.");
  CHECK(GF(Full("McDonald, Dr. John")) == "John / McDonald");
  auto one = Full("Madonna");
  CHECK(GF(one) == " / Madonna");
  CHECK(one.full == "Madonna");
  CHECK(HasFlag(one, "single_name"));
  // Only the missing part is taken from the full name.
  CHECK(GF(N("Johnny", "", "John Smith")) == "Johnny / Smith");
  CHECK(GF(N("", "Smith", "John Smith")) == "John / Smith");
  // Both parts given: the full name is not consulted.
  CHECK(GF(N("Ann", "Lee", "Someone Else")) == "Ann / Lee");
  // A first name alone stays a first name.
  CHECK(GF(N("Mary Ann", "")) == "Mary Ann / ");
  CHECK(N("Mary Ann", "").full == "Mary Ann");
}

TEST_CASE("names: errors and flags", "[norm][name]") {
  CHECK(N("", "", "").error.message() == "no name given");
  CHECK(N(" ", "\t", "\n").error.message() == "no name given");
  CHECK(N("Ann\xFF", "", "").error.message() == "the first name is not valid UTF-8");
  CHECK(N("", "", "x\xC3").error.message() == "the full name is not valid UTF-8");
  // The error names the part that failed, whichever others are given.
  CHECK(N("Ann\xFF", "Lee", "").error.where() == "first_name");
  CHECK(N("Ann", "L\xFF", "Ann Lee").error.where() == "last_name");
  CHECK(N("Ann", "L\xFF", "Ann Lee").error.message() == "the last name is not valid UTF-8");
  CHECK(HasFlag(N("R2D2", "Droid"), "has_digits"));
  auto big = N(std::string(100000, 'a'), "b");
  REQUIRE(big.error.ok());
  CHECK(CodePointCount(big.given) <= 512);
}

TEST_CASE("names: random input never crashes", "[norm][name][robust]") {
  std::mt19937 rng(5);
  const std::string alphabet = "aBmMcC'-., DrPhDvanDE\xC3\xBC\xE2\x80\x99\xFF";
  for (int i = 0; i < 3000; ++i) {
    std::string parts[3];
    for (auto& s : parts) {
      s.resize(rng() % 24);
      for (char& c : s) c = (i % 2) ? static_cast<char>(rng() & 0xFF) : alphabet[rng() % alphabet.size()];
    }
    auto r = NormalizePersonName(parts[0], parts[1], parts[2], Rules());
    if (r.error.ok()) {
      CHECK(IsValidUtf8(r.full));
      CHECK_FALSE(r.full.empty());
    }
  }
}

TEST_CASE("names: rules/names.toml holds the built-in lists", "[norm][name]") {
  std::ifstream f(std::string(CANON_SOURCE_DIR) + "/rules/names.toml");
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  auto parsed = ParseNameRules(ss.str(), "rules/names.toml");
  REQUIRE(parsed.ok());
  NameRules d = DefaultNameRules();
  CHECK(parsed->honorifics == d.honorifics);
  CHECK(parsed->suffixes == d.suffixes);
  CHECK(parsed->particles == d.particles);
  CHECK(parsed->mac_names == d.mac_names);
}

TEST_CASE("names: rule file errors name file:line:column", "[norm][name]") {
  auto bad = ParseNameRules("particles = [\"van\"\nsuffixes = 3\n", "names.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().where().rfind("names.toml:", 0) == 0);
  auto wrong = ParseNameRules("suffixes = 3\n", "names.toml");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message() == "'suffixes' must be an array of strings");
  CHECK(wrong.status().where() == "names.toml:1:12");
  auto unknown = ParseNameRules("sufixes = []\n", "names.toml");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().where() == "names.toml:1:11");
  auto ok = ParseNameRules("particles = [\"VAN\"]\n[[example]]\nfield = \"x\"\n", "names.toml");
  REQUIRE(ok.ok());
  CHECK(ok->particles.count("van") == 1);
}

// name.cc titles a name's first letter as a whole string (no word BreakIterator per call): for one code point
// that must be what the word-break titling gives, for every letter Unicode has.
TEST_CASE("name: one letter titled as a whole string as by word breaks", "[norm][name]") {
  const uint32_t opts = U_TITLECASE_NO_LOWERCASE | U_TITLECASE_NO_BREAK_ADJUSTMENT;
  size_t letters = 0;
  for (UChar32 c = 0; c <= 0x10FFFF; ++c) {
    if (!u_isalpha(c)) continue;
    ++letters;
    icu::UnicodeString by_words(c), whole(c);
    by_words.toTitle(nullptr, icu::Locale::getRoot(), opts);
    whole.toTitle(nullptr, icu::Locale::getRoot(), opts | U_TITLECASE_WHOLE_STRING);
    if (by_words != whole) {
      INFO("U+" << std::hex << c);
      CHECK(by_words == whole);
    }
  }
  CHECK(letters > 100000);
}
