#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "connectors/rule_dir.h"
#include "tests/shipped_rules.h"
#include "hygiene/blocking.h"
#include "hygiene/compare.h"
#include "hygiene/match_model.h"
#include "hygiene/normalize.h"
#include "hygiene/survivorship.h"

using namespace canon;

namespace {

const RuleSet& Rules() { return test::ShippedRules(); }

NormalizedRecord Norm(std::map<std::string, std::string> fields, std::string source = "website") {
  Record r;
  r.source = std::move(source);
  r.fields = std::move(fields);
  return Normalize(r, Rules());
}

bool HasFlag(const NormalizedRecord& n, const std::string& f) {
  return std::find(n.flags.begin(), n.flags.end(), f) != n.flags.end();
}

}  // namespace

TEST_CASE("names with and without diacritics keep their display and share their blocking keys", "[rules][blocking]") {
  REQUIRE(Rules().match());
  const BlockingRules& blocking = Rules().match()->blocking;
  // The shipped blocking keys of a record with these names and a postcode (no e-mail, phone or date of birth:
  // every key is a name key).
  auto keys = [&](const std::string& given, const std::string& family) {
    NormalizedRecord n = Norm({{"first_name", given}, {"last_name", family}, {"postal_code", "80331"},
                               {"country", "DE"}});
    INFO(given << " " << family);
    CHECK(n.Get("first_name") == given);  // the display value is what was written
    CHECK(n.Get("last_name") == family);
    return BlockingKeys(MatchInputFromNormalized(n, ""), blocking);
  };
  // Double Metaphone folds Ü to U and skips the E of "ue": all three are MLR.
  for (const char* family : {"Müller", "Mueller", "Muller"}) {
    INFO(family);
    CHECK(DoubleMetaphone(family).primary == "MLR");
    CHECK(DoubleMetaphone(family).alternate.empty());
  }
  const auto mueller = keys("Hans", "Mueller");
  CHECK(std::find(mueller.begin(), mueller.end(), "family_given_postcode:MLR|h|80331") != mueller.end());
  CHECK(keys("Hans", "Müller") == mueller);
  CHECK(keys("Hans", "Muller") == mueller);
  CHECK(keys("María", "García") == keys("Maria", "Garcia"));
  CHECK(keys("Søren", "Kierkegaard") == keys("Soren", "Kierkegaard"));
  // An accented initial is the same initial: "É" and "E" block together.
  CHECK(keys("Élodie", "Martin") == keys("Elodie", "Martin"));
  CHECK(keys("Ömer", "Yilmaz") == keys("Omer", "Yilmaz"));
}

TEST_CASE("an invalid phone is kept flagged and never survives over a valid one", "[rules][survivorship]") {
  // The normalizer keeps what libphonenumber rejects, raw and flagged, without a phone_key.
  NormalizedRecord bad = Norm({{"phone", "12345"}, {"email", "ann@example.com"}});
  REQUIRE(bad.accepted());
  CHECK(bad.Get("phone") == "12345");
  CHECK(HasFlag(bad, "phone:invalid"));
  CHECK(!bad.keys.count("phone_key"));
  CHECK(UnvalidatedFields(bad, Rules().fields()) == std::set<std::string>{"phone"});
  NormalizedRecord good = Norm({{"phone", "+44 20 7946 0958"}, {"email", "ann@example.com"}});
  CHECK(UnvalidatedFields(good, Rules().fields()).empty());
  // Only phone-typed fields: a value without a key of its own (a name) is not "unvalidated".
  CHECK(UnvalidatedFields(Norm({{"first_name", "Ann"}, {"email", "ann@example.com"}}), Rules().fields()).empty());

  auto member = [](long long id, double at, const NormalizedRecord& n) {
    return SurvivorMember{id, "website", at, n.fields, UnvalidatedFields(n, Rules().fields())};
  };
  SurvivorshipRules rules;  // most_recent everywhere
  // The newer record's phone is invalid: the older valid one survives; the newer e-mail still wins.
  Survivor s = Recompute(rules, {member(1, 100, good), member(2, 200, bad)}, {"phone", "email"});
  CHECK(s.values.at("phone") == "+442079460958");
  CHECK(s.lineage.at("phone") == 1);
  CHECK(s.lineage.at("email") == 2);
  // Under every policy: most_complete would take the longer raw text, most_frequent the one said twice.
  rules.fields["phone"].kind = FieldPolicy::Kind::kMostComplete;
  NormalizedRecord long_bad = Norm({{"phone", "call me on my mobile please"}, {"email", "ann@example.com"}});
  CHECK(Recompute(rules, {member(1, 100, good), member(2, 200, long_bad)}, {"phone"}).values.at("phone") ==
        "+442079460958");
  rules.fields["phone"].kind = FieldPolicy::Kind::kMostFrequent;
  CHECK(Recompute(rules, {member(1, 100, good), member(2, 200, bad), member(3, 300, bad)}, {"phone"})
            .values.at("phone") == "+442079460958");
  // Among valid phones the policy decides as before: the newest valid one.
  rules.fields["phone"].kind = FieldPolicy::Kind::kMostRecent;
  NormalizedRecord newer = Norm({{"phone", "+1 415 555 2671"}, {"email", "ann@example.com"}});
  Survivor two = Recompute(rules, {member(1, 100, good), member(2, 200, newer), member(3, 300, bad)}, {"phone"});
  CHECK(two.values.at("phone") == "+14155552671");
  CHECK(two.lineage.at("phone") == 2);
  // With no valid phone at all, the invalid one is kept rather than nothing.
  Survivor only_bad = Recompute(rules, {member(2, 200, bad)}, {"phone"});
  CHECK(only_bad.values.at("phone") == "12345");
}

