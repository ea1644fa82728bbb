#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "connectors/rule_dir.h"
#include "tests/shipped_rules.h"
#include "hygiene/normalize.h"
#include "hygiene/rule_set.h"

using namespace canon;

namespace {

const RuleSet& Shipped() { return test::ShippedRules(); }

NormalizedRecord Run(std::map<std::string, std::string> fields, std::map<std::string, std::string> extra = {}) {
  Record r;
  r.source = "website";
  r.fields = std::move(fields);
  r.extra = std::move(extra);
  return Normalize(r, Shipped());
}

std::string LeadSource(std::map<std::string, std::string> fields) {
  fields["email"] = "someone@example.com";
  return Run(std::move(fields)).Get("lead_source");
}

bool Quarantined(const NormalizedRecord& n, const std::string& field) {
  for (const auto& q : n.quarantined)
    if (q.field == field) return true;
  return false;
}

const char* kSources = "[website]\nkind = \"form\"\nauth = \"none\"\n";

}  // namespace

TEST_CASE("lead_source aliases match insensitively", "[rules]") {
  for (const char* in : {"PPC", "Google Ads", "paid search", "Paid-Search", "adwords", "  PAID_search "})
    CHECK(LeadSource({{"lead_source", in}}) == "paid_search");
  CHECK(LeadSource({{"lead_source", "Facebook Ads"}}) == "paid_social");
  CHECK(LeadSource({{"lead_source", "newsletter"}}) == "email");
  CHECK(LeadSource({{"lead_source", "Trade show"}}) == "events");
  CHECK(LeadSource({{"lead_source", "LinkedIn"}}) == "organic_social");
}

TEST_CASE("lead_source is refined and derived from attribution", "[rules]") {
  CHECK(LeadSource({{"lead_source", "LinkedIn"}, {"utm_medium", "cpc"}}) == "paid_social");
  CHECK(LeadSource({{"gclid", "EAIaIQobChMI"}}) == "paid_search");
  CHECK(LeadSource({{"msclkid", "abc"}}) == "other");  // alone: a paid click on a network we cannot tell
  CHECK(LeadSource({{"msclkid", "abc"}, {"referrer", "https://www.bing.com/"}}) == "paid_search");
  CHECK(LeadSource({{"fbclid", "IwAR"}, {"utm_medium", "paid"}}) == "paid_social");
  CHECK(LeadSource({{"fbclid", "IwAR"}}) == "organic_social");
  CHECK(LeadSource({{"utm_source", "google"}, {"utm_medium", "cpc"}}) == "paid_search");
  CHECK(LeadSource({{"utm_source", "news"}, {"utm_medium", "e-mail"}}) == "email");
  CHECK(LeadSource({}) == "");
  // ttclid has no field definition: it arrives as an extra and still counts for derivation.
  Record r;
  r.fields = {{"email", "a@example.com"}};
  r.extra = {{"ttclid", "E.C.P"}};
  NormalizedRecord n = Normalize(r, Shipped());
  CHECK(n.Get("lead_source") == "paid_social");
  CHECK(std::find(n.flags.begin(), n.flags.end(), "lead_source:derived") != n.flags.end());
}

TEST_CASE("an unknown lead_source is quarantined, not guessed", "[rules]") {
  NormalizedRecord n = Run({{"email", "a@example.com"}, {"lead_source", "Carrier pigeon"}});
  CHECK(n.accepted());
  CHECK(n.Get("lead_source") == "");
  REQUIRE(n.quarantined.size() == 1);
  CHECK(n.quarantined[0].field == "lead_source");
  CHECK(n.quarantined[0].value == "Carrier pigeon");
  CHECK(n.quarantined[0].reason.find("lead_source") != std::string::npos);
}

TEST_CASE("countries become ISO 3166-1 alpha-2", "[rules]") {
  for (const char* in : {"United Kingdom", "UK", "GBR", "Great Britain", "gb"})
    CHECK(Run({{"country", in}}).Get("country") == "GB");
  CHECK(Run({{"country", "NO"}}).Get("country") == "NO");
  CHECK(Run({{"country", "Deutschland"}}).Get("country") == "DE");
  CHECK(Run({{"country", "USA"}}).Get("country") == "US");
  CHECK(Run({{"country", "Österreich"}}).Get("country") == "AT");
  CHECK(Quarantined(Run({{"country", "Atlantis"}}), "country"));
}

TEST_CASE("regions become ISO 3166-2 within the record's country", "[rules]") {
  CHECK(Run({{"region", "California"}}).Get("region") == "US-CA");
  CHECK(Run({{"region", "ON"}, {"country", "Canada"}}).Get("region") == "CA-ON");
  NormalizedRecord n = Run({{"region", "Texas"}});
  CHECK(n.Get("country") == "US");
  // "CA" with Canada as the country is not California.
  CHECK(Quarantined(Run({{"region", "CA"}, {"country", "CA"}}), "region"));
}

