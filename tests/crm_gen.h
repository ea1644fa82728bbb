// CrmGen: a seeded, deterministic generator of CRM-shaped raw records with known truth, the yardstick of
// bench/match_quality's CRM set and of tests/match_crm_gen_test.cc. Header-only; owned by the project, so no
// outside data is needed.
//
// What it models: people of ten countries (DE, FR, ES, NL, GB, US, SE, DK, NO, IT) with names of those countries
// (diacritics, Spanish double family names, Dutch particles), personal and work e-mails, mobiles and landlines
// that libphonenumber accepts, employers with legal forms, e-mail conventions and switchboards. Each person has
// 1-5 records (skewed to 1-2), each from a door (web form, ad lead, CSV export, a salesperson's entry) that
// renders the person the way that door captures people: which fields it fills, how names, phones, companies and
// countries are written, what goes wrong (nicknames, one-edit typos, case, swapped given and family names, a
// full name unsplit, a second given name shown or split into the family name, Gmail dots and +tags, work versus
// personal e-mail, a previous employer and its address, +/00/011/national phone formats, legal-form variants,
// country names in several languages or ISO-2/ISO-3 codes, diacritics dropped or spelt out, compound family
// names shortened). Fields are missing at CRM rates (phone ~45%, company ~38%, city ~41%, country ~29%, birth
// date ~95%, street ~91%).
// Hard negatives are their own classes: groups of different people that share what a naive matcher takes for
// identity: namesakes (one common name), relatives (family name, household landline, address), colleagues
// (company, switchboard, office city, e-mails on one domain), role mailboxes (info@/sales@ of one company) and
// agencies (one agency's phone, sometimes its e-mail, on leads for people at other companies). The given names
// of a group's members differ (siblings may have similar ones: Jan/Jana), so a person can tell them apart.
// Truth: CrmRecord::person; a pair of different people is a hard negative of the class of a group both belong to.
//
// Not thread-safe per object; Generate() is a pure function of the options (same seed, same records: every draw
// is a raw std::mt19937_64 output, none goes through a standard-library distribution or shuffle).
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "connectors/csv_reader.h"
#include "hygiene/record.h"

namespace crm_gen {

enum class Door : uint8_t { kWebForm, kAdLead, kCsvExport, kSalesEntry };
constexpr int kDoors = 4;
inline const char* DoorName(Door d) {
  static const char* const kNames[] = {"web_form", "ad_lead", "csv_export", "sales_entry"};
  return kNames[static_cast<int>(d)];
}

// Hard-negative classes, in the order a pair that shares several groups is attributed.
enum class GroupKind : uint8_t { kNamesakes, kRelatives, kColleagues, kRoleMailbox, kAgency };
constexpr int kGroupKinds = 5;
inline const char* GroupKindName(GroupKind k) {
  static const char* const kNames[] = {"namesakes", "relatives", "colleagues", "role", "agency"};
  return kNames[static_cast<int>(k)];
}

struct GroupRef {
  GroupKind kind;
  int id;
  bool operator==(const GroupRef& o) const { return kind == o.kind && id == o.id; }
};

// How a record departs from its person's canonical values (bits of CrmRecord::variations).
enum class Variation : uint8_t {
  kNickname,           // given name written as a nickname (Bob for Robert)
  kTypo,               // one edit in the given or family name
  kCase,               // names in upper or lower case
  kSwappedNames,       // given name in last_name and family name in first_name
  kFullNameOnly,       // full_name only, not split
  kDiacriticsDropped,  // Müller -> Muller / Mueller, María -> Maria
  kCompoundShortened,  // García López -> García, van den Berg -> Berg
  kGmailDots,          // dots of a Gmail local part dropped or moved
  kPlusTag,            // user+tag@
  kWorkEmail,          // the person's work e-mail (on the company domain)
  kPersonalEmail,      // the person's personal e-mail (free mail)
  kPhonePlus,          // +CC ...
  kPhone00,            // 00CC ...
  kPhone011,           // 011 CC ... (a US caller's international prefix)
  kPhoneNational,      // national format (trunk prefix, brackets)
  kCompanyVariant,     // legal form dropped, spelt out or recased
  kCountryVariant,     // country as a native/foreign name or an ISO-3 code
  kSecondGivenName,    // a second given name shown: "Mary Ann" / "Smith", or split "Mary" / "Ann Smith"
  kJobChange,          // the person's previous employer and its e-mail address
  kCount
};
constexpr int kVariations = static_cast<int>(Variation::kCount);
inline const char* VariationName(Variation v) {
  static const char* const kNames[] = {"nickname",     "typo",          "case",           "swapped_names",
                                       "full_name_only", "diacritics_dropped", "compound_shortened",
                                       "gmail_dots",   "plus_tag",      "work_email",     "personal_email",
                                       "phone_plus",   "phone_00",      "phone_011",      "phone_national",
                                       "company_variant", "country_variant", "second_given_name",
                                       "job_change"};
  return kNames[static_cast<int>(v)];
}

struct CrmRecord {
  std::string record_id;  // "r123": opaque, in output order
  long person = 0;        // ground truth
  std::string country;    // ISO-2 of the person's country (truth; the record may carry it otherwise or not at all)
  Door door = Door::kWebForm;
  std::vector<GroupRef> groups;  // hard-negative groups of the person
  uint32_t variations = 0;       // bit i = Variation i
  canon::Record record;          // raw fields as the door sends them

