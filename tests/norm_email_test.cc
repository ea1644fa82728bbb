#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>

#include "hygiene/email.h"
#include "hygiene/text.h"

using namespace canon;

namespace {
const EmailRules& Rules() {
  static const EmailRules kRules = DefaultEmailRules();
  return kRules;
}
EmailResult E(std::string_view s) { return NormalizeEmail(s, Rules()); }
bool HasFlag(const EmailResult& r, const std::string& f) {
  return std::find(r.flags.begin(), r.flags.end(), f) != r.flags.end();
}
std::string Why(std::string_view s) {
  auto r = E(s);
  return r.error.ok() ? "OK " + r.value : r.error.message();
}
}  // namespace

TEST_CASE("email: the issue's examples", "[norm][email]") {
  auto r = E(" John.Smith+promo@GMAIL.com ");
  REQUIRE(r.error.ok());
  CHECK(r.value == "John.Smith+promo@gmail.com");
  CHECK(r.key == "johnsmith@gmail.com");
  CHECK(HasFlag(r, "free_mail"));
  CHECK_FALSE(HasFlag(r, "typo_fixed"));

  auto t = E("ann@gmial.com");
  REQUIRE(t.error.ok());
  CHECK(t.value == "ann@gmail.com");
  CHECK(t.key == "ann@gmail.com");
  CHECK(HasFlag(t, "typo_fixed"));

  auto b = E("bob@@example");
  CHECK_FALSE(b.error.ok());
  CHECK(b.error.code() == Code::kInvalidArgument);
  CHECK(b.error.message() == "the e-mail address has more than one '@'");
  CHECK(b.value.empty());
  CHECK(b.key.empty());
}

TEST_CASE("email: matching keys fold provider aliasing only where the provider does", "[norm][email]") {
  CHECK(E("j.s.m.i.t.h@googlemail.com").key == "jsmith@gmail.com");
  CHECK(E("JSmith+news+x@gmail.com").key == "jsmith@gmail.com");
  CHECK(E("first.last+tag@outlook.com").key == "first.last@outlook.com");
  CHECK(E("ann+x@me.com").key == "ann@icloud.com");
  CHECK(E("ann@mac.com").value == "ann@mac.com");  // the display value keeps the domain as given
  // Elsewhere dots and +tags are significant: the key only lowercases.
  CHECK(E("First.Last+Tag@Example.COM").key == "first.last+tag@example.com");
  CHECK(E("First.Last+Tag@Example.COM").value == "First.Last+Tag@example.com");
  // A tag that is the whole local part is not a tag.
  CHECK(E("+x@gmail.com").key == "+x@gmail.com");
  // Typo-fixed domains get the provider rules of the intended domain.
  CHECK(E("a.b+c@gmial.com").key == "ab@gmail.com");
}

TEST_CASE("email: flags", "[norm][email]") {
  CHECK(HasFlag(E("info@acme.com"), "role"));
  CHECK(HasFlag(E("Sales+eu@acme.com"), "role"));
  CHECK_FALSE(HasFlag(E("sally@acme.com"), "role"));
  CHECK(HasFlag(E("x@mailinator.com"), "disposable"));
  CHECK(HasFlag(E("x@eu.mailinator.com"), "disposable"));  // a subdomain of a disposable domain
  CHECK_FALSE(HasFlag(E("x@acme.com"), "disposable"));
  CHECK_FALSE(HasFlag(E("x@acme.com"), "free_mail"));
  CHECK(HasFlag(E("x@web.de"), "free_mail"));
  CHECK(E("x@acme.com").flags.empty());
}

TEST_CASE("email: internationalized domains and local parts", "[norm][email]") {
  auto r = E("anna@Bücher.DE");
  REQUIRE(r.error.ok());
  CHECK(r.value == "anna@xn--bcher-kva.de");
  CHECK(E("x@münchen.de").value == "x@xn--mnchen-3ya.de");
  CHECK(E("x@例え.jp").value == "x@xn--r8jz45g.jp");
  auto u = E("jörg@example.de");
  REQUIRE(u.error.ok());
  CHECK(u.value == "jörg@example.de");
  CHECK(HasFlag(u, "smtputf8"));
  // Full-width dots are IDNA label separators.
  CHECK(E("x@bücher\xE3\x80\x82" "de").value == "x@xn--bcher-kva.de");
}

