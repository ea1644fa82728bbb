// The CRM comparison levels of the shipped model (rules/match.toml) on hand-built pairs: shared contact points,
// swapped and differently split names, compound family names, names without accents, e-mails that fit the name,
// a work domain naming the company, and birth-date typos. Each case reads the explanation by field and level, so a
// level that stops applying fails here by name.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "hygiene/fold.h"
#include "hygiene/match_model.h"
#include "hygiene/normalize.h"

namespace {

using canon::MatchField;
using canon::MatchInput;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The shipped nickname table with the shipped given-name sexes (rules/lists/given_name_sex.toml), as canond loads it.
std::shared_ptr<const canon::NicknameTable> ShippedNames(bool with_sexes = true) {
  const std::string nick_path = std::string(CANON_SOURCE_DIR) + "/rules/nicknames.toml";
  auto nick = canon::NicknameTable::FromToml(ReadFile(nick_path), nick_path);
  REQUIRE(nick.ok());
  if (with_sexes) {
    const std::string sex_path = std::string(CANON_SOURCE_DIR) + "/rules/lists/given_name_sex.toml";
    auto st = nick->AddSexes(ReadFile(sex_path), sex_path);
    REQUIRE(st.ok());
  }
  return std::make_shared<const canon::NicknameTable>(std::move(*nick));
}

const canon::MatchModel& Model() {
  static const canon::MatchModel model = [] {
    auto nick = ShippedNames();
    const std::string path = std::string(CANON_SOURCE_DIR) + "/rules/match.toml";
    auto m = canon::MatchModel::FromToml(ReadFile(path), path, nick);
    if (!m.ok()) FAIL(m.status().ToString());
    return std::move(*m);
  }();
  return model;
}

struct P {
  const char* given = "";
  const char* family = "";
  const char* email = "";
  const char* phone = "";
  const char* company = "";
  const char* city = "";
  const char* postcode = "";
  const char* street = "";
  const char* dob = "";
  bool role_mail = false;
  const char* work_domain = "";
};

MatchInput In(const P& p) {
  MatchInput in;
  in.Set(MatchField::kGivenName, p.given);
  in.Set(MatchField::kFamilyName, p.family);
  in.Set(MatchField::kEmailKey, p.email);
  in.Set(MatchField::kPhone, p.phone);
  in.Set(MatchField::kCompanyKey, p.company);
  in.Set(MatchField::kCity, p.city);
  in.Set(MatchField::kPostcode, p.postcode);
  in.Set(MatchField::kStreet, p.street);
  in.Set(MatchField::kDob, p.dob);
  if (p.role_mail) in.shared |= uint32_t{1} << static_cast<size_t>(MatchField::kEmailKey);
  in.work_domain = p.work_domain;
  return in;
}

const canon::FieldContribution& FieldOf(const canon::Explanation& e, const std::string& name) {
  for (const auto& f : e.fields)
    if (f.field == name) return f;
  FAIL("no field " << name);
  return e.fields.front();
}

canon::Explanation Explain(const P& a, const P& b) {
  const auto& m = Model();
  auto e = m.Score(In(a), In(b));
  // The fast path gives the same total as the explanation.
  REQUIRE(m.Weight(m.Prepare(In(a)), m.Prepare(In(b))) == Approx(e.total));
  return e;
}

}  // namespace

TEST_CASE("FoldName: no accents, words kept apart, German digraphs fold", "[match][fold]") {
  CHECK(canon::FoldName("Müller") == "muller");
  CHECK(canon::FoldName("Mueller") == "muller");
  CHECK(canon::FoldName("MULLER") == "muller");
  CHECK(canon::FoldName("María") == "maria");
  CHECK(canon::FoldName("Søren") == "soren");
  CHECK(canon::FoldName("Łukasz") == "lukasz");
  CHECK(canon::FoldName("Strauß") == "strauss");
  CHECK(canon::FoldName("García-López") == "garcia lopez");
  CHECK(canon::FoldName("  van den  Berg ") == "van den berg");
  CHECK(canon::FoldName("O'Brien") == "o brien");
  CHECK(canon::FoldName("") == "");
}