TEST_CASE("lifecycle stages only move forward unless a steward moves them", "[rules]") {
  const RuleSet& rules = Shipped();
  CHECK(Run({{"lifecycle_stage", "MQL"}}).Get("lifecycle_stage") == "marketing_qualified_lead");
  CHECK(LifecycleMayMove(rules, "lead", "customer", false));
  CHECK(LifecycleMayMove(rules, "", "lead", false));
  CHECK_FALSE(LifecycleMayMove(rules, "customer", "lead", false));
  CHECK(LifecycleMayMove(rules, "customer", "lead", true));
  CHECK_FALSE(LifecycleMayMove(rules, "lead", "bogus", true));
}

TEST_CASE("records are rejected or held by their field definitions", "[rules]") {
  NormalizedRecord none = Run({{"city", "Oslo"}});
  REQUIRE_FALSE(none.accepted());
  CHECK(none.rejected[0].field == "record");
  CHECK(Run({{"last_name", "Smith"}, {"company", "Acme"}}).accepted());
  NormalizedRecord longname = Run({{"email", "a@example.com"}, {"job_title", std::string(300, 'x')}});
  REQUIRE_FALSE(longname.accepted());
  CHECK(longname.rejected[0].field == "job_title");
  CHECK(longname.rejected[0].reason == "longer than 128 characters");
  NormalizedRecord consent = Run({{"email", "a@example.com"}, {"consent", "Yes"}});
  CHECK(consent.Get("consent") == "true");
  CHECK_FALSE(Run({{"email", "a@example.com"}, {"consent", "perhaps"}}).accepted());
  // A field without a definition never becomes canonical.
  NormalizedRecord stray = Run({{"email", "a@example.com"}, {"favourite_colour", "blue"}});
  CHECK(stray.Get("favourite_colour") == "");
  CHECK(Quarantined(stray, "favourite_colour"));
  CHECK(stray.rules_version == Shipped().version());
}

TEST_CASE("every example the shipped rules carry holds", "[rules]") {
  const RuleSet& rules = Shipped();
  CHECK(rules.examples().size() >= 100);
  for (const auto& ex : rules.examples()) {
    INFO(ex.where);
    CHECK(CheckExample(ex, rules) == "");
  }
}

TEST_CASE("a failing example is reported, not passed", "[rules]") {
  std::string vocab =
      "[[value]]\ncode = \"a\"\naliases = [\"alpha\"]\n"
      "[[example]]\nfield = \"lead_source\"\ninput = \"alpha\"\nexpect = \"b\"\n";
  auto r = RuleSet::Parse({{"r/sources.toml", kSources}, {"r/vocabularies/lead_source.toml", vocab}});
  REQUIRE(r.ok());
  REQUIRE((*r)->examples().size() == 1);
  CHECK((*r)->examples()[0].where == "r/vocabularies/lead_source.toml:4:1");
  CHECK(CheckExample((*r)->examples()[0], **r) == "lead_source: expected 'b', got 'a'");
}