TEST_CASE("email: wrappers and whitespace", "[norm][email]") {
  CHECK(E("mailto:ann@acme.com").value == "ann@acme.com");
  CHECK(E("MAILTO: ann@acme.com").value == "ann@acme.com");
  CHECK(E("<ann@acme.com>").value == "ann@acme.com");
  CHECK(E("\xC2\xA0 ann@acme.com\t\r\n").value == "ann@acme.com");
  CHECK(E("ann@acme.com.").value == "ann@acme.com");
  CHECK(E("o'reilly@acme.com").value == "o'reilly@acme.com");
  CHECK(E("a!#$%&'*+-/=?^_`{|}~z@acme.com").error.ok());
  CHECK(E("x@sub.domain-with-hyphen.co.uk").value == "x@sub.domain-with-hyphen.co.uk");
  CHECK(E("x@xn--bcher-kva.de").error.ok());
}

TEST_CASE("email: refusals say why", "[norm][email]") {
  CHECK(Why("") == "the e-mail address is empty");
  CHECK(Why("   ") == "the e-mail address is empty");
  CHECK(Why("ann.acme.com") == "the e-mail address has no '@'");
  CHECK(Why("@acme.com") == "the part before '@' is empty");
  CHECK(Why("ann@") == "the domain after '@' is empty");
  CHECK(Why(".ann@acme.com") == "the part before '@' starts with a dot");
  CHECK(Why("ann.@acme.com") == "the part before '@' ends with a dot");
  CHECK(Why("a..nn@acme.com") == "the part before '@' has two dots in a row");
  CHECK(Why("ann smith@acme.com") == "the part before '@' contains a space");
  CHECK(Why("ann,smith@acme.com") == "character ',' is not allowed before '@'");
  CHECK(Why("\"ann smith\"@acme.com") == "quoted local parts are not accepted");
  CHECK(Why(std::string(65, 'a') + "@acme.com") == "the part before '@' is longer than 64 bytes");
  CHECK(Why(std::string(64, 'a') + "@acme.com") == "OK " + std::string(64, 'a') + "@acme.com");
  CHECK(Why("ann@[192.0.2.1]") == "address literals such as [192.0.2.1] are not accepted");
  CHECK(Why("ann@localhost") == "domain \"localhost\" has no top-level domain (such as .com)");
  CHECK(Why("ann@acme..com") == "domain \"acme..com\" has an empty label (two dots in a row)");
  CHECK(Why("ann@-acme.com") == "domain label \"-acme\" starts or ends with a hyphen");
  CHECK(Why("ann@acme_corp.com") == "domain \"acme_corp.com\" contains '_'");
  CHECK(Why("ann@acme.c") == "top-level domain \"c\" is not a valid one");
  CHECK(Why("ann@10.0.0.1") == "top-level domain \"1\" is not a valid one");
  CHECK(Why("ann@acme.com\x01") == "character '\x01' is not allowed in the domain");
  CHECK(Why("ann@" + std::string(64, 'a') + ".com") == "a domain label is longer than 63 characters");
  CHECK(Why("ann\xFF@acme.com") == "the e-mail address is not valid UTF-8");
  CHECK(Why("ann\xC2\xA0x@acme.com") ==
        "the part before '@' contains a non-ASCII character that is not a letter");
  CHECK(Why("ann@a\xE2\x80\x8D" "b.com") == "domain \"a\xE2\x80\x8D" "b.com\" is not a valid internationalized domain name");
  std::string long_domain;
  for (int i = 0; i < 51; ++i) long_domain += "abcd.";
  CHECK(Why("x@" + long_domain + "com") == "the domain is longer than 253 characters");
  CHECK(Why(std::string(100000, 'a') + "@acme.com") == "the e-mail address is longer than 254 characters");
}

TEST_CASE("email: random bytes never crash and never give an invalid value", "[norm][email][robust]") {
  std::mt19937 rng(7);
  const std::string alphabet = "ab.@+-_ \"[]\xC3\xBC\xFF\x01GMAIL.com";
  for (int i = 0; i < 5000; ++i) {
    std::string s(rng() % 48, '\0');
    for (char& c : s) c = (i % 2) ? static_cast<char>(rng() & 0xFF) : alphabet[rng() % alphabet.size()];
    auto r = E(s);
    if (r.error.ok()) {
      CHECK(IsValidUtf8(r.value));
      CHECK(std::count(r.value.begin(), r.value.end(), '@') == 1);
      CHECK(std::count(r.key.begin(), r.key.end(), '@') == 1);
    } else {
      CHECK(r.value.empty());
      CHECK_FALSE(r.error.message().empty());
    }
  }
}