TEST_CASE("names compare without accents at every level", "[match][crm]") {
  auto e = Explain({.given = "María", .family = "Müller"}, {.given = "Maria", .family = "Mueller"});
  CHECK(FieldOf(e, "given_name").level == "exact");
  CHECK(FieldOf(e, "family_name").level == "exact");
  e = Explain({.given = "Søren", .family = "Kierkegård"}, {.given = "Soren", .family = "Kierkegard"});
  CHECK(FieldOf(e, "given_name").level == "exact");
  CHECK(FieldOf(e, "family_name").level == "exact");
}

TEST_CASE("swapped given and family names agree at their own level, counted once", "[match][crm]") {
  auto e = Explain({.given = "Schröder", .family = "Thomas", .phone = "+4930123456"},
                   {.given = "Thomas", .family = "Schroder", .phone = "+4930123456"});
  CHECK(FieldOf(e, "given_name").level == "swapped");
  CHECK(FieldOf(e, "given_name").weight > 8);
  CHECK(FieldOf(e, "family_name").level == "counted with given_name");
  CHECK(FieldOf(e, "family_name").weight == 0);
  CHECK(FieldOf(e, "phone").note.empty());  // the names do not conflict: the phone counts
  CHECK(Model().Decide(e.total) == canon::Decision::kMerge);
}

TEST_CASE("a full name split differently agrees at its own level", "[match][crm]") {
  auto e = Explain({.given = "Mary Ann", .family = "Smith"}, {.given = "Mary", .family = "Ann Smith"});
  CHECK(FieldOf(e, "given_name").level == "split differently");
  CHECK(FieldOf(e, "family_name").level == "counted with given_name");
}

TEST_CASE("compound and particle family names agree at their own level", "[match][crm]") {
  auto e = Explain({.given = "Lucia", .family = "García López"}, {.given = "Lucia", .family = "Garcia"});
  CHECK(FieldOf(e, "family_name").level == "compound");
  e = Explain({.given = "Anna", .family = "van den Berg"}, {.given = "Anna", .family = "Berg"});
  CHECK(FieldOf(e, "family_name").level == "compound");
  // Particles alone are not a name.
  e = Explain({.given = "Anna", .family = "van der Linden"}, {.given = "Anna", .family = "van Dijk"});
  CHECK(FieldOf(e, "family_name").level != "compound");
}

TEST_CASE("colleagues on one switchboard, company and office stay apart, explained as shared", "[match][crm]") {
  P anna{.given = "Anna", .family = "Schmidt", .email = "anna.schmidt@acme.de", .phone = "+49301234567",
         .company = "acme", .city = "berlin", .work_domain = "acme.de"};
  P jonas{.given = "Jonas", .family = "Weber", .email = "j.weber@acme.de", .phone = "+49301234567",
          .company = "acme", .city = "berlin", .work_domain = "acme.de"};
  auto e = Explain(anna, jonas);
  CHECK(FieldOf(e, "given_name").level == "different");
  CHECK(FieldOf(e, "phone").level == "exact");
  CHECK(FieldOf(e, "phone").weight == 0);
  CHECK(FieldOf(e, "phone").note == "shared: given names differ");
  CHECK(FieldOf(e, "company_key").note == "shared: given names differ");
  CHECK(e.shared_contact);
  CHECK(Model().Decide(e.total) == canon::Decision::kNew);
  CHECK(e.ToString().find("[shared: given names differ]") != std::string::npos);
}

