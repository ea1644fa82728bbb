// bench_normalize: typical web-form records (email, phone, first/last name, company, country) through the
// hygiene normalizers on one core, against a baseline loop that only trims and lowercases copies of the same
// fields. Prints records/s for both and their ratio; never fails on time.
//
// Usage: bench_normalize [records=200000] [unique_phone_percent=20]
// Phones: `unique_phone_percent` of records carry a never-seen number, the rest reuse a pool of 2,000 numbers
// (a repeat visitor, a company switchboard), which the phone cache is for.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "hygiene/company.h"
#include "hygiene/email.h"
#include "hygiene/fold.h"
#include "hygiene/name.h"
#include "hygiene/phone.h"
#include "hygiene/text.h"

using namespace canon;

namespace {

struct FormRecord {
  std::string email, phone, first, last, company, country;
};

struct Country {
  const char* written;
  const char* code;
  const char* area;  // a national-format prefix valid in that country
};

std::vector<FormRecord> MakeRecords(size_t n, int unique_phone_percent) {
  const char* firsts[] = {"John", "JANE", "maria", "Jean-Luc", "ludwig", "Anna", "MOHAMMED", "Søren", "José",
                          "li", "Dr. Emily", "chloé", "Ólafur", "PATRICK", "Aoife", "Mr. Tom"};
  const char* lasts[] = {"Smith", "MCDONALD", "van beethoven", "O'NEILL", "de la Cruz", "Müller", "GARCIA",
                         "Nguyen", "macarthur", "Schmidt", "d'angelo", "Kowalski", "Jones Jr.", "ANDERSSON",
                         "Brown", "Wang"};
  const char* companies[] = {"ACME, Inc.", "Acme Incorporated", "Müller GmbH", "Globex Corporation",
                             "Initech LLC", "Umbrella Pty Ltd", "Société Générale S.A.", "Stark Industries",
                             "The Boring Company", "Wayne Enterprises, Inc.", "Vandelay Industries",
                             "Hooli B.V.", "Nakatomi K.K.", "Soylent Corp", "Procter & Gamble Co.", ""};
  const char* domains[] = {"gmail.com",   "GMAIL.com", "yahoo.com", "acme.com", "hotmail.com", "web.de",
                           "outlook.com", "globex.io", "gmial.com", "initech.co.uk"};
  const Country countries[] = {{"United States", "US", "(415) 555-"}, {"USA", "US", "212-555-"},
                               {"Deutschland", "DE", "030 123"},       {"Germany", "DE", "089 123"},
                               {"UK", "GB", "020 7946 "},              {"France", "FR", "01 42 68 "},
                               {"us", "US", "646 555 "},               {"", "", "+1 415 555 "}};
  std::mt19937 rng(42);
  auto pick = [&](auto& arr) -> decltype(arr[0]) { return arr[rng() % std::size(arr)]; };
  auto digits = [&](int k) {
    std::string s;
    for (int i = 0; i < k; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
    return s;
  };
  std::vector<std::string> pool;
  for (int i = 0; i < 2000; ++i) pool.push_back("+1 415 555 " + digits(4));
  std::vector<FormRecord> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    FormRecord r;
    const Country& c = pick(countries);
    r.first = pick(firsts);
    r.last = pick(lasts);
    r.company = pick(companies);
    r.country = c.written;
    std::string local = r.first.substr(0, 3) + "." + r.last.substr(0, 4) + std::to_string(rng() % 1000);
    local.erase(std::remove_if(local.begin(), local.end(), [](char ch) { return ch == ' ' || ch == '\''; }),
                local.end());
    if (local.front() == '.' || local.find("..") != std::string::npos) local = "x" + std::to_string(rng() % 1000);
    if (rng() % 4 == 0) local += "+news";
    r.email = "  " + local + "@" + pick(domains) + " ";
    if (static_cast<int>(rng() % 100) < unique_phone_percent) {
      r.phone = std::string(c.area) + digits(4);
    } else {
      r.phone = pool[rng() % pool.size()];
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string TrimLower(std::string_view s) {
  std::string out(TrimSpace(s));
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200000;
  int unique_pct = argc > 2 ? std::atoi(argv[2]) : 20;
  std::vector<FormRecord> records = MakeRecords(n, unique_pct);

  EmailRules email_rules = DefaultEmailRules();
  NameRules name_rules = DefaultNameRules();
  CompanyRules company_rules = DefaultCompanyRules();
  // The country vocabulary is the vocab helper's; a folded-alias map stands in for it here.
  std::unordered_map<std::string, std::string> countries = {
      {"unitedstates", "US"}, {"usa", "US"}, {"us", "US"},  {"deutschland", "DE"},
      {"germany", "DE"},      {"uk", "GB"},  {"france", "FR"}};
  size_t rule_entries = email_rules.domain_typos.size() + email_rules.role_locals.size() +
                        email_rules.free_mail.size() + email_rules.disposable.size() + email_rules.providers.size() +
                        name_rules.honorifics.size() + name_rules.suffixes.size() + name_rules.particles.size() +
                        name_rules.mac_names.size() + company_rules.legal_forms.size() + countries.size();

  // Baseline: the cheapest thing a pipeline could do with the same fields.
  size_t sink = 0;
  auto b0 = std::chrono::steady_clock::now();
  for (const FormRecord& r : records) {
    sink += TrimLower(r.email).size() + TrimLower(r.phone).size() + TrimLower(r.first).size() +
            TrimLower(r.last).size() + TrimLower(r.company).size() + TrimLower(r.country).size();
  }
  auto b1 = std::chrono::steady_clock::now();

  PhoneNormalizer phones;  // fresh: the cache starts cold, as after a daemon start
  size_t invalid_phones = 0, rejected_emails = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const FormRecord& r : records) {
    std::string region;
    if (auto it = countries.find(FoldKey(r.country)); it != countries.end()) region = it->second;
    EmailResult e = NormalizeEmail(r.email, email_rules);
    PhoneResult p = phones.Normalize(r.phone, region.empty() ? "US" : region);
    NameResult nm = NormalizePersonName(r.first, r.last, {}, name_rules);
    CompanyResult c = NormalizeCompany(r.company, company_rules);
    std::string domain = e.error.ok() ? CompanyDomain(e.value, email_rules.free_mail) : std::string();
    invalid_phones += p.flags.empty() ? 0 : (p.flags[0] == "invalid");
    rejected_emails += !e.error.ok();
    sink += e.key.size() + p.value.size() + nm.full.size() + c.key.size() + domain.size() + region.size();
  }
  auto t1 = std::chrono::steady_clock::now();

  // Where the time goes: each normalizer alone over the same records (a second, fresh phone cache).
  auto per_field = [&](const char* name, auto fn) {
    auto a = std::chrono::steady_clock::now();
    for (const FormRecord& r : records) sink += fn(r);
    auto b = std::chrono::steady_clock::now();
    std::printf("  %-22s %6.2f us/record\n", name, 1e6 * Seconds(a, b) / static_cast<double>(n));
  };
  std::printf("breakdown:\n");
  per_field("email", [&](const FormRecord& r) { return NormalizeEmail(r.email, email_rules).key.size(); });
  PhoneNormalizer phones2;
  per_field("phone (cached)", [&](const FormRecord& r) { return phones2.Normalize(r.phone, "US").value.size(); });
  per_field("name", [&](const FormRecord& r) {
    return NormalizePersonName(r.first, r.last, {}, name_rules).full.size();
  });
  per_field("company", [&](const FormRecord& r) { return NormalizeCompany(r.company, company_rules).key.size(); });
  per_field("company domain", [&](const FormRecord& r) { return CompanyDomain(r.email, email_rules.free_mail).size(); });
  per_field("country (FoldKey+map)", [&](const FormRecord& r) { return countries.count(FoldKey(r.country)); });

  double base_s = Seconds(b0, b1), norm_s = Seconds(t0, t1);
  double base_rate = static_cast<double>(n) / base_s, norm_rate = static_cast<double>(n) / norm_s;
  std::printf("records: %zu (unique phones %d%%), rule entries: %zu (built-in lists)\n", n, unique_pct,
              rule_entries);
  std::printf("baseline trim+lowercase: %10.0f records/s  (%.3f s)\n", base_rate, base_s);
  std::printf("normalizers:             %10.0f records/s  (%.3f s)  %.2f us/record\n", norm_rate, norm_s,
              1e6 * norm_s / static_cast<double>(n));
  std::printf("ratio normalizers/baseline time: %.1fx slower; target >= 50000 records/s/core: %s\n",
              base_rate / norm_rate, norm_rate >= 50000 ? "met" : "NOT met");
  std::printf("phone cache: %zu hits, %zu misses; invalid phones %zu, rejected e-mails %zu (sink %zu)\n",
              phones.hits(), phones.misses(), invalid_phones, rejected_emails, sink);
  return 0;
}