  bool Has(Variation v) const { return (variations >> static_cast<int>(v)) & 1u; }
  // "colleagues:17;role:3"
  std::string GroupsString() const {
    std::string s;
    for (const auto& g : groups) {
      if (!s.empty()) s += ';';
      s += std::string(GroupKindName(g.kind)) + ":" + std::to_string(g.id);
    }
    return s;
  }
};

struct CrmOptions {
  size_t people = 20000;
  uint64_t seed = 1;
  // Share of people created inside each hard-negative group kind (namesakes, relatives, colleagues, role, agency).
  double group_share[kGroupKinds] = {0.03, 0.04, 0.05, 0.03, 0.03};
};

// The raw fields, in the order WriteCsv writes them.
inline const std::vector<std::string>& RawFields() {
  static const std::vector<std::string> kFields = {"first_name", "last_name", "full_name",   "email",
                                                   "phone",      "company",   "job_title",   "city",
                                                   "postal_code", "street",   "country",     "birth_date",
                                                   "lead_source"};
  return kFields;
}

// Given-name nickname pairs the generator uses (canonical, nickname), all in rules/nicknames.toml.
inline const std::vector<std::pair<const char*, const char*>>& NicknamePairs() {
  static const std::vector<std::pair<const char*, const char*>> kPairs = {
      {"Robert", "Bob"},      {"Robert", "Rob"},       {"William", "Bill"},    {"William", "Will"},
      {"Elizabeth", "Liz"},   {"Elizabeth", "Beth"},   {"Thomas", "Tom"},      {"Michael", "Mike"},
      {"Katherine", "Kate"},  {"Catherine", "Cathy"},  {"Christopher", "Chris"}, {"James", "Jim"},
      {"James", "Jamie"},     {"Jennifer", "Jenny"},   {"Jennifer", "Jen"},    {"Margaret", "Maggie"},
      {"Alexander", "Alex"},  {"Andrew", "Andy"},      {"Daniel", "Dan"},      {"Richard", "Rick"},
      {"Joseph", "Joe"},      {"Matthew", "Matt"},     {"Nicholas", "Nick"},   {"Patricia", "Pat"},
      {"Jessica", "Jess"},    {"Samuel", "Sam"},       {"Benjamin", "Ben"},    {"Charlotte", "Lottie"},
      {"Edward", "Ed"},       {"Victoria", "Vicky"},   {"Rebecca", "Becky"},   {"Susan", "Sue"},
      {"Anthony", "Tony"},    {"Jonathan", "Jon"},     {"Joshua", "Josh"},     {"Peter", "Pete"},
      {"Stephen", "Steve"},   {"Henry", "Harry"},      {"Frederick", "Fred"}};
  return kPairs;
}

namespace detail {

// A phone numbering plan: national significant number = prefix + `digits` random digits, written in groups.
struct PhonePlan {
  const char* prefix;
  int digits;
  std::vector<int> groups;  // group sizes of the national significant number
  bool mobile;
};

struct City {
  const char* name;
  const char* alt;     // another common spelling (Munich for München), or ""
  const char* postal;  // template: '#' a digit, '@' a letter
};

struct CountryData {
  const char* iso2;
  std::vector<const char*> names;  // [0] the English name, then variants (ISO-3, native, other languages)
  const char* cc;                  // calling code
  const char* trunk;               // national trunk prefix ("0", "1" for NANP, "" when none)
  std::vector<PhonePlan> landlines;
  std::vector<PhonePlan> mobiles;
  std::vector<const char*> given;
  std::vector<const char*> family;      // common family names (drawn with a skew)
  std::vector<const char*> fam_head;    // syllables for rarer family names: head + tail
  std::vector<const char*> fam_tail;
  std::vector<City> cities;
  std::vector<const char*> legal_forms;
  std::vector<const char*> providers;   // free-mail domains
  const char* tld;
  int weight;                           // share of people
};

inline const std::vector<CountryData>& Countries() {
  static const std::vector<CountryData> kCountries = {
      {"DE",
       {"Germany", "Deutschland", "DE", "DEU", "Allemagne", "germany", "Alemania"},
       "49", "0",
       {{"30", 8, {2, 8}, false}, {"89", 8, {2, 8}, false}, {"40", 8, {2, 8}, false}, {"221", 7, {3, 7}, false}},
       {{"151", 8, {3, 4, 4}, true}, {"160", 7, {3, 7}, true}, {"172", 7, {3, 7}, true}, {"176", 8, {3, 8}, true}},
       {"Thomas", "Michael", "Andreas", "Stefan", "Jürgen", "Katharina", "Anna", "Julia", "Sabine", "Günter",
        "Jörg", "Lukas", "Sophie", "Maximilian", "Alexander", "Christian", "Elisabeth", "Matthias", "Frank",
        "Birgit", "Monika", "Ursula", "Tobias", "Lena", "Jan", "Daniel", "Sebastian", "Björn", "Claudia",
        "Markus", "Petra", "Käthe", "Niklas", "Franziska", "Wolfgang", "Susanne"},
       {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Krüger",
        "Köhler", "Groß", "Hübner", "Zimmermann", "Lehmann", "Günther"},
       {"Ober", "Stein", "Rosen", "Lin", "Alt", "Wald", "Hof", "Brandt", "Eich", "Frei", "Kirch", "Sonnen", "Berg",
        "Hart", "Mühl", "Kessel", "Lang", "Weiß", "Grün", "Bach"},
       {"mann", "berger", "meier", "bauer", "hauser", "feld", "hoff", "müller", "huber", "ner", "reiter", "dorf",
        "hammer", "wirth", "städter"},
       {{"Berlin", "", "10###"}, {"München", "Munich", "80###"}, {"Hamburg", "", "20###"},
        {"Köln", "Cologne", "50###"}, {"Frankfurt am Main", "Frankfurt", "60###"}, {"Stuttgart", "", "70###"},
        {"Düsseldorf", "Duesseldorf", "40###"}, {"Leipzig", "", "04###"}},
       {"GmbH", "AG", "GmbH & Co. KG", "SE"},
       {"gmx.de", "web.de", "t-online.de", "gmail.com", "googlemail.com", "yahoo.de", "outlook.de"},
       "de", 15},
      {"FR",
       {"France", "FRA", "FR", "Frankreich", "Francia", "france"},
       "33", "0",
       {{"1", 8, {1, 2, 2, 2, 2}, false}, {"4", 8, {1, 2, 2, 2, 2}, false}, {"5", 8, {1, 2, 2, 2, 2}, false}},
       {{"61", 7, {1, 2, 2, 2, 2}, true}, {"66", 7, {1, 2, 2, 2, 2}, true}, {"68", 7, {1, 2, 2, 2, 2}, true},
        {"78", 7, {1, 2, 2, 2, 2}, true}},
       {"Jean", "Pierre", "François", "Hélène", "Élodie", "Amélie", "Céline", "Nicolas", "Julien", "Camille",
        "Léa", "Chloé", "Mathieu", "Stéphane", "Aurélie", "Sébastien", "Isabelle", "Sophie", "Philippe", "Marie",
        "Antoine", "Guillaume", "Émilie", "Thierry", "Nathalie", "Jérôme", "Margaux", "Benoît", "Inès", "Laurent"},
       {"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Lefèvre", "Girard", "Lambert", "Fontaine", "Rousseau", "Mercier", "Faure", "André", "Gauthier", "Chevalier"},
       {"Beau", "Mont", "Ville", "Belle", "Clair", "Roche", "Ber", "Cham", "Dela", "Mal", "Fon", "Gran", "Lav",
        "Mar", "Saint-", "Ros"},
       {"champ", "lieu", "mont", "fort", "court", "val", "bois", "rière", "ier", "vert", "ville", "lac", "noir",
        "taine"},
       {{"Paris", "", "750##"}, {"Lyon", "", "6900#"}, {"Marseille", "", "130##"}, {"Toulouse", "", "310##"},
        {"Nantes", "", "440##"}, {"Lille", "", "590##"}, {"Bordeaux", "", "330##"}},
       {"SA", "SAS", "SARL"},
       {"orange.fr", "free.fr", "gmail.com", "laposte.net", "sfr.fr", "hotmail.fr", "wanadoo.fr"},
       "fr", 10},
      {"ES",
       {"Spain", "España", "ES", "ESP", "Espana", "Spanien", "Espagne"},
       "34", "",
       {{"91", 7, {3, 3, 3}, false}, {"93", 7, {3, 3, 3}, false}, {"96", 7, {3, 3, 3}, false}},
       {{"6", 8, {3, 3, 3}, true}},
       {"José", "María", "Juan", "Antonio", "Carmen", "Lucía", "Javier", "Sofía", "Álvaro", "Raúl", "Inés",
        "Andrés", "Pablo", "Elena", "Sergio", "Marta", "David", "Laura", "Jesús", "Cristina", "Manuel", "Rocío",
        "Alejandro", "Begoña", "Íñigo", "Ángela", "Francisco", "Nuria", "Víctor", "Paula"},
       {"García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martín",
        "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Álvarez", "Muñoz", "Romero", "Navarro", "Torres"},
       {"Vall", "Mont", "Cas", "Mir", "Far", "Ar", "Bel", "Cal", "Or", "Sol", "Villa", "Ber", "Ga", "Lu"},
       {"ejo", "ero", "ado", "ona", "ueza", "ós", "ella", "ido", "anes", "aldo", "era", "aña"},
       {{"Madrid", "", "280##"}, {"Barcelona", "", "080##"}, {"Valencia", "", "460##"}, {"Sevilla", "Seville", "410##"},
        {"Bilbao", "", "480##"}, {"Málaga", "Malaga", "290##"}},
       {"S.L.", "S.A.", "S.L.U."},
       {"gmail.com", "hotmail.com", "yahoo.es", "telefonica.net", "outlook.es"},
       "es", 9},
      {"NL",
       {"Netherlands", "Holland", "Nederland", "NL", "NLD", "The Netherlands", "Niederlande", "Pays-Bas"},
       "31", "0",
       {{"20", 7, {2, 3, 4}, false}, {"10", 7, {2, 3, 4}, false}, {"30", 7, {2, 3, 4}, false}},
       {{"61", 7, {1, 8}, true}, {"62", 7, {1, 8}, true}, {"65", 7, {1, 8}, true}},
       {"Jan", "Pieter", "Daan", "Sanne", "Anouk", "Thijs", "Lotte", "Bram", "Femke", "Joost", "Willem", "Ruud",
        "Maarten", "Eva", "Sem", "Lieke", "Kees", "Marieke", "Jeroen", "Ingrid", "Sven", "Floor", "Wouter",
        "Noortje", "Bas", "Iris"},
       {"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
        "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "van der Meer", "Brouwer"},
       {"van ", "de ", "van der ", "van den ", "", "", "", ""},
       {"Dam", "Wijk", "Hoek", "Veen", "Heuvel", "Bosch", "Vliet", "Beek", "Kamp", "Linden", "Haan", "Graaf",
        "Velde", "Rooij", "Zanden", "Hout", "Steen", "Dongen", "Molen", "Akker", "Bergh", "Brink", "Doorn", "Gaal",
        "Horst", "Laar", "Pol", "Sluis", "Tol", "Wal", "Ven", "Loon", "Hamer", "Kooij", "Ploeg", "Schouten"},
       {{"Amsterdam", "", "10## @@"}, {"Rotterdam", "", "30## @@"}, {"Utrecht", "", "35## @@"},
        {"Den Haag", "The Hague", "25## @@"}, {"Eindhoven", "", "56## @@"}, {"Groningen", "", "97## @@"}},
       {"B.V.", "N.V."},
       {"gmail.com", "ziggo.nl", "hotmail.nl", "kpnmail.nl", "outlook.com", "live.nl"},
       "nl", 8},
      {"GB",
       {"United Kingdom", "UK", "England", "GB", "GBR", "Great Britain", "U.K.", "Vereinigtes Königreich",
        "Royaume-Uni"},
       "44", "0",
       {{"207", 7, {2, 4, 4}, false}, {"203", 7, {2, 4, 4}, false}, {"208", 7, {2, 4, 4}, false},
        {"1614", 6, {3, 3, 4}, false}, {"1212", 6, {3, 3, 4}, false}, {"1134", 6, {3, 3, 4}, false}},
       {{"7712", 6, {4, 6}, true}, {"7825", 6, {4, 6}, true}, {"7946", 6, {4, 6}, true}, {"7400", 6, {4, 6}, true},
        {"7765", 6, {4, 6}, true}},
       {"James", "Oliver", "Harry", "George", "Charlotte", "Emily", "Sophie", "Jessica", "William", "Thomas",
        "Katherine", "Elizabeth", "Robert", "Margaret", "Daniel", "Samuel", "Rebecca", "Edward", "Victoria",
        "Henry", "Alice", "Grace", "Jack", "Amelia", "Stephen", "Christopher", "Hannah", "Benjamin", "Lucy",
        "Joseph", "Claire", "Andrew", "Fiona", "Ian", "Nicholas", "Helen"},
       {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Roberts",
        "Walker", "Wright", "Robinson", "Thompson", "Hughes", "O'Brien", "Edwards", "Clarke", "Green", "Hall",
        "Wood", "Harris", "Lewis", "Jackson"},
       {"Ash", "Black", "Brad", "Brook", "Cart", "Crow", "Fair", "Hay", "Kings", "Lang", "Mar", "Mid", "North",
        "Pem", "Rad", "Shel", "Stan", "Thorn", "Under", "Whit"},
       {"ford", "ley", "ton", "well", "wood", "field", "by", "worth", "bury", "ham", "combe", "stone", "more",
        "dale", "wick"},
       {{"London", "", "@@# #@@"}, {"Manchester", "", "M# #@@"}, {"Birmingham", "", "B# #@@"},
        {"Leeds", "", "LS# #@@"}, {"Bristol", "", "BS# #@@"}, {"Glasgow", "", "G# #@@"}},
       {"Ltd", "Limited", "PLC", "LLP"},
       {"gmail.com", "btinternet.com", "hotmail.co.uk", "yahoo.co.uk", "outlook.com", "sky.com", "icloud.com"},
       "co.uk", 15},
      {"US",
       {"United States", "US", "USA", "United States of America", "U.S.", "America", "Estados Unidos"},
       "1", "1",
       {{"212", 7, {3, 3, 4}, false}, {"312", 7, {3, 3, 4}, false}, {"415", 7, {3, 3, 4}, false},
        {"617", 7, {3, 3, 4}, false}, {"713", 7, {3, 3, 4}, false}, {"206", 7, {3, 3, 4}, false}},
       {{"646", 7, {3, 3, 4}, true}, {"773", 7, {3, 3, 4}, true}, {"628", 7, {3, 3, 4}, true},
        {"857", 7, {3, 3, 4}, true}, {"832", 7, {3, 3, 4}, true}, {"425", 7, {3, 3, 4}, true}},
       {"Michael", "Jennifer", "Christopher", "Jessica", "Matthew", "Ashley", "Andrew", "Amanda", "Joshua",
        "Elizabeth", "Robert", "William", "Richard", "Patricia", "Daniel", "Anthony", "James", "Sarah", "David",
        "Emily", "Joseph", "Megan", "Brian", "Nicole", "Kevin", "Rachel", "Jonathan", "Lauren", "Tyler", "Brittany",
        "Steven", "Kimberly", "Eric", "Heather", "Jason", "Melissa", "John", "Susan", "Mark", "Karen"},
       {"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia", "Rodriguez", "Wilson",
        "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Harris", "Clark", "Lewis", "O'Connor",
        "McDonald", "Nguyen", "Kim", "Patel"},
       {"Ash", "Bar", "Cald", "Dun", "Ell", "Gar", "Hol", "Kend", "Lan", "Mc", "Mor", "Pres", "Ros", "Stan",
        "Tal", "Wal", "Whit", "Har", "Cor", "Ban"},
       {"ington", "well", "ford", "ley", "son", "er", "wood", "ridge", "man", "by", "ston", "dale", "more",
        "kins", "worth"},
       {{"New York", "NYC", "100##"}, {"Chicago", "", "606##"}, {"San Francisco", "SF", "941##"},
        {"Boston", "", "021##"}, {"Houston", "", "770##"}, {"Seattle", "", "981##"}},
       {"Inc.", "LLC", "Corp.", "Inc"},
       {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com", "comcast.net"},
       "com", 20},
      {"SE",
       {"Sweden", "Sverige", "SE", "SWE", "Schweden", "Suède"},
       "46", "0",
       {{"8", 8, {1, 3, 3, 2}, false}, {"31", 7, {2, 3, 2, 2}, false}, {"40", 7, {2, 3, 2, 2}, false}},
       {{"70", 7, {2, 3, 2, 2}, true}, {"73", 7, {2, 3, 2, 2}, true}, {"76", 7, {2, 3, 2, 2}, true}},
       {"Lars", "Anders", "Johan", "Erik", "Karin", "Ingrid", "Astrid", "Sofia", "Maja", "Björn", "Linnéa", "Per",
        "Magnus", "Elin", "Oskar", "Frida", "Henrik", "Åsa", "Gustav", "Emma", "Nils", "Sara"},
       {"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Lindqvist",
        "Bergström", "Sjöberg", "Åberg", "Lindström", "Svensson", "Gustafsson"},
       {"Berg", "Lind", "Sjö", "Ny", "Dahl", "Holm", "Ek", "Ström", "Sand", "Löf", "Hed", "Fors", "Ås", "Wall"},
       {"ström", "qvist", "gren", "berg", "lund", "man", "blad", "kvist", "holm", "ling", "stedt", "feldt"},
       {{"Stockholm", "", "11# ##"}, {"Göteborg", "Gothenburg", "41# ##"}, {"Malmö", "Malmo", "21# ##"},
        {"Uppsala", "", "75# ##"}},
       {"AB"},
       {"gmail.com", "hotmail.se", "telia.com", "outlook.com", "yahoo.se"},
       "se", 6},
      {"DK",
       {"Denmark", "Danmark", "DK", "DNK", "Dänemark", "Danemark"},
       "45", "",
       {{"3", 7, {2, 2, 2, 2}, false}, {"4", 7, {2, 2, 2, 2}, false}, {"7", 7, {2, 2, 2, 2}, false}},
       {{"2", 7, {2, 2, 2, 2}, true}, {"5", 7, {2, 2, 2, 2}, true}},
       {"Søren", "Mads", "Rasmus", "Mette", "Jens", "Freja", "Anne", "Kirsten", "Niels", "Lærke", "Frederik",
        "Ida", "Mikkel", "Sofie", "Jørgen", "Henrik", "Camilla", "Kasper", "Louise", "Bjørn"},
       {"Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
        "Jørgensen", "Møller", "Madsen", "Kristensen", "Olsen", "Thomsen"},
       {"Bech", "Dam", "Holm", "Krog", "Lund", "Vest", "Kjær", "Skov", "Bro", "Friis", "Stor", "Høj"},
       {"gaard", "holm", "bæk", "lund", "dal", "strup", "borg", "by", "sø", "mark", "høj"},
       {{"København", "Copenhagen", "2###"}, {"Aarhus", "Århus", "8###"}, {"Odense", "", "5###"},
        {"Aalborg", "Ålborg", "9###"}},
       {"A/S", "ApS"},
       {"gmail.com", "hotmail.dk", "mail.dk", "outlook.dk", "yahoo.dk"},
       "dk", 5},
      {"NO",
       {"Norway", "Norge", "NO", "NOR", "Norwegen", "Norvège"},
       "47", "",
       {{"22", 6, {2, 2, 2, 2}, false}, {"55", 6, {2, 2, 2, 2}, false}, {"73", 6, {2, 2, 2, 2}, false}},
       {{"41", 6, {3, 2, 3}, true}, {"48", 6, {3, 2, 3}, true}, {"9", 7, {3, 2, 3}, true}},
       {"Ole", "Kari", "Ingrid", "Håkon", "Bjørn", "Siri", "Eirik", "Marit", "Kristian", "Nora", "Sindre",
        "Solveig", "Trond", "Hege", "Øyvind", "Ragnhild", "Magnus", "Tone"},
       {"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg", "Haugen", "Bakken",
        "Solberg", "Strand", "Løken", "Dahl", "Eide"},
       {"Haug", "Lie", "Bak", "Moe", "Sol", "Strøm", "Aas", "Vik", "Sæter", "Fjell", "Rud", "Brekk"},
       {"en", "land", "stad", "heim", "by", "vik", "bø", "lid", "rud", "nes", "set", "dal"},
       {{"Oslo", "", "0###"}, {"Bergen", "", "50##"}, {"Trondheim", "", "70##"}, {"Stavanger", "", "40##"}},
       {"AS", "ASA"},
       {"gmail.com", "online.no", "hotmail.no", "outlook.com", "yahoo.no"},
       "no", 4},
      {"IT",
       {"Italy", "Italia", "IT", "ITA", "Italien", "Italie"},
       "39", "",
       {{"02", 8, {2, 4, 4}, false}, {"06", 8, {2, 4, 4}, false}, {"011", 7, {3, 3, 4}, false}},
       {{"33", 8, {3, 3, 4}, true}, {"34", 8, {3, 3, 4}, true}, {"32", 8, {3, 3, 4}, true}},
       {"Giuseppe", "Marco", "Francesca", "Giulia", "Luca", "Alessandro", "Chiara", "Matteo", "Andrea", "Paolo",
        "Sara", "Federica", "Davide", "Elena", "Lorenzo", "Valentina", "Nicolò", "Simone", "Martina", "Stefano"},
       {"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
        "De Luca", "Bruno", "Gallo", "Conti", "Costa", "Fontana"},
       {"Ber", "Cas", "Fer", "Gal", "Lom", "Mar", "Pel", "Ros", "San", "Ven", "Bel", "Del", "Mon", "Tor"},
       {"etti", "ini", "oni", "ucci", "elli", "ardi", "asso", "ero", "ale", "anti", "otti", "aro"},
       {{"Milano", "Milan", "201##"}, {"Roma", "Rome", "001##"}, {"Torino", "Turin", "101##"},
        {"Bologna", "", "401##"}, {"Napoli", "Naples", "801##"}},
       {"S.r.l.", "S.p.A."},
       {"gmail.com", "libero.it", "alice.it", "hotmail.it", "virgilio.it", "tiscali.it"},
       "it", 8},
  };
  return kCountries;
}

// UTF-8 letters with diacritics the name lists use: the letter, its other case, its bare ASCII form and the
// spelt-out form some writers use (ü -> ue).
struct Accent {
  const char* lower;
  const char* upper;
  const char* bare_lower;
  const char* spelt_lower;
};
inline const std::vector<Accent>& Accents() {
  static const std::vector<Accent> kAccents = {
      {"ä", "Ä", "a", "ae"}, {"ö", "Ö", "o", "oe"}, {"ü", "Ü", "u", "ue"}, {"ß", "ß", "ss", "ss"},
      {"é", "É", "e", "e"},  {"è", "È", "e", "e"},  {"ê", "Ê", "e", "e"},  {"ë", "Ë", "e", "e"},
      {"á", "Á", "a", "a"},  {"à", "À", "a", "a"},  {"í", "Í", "i", "i"},  {"ï", "Ï", "i", "i"},
      {"ó", "Ó", "o", "o"},  {"ò", "Ò", "o", "o"},  {"ô", "Ô", "o", "o"},  {"ú", "Ú", "u", "u"},
      {"ñ", "Ñ", "n", "n"},  {"ç", "Ç", "c", "c"},  {"ø", "Ø", "o", "oe"}, {"å", "Å", "a", "aa"},
      {"æ", "Æ", "ae", "ae"}, {"î", "Î", "i", "i"}, {"û", "Û", "u", "u"}};
  return kAccents;
}

// Replaces each accented letter by its bare (or spelt-out) ASCII form, keeping the case of its first letter.
inline std::string DropAccents(const std::string& s, bool spelt) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool done = false;
    if (static_cast<unsigned char>(s[i]) >= 0x80) {
      for (const auto& a : Accents()) {
        for (int up = 0; up < 2 && !done; ++up) {
          std::string_view letter = up ? a.upper : a.lower;
          if (s.compare(i, letter.size(), letter) == 0) {
            std::string rep = spelt ? a.spelt_lower : a.bare_lower;
            if (up) rep[0] = static_cast<char>(rep[0] - 'a' + 'A');
            out += rep;
            i += letter.size();
            done = true;
          }
        }
        if (done) break;
      }
    }
    if (!done) out += s[i++];
  }
  return out;
}

// Upper or lower case of ASCII letters and of the accented letters above.
inline std::string Recase(const std::string& s, bool upper) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool done = false;
    if (static_cast<unsigned char>(s[i]) >= 0x80) {
      for (const auto& a : Accents()) {
        std::string_view from = upper ? a.lower : a.upper;
        if (s.compare(i, from.size(), from) == 0) {
          out += upper ? a.upper : a.lower;
          i += from.size();
          done = true;
          break;
        }
      }
      if (!done) out += s[i++];
      continue;
    }
    char c = s[i++];
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += c;
  }
  return out;
}

