// A generated contacts CSV as CRM exports hold them, for the CSV import bench and the large-file daemon test (one
// generator, so the bench's figures and the test's describe the same data). Deterministic; header-only.
#pragma once

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

namespace contacts_gen {

inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// One row of a contacts export, as WriteContactsCsv writes it (`second`: a second record of an earlier person).
struct ContactRow {
  std::string email, first_name, last_name, phone, company, city, postal_code, country;
  bool second = false;
};

// Contacts as CRMs hold them: distinct people, their own e-mail and phone, and every tenth row a second record of
// an earlier person, written otherwise (other case, a typo in the family name, the phone in national format, no
// e-mail). Names and employers follow a long tail, as real ones do: half the given names come from 32 common ones,
// half from 900 rarer ones; family names from hashed syllables (27,000 three-syllable ones shared by half the
// people, 810,000 four-syllable ones for the rest, so "Smith"-like collisions happen); 60% of people work at one of
// 40,000 companies; 16 cities with 64 postal codes each. The stream's people are `offset`.., so two streams with
// offsets far enough apart hold different people.
class ContactStream {
 public:
  explicit ContactStream(long offset) : offset_(offset), person_(offset) {}

  ContactRow Next() {
    static const char* kGiven[] = {"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
                                   "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph",
                                   "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew",
                                   "Lisa", "Anthony", "Margaret", "Mark", "Sandra", "Paul", "Emily", "Andrew",
                                   "Donna"};
    static const char* kSyl[] = {"an", "ber", "cal", "dor", "el", "fen", "gar", "hol", "is", "jor", "kel", "lam",
                                 "mor", "nes", "ol", "par", "quin", "ros", "sten", "tal", "ur", "vin", "wex", "yor",
                                 "zan", "bro", "cre", "dal", "fitz", "grim"};
    static const char* kCity[] = {"Springfield", "Riverside", "Fairview", "Madison", "Georgetown", "Salem",
                                  "Franklin", "Clinton", "Greenville", "Bristol", "Dover", "Ashland", "Oxford",
                                  "Milton", "Newport", "Auburn"};
    static const char* kCo[] = {"Inc", "GmbH", "LLC", "Ltd", "Group"};
    static const int kArea[] = {201, 212, 213, 305, 312, 404, 415, 503, 512, 617, 702, 713, 718, 720, 808, 919};
    long i = row_++;
    bool dup = i % 10 == 9 && person_ > offset_;
    long p = dup ? offset_ + static_cast<long>(Mix(i) % static_cast<uint64_t>(person_ - offset_)) : person_++;
    uint64_t h = Mix(static_cast<uint64_t>(p));
    uint64_t g = Mix(h);
    std::string given =
        g % 2 ? std::string(kGiven[(g >> 1) % 32]) : std::string(kSyl[(g >> 8) % 30]) + kSyl[(g >> 16) % 30];
    given[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(given[0])));
    std::string family = std::string(kSyl[(h >> 8) % 30]) + kSyl[(h >> 16) % 30] + kSyl[(h >> 24) % 30];
    if (g & (1ull << 40)) family += kSyl[(g >> 24) % 30];
    family[0] = static_cast<char>(family[0] - 'a' + 'A');
    ContactRow r;
    if ((g >> 32) % 10 >= 4) {
      uint64_t co = (g >> 44) % 40000;
      r.company = std::string(kSyl[co % 30]) + kSyl[(co / 30) % 30] + kSyl[(co / 900) % 30] + " " + kCo[co % 5];
      r.company[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(r.company[0])));
    }
    r.postal_code = std::to_string(10000 + static_cast<int>((h >> 40) % 16) * 137 + static_cast<int>((g >> 56) % 64));
    long phone = 2000000 + p % 8000000;
    int area = kArea[(h >> 32) % 16];
    r.city = kCity[(h >> 40) % 16];
    r.second = dup;
    if (!dup) {
      r.email = given + "." + family + std::to_string(p) + "@example" + std::to_string(p % 97) + ".com";
      r.first_name = given;
      r.last_name = family;
      r.phone = "+1" + std::to_string(area) + std::to_string(phone);
      r.country = "US";
    } else {
      std::string typo = family;
      std::swap(typo[1], typo[2]);
      for (auto& ch : given) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      char national[32];
      std::snprintf(national, sizeof national, "(%d) %03ld-%04ld", area, phone / 10000, phone % 10000);
      r.first_name = given;
      r.last_name = typo;
      r.phone = national;
      r.country = "United States";
    }
    return r;
  }

 private:
  long offset_, person_, row_ = 0;
};

// What a generated file holds, counted as it was written.
struct Written {
  long people = 0;   // distinct people (rows that are not second records)
  long seconds = 0;  // second records of people written before
};

// `rows` rows of ContactStream(offset) as a CSV file with a header.
inline Written WriteContactsCsv(const std::string& path, long rows, long offset) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << "email,first_name,last_name,phone,company,city,postal_code,country\n";
  ContactStream stream(offset);
  Written w;
  for (long i = 0; i < rows; ++i) {
    ContactRow r = stream.Next();
    (r.second ? w.seconds : w.people) += 1;
    f << r.email << "," << r.first_name << "," << r.last_name << "," << r.phone << "," << r.company << "," << r.city
      << "," << r.postal_code << "," << r.country << "\n";
  }
  return w;
}

}  // namespace contacts_gen