TEST_CASE("two colleagues of one given name on the switchboard stay apart; one address under a new name joins",
          "[match][crm]") {
  P a{.given = "Thierry", .family = "Villefort", .email = "thierry.villefort@atlas.fr", .phone = "+33597271518",
      .company = "atlas software", .city = "toulouse", .work_domain = "atlas.fr"};
  P b{.given = "Thierry", .family = "Roschamtaine", .email = "thierry.roschamtaine@atlas.fr",
      .phone = "+33597271518", .company = "atlas software", .city = "toulouse", .work_domain = "atlas.fr"};
  auto e = Explain(a, b);
  CHECK(FieldOf(e, "given_name").level == "exact");
  CHECK(FieldOf(e, "family_name").level == "different");
  CHECK(FieldOf(e, "phone").weight == 0);
  CHECK(FieldOf(e, "phone").note == "shared: family names differ");
  CHECK(FieldOf(e, "company_key").note == "shared: family names differ");
  CHECK(Model().Decide(e.total) == canon::Decision::kNew);
  // The same personal address under a new family name: the e-mail (one_holder) still counts.
  P before{.given = "Julia", .family = "Brandt", .email = "julia.home@gmx.de", .phone = "+4917612345678"};
  P after{.given = "Julia", .family = "Okafor", .email = "julia.home@gmx.de", .phone = "+4917612345678"};
  auto m = Explain(before, after);
  CHECK(FieldOf(m, "email_key").level == "exact");
  CHECK(FieldOf(m, "email_key").weight > 12);
  CHECK(FieldOf(m, "email_key").note.empty());
  CHECK(FieldOf(m, "phone").note == "shared: family names differ");
  CHECK(Model().Decide(m.total) != canon::Decision::kNew);
}

TEST_CASE("relatives whose given names differ only in their first letter stay apart (Anna/Hanna)", "[match][crm]") {
  P anna{.given = "Anna", .family = "Walcorby", .phone = "+12068636656", .city = "boston", .postcode = "02111"};
  P hanna{.given = "Hanna", .family = "Walcorby", .phone = "+12068636656", .city = "boston", .postcode = "02111"};
  auto e = Explain(anna, hanna);
  CHECK(FieldOf(e, "given_name").level.rfind("jw", 0) == 0);
  CHECK(FieldOf(e, "phone").note == "shared: given names not the same");
  CHECK(FieldOf(e, "phone").weight == 0);
  CHECK(Model().Decide(e.total) == canon::Decision::kNew);
  // A typing error after the first letter (Anna/Anha) keeps the household evidence.
  P anha = hanna;
  anha.given = "Anha";
  auto t = Explain(anna, anha);
  CHECK(FieldOf(t, "phone").note.empty());
  CHECK(FieldOf(t, "phone").weight > 12);
  // Two listed names that only look alike (Anna/Anja, Marie/Marta) are two names: the household phone is shared.
  for (const char* other : {"Anja", "Marta"}) {
    P sister = hanna, marie = anna;
    sister.given = other;
    if (std::string(other) == "Marta") marie.given = "Marie";
    auto s = Explain(marie, sister);
    CAPTURE(other);
    CHECK(FieldOf(s, "given_name").level == "jw>=0.80");
    CHECK(FieldOf(s, "phone").note == "shared: given names not the same");
    CHECK(Model().Decide(s.total) == canon::Decision::kNew);
  }
  // Variants of one name (Sara/Sarah) agree above 0.90 and keep it.
  P sara = anna, sarah = hanna;
  sara.given = "Sara";
  sarah.given = "Sarah";
  CHECK(FieldOf(Explain(sara, sarah), "phone").note.empty());
}

TEST_CASE("e-mail addresses one digit apart are two mailboxes, not a typing error", "[match][crm]") {
  P a{.given = "Pierre", .family = "Martin", .email = "pierre95@laposte.net", .city = "lyon"};
  P b{.given = "Pierre", .family = "Martin", .email = "pierre96@laposte.net", .postcode = "44003"};
  CHECK(FieldOf(Explain(a, b), "email_key").level != "one edit");
  P typo = b;
  typo.email = "piere95@laposte.net";
  CHECK(FieldOf(Explain(a, typo), "email_key").level == "one edit");
}