TEST_CASE("rule errors name file:line:column and the reason", "[rules]") {
  SECTION("syntax error") {
    auto r = RuleSet::Parse({{"r/sources.toml", kSources},
                             {"r/vocabularies/x.toml", "[[value]]\ncode = \"a\"\naliases = [\"b\",\n"}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().where().rfind("r/vocabularies/x.toml:", 0) == 0);
    CHECK(r.status().message().find("TOML syntax error") != std::string::npos);
  }
  SECTION("duplicate alias mapped to two values names both places") {
    std::string v =
        "[[value]]\ncode = \"paid_search\"\naliases = [\"PPC\"]\n\n"
        "[[value]]\ncode = \"paid_social\"\naliases = [\"Social\", \"ppc\"]\n";
    auto r = RuleSet::Parse({{"r/sources.toml", kSources}, {"r/vocabularies/lead_source.toml", v}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().where() == "r/vocabularies/lead_source.toml:7:22");
    CHECK(r.status().message().find("r/vocabularies/lead_source.toml:3:12") != std::string::npos);
    CHECK(r.status().message().find("maps to two values") != std::string::npos);
  }
  SECTION("duplicate alias across two files") {
    auto r = RuleSet::Parse({{"r/sources.toml", kSources},
                             {"r/vocabularies/c.toml", "vocabulary = \"country\"\n[[value]]\ncode = \"NO\"\n"
                                                       "[[value]]\ncode = \"GB\"\naliases = [\"UK\"]\n"},
                             {"r/vocabularies/d.toml", "vocabulary = \"country\"\n[alias]\n\"U.K.\" = \"NO\"\n"}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().where() == "r/vocabularies/d.toml:3:1");
  }
  SECTION("unknown key") {
    auto r = RuleSet::Parse({{"r/sources.toml", kSources},
                             {"r/vocabularies/x.toml", "[[value]]\ncode = \"a\"\nalias = [\"b\"]\n"}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().where() == "r/vocabularies/x.toml:3:1");
    CHECK(r.status().message().find("unknown key 'alias'") != std::string::npos);
  }
  SECTION("bad RE2 pattern") {
    auto r = RuleSet::Parse({{"r/sources.toml", kSources},
                             {"r/vocabularies/x.toml", "[[value]]\ncode = \"a\"\npatterns = [\"(unclosed\"]\n"}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().where() == "r/vocabularies/x.toml:3:13");
    CHECK(r.status().message().find("bad RE2 pattern") != std::string::npos);
  }
  SECTION("unknown vocabulary referenced by a field") {
    auto r = RuleSet::Parse({{"r/sources.toml", kSources},
                             {"s/fields.toml", "[field.email]\ntype = \"email\"\n[field.tier]\ntype = \"enum\"\n"
                                               "vocabulary = \"tiers\"\n"}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().where() == "s/fields.toml:3:1");
    CHECK(r.status().message().find("unknown vocabulary 'tiers'") != std::string::npos);
  }
}

TEST_CASE("rules naming undefined fields or unknown countries are refused", "[rules]") {
  const char* fields = "[field.email]\ntype = \"email\"\n[field.utm_medium]\n[field.lead_source]\ntype = \"enum\"\n"
                       "vocabulary = \"lead_source\"\n";
  std::string vocab = "[[value]]\ncode = \"email\"\n[[derive]]\nvalue = \"email\"\nmatch = { utm_meduim = \"^email$\" }\n";
  auto typo = RuleSet::Parse({{"r/sources.toml", kSources}, {"s/fields.toml", fields},
                              {"r/vocabularies/lead_source.toml", vocab}});
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.status().where() == "r/vocabularies/lead_source.toml:3:1");
  CHECK(typo.status().message().find("'utm_meduim'") != std::string::npos);

  auto country =
      RuleSet::Parse({{"r/sources.toml", "[web]\nkind = \"form\"\ndefault_country = \"XX\"\nauth = \"none\"\n"},
                      {"r/vocabularies/country.toml", "[[value]]\ncode = \"US\"\n"}});
  REQUIRE_FALSE(country.ok());
  CHECK(country.status().where() == "r/sources.toml:3:19");
}

TEST_CASE("an invalid rules directory yields an error and no rule set", "[rules]") {
  auto missing = LoadRuleDir("/nonexistent/rules");
  CHECK_FALSE(missing.ok());
  // Valid files plus one broken file: the whole set is refused.
  auto r = RuleSet::Parse({{"r/sources.toml", kSources},
                           {"r/vocabularies/lead_source.toml", "[[value]]\ncode = \"a\"\n"},
                           {"r/vocabularies/zz.toml", "[[value]\n"}});
  CHECK_FALSE(r.ok());
  CHECK(r.status().where().rfind("r/vocabularies/zz.toml:1:", 0) == 0);
}

TEST_CASE("the rule set version is a hash of the files", "[rules]") {
  auto a = RuleSet::Parse({{"r/sources.toml", kSources}});
  auto b = RuleSet::Parse({{"other/sources.toml", kSources}});
  auto c = RuleSet::Parse({{"r/sources.toml", std::string(kSources) + "default_country = \"US\"\n"}});
  REQUIRE((a.ok() && b.ok() && c.ok()));
  CHECK((*a)->version() == (*b)->version());
  CHECK((*a)->version() != (*c)->version());
  CHECK((*a)->version().size() == 16);
}

// A record whose first name is not UTF-8 is refused under first_name, not under the last name beside it.
TEST_CASE("a name part that is not UTF-8 is refused under its own field", "[rules]") {
  auto first = Run({{"email", "n@example.com"}, {"first_name", "A\xFFnn"}, {"last_name", "Smith"}});
  REQUIRE(first.rejected.size() == 1);
  CHECK(first.rejected[0].field == "first_name");
  CHECK(first.rejected[0].reason == "is not valid UTF-8 (byte 1)");  // poison text, before any normalizer
  auto last = Run({{"email", "n@example.com"}, {"first_name", "Ann"}, {"last_name", "Sm\xFFth"}});
  REQUIRE(last.rejected.size() == 1);
  CHECK(last.rejected[0].field == "last_name");
}
