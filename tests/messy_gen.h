// MessyGen: a small, deterministic generator of person records with messy duplicates, owned by the project so
// matching tests and benches need no outside data. Independent of hygiene/: it emits canonical field names and
// raw values only.
//
// Each person gets a given name, family name, birth date, street, postcode, city, e-mail and phone. A duplicate
// copies its person and applies a few corruptions, each with the probability in MessyOptions: a typo (swap,
// drop, double or replace one letter) in a name or street, a nickname for the given name, a dropped field, a
// different e-mail provider, a phone typed with another format, a date with day and month typed wrong by one
// digit. `entity` is the ground truth: records of one person share it. Header-only; not thread-safe per object.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace messy {

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

  std::string Typo(const std::string& s) {
    if (s.size() < 3) return s;
    std::string t = s;
    size_t i = 1 + rng_() % (t.size() - 2);
    switch (rng_() % 4) {
      case 0: std::swap(t[i], t[i + 1]); break;
      case 1: t.erase(i, 1); break;
      case 2: t.insert(i, 1, t[i]); break;
      default: t[i] = static_cast<char>('a' + rng_() % 26); break;
    }
    return t;
  }

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

}  // namespace messy
