#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "hygiene/company.h"
#include "hygiene/text.h"

using namespace canon;

namespace {
const CompanyRules& Rules() {
  static const CompanyRules kRules = DefaultCompanyRules();
  return kRules;
}
std::string Key(std::string_view s) {
  auto r = NormalizeCompany(s, Rules());
  return r.error.ok() ? r.key : "ERR " + r.error.message();
}
}  // namespace

TEST_CASE("company: the issue's examples share keys", "[norm][company]") {
  CHECK(Key("ACME, Inc.") == "acme");
  CHECK(Key("Acme Incorporated") == "acme");
  CHECK(Key("Müller GmbH") == "mueller");
  CHECK(Key("Mueller GmbH") == "mueller");
  CHECK(Key("MÜLLER GMBH") == "mueller");
}

TEST_CASE("company: display form kept, only cleaned", "[norm][company]") {
  auto r = NormalizeCompany("  ACME,\tInc.\x01 ", Rules());
  REQUIRE(r.error.ok());
  CHECK(r.value == "ACME, Inc.");
  CHECK(r.flags == std::vector<std::string>{"legal_form_removed"});
  CHECK(NormalizeCompany("Mu\xCC\x88ller GmbH", Rules()).value == "M\xC3\xBCller GmbH");
  CHECK(NormalizeCompany("Acme", Rules()).flags.empty());
}

TEST_CASE("company: legal forms in many spellings", "[norm][company]") {
  CHECK(Key("Acme LLC") == "acme");
  CHECK(Key("Acme, L.L.C.") == "acme");
  CHECK(Key("Acme Ltd") == "acme");
  CHECK(Key("Acme Limited") == "acme");
  CHECK(Key("Acme Pty Ltd") == "acme");
  CHECK(Key("Acme Pty. Ltd.") == "acme");
  CHECK(Key("Acme PLC") == "acme");
  CHECK(Key("Acme Corp.") == "acme");
  CHECK(Key("Acme Corporation") == "acme");
  CHECK(Key("Acme Co.") == "acme");
  CHECK(Key("Acme Holdings Co., Ltd.") == "acmeholdings");
  CHECK(Key("Acme S.A.") == "acme");
  CHECK(Key("Acme SA") == "acme");
  CHECK(Key("Acme S. A.") == "acme");
  CHECK(Key("Acme AG") == "acme");
  CHECK(Key("Acme B.V.") == "acme");
  CHECK(Key("Acme BV") == "acme");
  CHECK(Key("Acme SARL") == "acme");
  CHECK(Key("Acme S.à r.l.") == "acme");
  CHECK(Key("Acme S.r.l.") == "acme");
  CHECK(Key("Acme S.p.A.") == "acme");
  CHECK(Key("Acme KG") == "acme");
  CHECK(Key("Acme GmbH & Co. KG") == "acme");
  CHECK(Key("Acme Oy") == "acme");
  CHECK(Key("Acme AB") == "acme");
  CHECK(Key("Acme S.A. de C.V.") == "acme");
  CHECK(Key("Acme UG (haftungsbeschränkt)") == "acme");
  CHECK(Key("Acme Sp. z o.o.") == "acme");
  CHECK(Key("Volkswagen Aktiengesellschaft") == "volkswagen");
  CHECK(Key("Acme Gesellschaft mit beschränkter Haftung") == "acme");
  CHECK(Key("Acme Gesellschaft mit beschraenkter Haftung") == "acme");
}

TEST_CASE("company: articles, connectors, punctuation and accents", "[norm][company]") {
  CHECK(Key("The Acme Company") == "acmecompany");
  CHECK(Key("the acme company") == "acmecompany");
  CHECK(Key("Johnson & Johnson") == "johnsonjohnson");
  CHECK(Key("Johnson and Johnson") == "johnsonjohnson");
  CHECK(Key("Procter & Gamble Co.") == "proctergamble");
  CHECK(Key("AT&T Inc.") == "att");
  CHECK(Key("Société Générale S.A.") == "societegenerale");
  CHECK(Key("Nestlé") == "nestle");
  CHECK(Key("Lego A/S") == "lego");
  CHECK(Key("Ørsted A/S") == "orsted");
  CHECK(Key("Straße Bau GmbH") == "strassebau");
  CHECK(Key("3M Company") == "3mcompany");
  CHECK(Key("Яндекс ООО") == "яндексооо");  // Cyrillic legal forms are not listed; the script is kept
  CHECK(Key("Toyota K.K.") == "toyota");
}

