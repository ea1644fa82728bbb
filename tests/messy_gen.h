// MessyGen: a small, deterministic generator of person records with messy duplicates, owned by the project so
// matching tests and benches need no outside data. Independent of hygiene/: it emits canonical field names and
// raw values only.
//
// Each person gets a given name, family name, birth date, street, postcode, city, e-mail and phone. A duplicate
// copies its person and applies a few corruptions, each with the probability in MessyOptions: a typo (swap,
// drop, double or replace one letter) in a name or street, a nickname for the given name, a dropped field, a
// different e-mail provider, a phone typed with another format, a date with day and month typed wrong by one
// digit. `entity` is the ground truth: records of one person share it. Header-only; not thread-safe per object.
//
// PersonGen (below): the other kind of person data public record-linkage benchmarks hold (Splink's synthetic
// fake_1000 / fake_20000 and others like them): given name, family name, date of birth, city and e-mail only, no
// phone or street, every record of a person an independently corrupted copy (no clean original), and heavy
// corruption. Its defaults are what Splink's fake_1000 shows (1,000 records, 251 people, measured by
// bench/match_quality's person-set notes): 1 to 7 records per person, about uniform; each of given name, family
// name, city and e-mail missing on 17-21% of records, the birth date never; a name differs from the person's on
// about 20-25% of records by 1 to 3 typing errors (a letter dropped, one of the word's letters inserted, two
// swapped, one replaced, or the word scrambled), given and family name swapped on 5%; a third of birth dates are
// off: by days to a couple of months, by a year, or by ten years (a decade typed wrong); the city misspelt on
// about a fifth; the e-mail misspelt (its '@' and dots included) on about a quarter. It adds, at low rates, what
// CRM data also has and Splink's set does not: nicknames, a day/month swap in the birth date, a person who moved
// city, a second e-mail address. Each record lists the variations applied to it (PersonVariation).
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace messy {

// One typing error inside a word (never its first or last letter): two letters swapped, one dropped, one
// doubled, or one replaced by a random letter. Words shorter than 3 letters are left alone.
inline std::string Typo(const std::string& s, std::mt19937_64& rng) {
  if (s.size() < 3) return s;
  std::string t = s;
  size_t i = 1 + rng() % (t.size() - 2);
  switch (rng() % 4) {
    case 0: std::swap(t[i], t[i + 1]); break;
    case 1: t.erase(i, 1); break;
    case 2: t.insert(i, 1, t[i]); break;
    default: t[i] = static_cast<char>('a' + rng() % 26); break;
  }
  return t;
}

struct MessyRecord {
  std::string id;
  std::string entity;  // ground truth
  std::map<std::string, std::string> fields;  // first_name, last_name, email, phone, birth_date, street, ...
};

struct MessyOptions {
  size_t people = 1000;
  double dup_rate = 0.4;       // share of people with at least one duplicate
  int max_dups = 3;            // duplicates per duplicated person: 1..max_dups
  double p_typo = 0.3;         // per name/street field of a duplicate
  double p_nickname = 0.15;
  double p_drop = 0.1;         // per optional field of a duplicate
  double p_email_change = 0.2;
  double p_date_typo = 0.05;
  uint64_t seed = 7;
};

class MessyGen {
 public:
  explicit MessyGen(MessyOptions o = {}) : o_(o), rng_(o.seed) {}

  // People in order, each followed later by its duplicates (shuffled into the stream).
  std::vector<MessyRecord> Generate() {
    std::vector<MessyRecord> out;
    for (size_t i = 0; i < o_.people; ++i) {
      MessyRecord p = Person(i);
      out.push_back(p);
      if (Chance(o_.dup_rate)) {
        int n = 1 + static_cast<int>(rng_() % static_cast<uint64_t>(o_.max_dups));
        for (int k = 0; k < n; ++k) {
          MessyRecord d = Duplicate(p);
          d.id = p.entity + "-dup-" + std::to_string(k);
          out.push_back(std::move(d));
        }
      }
    }
    // Shuffle so duplicates arrive before or after their originals, as in a real export.
    std::shuffle(out.begin(), out.end(), rng_);
    return out;
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <size_t N>
  const char* Pick(const char* const (&arr)[N]) {
    return arr[rng_() % N];
  }

  MessyRecord Person(size_t i) {
    static const char* const kGiven[] = {"robert", "william", "elizabeth", "margaret", "james", "katherine",
                                         "michael", "jennifer", "thomas", "susan", "richard", "patricia",
                                         "charles", "barbara", "joseph", "sarah", "daniel", "jessica",
                                         "matthew", "emily", "anthony", "rebecca", "andrew", "victoria",
                                         "chloe", "liam", "noah", "olivia", "zoe", "mia", "lucas", "amelia"};
    static const char* const kFamily[] = {
        "smith",    "jones",     "williams", "brown",     "taylor",   "wilson",   "johnson",  "white",
        "martin",   "anderson",  "thompson", "nguyen",    "walker",   "harris",   "lee",      "ryan",
        "robinson", "kelly",     "king",     "davis",     "wright",   "evans",    "roberts",  "green",
        "hall",     "wood",      "jackson",  "clarke",    "patel",    "zielinski", "oconnor", "mcdonald",
        "schmidt",  "fitzgerald", "castillo", "okafor",   "haddad",   "kowalski", "moreau",   "lindqvist",
        "yamamoto", "ferreira",  "novak",    "bergstrom", "delacroix", "abernathy", "quintero", "vasquez"};
    static const char* const kStreet[] = {"forbes street", "ocean road",  "hill crescent", "station avenue",
                                          "park lane",     "king street", "bay road",      "river parade",
                                          "church street", "mill close",  "elm grove",     "high street"};
    static const char* const kCity[] = {"canberra", "melbourne", "sydney", "brisbane", "perth", "hobart",
                                        "darwin",   "adelaide",  "geelong", "cairns", "ballarat", "bendigo"};
    static const char* const kMail[] = {"example.com", "mail.test", "post.test", "inbox.test"};
    MessyRecord r;
    r.entity = "p" + std::to_string(i);
    r.id = r.entity + "-org";
    std::string given = Pick(kGiven), family = Pick(kFamily);
    r.fields["first_name"] = given;
    r.fields["last_name"] = family;
    int y = 1940 + static_cast<int>(rng_() % 60), m = 1 + static_cast<int>(rng_() % 12),
        d = 1 + static_cast<int>(rng_() % 28);
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
    r.fields["birth_date"] = date;
    r.fields["street"] = std::to_string(1 + rng_() % 150) + " " + Pick(kStreet);
    r.fields["postal_code"] = std::to_string(2000 + rng_() % 1000);
    r.fields["city"] = Pick(kCity);
    r.fields["email"] = given.substr(0, 1) + "." + family + std::to_string(rng_() % 100) + "@" + Pick(kMail);
    r.fields["phone"] = "+614" + std::to_string(10000000 + rng_() % 89999999);
    r.fields["country"] = "AU";
    return r;
  }

  std::string Typo(const std::string& s) { return messy::Typo(s, rng_); }

  MessyRecord Duplicate(const MessyRecord& p) {
    static const std::map<std::string, std::vector<std::string>> kNick = {
        {"robert", {"bob", "rob", "bobby"}},   {"william", {"bill", "will", "liam"}},
        {"elizabeth", {"liz", "beth", "betty"}}, {"margaret", {"peggy", "maggie", "meg"}},
        {"james", {"jim", "jimmy"}},           {"katherine", {"kate", "kathy"}},
        {"michael", {"mike", "mick"}},         {"jennifer", {"jen", "jenny"}},
        {"thomas", {"tom", "tommy"}},          {"susan", {"sue", "susie"}},
        {"richard", {"rick", "dick"}},         {"patricia", {"pat", "trish"}},
        {"charles", {"charlie", "chuck"}},     {"joseph", {"joe", "joey"}},
        {"daniel", {"dan", "danny"}},          {"andrew", {"andy", "drew"}},
        {"matthew", {"matt"}},                 {"anthony", {"tony"}},
        {"rebecca", {"becky", "becca"}},       {"victoria", {"vicky", "tori"}}};
    MessyRecord d = p;
    auto& f = d.fields;
    auto nick = kNick.find(f["first_name"]);
    if (nick != kNick.end() && Chance(o_.p_nickname)) {
      f["first_name"] = nick->second[rng_() % nick->second.size()];
    } else if (Chance(o_.p_typo)) {
      f["first_name"] = Typo(f["first_name"]);
    }
    if (Chance(o_.p_typo)) f["last_name"] = Typo(f["last_name"]);
    if (Chance(o_.p_typo)) f["street"] = Typo(f["street"]);
    if (Chance(o_.p_typo / 2)) f["city"] = Typo(f["city"]);
    if (Chance(o_.p_email_change)) {
      std::string e = f["email"];
      f["email"] = e.substr(0, e.find('@')) + "@work.test";
    }
    if (Chance(0.3)) {  // same number, another format
      std::string ph = f["phone"];
      f["phone"] = "0" + ph.substr(3, 3) + " " + ph.substr(6, 3) + " " + ph.substr(9);
    }
    if (Chance(o_.p_date_typo)) {
      std::string& dt = f["birth_date"];
      dt[9] = dt[9] == '1' ? '2' : '1';
    }
    if (Chance(0.2)) {  // case noise
      for (char& c : f["last_name"]) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    for (const char* opt : {"email", "phone", "birth_date", "street", "postal_code", "city"})
      if (Chance(o_.p_drop)) f.erase(opt);
    return d;
  }

  MessyOptions o_;
  std::mt19937_64 rng_;
};

// ---- PersonGen ----

enum class PersonVariation : int {
  kGivenTypo,
  kFamilyTypo,
  kNamesSwapped,
  kNickname,
  kDobDays,     // off by 1 to 60 days
  kDobYear,     // off by a year (and maybe days)
  kDobDecade,   // off by ten years (and maybe days)
  kDobSwapped,  // day and month swapped
  kCityTypo,
  kCityMoved,
  kEmailTypo,
  kEmailOther,  // another address of the person
  kCount
};
constexpr int kPersonVariations = static_cast<int>(PersonVariation::kCount);
inline const char* PersonVariationName(PersonVariation v) {
  static const char* const kNames[] = {"given name typo", "family name typo", "names swapped", "nickname",
                                       "dob off by days",  "dob off by a year", "dob off by ten years",
                                       "dob day/month swapped", "city typo", "city moved", "e-mail typo",
                                       "another e-mail"};
  return kNames[static_cast<int>(v)];
}

struct PersonRecord {
  std::string id;      // "r<N>", in output order
  long person = 0;     // ground truth: records of one person share it
  std::map<std::string, std::string> fields;  // first_name, last_name, birth_date, city, email (absent = missing)
  uint32_t variations = 0;  // bit = PersonVariation
  bool Has(PersonVariation v) const { return (variations >> static_cast<int>(v)) & 1u; }
};

struct PersonOptions {
  size_t people = 5000;
  int min_records = 1;  // records per person, uniform in [min_records, max_records]
  int max_records = 7;
  double p_missing_given = 0.17;  // per record and field
  double p_missing_family = 0.18;
  double p_missing_dob = 0.0;
  double p_missing_city = 0.19;
  double p_missing_email = 0.21;
  double p_name_typo = 0.2;  // per name field of a record
  double p_names_swapped = 0.05;
  double p_nickname = 0.02;  // of records whose given name has a nickname
  double p_dob_error = 0.33;
  // Shares of the birth-date errors: days, a year, ten years; the rest day/month swaps.
  double dob_days_share = 0.3, dob_year_share = 0.33, dob_decade_share = 0.32;
  double p_city_typo = 0.19;
  double p_city_moved = 0.02;
  double p_email_typo = 0.24;
  double p_email_other = 0.03;
  bool shuffle = true;  // records in random order (as they arrive in a CRM); false: each person's together
  uint64_t seed = 11;
};

namespace detail {

// Days since 1970-01-01 of a civil date and back (H. Hinnant's algorithms), for birth-date shifts.
inline long DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
inline void CivilFromDays(long z, int* y, int* m, int* d) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

}  // namespace detail

class PersonGen {
 public:
  explicit PersonGen(PersonOptions o = {}) : o_(o), rng_(o.seed) {}

  std::vector<PersonRecord> Generate() {
    std::vector<PersonRecord> out;
    for (size_t i = 0; i < o_.people; ++i) {
      const Truth t = MakeTruth();
      const int span = std::max(0, o_.max_records - o_.min_records);
      const int n = o_.min_records + static_cast<int>(rng_() % static_cast<uint64_t>(span + 1));
      for (int k = 0; k < n; ++k) out.push_back(Copy(t, static_cast<long>(i)));
    }
    if (o_.shuffle) std::shuffle(out.begin(), out.end(), rng_);
    for (size_t i = 0; i < out.size(); ++i) out[i].id = "r" + std::to_string(i);
    return out;
  }

 private:
  struct Truth {
    std::string given, family, city, email, other_email;
    int y = 0, m = 0, d = 0;
  };

  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  // Index into a list of n, common entries first (about a fifth of picks from the first tenth): names and
  // cities are not uniform, and namesakes are what make person data hard.
  size_t Skewed(size_t n) {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return std::min(n - 1, static_cast<size_t>(static_cast<double>(n) * u * std::sqrt(u)));
  }
  template <size_t N>
  const char* PickSkewed(const char* const (&arr)[N]) {
    return arr[Skewed(N)];
  }
  template <size_t N>
  const char* Pick(const char* const (&arr)[N]) {
    return arr[rng_() % N];
  }
  std::string Number2() { return std::to_string(rng_() % 100); }

  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  // An address made the ways people and faker-made data make them: robert.allen52@, rallen@, robert255@, ra88@,
  // r.a39@, roberta25@ (given + family initial), at a company-like domain.
  std::string Email(const std::string& given, const std::string& family) {
    static const char* const kDomainWords[] = {
        "smith", "jones", "harris", "bailey", "bennett", "reyes", "coleman", "brooks", "perez", "gonzalez",
        "thompson", "silva", "clark", "nichols", "martinez", "sawyer", "green", "hopkins", "king", "hill",
        "bradley", "barnes", "cortez", "wilcox", "leonard", "whitney", "ellis", "berry", "ware", "ramirez",
        "anthony", "lee", "taylor", "french", "randall", "day", "garner", "bridges", "hodge", "moran",
        "chavez", "collins", "rivers", "glass", "houston", "bell", "herring", "richardson", "rhodes", "walters"};
    static const char* const kTld[] = {"com", "com", "com", "net", "org", "info", "biz"};
    std::string domain = Pick(kDomainWords);
    if (Chance(0.4)) domain += std::string("-") + Pick(kDomainWords);
    domain += std::string(".") + Pick(kTld);
    const std::string g = Lower(given), f = Lower(family);
    std::string local;
    switch (rng_() % 7) {
      case 0: local = g + "." + f + (Chance(0.5) ? Number2() : ""); break;
      case 1: local = g + f + (Chance(0.6) ? Number2() : ""); break;
      case 2: local = g.substr(0, 1) + "." + f + (Chance(0.5) ? Number2() : ""); break;
      case 3: local = g.substr(0, 1) + f + (Chance(0.5) ? Number2() : ""); break;
      case 4: local = g + f.substr(0, 1) + (Chance(0.6) ? Number2() : ""); break;
      case 5: local = g.substr(0, 1) + f.substr(0, 1) + Number2(); break;
      default: local = g.substr(0, 1) + "." + f.substr(0, 1) + (Chance(0.6) ? Number2() : ""); break;
    }
    return local + "@" + domain;
  }

  Truth MakeTruth() {
    static const char* const kGiven[] = {
        "Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Oscar", "Charlie", "Jacob",
        "Thomas", "Henry", "William", "Freddie", "Alfie", "Theodore", "James", "Archie", "Joshua", "Olivia",
        "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow", "Rosie", "Sophia",
        "Isabella", "Grace", "Daisy", "Poppy", "Evie", "Emily", "Ella", "Evelyn", "Robert", "Elizabeth",
        "Michael", "Matilda", "Lola", "Harley", "Scarlett", "Jessica", "Eleanor", "Samuel", "Benjamin",
        "Alexander", "Daniel", "Edward", "Charlotte", "Lucas", "Reuben", "Caleb", "Maisie", "Imogen", "Logan",
        "Ryan", "Dylan", "Mason", "Ethan", "Finley", "Riley", "Darcy", "Hannah", "Lucy", "Matthew", "Heidi",
        "Maryam", "Aisha", "Leah", "Holly", "Erin", "Jayden", "Sebastian", "Toby", "Harrison", "Elliot",
        "Abigail", "Adam", "Aiden", "Alice", "Amber", "Amy", "Anna", "Arabella", "Aria", "Arlo", "Austin",
        "Bella", "Bethany", "Bobby", "Callum", "Chloe", "Connor", "Darcie", "David", "Dexter", "Eden", "Eliza",
        "Ellie", "Elsie", "Emma", "Esme", "Eva", "Ezra", "Felix", "Francesca", "Frankie", "Gabriel",
        "Georgia", "Gracie", "Harriet", "Harvey", "Hugo", "Ibrahim", "Isaac", "Isabelle", "Jasmine", "Jaxon",
        "Jenson", "Joseph", "Jude", "Kai", "Katie", "Layla", "Leon", "Lewis", "Lexi", "Lilly", "Louis", "Luca",
        "Luke", "Lydia", "Maddison", "Martha", "Max", "Millie", "Mohammed", "Molly", "Nancy", "Nathan", "Niamh",
        "Ollie", "Owen", "Phoebe", "Reggie", "Robyn", "Ronnie", "Rory", "Ruby", "Sara", "Sarah", "Sienna",
        "Sofia", "Stanley", "Summer", "Teddy", "Theo", "Tommy", "Violet", "Zachary", "Zara", "Zoe"};
    static const char* const kFamily[] = {
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
        "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel",
        "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell", "Rose", "Davis", "Cox", "Morgan", "Moore",
        "Hughes", "Edwards", "Hill", "Scott", "Turner", "Campbell", "Kaur", "Begum", "Shah", "Ali", "Murphy",
        "Cooper", "Ward", "Morris", "King", "Harris", "Baker", "Lee", "Young", "Allen", "Bell", "Carter", "Price",
        "Bennett", "Fox", "Owen", "Armstrong", "Atkinson", "Barker", "Booth", "Bryant", "Cunningham", "Dixon",
        "Ferguson", "Fletcher", "Gregory", "Griffiths", "Harper", "Holmes", "Jarvis", "Kennedy", "Macdonald",
        "Marshall", "Nicholson", "Palmer", "Rhodes", "Richards", "Russell", "Stephens", "Sutherland", "Walsh",
        "Watson", "Webster", "Williamson", "Adams", "Ahmed", "Andrews", "Bailey", "Banks", "Barnes", "Bird",
        "Black", "Bond", "Bradley", "Brooks", "Bull", "Burton", "Byrne", "Chapman", "Clark", "Cole", "Collins",
        "Cooke", "Curtis", "Dawson", "Day", "Dean", "Ellis", "Fisher", "Ford", "Foster", "Fraser", "Gill", "Gordon",
        "Graham", "Grant", "Gray", "Hamilton", "Hart", "Harvey", "Hayes", "Henderson", "Hopkins", "Hunt", "Hunter",
        "Hussain", "Johnston", "Kelly", "Kirk", "Knight", "Lawrence", "Lloyd", "Lopez", "Marsh", "Martin", "May",
        "Miller", "Mills", "Newman", "Norman", "Oliver", "Parker", "Payne", "Pearson", "Porter", "Powell",
        "Reid", "Rees", "Reynolds", "Rice", "Riley", "Robertson", "Rogers", "Ross", "Rowe", "Saunders", "Shaw",
        "Simmons", "Simpson", "Stevens", "Stewart", "Stone", "Sullivan", "Thomas", "Thomson", "Tucker", "Walton",
        "Warren", "Watts", "Wells", "West", "Wheeler", "Wilkinson", "Woods", "Yates"};
    Truth t;
    t.given = PickSkewed(kGiven);
    t.family = PickSkewed(kFamily);
    t.city = City();
    t.email = Email(t.given, t.family);
    t.other_email = Email(t.given, t.family);
    const long day = detail::DaysFromCivil(1970, 1, 1) + static_cast<long>(rng_() % 19000);  // 1970..2022
    detail::CivilFromDays(day, &t.y, &t.m, &t.d);
    return t;
  }

  std::string City() {
    // London about a quarter of people, as in Splink's data (and in a UK CRM): city agreement is weak evidence.
    static const char* const kCities[] = {
        "Birmingham", "Liverpool", "Manchester", "Leeds", "Bristol", "Newcastle-upon-Tyne", "Sheffield", "Cardiff",
        "Glasgow", "Edinburgh", "Coventry", "Leicester", "Nottingham", "Bradford", "Southampton", "Portsmouth",
        "Plymouth", "Reading", "Swansea", "Aberdeen", "Belfast", "Kingston-upon-Hull", "Stoke-on-Trent", "Derby",
        "Wolverhampton", "Sunderland", "Huddersfield", "Peterborough", "Southend-on-Sea", "Bolton", "Salford",
        "Swindon", "Middlesbrough", "Luton", "York", "Ipswich", "Telford", "Dudley", "Mansfield", "Northampton"};
    return Chance(0.25) ? "London" : PickSkewed(kCities);
  }

  // 1 to 3 typing errors of the kinds seen in Splink's data (a letter dropped, one of the word's own letters
  // inserted anywhere, two neighbours swapped, one replaced), or, on 8%, the word's letters scrambled.
  std::string Corrupt(const std::string& s) {
    if (s.size() < 2) return s;
    std::string t = s;
    if (Chance(0.08)) {
      std::string before = t;
      for (int tries = 0; tries < 4 && t == before; ++tries) std::shuffle(t.begin(), t.end(), rng_);
      return t;
    }
    const int ops = Chance(0.6) ? 1 : Chance(0.6) ? 2 : 3;
    for (int k = 0; k < ops && t.size() >= 2; ++k) {
      const size_t i = rng_() % t.size();
      switch (rng_() % 4) {
        case 0: t.erase(i, 1); break;
        case 1: t.insert(i, 1, t[rng_() % t.size()]); break;
        case 2: std::swap(t[i], t[i + 1 < t.size() ? i + 1 : i - 1]); break;
        default: t[i] = static_cast<char>('a' + rng_() % 26); break;
      }
    }
    return t;
  }

  static std::string Date(int y, int m, int d) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return buf;
  }

  std::string Dob(const Truth& t, PersonRecord* r) {
    if (!Chance(o_.p_dob_error)) return Date(t.y, t.m, t.d);
    long day = detail::DaysFromCivil(t.y, t.m, t.d);
    auto shift = [&](int most) {
      const long k = 1 + static_cast<long>(rng_() % static_cast<uint64_t>(most));
      return Chance(0.5) ? k : -k;
    };
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    int y = t.y, m = t.m, d = t.d;
    if (u >= o_.dob_days_share + o_.dob_year_share + o_.dob_decade_share && t.d <= 12 && t.d != t.m) {
      r->variations |= 1u << static_cast<int>(PersonVariation::kDobSwapped);
      return Date(t.y, t.d, t.m);
    }
    if (u < o_.dob_days_share || u >= o_.dob_days_share + o_.dob_year_share + o_.dob_decade_share) {
      r->variations |= 1u << static_cast<int>(PersonVariation::kDobDays);
      detail::CivilFromDays(day + shift(60), &y, &m, &d);
      return Date(y, m, d);
    }
    const bool decade = u >= o_.dob_days_share + o_.dob_year_share;
    r->variations |= 1u << static_cast<int>(decade ? PersonVariation::kDobDecade : PersonVariation::kDobYear);
    y += (Chance(0.5) ? 1 : -1) * (decade ? 10 : 1);
    if (m == 2 && d == 29) d = 28;
    day = detail::DaysFromCivil(y, m, d);
    if (Chance(0.5)) day += shift(40);
    detail::CivilFromDays(day, &y, &m, &d);
    return Date(y, m, d);
  }

  PersonRecord Copy(const Truth& t, long person) {
    static const std::map<std::string, std::vector<std::string>> kNick = {
        {"Oliver", {"Ollie"}},      {"Thomas", {"Tom", "Tommy"}},   {"James", {"Jim", "Jamie"}},
        {"William", {"Will", "Bill"}}, {"Alexander", {"Alex"}},     {"Samuel", {"Sam"}},
        {"Benjamin", {"Ben"}},      {"Joshua", {"Josh"}},           {"Jacob", {"Jake"}},
        {"Michael", {"Mike"}},      {"Charlotte", {"Lottie"}},      {"Elizabeth", {"Liz", "Beth"}},
        {"Robert", {"Rob", "Bob"}}, {"Daniel", {"Dan"}},            {"Matthew", {"Matt"}},
        {"Henry", {"Harry"}},       {"Edward", {"Ed", "Ted"}}};
    PersonRecord r;
    r.person = person;
    auto set = [&](PersonVariation v) { r.variations |= 1u << static_cast<int>(v); };
    // With probability p, `value` becomes change(value) and the record carries v.
    auto vary = [&](double p, PersonVariation v, std::string* value, const auto& change) {
      if (!Chance(p)) return;
      *value = change(*value);
      set(v);
    };
    auto typo = [&](const std::string& s) { return Corrupt(s); };
    std::string given = t.given, family = t.family;
    auto nick = kNick.find(given);
    if (nick != kNick.end() && Chance(o_.p_nickname)) {
      given = nick->second[rng_() % nick->second.size()];
      set(PersonVariation::kNickname);
    } else {
      vary(o_.p_name_typo, PersonVariation::kGivenTypo, &given, typo);
    }
    vary(o_.p_name_typo, PersonVariation::kFamilyTypo, &family, typo);
    std::string city = t.city, email = t.email;
    vary(o_.p_city_moved, PersonVariation::kCityMoved, &city, [&](const std::string&) { return City(); });
    vary(o_.p_city_typo, PersonVariation::kCityTypo, &city, typo);
    vary(o_.p_email_other, PersonVariation::kEmailOther, &email, [&](const std::string&) { return t.other_email; });
    vary(o_.p_email_typo, PersonVariation::kEmailTypo, &email, typo);
    const std::string dob = Dob(t, &r);
    const bool has_given = !Chance(o_.p_missing_given), has_family = !Chance(o_.p_missing_family);
    if (has_given && has_family && Chance(o_.p_names_swapped)) {
      std::swap(given, family);
      set(PersonVariation::kNamesSwapped);
    }
    if (has_given) r.fields["first_name"] = given;
    if (has_family) r.fields["last_name"] = family;
    if (!Chance(o_.p_missing_dob)) r.fields["birth_date"] = dob;
    if (!Chance(o_.p_missing_city)) r.fields["city"] = city;
    if (!Chance(o_.p_missing_email)) r.fields["email"] = email;
    return r;
  }

  PersonOptions o_;
  std::mt19937_64 rng_;
};

inline std::vector<PersonRecord> GeneratePersons(const PersonOptions& o) { return PersonGen(o).Generate(); }

// Splink's column layout: unique_id,first_name,surname,dob,city,email,cluster (read back with bench/match_quality
// --labelled PATH --entity-column cluster --id-column unique_id --map dob=birth_date). Values hold no comma or
// quote (the generator's alphabet), so none is quoted.
inline void WritePersonCsv(std::ostream& out, const std::vector<PersonRecord>& recs) {
  out << "unique_id,first_name,surname,dob,city,email,cluster\n";
  auto get = [](const PersonRecord& r, const char* f) {
    auto it = r.fields.find(f);
    return it == r.fields.end() ? std::string() : it->second;
  };
  for (const auto& r : recs)
    out << r.id << ',' << get(r, "first_name") << ',' << get(r, "last_name") << ',' << get(r, "birth_date") << ','
        << get(r, "city") << ',' << get(r, "email") << ',' << r.person << '\n';
}

}  // namespace messy