// An e-mail local-part token of a name: ASCII, lowercase, letters only ("O'Brien" -> "obrien", "van den Berg"
// -> "vandenberg").
inline std::string MailToken(const std::string& name, bool spelt) {
  std::string a = Recase(DropAccents(name, spelt), false), out;
  for (char c : a)
    if (c >= 'a' && c <= 'z') out += c;
  return out;
}

struct Phone {
  int country = -1;
  std::string nsn;    // national significant number
  std::vector<int> groups;
  bool empty() const { return nsn.empty(); }
};

struct Company {
  int country = 0;
  std::string base;  // "Nordwind Logistics"
  int form = 0;      // index into the country's legal forms
  std::string domain;
  Phone switchboard;
  int city = 0;
  int mail_style = 0;  // first.last, flast, f.last, last.first, first, firstlast
  bool spelt = false;  // ü -> ue in e-mail addresses
};

struct Person {
  long id = 0;
  int country = 0;
  std::string given, family;
  std::string second_family;  // Spanish second family name, or ""
  int company = -1;
  int old_company = -1;        // a previous employer some records still show, or -1
  std::string middle;          // a second given name, or ""
  std::string job_title;
  std::string personal_email;  // full address or ""
  std::string work_email;      // on the company domain, or ""
  std::string old_work_email;  // on the previous employer's domain, or ""
  std::string role_email;      // a shared role mailbox the person's records often carry, or ""
  std::string agency_email;    // the agency's address on some leads, or ""
  bool prefers_work = false;   // with both addresses: the one most records carry
  Phone mobile, landline, shared_phone;  // shared_phone: switchboard, household or agency line
  double p_shared_phone = 0;   // share of records with a phone that show the shared one
  int city = 0;
  std::string postal, street, birth_date;
  std::vector<GroupRef> groups;
};

}  // namespace detail