TEST_CASE("e-mail addresses one separator apart are two mailboxes, not a typing error", "[match][crm]") {
  P a{.given = "Jennifer", .family = "Johnson", .email = "jennifer.johnson@icloud.com", .phone = "+17735721618"};
  P b{.given = "Jennifer", .family = "Johnson", .email = "jennifer_johnson@icloud.com"};
  auto e = Explain(a, b);
  CHECK(FieldOf(e, "email_key").level != "one edit");
  CHECK(Model().Decide(e.total) == canon::Decision::kNew);
  P dropped = b;
  dropped.email = "jenniferjohnson@icloud.com";
  CHECK(FieldOf(Explain(a, dropped), "email_key").level != "one edit");
  P typo = b;
  typo.email = "jennifer.jonhson@icloud.com";
  CHECK(FieldOf(Explain(a, typo), "email_key").level == "one edit");
}

TEST_CASE("namesakes whose addresses on one domain are numbered apart are two people, capped", "[match][crm]") {
  // A mail admin gives the second Charlotte Taylor charlotte.taylor2@: same names, company and city, two people.
  P a{.given = "Charlotte", .family = "Taylor", .email = "charlotte.taylor@maplesoftware.co.uk",
      .company = "maple software", .city = "leeds", .work_domain = "maplesoftware.co.uk"};
  P b{.given = "Charlotte", .family = "Taylor", .email = "charlotte.taylor2@maplesoftware.co.uk",
      .company = "maple software", .city = "leeds", .work_domain = "maplesoftware.co.uk"};
  auto e = Explain(a, b);
  CHECK(FieldOf(e, "email_key").level == "numbered apart");
  CHECK(e.capped);
  CHECK(e.two_people == "e-mails numbered apart on one domain");
  CHECK(e.ToString().find("two people (e-mails numbered apart on one domain): capped") != std::string::npos);
  CHECK(Model().Decide(e.total) == canon::Decision::kNew);
  // Without the numbered address the same pair merges: the cap is what keeps them apart.
  P no_mail = b;
  no_mail.email = "";
  CHECK(Model().Decide(Explain(a, no_mail).total) == canon::Decision::kMerge);
  // Other local parts, or another domain, are not numbered apart.
  P other = b;
  other.email = "c.taylor2@maplesoftware.co.uk";
  CHECK(FieldOf(Explain(a, other), "email_key").level != "numbered apart");
  other.email = "charlotte.taylor2@maple.co.uk";
  CHECK(FieldOf(Explain(a, other), "email_key").level != "numbered apart");
  // A personal field that agrees (one birth date) lifts the cap: one person with two numbered mailboxes.
  P da = a, db = b;
  da.dob = db.dob = "1984-03-12";
  auto d = Explain(da, db);
  CHECK_FALSE(d.capped);
  CHECK(d.two_people.empty());
}

TEST_CASE("relatives whose given names are close but of opposite sex stay apart (Lars/Lara, Marco/Marta)",
          "[match][crm]") {
  P lars{.given = "Lars", .family = "Kessellangmuller", .phone = "+493023330459", .city = "frankfurt am main"};
  P lara{.given = "Lara", .family = "Kessellangmuller", .phone = "+493023330459", .city = "frankfurt am main"};
  auto e = Explain(lars, lara);
  CHECK(FieldOf(e, "given_name").level == "gender pair");
  CHECK(FieldOf(e, "phone").note == "shared: given names differ");
  CHECK(Model().Decide(e.total) == canon::Decision::kNew);
  P marco = lars, marta = lara;
  marco.given = "Marco";
  marta.given = "Marta";
  CHECK(FieldOf(Explain(marco, marta), "given_name").level == "gender pair");
  P christian = lars, christina = lara;
  christian.given = "Christian Jörg";
  christina.given = "Christina";
  CHECK(FieldOf(Explain(christian, christina), "given_name").level == "gender pair");
  // A typing error of one sex stays a spelling variant (it keeps the household evidence) ...
  P anja = lara;
  anja.given = "Anha";
  P anna = lara;
  anna.given = "Anna";
  auto same_sex = Explain(anna, anja);
  CHECK(FieldOf(same_sex, "given_name").level.rfind("jw", 0) == 0);
  CHECK(Model().Decide(same_sex.total) == canon::Decision::kMerge);
  // ... and names far apart are "different", not a gender pair.
  P peter = lars;
  peter.given = "Peter";
  CHECK(FieldOf(Explain(peter, lara), "given_name").level == "different");
  // A typing error of a listed name takes its sex: "Chrisrian" is one edit from Christian, two from Christina.
  P typo = christian;
  typo.given = "Chrisrian";
  CHECK(FieldOf(Explain(typo, christina), "given_name").level == "gender pair");
  CHECK(FieldOf(Explain(typo, christian), "given_name").level != "gender pair");
  // The list is what tells Lars from Lara: without it they are a spelling variant.
  const std::string path = std::string(CANON_SOURCE_DIR) + "/rules/match.toml";
  auto bare = canon::MatchModel::FromToml(ReadFile(path), path, ShippedNames(false));
  REQUIRE(bare.ok());
  CHECK(FieldOf(bare->Score(In(lars), In(lara)), "given_name").level.rfind("jw", 0) == 0);
}