TEST_CASE("phones become E.164 with the record's or the source's region", "[rules]") {
  CHECK(Norm({{"phone", "(415) 555-2671"}, {"country", "US"}}).Get("phone") == "+14155552671");
  NormalizedRecord de = Norm({{"phone", "030 1234567"}, {"country", "Deutschland"}});
  CHECK(de.Get("phone") == "+49301234567");
  CHECK(de.Get("country") == "DE");
  NormalizedRecord ext = Norm({{"phone", "+44 20 7946 0958 ext. 12"}});
  CHECK(ext.Get("phone") == "+442079460958");
  CHECK(ext.Get("phone_ext") == "12");
  // No country on the record: the website source's default_country (US) applies.
  CHECK(Norm({{"phone", "415 555 2671"}}).Get("phone") == "+14155552671");
  NormalizedRecord bad = Norm({{"phone", "12345"}, {"country", "US"}});
  CHECK(bad.Get("phone") == "12345");
  CHECK(HasFlag(bad, "phone:invalid"));
}

TEST_CASE("phones with an international call prefix, by the record's country or the source's", "[rules]") {
  // The record's country (England -> GB): its own prefix "00", and its national "020" stays national.
  NormalizedRecord uk = Norm({{"phone", "0044 20 7946 0958"}, {"country", "England"}});
  CHECK(uk.Get("phone") == "+442079460958");
  CHECK(uk.keys.at("phone_key") == "+442079460958");
  CHECK(Norm({{"phone", "020 7946 0958"}, {"country", "GB"}}).Get("phone") == "+442079460958");
  // No country: the website source's default (US) reads "011", and a European "00" is read too, flagged.
  CHECK(Norm({{"phone", "011 44 20 7946 0958"}}).Get("phone") == "+442079460958");
  NormalizedRecord eu = Norm({{"phone", "0049 30 1234567"}});
  CHECK(eu.Get("phone") == "+49301234567");
  CHECK(HasFlag(eu, "phone:region_mismatch"));
  // No country and a source without a default: "00"/"011" and a valid number still read; a national one does not.
  CHECK(Norm({{"phone", "00 44 20 7946 0958"}}, "no_such_source").Get("phone") == "+442079460958");
  CHECK(HasFlag(Norm({{"phone", "020 7946 0958"}}, "no_such_source"), "phone:invalid"));
}

TEST_CASE("e-mails get a display value, a matching key and flags; broken ones reject the record", "[rules]") {
  NormalizedRecord n = Norm({{"email", " John.Smith+promo@GMAIL.com "}});
  CHECK(n.Get("email") == "John.Smith+promo@gmail.com");
  CHECK(n.keys.at("email_key") == "johnsmith@gmail.com");
  CHECK(HasFlag(n, "email:free_mail"));
  CHECK(Norm({{"email", "ann@gmial.com"}}).Get("email") == "ann@gmail.com");
  NormalizedRecord bad = Norm({{"email", "bob@@example"}});
  REQUIRE_FALSE(bad.accepted());
  CHECK(bad.rejected[0].field == "email");
  CHECK(bad.rejected[0].value == "bob@@example");
  CHECK(bad.rejected[0].reason.find("'@'") != std::string::npos);
  // The imported disposable list is in force, not only the built-in few.
  CHECK(HasFlag(Norm({{"email", "x@0-mail.com"}}), "email:disposable"));
}

