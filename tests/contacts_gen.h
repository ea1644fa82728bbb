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

// A contacts export as CRMs hold them: distinct people, their own e-mail and phone, and every tenth row a second
// record of an earlier person, written otherwise (other case, a typo in the family name, the phone in national
// format, no e-mail). Names and employers follow a long tail, as real ones do: half the given names come from 32
// common ones, half from 900 rarer ones; family names from hashed syllables (27,000 three-syllable ones shared by
// half the people, 810,000 four-syllable ones for the rest, so "Smith"-like collisions happen); 60% of people
// work at one of 40,000 companies; 16 cities with 64 postal codes each. The file's people are `offset`.., so two
// files hold different people.
inline void WriteContactsCsv(const std::string& path, long rows, long offset) {
  static const char* kGiven[] = {"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
                                 "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
                                 "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa",
                                 "Anthony", "Margaret", "Mark", "Sandra", "Paul", "Emily", "Andrew", "Donna"};
  static const char* kSyl[] = {"an", "ber", "cal", "dor", "el", "fen", "gar", "hol", "is", "jor", "kel", "lam", "mor",
                               "nes", "ol", "par", "quin", "ros", "sten", "tal", "ur", "vin", "wex", "yor", "zan",
                               "bro", "cre", "dal", "fitz", "grim"};
  static const char* kCity[] = {"Springfield", "Riverside", "Fairview", "Madison", "Georgetown", "Salem", "Franklin",
                                "Clinton", "Greenville", "Bristol", "Dover", "Ashland", "Oxford", "Milton", "Newport",
                                "Auburn"};
  static const char* kCo[] = {"Inc", "GmbH", "LLC", "Ltd", "Group"};
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << "email,first_name,last_name,phone,company,city,postal_code,country\n";
  long person = offset;
  for (long i = 0; i < rows; ++i) {
    bool dup = i % 10 == 9 && person > offset;
    long p = dup ? offset + static_cast<long>(Mix(i) % static_cast<uint64_t>(person - offset)) : person++;
    uint64_t h = Mix(static_cast<uint64_t>(p));
    uint64_t g = Mix(h);
    std::string given = g % 2 ? std::string(kGiven[(g >> 1) % 32]) : std::string(kSyl[(g >> 8) % 30]) + kSyl[(g >> 16) % 30];
    given[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(given[0])));
    std::string family = std::string(kSyl[(h >> 8) % 30]) + kSyl[(h >> 16) % 30] + kSyl[(h >> 24) % 30];
    if (g & (1ull << 40)) family += kSyl[(g >> 24) % 30];
    family[0] = static_cast<char>(family[0] - 'a' + 'A');
    std::string company;
    if ((g >> 32) % 10 >= 4) {
      uint64_t co = (g >> 44) % 40000;
      company = std::string(kSyl[co % 30]) + kSyl[(co / 30) % 30] + kSyl[(co / 900) % 30] + " " + kCo[co % 5];
      company[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(company[0])));
    }
    int postal = 10000 + static_cast<int>((h >> 40) % 16) * 137 + static_cast<int>((g >> 56) % 64);
    long phone = 2000000 + p % 8000000;
    static const int kArea[] = {201, 212, 213, 305, 312, 404, 415, 503, 512, 617, 702, 713, 718, 720, 808, 919};
    int area = kArea[(h >> 32) % 16];
    int city = static_cast<int>((h >> 40) % 16);
    std::string email = given + "." + family + std::to_string(p) + "@example" + std::to_string(p % 97) + ".com";
    if (!dup) {
      f << email << "," << given << "," << family << ",+1" << area << phone << "," << company << "," << kCity[city]
        << "," << postal << ",US\n";
    } else {
      std::string typo = family;
      std::swap(typo[1], typo[2]);
      for (auto& ch : given) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      char national[32];
      std::snprintf(national, sizeof national, "(%d) %03ld-%04ld", area, phone / 10000, phone % 10000);
      f << "," << given << "," << typo << "," << national << "," << company << "," << kCity[city] << "," << postal
        << ",United States\n";
    }
  }
}

// The number of distinct people and of second records WriteContactsCsv(path, rows, ...) writes.
inline std::pair<long, long> PeopleAndSeconds(long rows) { return {rows - rows / 10, rows / 10}; }

}  // namespace contacts_gen