TEST_CASE("the given-name sex list folds names like the matcher and refuses bad values with their place",
          "[match][model]") {
  auto nick = canon::NicknameTable::FromToml("[names]\n", "n.toml");
  REQUIRE(nick.ok());
  REQUIRE(nick->AddSexes("[map]\nlars = \"male\"\nlara = \"female\"\nsoren = \"male\"\n"
                         "manuel = \"male\"\nmanul = \"female\"\n", "s.toml").ok());
  CHECK(nick->Sex("lars") == 1);
  CHECK(nick->Sex("lara") == 2);
  CHECK(nick->Sex(canon::FoldName("Søren")) == 1);
  // "Manuel" folds to "manul" (the German digraph rule): a form listed with both sexes is dropped.
  CHECK(nick->Sex("manul") == 0);
  CHECK(nick->Sex("peter") == 0);
  // One edit from listed names of one sex: inferred (flagged); near names of both sexes, or too short: unknown.
  CHECK(nick->Sex("larss") == (1 | canon::NicknameTable::kSexInferred));
  CHECK(nick->Sex("lrs") == 0);
  CHECK(nick->Sex("larx") == 0);  // one edit from lars and from lara
  auto bad = nick->AddSexes("[map]\nlars = \"male\"\nkim = \"both\"\n", "s.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.where() == "s.toml:3:7");
  CHECK_FALSE(nick->AddSexes("lars = \"male\"\n", "s.toml").ok());
}

TEST_CASE("relatives on one household phone and address stay apart", "[match][crm]") {
  P mother{.given = "Helen", .family = "Carter", .phone = "+442079460958", .city = "london",
           .postcode = "SW1A 1AA", .street = "12 baker street"};
  P son{.given = "James", .family = "Carter", .phone = "+442079460958", .city = "london", .postcode = "SW1A 1AA",
        .street = "12 baker street"};
  auto e = Explain(mother, son);
  CHECK(FieldOf(e, "family_name").level == "exact");
  CHECK(FieldOf(e, "phone").note == "shared: given names differ");
  CHECK(FieldOf(e, "postcode").note == "shared: given names differ");
  CHECK(Model().Decide(e.total) == canon::Decision::kNew);
  const auto& m = Model();
  CHECK(m.PersonConflict(m.Prepare(In(mother)), m.Prepare(In(son))));
}

TEST_CASE("a role mailbox never counts as evidence, even for one name", "[match][crm]") {
  P a{.given = "Lena", .family = "Fischer", .email = "info@acme.de", .role_mail = true};
  P b{.given = "Paul", .family = "Klein", .email = "info@acme.de", .role_mail = true};
  auto e = Explain(a, b);
  CHECK(FieldOf(e, "email_key").level == "exact");
  CHECK(FieldOf(e, "email_key").weight == 0);
  CHECK(FieldOf(e, "email_key").note == "shared: role mailbox");
  CHECK(Model().Decide(e.total) == canon::Decision::kNew);
  const auto& m = Model();
  CHECK(m.EmailShared(m.Prepare(In(a)), m.Prepare(In(b))));
  // A personal address with agreeing names is no shared contact point.
  P c{.given = "Lena", .family = "Fischer", .email = "lena.fischer@gmail.com"};
  CHECK_FALSE(m.EmailShared(m.Prepare(In(c)), m.Prepare(In(c))));
  // The same role mailbox with the same name is still counted at 0, the names decide.
  e = Explain(a, a);
  CHECK(FieldOf(e, "email_key").note == "shared: role mailbox");
}

TEST_CASE("e-mail local parts that fit the name are evidence; a work domain names the company", "[match][crm]") {
  P work{.given = "Thomas", .family = "Schröder", .email = "tschroder@acme.de", .work_domain = "acme.de"};
  P personal{.given = "Thomas", .family = "Schroder", .email = "thomas.schroder31@gmail.com", .company = "acme"};
  auto e = Explain(work, personal);
  CHECK(FieldOf(e, "email_key").level == "fits the name");
  CHECK(FieldOf(e, "email_key").weight > 0);
  CHECK(FieldOf(e, "company_key").level == "e-mail domain");
  CHECK(FieldOf(e, "company_key").weight > 0);
  CHECK(Model().Decide(e.total) == canon::Decision::kMerge);
  P initial_last{.given = "Thomas", .family = "Schröder", .email = "schroder.t@example.org"};
  e = Explain(initial_last, personal);
  CHECK(FieldOf(e, "email_key").level == "fits the name");
  // Addresses that fit neither name are plain different addresses.
  P other{.given = "Thomas", .family = "Schröder", .email = "mkeller@acme.de"};
  P nick{.given = "Thomas", .family = "Schroder", .email = "tom1985@gmail.com"};
  e = Explain(other, nick);
  CHECK(FieldOf(e, "email_key").level == "different");
}

TEST_CASE("birth dates: day and month transposed, one part off", "[match][crm]") {
  auto e = Explain({.given = "Ann", .family = "Lee", .dob = "1985-03-07"}, {.given = "Ann", .family = "Lee", .dob = "1985-07-03"});
  CHECK(FieldOf(e, "dob").level == "day/month swapped");
  e = Explain({.given = "Ann", .family = "Lee", .dob = "1985-03-07"}, {.given = "Ann", .family = "Lee", .dob = "1986-03-07"});
  CHECK(FieldOf(e, "dob").level == "one edit");  // one digit: the typo level comes first
  e = Explain({.given = "Ann", .family = "Lee", .dob = "1985-03-07"}, {.given = "Ann", .family = "Lee", .dob = "1975-03-07"});
  CHECK(FieldOf(e, "dob").level == "one edit");
  e = Explain({.given = "Ann", .family = "Lee", .dob = "1985-03-07"}, {.given = "Ann", .family = "Lee", .dob = "1985-11-07"});
  CHECK(FieldOf(e, "dob").level == "one part off");
  e = Explain({.given = "Ann", .family = "Lee", .dob = "1985-03-07"}, {.given = "Ann", .family = "Lee", .dob = "1990-11-21"});
  CHECK(FieldOf(e, "dob").level == "different");
}

TEST_CASE("a phone kept raw (no country to read it by) agrees with its E.164 form at its own level", "[match][crm]") {
  // Written nationally on a form with no country, libphonenumber cannot place it: the normalizer keeps the raw
  // text, and the match input reads its digits.
  canon::NormalizedRecord rec;
  rec.fields["first_name"] = "Oliver";
  rec.fields["last_name"] = "Hartley";
  rec.fields["phone"] = "(020) 7946-0321";
  const MatchInput raw = canon::MatchInputFromNormalized(rec, "r1");
  CHECK(raw.Get(MatchField::kPhone) == "02079460321");
  P a{.given = "Oliver", .family = "Hartley", .phone = "+442079460321"};
  P b{.given = "Oliver", .family = "Hartley", .phone = "02079460321"};
  const auto e = Explain(a, b);
  CHECK(FieldOf(e, "phone").level == "national form");
  CHECK(FieldOf(e, "phone").weight > 4);  // corroborates the names
  CHECK(e.total >= Model().lower());
  CHECK(FieldOf(Explain(b, a), "phone").level == "national form");
  // Two raw forms of one number are one number.
  P c = b;
  c.phone = "02079460321";
  CHECK(FieldOf(Explain(b, c), "phone").level == "exact");
  // Not the same number: other digits, too few digits, a longer prefix than a country code, two E.164 numbers.
  for (const char* other : {"02079460322", "0460321", "12342079460321", "+4402079460321"}) {
    P d = b;
    d.phone = other;
    INFO(other);
    CHECK(FieldOf(Explain(a, d), "phone").level != "national form");
  }
  // A US number typed with its leading 1 and without: both agree with the E.164 number.
  P us{.given = "Oliver", .family = "Hartley", .phone = "+14155550111"};
  for (const char* typed : {"4155550111", "14155550111"}) {
    P d = us;
    d.phone = typed;
    INFO(typed);
    CHECK(FieldOf(Explain(us, d), "phone").level == "national form");
  }
}

TEST_CASE("match.toml refuses unknown keys and misplaced cross-field levels with their place", "[match][model]") {
  auto parse = [](const std::string& text) {
    return canon::MatchModel::FromToml(text, "m.toml");
  };
  auto r = parse("[model]\nlambda = 0.01\nupper = 5\nlower = 1\nuper = 3\n"
                 "[[field]]\nname = \"phone\"\nlevels = [{ kind = \"else\", m = 0.5, u = 0.5 }]\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().where() == "m.toml:5:1");
  r = parse("[model]\nlambda = 0.01\nupper = 5\nlower = 1\n"
            "[[field]]\nname = \"phone\"\ncontact_pont = true\nlevels = [{ kind = \"else\", m = 0.5, u = 0.5 }]\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().where() == "m.toml:7:1");
  r = parse("[model]\nlambda = 0.01\nupper = 5\nlower = 1\n"
            "[[field]]\nname = \"phone\"\nlevels = [{ kind = \"swapped\", m = 0.5, u = 0.1 },\n"
            "  { kind = \"else\", m = 0.5, u = 0.5 }]\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("given_name") != std::string::npos);
  r = parse("[model]\nlambda = 0.01\nupper = 5\nlower = 1\n"
            "[[field]]\nname = \"postcode\"\nlevels = [{ kind = \"national_number\", m = 0.5, u = 0.1 },\n"
            "  { kind = \"else\", m = 0.5, u = 0.5 }]\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("'phone' only") != std::string::npos);
  r = parse("[model]\nlambda = 0.01\nupper = 5\nlower = 1\nperson_field = \"given_name\"\n"
            "[[field]]\nname = \"phone\"\ncontact_point = true\nlevels = [{ kind = \"else\", m = 0.5, u = 0.5 }]\n"
            "[[field]]\nname = \"given_name\"\nlevels = [{ kind = \"else\", m = 0.5, u = 0.5 }]\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().where() == "m.toml:5:16");
}

TEST_CASE("the shipped model round-trips through ToToml with its CRM options", "[match][model]") {
  const auto& m = Model();
  auto again = canon::MatchModel::FromToml(m.ToToml(), "again.toml", ShippedNames());
  REQUIRE(again.ok());
  CHECK(m.ToToml() == again->ToToml());
  P a{.given = "Schröder", .family = "Thomas", .email = "info@acme.de", .phone = "+4930123456", .role_mail = true};
  P b{.given = "Thomas", .family = "Schroder", .email = "info@acme.de", .phone = "+4930123456", .role_mail = true};
  CHECK(again->Score(In(a), In(b)).total == Approx(m.Score(In(a), In(b)).total));
  CHECK(again->Score(In(a), In(b)).ToString() == m.Score(In(a), In(b)).ToString());
}