TEST_CASE("names are recased and split, honorifics and suffixes kept apart", "[rules]") {
  NormalizedRecord a = Norm({{"full_name", "JOHN MCDONALD"}, {"email", "j@example.com"}});
  CHECK(a.Get("first_name") == "John");
  CHECK(a.Get("last_name") == "McDonald");
  NormalizedRecord b = Norm({{"full_name", "ludwig VAN BEETHOVEN"}, {"email", "l@example.com"}});
  CHECK(b.Get("first_name") == "Ludwig");
  CHECK(b.Get("last_name") == "van Beethoven");
  NormalizedRecord c = Norm({{"full_name", "Dr. Jane O'NEILL PhD"}, {"email", "j@example.com"}});
  CHECK(c.Get("first_name") == "Jane");
  CHECK(c.Get("last_name") == "O'Neill");
  CHECK(c.Get("honorific") == "Dr.");
  CHECK(c.Get("suffix") == "PhD");
}

TEST_CASE("company spellings share a matching key; the domain skips free mail", "[rules]") {
  auto key = [](const char* company) { return Norm({{"company", company}, {"last_name", "X"}}).keys.at("company_key"); };
  CHECK(key("ACME, Inc.") == key("Acme Incorporated"));
  CHECK(key("Müller GmbH") == key("Mueller GmbH"));
  CHECK(key("ACME, Inc.") != key("Müller GmbH"));
  CHECK(Norm({{"company", "ACME, Inc."}, {"last_name", "X"}}).Get("company") == "ACME, Inc.");
  CHECK(Norm({{"company", "Acme"}, {"email", "ann@acme.com"}}).Get("company_domain") == "acme.com");
  CHECK(Norm({{"company", "Acme"}, {"email", "ann@gmail.com"}}).Get("company_domain") == "");
}

TEST_CASE("the whole record goes through every normalizer with the rule set's version", "[rules]") {
  NormalizedRecord n = Norm({{"email", "JOHN@ACME.COM"},
                             {"full_name", "JOHN MCDONALD"},
                             {"company", "ACME, Inc."},
                             {"country", "UK"},
                             {"phone", "020 7946 0958"},
                             {"utm_source", "google"},
                             {"utm_medium", "cpc"}});
  CHECK(n.accepted());
  CHECK(n.quarantined.empty());
  CHECK(n.Get("country") == "GB");
  CHECK(n.Get("phone") == "+442079460958");
  CHECK(n.Get("lead_source") == "paid_search");
  CHECK(n.Get("company_domain") == "acme.com");
  CHECK(n.rules_version == Rules().version());
}

TEST_CASE("the shipped rules carry at least 150 examples and all hold", "[rules]") {
  const RuleSet& rules = Rules();
  CHECK(rules.examples().size() >= 150);
  size_t failed = 0;
  for (const auto& ex : rules.examples()) {
    std::string why = CheckExample(ex, rules);
    if (!why.empty()) {
      ++failed;
      UNSCOPED_INFO(ex.where << ": " << why);
    }
  }
  CHECK(failed == 0);
}

TEST_CASE("placeholders count as absent; a bare code still counts", "[rules]") {
  NormalizedRecord n = Norm({{"email", "a@example.com"}, {"country", "N/A"}, {"phone", "-"}});
  CHECK(n.Get("country") == "");
  CHECK(n.Get("phone") == "");
  CHECK(HasFlag(n, "country:null_value"));
  CHECK(n.quarantined.empty());
  CHECK(Norm({{"email", "a@example.com"}, {"country", "NA"}}).Get("country") == "NA");
  // utm_medium "(none)" is meaningful (direct traffic), not a placeholder.
  CHECK(Norm({{"email", "a@example.com"}, {"utm_source", "(direct)"}, {"utm_medium", "(none)"}}).Get("lead_source") ==
        "direct");
}

TEST_CASE("normalize rejects poison text naming the field, never the value", "[rules][poison]") {
  using namespace std::string_literals;
  Record r;
  r.source = "website";
  r.fields["email"] = "pat@example.com";
  r.fields["first_name"] = "Pat";
  CHECK(Normalize(r, Rules()).accepted());
  r.extra["note"] = "Secr\0et"s;
  NormalizedRecord n = Normalize(r, Rules());
  REQUIRE(n.rejected.size() == 1);
  CHECK(n.rejected[0].field == "note");
  CHECK(n.rejected[0].reason == "holds a NUL byte (byte 4)");
  CHECK(n.rejected[0].value.empty());
  CHECK(n.fields.empty());  // nothing normalized from a poison record
  r.extra.erase("note");
  r.fields["last_name"] = "Sm\xC3\x28th";
  n = Normalize(r, Rules());
  REQUIRE(n.rejected.size() == 1);
  CHECK(n.rejected[0].field == "last_name");
  CHECK(n.rejected[0].reason == "is not valid UTF-8 (byte 2)");
  r.fields.erase("last_name");
  r.extra["k\xFF"] = "1";
  n = Normalize(r, Rules());
  REQUIRE(n.rejected.size() == 1);
  CHECK(n.rejected[0].field == "k\\xFF");
  CHECK(n.rejected[0].reason == "(its name) is not valid UTF-8 (byte 1)");
}