TEST_CASE("company: never an empty key from a real name", "[norm][company]") {
  CHECK(Key("GmbH") == "gmbh");
  CHECK(Key("The") == "the");
  CHECK(Key("Limited Co") == "limited");
  CHECK(Key("And Co") == "and");
  CHECK(Key("Co") == "co");
}

TEST_CASE("company: errors", "[norm][company]") {
  CHECK(Key("") == "ERR the company name has no letter or digit");
  CHECK(Key(" -- ") == "ERR the company name has no letter or digit");
  CHECK(Key("Acme\xFF") == "ERR the company name is not valid UTF-8");
  std::string big(200000, 'a');
  CHECK(Key(big + " Inc") == big);
}

TEST_CASE("company domain from e-mail or website", "[norm][company]") {
  const std::unordered_set<std::string> free = {"gmail.com", "web.de"};
  CHECK(CompanyDomain("ann@Acme.com", free) == "acme.com");
  CHECK(CompanyDomain("acme.com", free) == "acme.com");
  CHECK(CompanyDomain("https://www.Acme.com:443/about?x=1#top", free) == "acme.com");
  CHECK(CompanyDomain("http://user@shop.acme.co.uk/", free) == "shop.acme.co.uk");
  CHECK(CompanyDomain("www.acme.de", free) == "acme.de");
  CHECK(CompanyDomain("WWW.ACME.DE.", free) == "acme.de");
  CHECK(CompanyDomain("https://bücher.de", free) == "xn--bcher-kva.de");
  CHECK(CompanyDomain("www.com", free) == "www.com");  // "www." is only dropped when a domain remains
  CHECK(CompanyDomain("ann@gmail.com", free) == "");
  CHECK(CompanyDomain("gmail.com", free) == "");
  CHECK(CompanyDomain("https://web.de/", free) == "");
  CHECK(CompanyDomain("", free) == "");
  CHECK(CompanyDomain("not a domain", free) == "");
  CHECK(CompanyDomain("localhost", free) == "");
  CHECK(CompanyDomain("acme\xFF.com", free) == "");
}

TEST_CASE("company: random input never crashes", "[norm][company][robust]") {
  std::mt19937 rng(3);
  const std::string alphabet = "AcmeGmbH.,&-/ S.A.inc\xC3\xBC\xC3\x9F\xFF:@w";
  for (int i = 0; i < 3000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = (i % 2) ? static_cast<char>(rng() & 0xFF) : alphabet[rng() % alphabet.size()];
    auto r = NormalizeCompany(s, Rules());
    if (r.error.ok()) {
      CHECK_FALSE(r.key.empty());
      CHECK(IsValidUtf8(r.key));
    }
    std::string d = CompanyDomain(s, {});
    CHECK(IsValidUtf8(d));
  }
}

TEST_CASE("company: rules/companies.toml holds the built-in lists", "[norm][company]") {
  std::ifstream f(std::string(CANON_SOURCE_DIR) + "/rules/companies.toml");
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  auto parsed = ParseCompanyRules(ss.str(), "rules/companies.toml");
  REQUIRE(parsed.ok());
  CompanyRules d = DefaultCompanyRules();
  CHECK(parsed->legal_forms == d.legal_forms);
  CHECK(parsed->leading_articles == d.leading_articles);
  CHECK(parsed->connectors == d.connectors);
  auto bad = ParseCompanyRules("legal_forms = [\"Inc\", 3]\n", "c.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().where() == "c.toml:1:23");
  CHECK_FALSE(ParseCompanyRules("legal_forms = [\n", "c.toml").ok());
  CHECK_FALSE(ParseCompanyRules("connectors = [\"a b\"]\n", "c.toml").ok());
}