class CrmGen {
 public:
  explicit CrmGen(CrmOptions o = {}) : o_(o), rng_(o.seed) {}

  // Every record of every person, shuffled (an export's order says nothing about who is who); record_id = "r" +
  // position.
  std::vector<CrmRecord> Generate() {
    MakeCompanies();
    MakePeople();
    std::vector<CrmRecord> out;
    for (const auto& p : people_) {
      int n = RecordCount();
      // Doors: distinct while there are doors left, in a random order.
      std::vector<Door> doors = {Door::kWebForm, Door::kAdLead, Door::kCsvExport, Door::kSalesEntry};
      Shuffle(&doors);
      for (int k = 0; k < n; ++k) out.push_back(Render(p, doors[static_cast<size_t>(k) % doors.size()]));
    }
    Shuffle(&out);
    for (size_t i = 0; i < out.size(); ++i) out[i].record_id = "r" + std::to_string(i);
    return out;
  }

 private:
  using CountryData = detail::CountryData;
  const std::vector<CountryData>& C() const { return detail::Countries(); }

  uint64_t Next() { return rng_(); }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }
  // Fisher-Yates with this generator's draws (std::shuffle's algorithm differs between standard libraries).
  template <class T>
  void Shuffle(std::vector<T>* v) {
    for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[Below(i)]);
  }
  int PickCountry() {
    int total = 0;
    for (const auto& c : C()) total += c.weight;
    int r = static_cast<int>(Below(static_cast<size_t>(total)));
    for (size_t i = 0; i < C().size(); ++i) {
      if (r < C()[i].weight) return static_cast<int>(i);
      r -= C()[i].weight;
    }
    return 0;
  }
  int RecordCount() {
    double u = static_cast<double>(Next() >> 11) * 0x1.0p-53;
    if (u < 0.45) return 1;
    if (u < 0.75) return 2;
    if (u < 0.89) return 3;
    if (u < 0.96) return 4;
    return 5;
  }

  // A new number of the plan, never handed out before.
  detail::Phone NewPhone(int country, bool mobile) {
    const auto& plans = mobile ? C()[static_cast<size_t>(country)].mobiles : C()[static_cast<size_t>(country)].landlines;
    const detail::PhonePlan& plan = Pick(plans);
    for (;;) {
      std::string nsn = plan.prefix;
      for (int i = 0; i < plan.digits; ++i) {
        // The first digit after the plan's prefix is 2-9: subscriber numbers (and NANP exchanges) do not start
        // with 0 or 1. NANP exchanges are never N11 or 555 either (below).
        int lo = i == 0 ? 2 : 0;
        nsn += static_cast<char>('0' + lo + static_cast<int>(Below(static_cast<size_t>(10 - lo))));
      }
      if (std::string(C()[static_cast<size_t>(country)].cc) == "1") {
        std::string ex = nsn.substr(3, 3);
        if (ex[1] == '1' && ex[2] == '1') continue;
        if (ex == "555") continue;
      }
      if (!used_phones_.insert(std::string(C()[static_cast<size_t>(country)].cc) + nsn).second) continue;
      return {country, nsn, plan.groups};
    }
  }

  std::string Template(const char* t) {
    std::string s;
    for (const char* p = t; *p; ++p) {
      if (*p == '#') s += static_cast<char>('0' + Below(10));
      else if (*p == '@') s += static_cast<char>('A' + Below(26));
      else s += *p;
    }
    return s;
  }

  // A family name: 7% from the country's common names, the rest composed of the country's syllables
  // (Steinhauser, Lindqvist, van der Velde), most with a middle syllable (Steinwaldmann), so that two
  // unrelated people share a family name about as rarely as in a real CRM.
  std::string FamilyName(const CountryData& c) {
    if (Chance(0.07)) return Pick(c.family);
    auto cap = [](std::string w) {
      w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      return w;
    };
    auto low = [](std::string w) {
      w[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(w[0])));
      return w;
    };
    std::string head = Pick(c.fam_head), tail = Pick(c.fam_tail);
    std::string mid;
    if (Chance(0.7)) {
      std::string m = Pick(c.fam_head);
      mid = !m.empty() && std::isalpha(static_cast<unsigned char>(m.back())) ? low(m) : low(Pick(c.fam_tail));
    }
    if (head.empty() || head.back() == ' ' || head.back() == '-') {  // none, a Dutch particle, or "Saint-"
      std::string rest = mid.empty() ? cap(tail) : cap(mid) + low(tail);
      return head + rest;
    }
    return head + mid + tail;
  }

  void MakeCompanies() {
    static const std::vector<const char*> kA = {
        "Nord",  "Blue",   "Alpen",  "Silver", "Green",  "Atlas",   "Nova",    "Apex",    "Orion",  "Vega",
        "Delta", "Summit", "Harbor", "Falcon", "Pioneer", "Crest",  "Zenith",  "Lumen",   "Vertex", "Terra",
        "Aqua",  "Cedar",  "Maple",  "Oak",    "Iron",   "Stone",   "River",   "Bright",  "Clear",  "Swift",
        "Polar", "Solar",  "Urban",  "Prime",  "Core",   "Quantum", "Helix",   "Nimbus",  "Kestrel", "Linden",
        "Baltic", "Rhein", "Loire",  "Ebro",   "Fjord",  "Tamesis", "Hudson",  "Aurora",  "Boreal", "Cobalt"};
    static const std::vector<const char*> kB = {
        "Tech",    "Systems", "Solutions", "Logistics", "Consulting", "Software", "Media",    "Foods",
        "Energy",  "Labs",    "Partners",  "Analytics", "Digital",    "Robotics", "Medical",  "Finance",
        "Design",  "Capital", "Networks",  "Works",     "Pharma",     "Retail",   "Mobility", "Insurance"};
    size_t n = std::max<size_t>(50, o_.people / 6);
    std::set<std::string> seen;
    while (companies_.size() < n) {
      detail::Company co;
      co.country = PickCountry();
      const CountryData& c = C()[static_cast<size_t>(co.country)];
      co.base = std::string(Pick(kA)) + " " + Pick(kB);
      if (!seen.insert(co.base + "|" + c.iso2).second) {
        // Every name once per country: a second "Nord Tech" of one country would be a third hard-negative kind.
        static const std::vector<const char*> kC = {"Group", "International", "Europe", "Holding", "Services"};
        co.base = std::string(Pick(kA)) + " " + Pick(kB) + " " + Pick(kC);
        if (!seen.insert(co.base + "|" + c.iso2).second) continue;
      }
      co.form = static_cast<int>(Below(c.legal_forms.size()));
      co.domain = detail::MailToken(co.base, false) + "." + c.tld;
      if (!used_domains_.insert(co.domain).second) continue;
      co.switchboard = NewPhone(co.country, false);
      co.city = static_cast<int>(Below(c.cities.size()));
      co.mail_style = static_cast<int>(Below(6));
      co.spelt = Chance(0.5);
      companies_.push_back(std::move(co));
    }
  }

  std::string WorkLocal(const detail::Person& p, const detail::Company& co) {
    std::string g = detail::MailToken(p.given, co.spelt), f = detail::MailToken(p.family, co.spelt);
    switch (co.mail_style) {
      case 0: return g + "." + f;
      case 1: return g.substr(0, 1) + f;
      case 2: return g.substr(0, 1) + "." + f;
      case 3: return f + "." + g;
      case 4: return g + "." + f;  // most common convention twice as often
      default: return g + f;
    }
  }

  // The person's address on the company's domain by its convention; a second person with the same address gets
  // a digit, as mail admins do.
  std::string WorkEmail(const detail::Person& p, int company) {
    const auto& co = companies_[static_cast<size_t>(company)];
    std::string local = WorkLocal(p, co);
    std::string address = local + "@" + co.domain;
    for (int k = 2; !used_emails_.insert(address).second; ++k) address = local + std::to_string(k) + "@" + co.domain;
    return address;
  }

  std::string PersonalEmail(const detail::Person& p) {
    const CountryData& c = C()[static_cast<size_t>(p.country)];
    bool spelt = Chance(0.4);
    std::string g = detail::MailToken(p.given, spelt), f = detail::MailToken(p.family, spelt);
    std::string digits = std::to_string(10 + Below(90));
    std::string local;
    switch (Below(8)) {
      case 0: local = g + "." + f; break;
      case 1: local = g + "." + f + digits; break;
      case 2: local = g.substr(0, 1) + f; break;
      case 3: local = f + "." + g.substr(0, 1); break;
      case 4: local = g + f + digits; break;
      case 5: local = g + "_" + f; break;
      case 6: local = g.substr(0, 1) + "." + f + digits; break;
      default: local = g + digits; break;
    }
    std::string domain = Pick(c.providers);
    std::string address = local + "@" + domain;
    if (!used_emails_.insert(address).second) address = local + std::to_string(Below(1000)) + "@" + domain;
    return address;
  }

  // A person of the country with its own contact points; `company` -1 for none, -2 to draw one.
  detail::Person NewPerson(int country, int company = -2) {
    static const std::vector<const char*> kTitles = {
        "CEO", "CTO", "Head of Marketing", "Marketing Manager", "Sales Director", "Account Executive",
        "Software Engineer", "Office Manager", "Procurement Lead", "CFO", "HR Business Partner",
        "Product Manager", "Operations Manager", "Consultant", "Buyer", "Founder", "IT Administrator"};
    detail::Person p;
    p.id = static_cast<long>(people_.size());
    p.country = country;
    const CountryData& c = C()[static_cast<size_t>(country)];
    p.given = Pick(c.given);
    p.family = FamilyName(c);
    // Two unrelated people rarely share a full name: a composed family name is drawn again when it would. (Common
    // family names may repeat, and the namesake groups share one on purpose.)
    for (int tries = 0; tries < 8 && !used_names_.insert(p.given + "|" + p.family).second; ++tries)
      p.family = FamilyName(c);
    if (std::string(c.iso2) == "ES" && Chance(0.6)) p.second_family = FamilyName(c);
    if (company == -2) {
      company = -1;
      if (Chance(0.7)) {
        // Mostly an employer of the person's country.
        for (int tries = 0; tries < 20; ++tries) {
          int k = static_cast<int>(Below(companies_.size()));
          if (companies_[static_cast<size_t>(k)].country == country || tries == 19) {
            company = k;
            break;
          }
        }
      }
    }
    p.company = company;
    p.mobile = NewPhone(country, true);
    p.city = static_cast<int>(Below(c.cities.size()));
    if (company >= 0) {
      const auto& co = companies_[static_cast<size_t>(company)];
      p.job_title = Pick(kTitles);
      p.work_email = WorkEmail(p, company);
      if (co.country == country && Chance(0.6)) p.city = co.city;
    }
    if (company < 0 || Chance(0.75)) p.personal_email = PersonalEmail(p);
    p.prefers_work = Chance(0.5);
    if (Chance(0.07)) p.middle = OtherGiven(country, {p.given});
    if (company >= 0 && Chance(0.08)) {
      // A job change: the previous employer, of the same country when one comes up.
      for (int tries = 0; tries < 20 && p.old_company < 0; ++tries) {
        int k = static_cast<int>(Below(companies_.size()));
        if (k != company && companies_[static_cast<size_t>(k)].country == country) p.old_company = k;
      }
    }
    p.postal = Template(c.cities[static_cast<size_t>(p.city)].postal);
    p.street = Street(country);
    char dob[16];
    std::snprintf(dob, sizeof dob, "%04d-%02d-%02d", 1955 + static_cast<int>(Below(48)),
                  1 + static_cast<int>(Below(12)), 1 + static_cast<int>(Below(28)));
    p.birth_date = dob;
    return p;
  }

  // A house number and a street of the country ("12 Station Road", "7 Lindenstraße"): number first everywhere,
  // one shape for the matcher's house-number split.
  std::string Street(int country) {
    struct Streets {
      const char* prefix;
      std::vector<const char*> roots, suffixes;
    };
    // In the order of Countries().
    static const std::vector<Streets> kStreets = {
        {"", {"Haupt", "Bahnhof", "Garten", "Schul", "Kirch", "Linden", "Berg", "Wald", "Mühlen", "Goethe"},
         {"straße", "weg", "allee"}},
        {"Rue ", {"de la Paix", "Victor Hugo", "du Moulin", "des Lilas", "Pasteur", "de la Gare", "Jean Jaurès",
                  "du Château", "Voltaire", "des Écoles"}, {""}},
        {"Calle ", {"Mayor", "Real", "del Sol", "de la Iglesia", "Nueva", "San Juan", "de Alcalá", "de Goya",
                    "del Carmen", "Ancha"}, {""}},
        {"", {"Kerk", "Dorps", "Molen", "School", "Linden", "Wilhelmina", "Juliana", "Beatrix", "Stations", "Nieuwe"},
         {"straat", "weg", "laan"}},
        {"", {"Station", "Church", "Mill", "Park", "Victoria", "Manor", "Kings", "Queens", "Albert", "Green"},
         {" Road", " Street", " Lane"}},
        {"", {"Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Pine", "Park"},
         {" Street", " Avenue", " Drive"}},
        {"", {"Stor", "Kungs", "Drottning", "Skol", "Kyrko", "Park", "Sjö", "Ring", "Tall", "Björk"},
         {"gatan", "vägen"}},
        {"", {"Vester", "Nørre", "Sønder", "Øster", "Skole", "Kirke", "Strand", "Mølle", "Park", "Bøge"},
         {"gade", "vej"}},
        {"", {"Stor", "Kirke", "Skole", "Park", "Strand", "Kongens", "Dronningens", "Sjø", "Bjørke", "Elve"},
         {"gata", "veien"}},
        {"Via ", {"Roma", "Garibaldi", "Mazzini", "Dante", "Verdi", "Cavour", "Marconi", "della Repubblica",
                  "Manzoni", "XX Settembre"}, {""}}};
    const Streets& st = kStreets[static_cast<size_t>(country)];
    return std::to_string(1 + Below(150)) + " " + st.prefix + Pick(st.roots) + Pick(st.suffixes);
  }

  // A given name of the country that no one in `taken` has.
  std::string OtherGiven(int country, const std::vector<std::string>& taken) {
    const CountryData& c = C()[static_cast<size_t>(country)];
    for (;;) {
      std::string g = Pick(c.given);
      bool clash = false;
      for (const auto& t : taken) clash |= t == g;
      if (!clash) return g;
    }
  }

  // `id` 0: a new group of the kind.
  void AddGroup(std::vector<detail::Person>& members, GroupKind kind, int id = 0) {
    if (id == 0) id = ++group_ids_[static_cast<int>(kind)];
    for (auto& m : members) {
      m.groups.push_back({kind, id});
      people_.push_back(std::move(m));
    }
  }

  void MakePeople() {
    // Pairs of similar but distinct given names siblings carry.
    static const std::vector<std::pair<const char*, const char*>> kSiblings = {
        {"Jan", "Jana"},     {"Daniel", "Daniela"}, {"Paul", "Paula"}, {"Christian", "Christina"},
        {"Marco", "Marta"},  {"Anna", "Hanna"},     {"Lars", "Lara"},  {"Mads", "Maja"},
        {"Julien", "Julie"}, {"Andrea", "Andreas"}};
    const size_t n = o_.people;
    while (people_.size() < n) {
      double u = static_cast<double>(Next() >> 11) * 0x1.0p-53;
      int kind = -1;
      double acc = 0;
      for (int k = 0; k < kGroupKinds; ++k) {
        // A group holds ~3 people on average: start one with a third of its share.
        acc += o_.group_share[k] / 3.0;
        if (u < acc) {
          kind = k;
          break;
        }
      }
      if (kind < 0) {
        people_.push_back(NewPerson(PickCountry()));
        people_.back().id = static_cast<long>(people_.size() - 1);
        continue;
      }
      const size_t size = std::min(n - people_.size(), static_cast<size_t>(2 + Below(kind >= 2 ? 4 : 2)));
      if (size < 2) {
        people_.push_back(NewPerson(PickCountry()));
        continue;
      }
      const int country = PickCountry();
      const CountryData& c = C()[static_cast<size_t>(country)];
      std::vector<detail::Person> m;
      switch (static_cast<GroupKind>(kind)) {
        case GroupKind::kNamesakes: {
          // One common name (one of the country's first five given and first three family names), otherwise
          // unrelated people (own e-mails, phones, employers, cities).
          const std::string given = c.given[Below(5)], family = c.family[Below(3)];
          for (size_t i = 0; i < size; ++i) {
            detail::Person p = NewPerson(country);
            p.given = given;
            p.family = family;
            p.middle.clear();
            p.second_family.clear();
            if (p.company >= 0) p.work_email = WorkEmail(p, p.company);
            if (!p.personal_email.empty()) p.personal_email = PersonalEmail(p);
            m.push_back(std::move(p));
          }
          break;
        }
        case GroupKind::kRelatives: {
          // One family name, one household landline and address; own given names, own personal e-mails or none.
          detail::Person head = NewPerson(country);
          detail::Phone home = NewPhone(country, false);
          std::vector<std::string> taken;
          bool siblings = Chance(0.3);
          auto sib = Pick(kSiblings);
          for (size_t i = 0; i < size; ++i) {
            detail::Person p = NewPerson(country);
            p.family = head.family;
            p.second_family = head.second_family;
            if (siblings && i < 2) p.given = i == 0 ? sib.first : sib.second;
            else p.given = OtherGiven(country, taken);
            taken.push_back(p.given);
            p.city = head.city;
            p.postal = head.postal;
            p.street = head.street;
            p.shared_phone = home;
            p.p_shared_phone = 0.7;
            if (p.company >= 0) p.work_email = WorkEmail(p, p.company);
            p.personal_email = Chance(0.7) ? PersonalEmail(p) : std::string();
            m.push_back(std::move(p));
          }
          break;
        }
        case GroupKind::kColleagues:
        case GroupKind::kRoleMailbox: {
          // One company: its switchboard, its office city, addresses on its domain; different given names and
          // now and then one family name. A role group also shares info@/sales@/contact@.
          int k = -1;
          for (int tries = 0; tries < 50 && k < 0; ++tries) {
            int cand = static_cast<int>(Below(companies_.size()));
            if (companies_[static_cast<size_t>(cand)].country == country) k = cand;
          }
          if (k < 0) k = static_cast<int>(Below(companies_.size()));
          const auto& co = companies_[static_cast<size_t>(k)];
          static const std::vector<const char*> kRoles = {"info", "sales", "contact", "office", "hello"};
          std::string role = std::string(Pick(kRoles)) + "@" + co.domain;
          std::vector<std::string> taken;
          std::string shared_family;
          for (size_t i = 0; i < size; ++i) {
            detail::Person p = NewPerson(co.country, k);
            p.given = OtherGiven(co.country, taken);
            taken.push_back(p.given);
            if (i == 1 && Chance(0.15)) p.family = m[0].family;
            p.work_email = WorkEmail(p, k);
            if (!p.personal_email.empty()) p.personal_email = PersonalEmail(p);
            p.city = co.city;
            p.postal = Template(C()[static_cast<size_t>(co.country)].cities[static_cast<size_t>(co.city)].postal);
            if (kind == static_cast<int>(GroupKind::kColleagues)) {
              p.shared_phone = co.switchboard;
              p.p_shared_phone = 0.7;
            } else {
              p.role_email = role;
              if (Chance(0.5)) {
                p.shared_phone = co.switchboard;
                p.p_shared_phone = 0.5;
              }
            }
            m.push_back(std::move(p));
          }
          break;
        }
        case GroupKind::kAgency: {
          // An agency submits leads for clients at other companies with its own phone, sometimes its e-mail.
          static const std::vector<const char*> kAgency = {"Leadify", "Growth Partners", "PipeLine Media",
                                                           "Reach Agency", "Demand Works", "Bright Leads"};
          std::string agency = std::string(Pick(kAgency)) + " " + std::to_string(group_ids_[kind] + 1);
          detail::Phone line = NewPhone(country, false);
          std::string mail = "leads" + std::to_string(group_ids_[kind] + 1) + "@" +
                             detail::MailToken(agency, false) + "." + c.tld;
          std::vector<std::string> taken;
          for (size_t i = 0; i < size; ++i) {
            detail::Person p = NewPerson(country);
            p.given = OtherGiven(country, taken);
            taken.push_back(p.given);
            if (p.company >= 0) p.work_email = WorkEmail(p, p.company);
            if (!p.personal_email.empty()) p.personal_email = PersonalEmail(p);
            p.shared_phone = line;
            p.p_shared_phone = 0.8;
            p.agency_email = mail;
            m.push_back(std::move(p));
          }
          break;
        }
      }
      for (size_t i = 0; i < m.size(); ++i) m[i].id = static_cast<long>(people_.size() + i);
      int id = 0;
      if (kind == static_cast<int>(GroupKind::kNamesakes)) {
        // Everyone who carries one common name is one group: two John Smiths of two batches are namesakes too.
        int& named = namesake_ids_[m[0].given + " " + m[0].family];
        if (named == 0) named = ++group_ids_[kind];
        id = named;
      }
      AddGroup(m, static_cast<GroupKind>(kind), id);
    }
    for (size_t i = 0; i < people_.size(); ++i) {
      people_[i].id = static_cast<long>(i);
      // After the groups renamed their members: the old address follows the final name.
      if (people_[i].old_company >= 0) people_[i].old_work_email = WorkEmail(people_[i], people_[i].old_company);
    }
  }

  // ---- rendering one record of a person through a door ----

  void Mark(CrmRecord* r, Variation v) { r->variations |= 1u << static_cast<int>(v); }

  std::string Typo(const std::string& s) {
    // One edit away from the second character on, on ASCII letters only (an accent stays whole).
    std::vector<size_t> pos;
    for (size_t i = 1; i + 1 < s.size(); ++i)
      if (std::isalpha(static_cast<unsigned char>(s[i])) && std::isalpha(static_cast<unsigned char>(s[i + 1])))
        pos.push_back(i);
    if (pos.size() < 2) return s;
    size_t i = Pick(pos);
    std::string t = s;
    switch (Below(4)) {
      case 0: std::swap(t[i], t[i + 1]); break;
      case 1: t.erase(i, 1); break;
      case 2: t.insert(i, 1, t[i]); break;
      default: {
        char c = static_cast<char>('a' + Below(26));
        if (c == t[i]) c = c == 'z' ? 'a' : static_cast<char>(c + 1);
        t[i] = c;
      }
    }
    return t;
  }

  std::string PhoneText(const detail::Phone& ph, Door door, CrmRecord* r) {
    const CountryData& c = C()[static_cast<size_t>(ph.country)];
    const std::string cc = c.cc;
    const bool nanp = cc == "1";
    static const std::vector<std::string> kSeps = {" ", " ", " ", "-", ".", ""};
    const std::string sep = Pick(kSeps);
    auto grouped = [&](const std::string& s) {
      std::string out;
      size_t at = 0;
      for (size_t g = 0; g < ph.groups.size() && at < s.size(); ++g) {
        if (!out.empty()) out += sep;
        size_t len = g + 1 == ph.groups.size() ? s.size() - at : static_cast<size_t>(ph.groups[g]);
        out += s.substr(at, len);
        at += len;
      }
      return out;
    };
    double u = static_cast<double>(Next() >> 11) * 0x1.0p-53;
    // Ad leads mostly arrive in E.164 (the platforms prefill it); people type national formats; exports mix.
    double p_plus = door == Door::kAdLead ? 0.8 : door == Door::kWebForm ? 0.35 : 0.3;
    double p_00 = nanp ? 0 : door == Door::kSalesEntry ? 0.15 : door == Door::kCsvExport ? 0.15 : 0.08;
    double p_011 = (!nanp && door == Door::kSalesEntry) ? 0.12 : (!nanp && door == Door::kCsvExport) ? 0.04 : 0;
    if (u < p_plus) {
      Mark(r, Variation::kPhonePlus);
      if (door == Door::kAdLead && Chance(0.6)) return "+" + cc + ph.nsn;
      if (std::string(c.trunk) == "0" && Chance(0.15)) return "+" + cc + " (0)" + grouped(ph.nsn);
      return "+" + cc + " " + grouped(ph.nsn);
    }
    if (u < p_plus + p_00) {
      Mark(r, Variation::kPhone00);
      return "00" + cc + " " + grouped(ph.nsn);
    }
    if (u < p_plus + p_00 + p_011) {
      Mark(r, Variation::kPhone011);
      return "011 " + cc + " " + grouped(ph.nsn);
    }
    Mark(r, Variation::kPhoneNational);
    if (nanp) {
      const std::string a = ph.nsn.substr(0, 3), b = ph.nsn.substr(3, 3), d = ph.nsn.substr(6);
      switch (Below(4)) {
        case 0: return "(" + a + ") " + b + "-" + d;
        case 1: return a + "-" + b + "-" + d;
        case 2: return a + "." + b + "." + d;
        default: return "1-" + a + "-" + b + "-" + d;
      }
    }
    std::string trunk = c.trunk;
    std::string first = ph.nsn.substr(0, static_cast<size_t>(ph.groups[0]));
    std::string rest = ph.nsn.substr(first.size());
    if (!trunk.empty() && Chance(0.3)) {
      std::string tail;  // the rest in its groups
      detail::Phone r2 = ph;
      r2.groups.erase(r2.groups.begin());
      size_t at = 0;
      for (size_t g = 0; g < r2.groups.size() && at < rest.size(); ++g) {
        if (!tail.empty()) tail += " ";
        size_t len = g + 1 == r2.groups.size() ? rest.size() - at : static_cast<size_t>(r2.groups[g]);
        tail += rest.substr(at, len);
        at += len;
      }
      if (std::string(c.iso2) == "DE" && Chance(0.5)) return trunk + first + "/" + rest;
      return "(" + trunk + first + ") " + tail;
    }
    return trunk + grouped(ph.nsn);
  }

  std::string CompanyText(const detail::Company& co, Door door, CrmRecord* r) {
    const CountryData& c = C()[static_cast<size_t>(co.country)];
    std::string form = c.legal_forms[static_cast<size_t>(co.form)];
    std::string canonical = co.base + " " + form;
    double p_var = door == Door::kSalesEntry ? 0.6 : door == Door::kWebForm ? 0.45 : 0.3;
    if (!Chance(p_var)) return canonical;
    Mark(r, Variation::kCompanyVariant);
    // Other spellings of the same legal form.
    static const std::map<std::string, std::vector<std::string>> kForms = {
        {"GmbH", {"Gmbh.", "GMBH", "G.m.b.H.", "Gesellschaft mit beschränkter Haftung"}},
        {"AG", {"A.G.", "Aktiengesellschaft"}},
        {"GmbH & Co. KG", {"GmbH & Co KG", "GmbH&Co.KG"}},
        {"Ltd", {"Limited", "Ltd.", "LTD"}},
        {"Limited", {"Ltd", "Ltd."}},
        {"PLC", {"plc", "Public Limited Company"}},
        {"Inc.", {"Inc", "Incorporated", "INC"}},
        {"Inc", {"Inc.", "Incorporated"}},
        {"LLC", {"L.L.C.", "llc"}},
        {"Corp.", {"Corp", "Corporation"}},
        {"SA", {"S.A."}},
        {"SAS", {"S.A.S."}},
        {"SARL", {"S.A.R.L.", "Sàrl"}},
        {"S.L.", {"SL", "S.L"}},
        {"S.A.", {"SA"}},
        {"B.V.", {"BV", "bv"}},
        {"N.V.", {"NV"}},
        {"AB", {"Aktiebolag"}},
        {"A/S", {"AS"}},
        {"ApS", {"Aps"}},
        {"S.r.l.", {"Srl", "SRL"}},
        {"S.p.A.", {"SpA", "SPA"}}};
    switch (Below(4)) {
      case 0: return co.base;                                    // no legal form
      case 1: return detail::Recase(canonical, true);            // ACME GMBH
      case 2: return detail::Recase(co.base, true);              // ACME
      default: {
        auto it = kForms.find(form);
        if (it == kForms.end()) return co.base;
        return co.base + " " + Pick(it->second);
      }
    }
  }

  std::string CountryText(int country, Door door, CrmRecord* r) {
    const CountryData& c = C()[static_cast<size_t>(country)];
    // Ad platforms send ISO-2, web forms a dropdown's English name (or ISO-2), people and exports anything.
    double p_var = door == Door::kAdLead ? 0.1 : door == Door::kWebForm ? 0.25 : 0.6;
    if (!Chance(p_var)) return door == Door::kAdLead || Chance(0.3) ? c.iso2 : c.names[0];
    Mark(r, Variation::kCountryVariant);
    std::vector<const char*> v;
    for (size_t i = 1; i < c.names.size(); ++i)
      if (std::string(c.names[i]) != c.iso2) v.push_back(c.names[i]);
    return Pick(v);
  }

  CrmRecord Render(const detail::Person& p, Door door) {
    CrmRecord r;
    r.person = p.id;
    r.country = C()[static_cast<size_t>(p.country)].iso2;
    r.door = door;
    r.groups = p.groups;
    const CountryData& c = C()[static_cast<size_t>(p.country)];
    auto& f = r.record.fields;
    const bool ascii_door = door == Door::kAdLead;  // ad forms keep what the person typed, accents and all

    // A record from the time of the previous job shows that employer and that address.
    const bool old_job = p.old_company >= 0 && Chance(0.4);
    if (old_job) Mark(&r, Variation::kJobChange);
    const int company = old_job ? p.old_company : p.company;
    const std::string& work_email = old_job ? p.old_work_email : p.work_email;

    // ---- names ----
    std::string given = p.given, family = p.family;
    std::string middle = !p.middle.empty() && Chance(0.5) ? p.middle : std::string();
    if (!middle.empty()) Mark(&r, Variation::kSecondGivenName);
    if (!p.second_family.empty()) {
      if (Chance(0.5)) family += " " + p.second_family;
    }
    // Compound family names: "García López" and "van den Berg" written shorter.
    if (family.find(' ') != std::string::npos && Chance(0.3)) {
      size_t sp = family.rfind(' ');
      Mark(&r, Variation::kCompoundShortened);
      family = p.second_family.empty() || family.find(p.second_family) == std::string::npos
                   ? family.substr(sp + 1)
                   : family.substr(0, family.find(' '));
    }
    double p_nick = door == Door::kSalesEntry ? 0.35 : door == Door::kWebForm ? 0.12 : 0.06;
    for (const auto& [canon_name, nick] : NicknamePairs()) {
      if (given == canon_name && Chance(p_nick)) {
        // Several pairs per name: draw among them.
        std::vector<const char*> options;
        for (const auto& [cn, nk] : NicknamePairs())
          if (given == cn) options.push_back(nk);
        given = Pick(options);
        Mark(&r, Variation::kNickname);
        break;
      }
    }
    double p_drop = door == Door::kCsvExport ? 0.45 : door == Door::kSalesEntry ? 0.35 : ascii_door ? 0.1 : 0.2;
    if (detail::DropAccents(given + family, false) != given + family && Chance(p_drop)) {
      bool spelt = std::string(c.iso2) == "DE" && Chance(0.5);
      given = detail::DropAccents(given, spelt);
      middle = detail::DropAccents(middle, spelt);
      family = detail::DropAccents(family, spelt);
      Mark(&r, Variation::kDiacriticsDropped);
    }
    double p_typo = door == Door::kSalesEntry ? 0.15 : door == Door::kCsvExport ? 0.08 : 0.07;
    if (Chance(p_typo)) {
      if (Chance(0.5)) given = Typo(given);
      else family = Typo(family);
      Mark(&r, Variation::kTypo);
    }
    double p_case = door == Door::kCsvExport ? 0.25 : door == Door::kWebForm ? 0.15 : 0.05;
    if (Chance(p_case)) {
      bool upper = Chance(door == Door::kCsvExport ? 0.7 : 0.3);
      if (upper || Chance(0.5)) family = detail::Recase(family, upper);
      given = detail::Recase(given, upper);
      middle = detail::Recase(middle, upper);
      Mark(&r, Variation::kCase);
    }
    double p_full = door == Door::kAdLead ? 0.6 : door == Door::kWebForm ? 0.12 : 0.04;
    if (Chance(p_full)) {
      f["full_name"] = given + (middle.empty() ? "" : " " + middle) + " " + family;
      Mark(&r, Variation::kFullNameOnly);
    } else if (!middle.empty()) {
      // Both given names in first_name, or a full name split after the first word by an import.
      const bool split_after_first = Chance(0.4);
      f["first_name"] = split_after_first ? given : given + " " + middle;
      f["last_name"] = split_after_first ? middle + " " + family : family;
    } else if (door == Door::kWebForm && Chance(0.07)) {
      f["first_name"] = family;  // the form's fields read in the other order
      f["last_name"] = given;
      Mark(&r, Variation::kSwappedNames);
    } else if (door == Door::kCsvExport && Chance(0.03)) {
      f["first_name"] = family;
      f["last_name"] = given;
      Mark(&r, Variation::kSwappedNames);
    } else {
      f["first_name"] = given;
      f["last_name"] = family;
    }

    // ---- e-mail ----
    const double p_email = door == Door::kWebForm || door == Door::kAdLead ? 0.97 : door == Door::kCsvExport ? 0.8 : 0.6;
    if (Chance(p_email)) {
      std::string email;
      // A person mostly gives one address; a salesperson's entry and a list export lean to the work one.
      double p_work = p.prefers_work ? 0.8 : 0.2;
      if (door == Door::kSalesEntry || door == Door::kCsvExport) p_work = (p_work + 1.0) / 2;
      if (!p.role_email.empty() && Chance(0.6)) {
        email = p.role_email;
      } else if (!p.agency_email.empty() && door != Door::kWebForm && Chance(0.3)) {
        email = p.agency_email;
      } else if (!work_email.empty() && (p.personal_email.empty() || Chance(p_work))) {
        email = work_email;
        Mark(&r, Variation::kWorkEmail);
      } else if (!p.personal_email.empty()) {
        email = p.personal_email;
        Mark(&r, Variation::kPersonalEmail);
        size_t at = email.find('@');
        std::string local = email.substr(0, at), domain = email.substr(at + 1);
        bool gmail = domain == "gmail.com" || domain == "googlemail.com";
        if (gmail && local.find('.') != std::string::npos && Chance(0.3)) {
          local.erase(std::remove(local.begin(), local.end(), '.'), local.end());
          Mark(&r, Variation::kGmailDots);
        } else if (gmail && local.size() > 4 && Chance(0.2)) {
          // A dot between two letters (Gmail ignores dots; a doubled or leading dot is not an address).
          size_t at = 2 + Below(local.size() - 3);
          if (local[at - 1] != '.' && local[at] != '.') {
            local.insert(at, ".");
            Mark(&r, Variation::kGmailDots);
          }
        }
        if (door == Door::kWebForm && Chance(gmail ? 0.15 : 0.04)) {
          static const std::vector<const char*> kTags = {"news", "crm", "leads", "webinar", "promo"};
          local += std::string("+") + Pick(kTags);
          Mark(&r, Variation::kPlusTag);
        }
        email = local + "@" + domain;
      }
      if (!email.empty()) {
        if (door == Door::kSalesEntry && Chance(0.1)) email[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(email[0])));
        f["email"] = email;
      }
    }

    // ---- phone ----
    const double p_phone = door == Door::kSalesEntry ? 0.75 : door == Door::kAdLead ? 0.6 : door == Door::kCsvExport ? 0.5 : 0.35;
    if (Chance(p_phone)) {
      const detail::Phone& ph = !p.shared_phone.empty() && Chance(p.p_shared_phone) ? p.shared_phone : p.mobile;
      f["phone"] = PhoneText(ph, door, &r);
    }

    // ---- company, title ----
    if (company >= 0) {
      const double p_co = door == Door::kSalesEntry ? 0.95 : door == Door::kCsvExport ? 0.9 : door == Door::kAdLead ? 0.7 : 0.75;
      if (Chance(p_co)) f["company"] = CompanyText(companies_[static_cast<size_t>(company)], door, &r);
      const double p_title = door == Door::kWebForm ? 0.3 : 0.6;
      if (Chance(p_title)) f["job_title"] = p.job_title;
    }

    // ---- place ----
    const detail::City& city = c.cities[static_cast<size_t>(p.city)];
    const double p_city = door == Door::kSalesEntry ? 0.75 : door == Door::kCsvExport ? 0.65 : door == Door::kAdLead ? 0.5 : 0.45;
    if (Chance(p_city)) {
      std::string name = city.name;
      if (*city.alt && Chance(0.3)) name = city.alt;
      else if (Chance(0.2)) name = detail::DropAccents(name, false);
      if (door == Door::kCsvExport && Chance(0.3)) name = detail::Recase(name, true);
      f["city"] = name;
    }
    const double p_country = door == Door::kSalesEntry ? 0.8 : door == Door::kCsvExport ? 0.75 : door == Door::kAdLead ? 0.75 : 0.55;
    if (Chance(p_country)) f["country"] = CountryText(p.country, door, &r);
    const double p_postal = door == Door::kCsvExport ? 0.45 : door == Door::kSalesEntry ? 0.35 : 0.15;
    if (Chance(p_postal)) f["postal_code"] = p.postal;
    if (Chance(door == Door::kCsvExport ? 0.2 : door == Door::kSalesEntry ? 0.12 : 0.03)) f["street"] = p.street;
    if (Chance(door == Door::kCsvExport ? 0.1 : 0.03)) f["birth_date"] = p.birth_date;

    static const std::vector<const char*> kFormSources = {"Website", "Organic", "Google Ads", "Newsletter"};
    static const std::vector<const char*> kAdSources = {"Facebook Ads", "LinkedIn Lead Gen", "Google Ads"};
    static const std::vector<const char*> kListSources = {"Trade show", "Webinar", "Partner", "Referral"};
    if (door == Door::kAdLead) f["lead_source"] = Pick(kAdSources);
    else if (door == Door::kWebForm && Chance(0.5)) f["lead_source"] = Pick(kFormSources);
    else if (door == Door::kCsvExport && Chance(0.6)) f["lead_source"] = Pick(kListSources);

    // A CRM refuses a contact with no way to reach or identify it: every door asks for an e-mail or a phone.
    if (!f.count("email") && !f.count("phone")) {
      if (!p.personal_email.empty() || !work_email.empty()) {
        bool work = !work_email.empty() && (p.personal_email.empty() || door != Door::kWebForm);
        f["email"] = work ? work_email : p.personal_email;
        Mark(&r, work ? Variation::kWorkEmail : Variation::kPersonalEmail);
      } else {
        f["phone"] = PhoneText(p.mobile, door, &r);
      }
    }
    return r;
  }

  CrmOptions o_;
  std::mt19937_64 rng_;
  std::vector<detail::Company> companies_;
  std::vector<detail::Person> people_;
  std::set<std::string> used_phones_, used_emails_, used_domains_, used_names_;
  int group_ids_[kGroupKinds] = {0, 0, 0, 0, 0};
  std::map<std::string, int> namesake_ids_;
};

inline std::vector<CrmRecord> Generate(const CrmOptions& o) { return CrmGen(o).Generate(); }

// CSV (RFC 4180 by canon::CsvLine, CRLF line ends): record_id, person_id, door, groups, then RawFields().
inline void WriteCsv(std::ostream& out, const std::vector<CrmRecord>& recs) {
  std::vector<std::string> row = {"record_id", "person_id", "door", "groups"};
  row.insert(row.end(), RawFields().begin(), RawFields().end());
  out << canon::CsvLine(row);
  for (const auto& r : recs) {
    row = {r.record_id, std::to_string(r.person), DoorName(r.door), r.GroupsString()};
    for (const auto& f : RawFields()) row.push_back(r.record.Get(f));
    out << canon::CsvLine(row);
  }
}

}  // namespace crm_gen
