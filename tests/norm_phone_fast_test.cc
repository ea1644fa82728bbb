// The phone fast path (hygiene/phone_fast.h) against libphonenumber alone: the same result, field by field, for
// numbers of every region libphonenumber knows (each number type's example number, its national form, and
// variants with digits changed, dropped or added, most of them invalid), written with "+", nationally, with "00"
// and "011", with parentheses, read with their own region, another one and none, plus random digit strings.
#include <catch2/catch.hpp>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <iterator>
#include <list>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "hygiene/phone.h"
#include "hygiene/phone_fast.h"

using namespace canon;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

std::string Describe(const PhoneResult& r) {
  std::string s = "value=" + r.value + " e164=" + r.e164 + " ext=" + r.extension + " region=" + r.region + " flags=";
  for (const auto& f : r.flags) s += f + ",";
  return s + " error=" + r.error.ToString();
}

struct Tally {
  size_t compared = 0, fast_valid = 0, fast_invalid = 0;
};

void Compare(const std::string& text, const std::string& region, Tally& t) {
  PhoneResult fast = NormalizePhoneUncached(text, region);
  PhoneResult slow = NormalizePhoneLibphonenumberOnly(text, region);
  ++t.compared;
  if (Describe(fast) != Describe(slow)) {
    INFO("input '" << text << "' region '" << region << "'");
    CHECK(Describe(fast) == Describe(slow));
  }
  PhoneResult unused;
  std::string upper = region.size() == 2 ? region : "ZZ";
  std::string compact;  // what phone.cc hands the fast path: the text without spaces, dots and dashes
  for (char c : text)
    if (c != ' ' && c != '-' && c != '.') compact.push_back(c);
  switch (TryFastPhone(compact, upper, &unused)) {
    case FastPhone::kValid: ++t.fast_valid; break;
    case FastPhone::kInvalid: ++t.fast_invalid; break;
    case FastPhone::kUndecided: break;
  }
}

std::string Digits(const std::string& s) {
  std::string d;
  for (char c : s)
    if (c >= '0' && c <= '9') d.push_back(c);
  return d;
}

}  // namespace

TEST_CASE("phone fast path: libphonenumber's answers for every region, valid and invalid", "[norm][phone]") {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  REQUIRE(regions.size() > 200);
  std::vector<std::string> region_list(regions.begin(), regions.end());
  std::mt19937_64 rng(18);
  auto other_region = [&] { return region_list[rng() % region_list.size()]; };
  Tally t;

  std::vector<PhoneNumber> examples;
  const PhoneNumberUtil::PhoneNumberType kTypes[] = {
      PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE,          PhoneNumberUtil::TOLL_FREE,
      PhoneNumberUtil::PREMIUM_RATE, PhoneNumberUtil::SHARED_COST,   PhoneNumberUtil::VOIP,
      PhoneNumberUtil::PERSONAL_NUMBER, PhoneNumberUtil::PAGER,      PhoneNumberUtil::UAN,
      PhoneNumberUtil::VOICEMAIL};
  for (const std::string& region : regions) {
    for (auto type : kTypes) {
      PhoneNumber n;
      if (util.GetExampleNumberForType(region, type, &n)) examples.push_back(n);
    }
  }
  std::set<int> global;
  util.GetSupportedGlobalNetworkCallingCodes(&global);
  for (int code : global) {
    PhoneNumber n;
    if (util.GetExampleNumberForNonGeoEntity(code, &n)) examples.push_back(n);
  }
  REQUIRE(examples.size() > 1000);

  for (const PhoneNumber& example : examples) {
    std::string home;
    util.GetRegionCodeForNumber(example, &home);
    std::string nsn;
    util.GetNationalSignificantNumber(example, &nsn);
    const std::string cc = std::to_string(example.country_code());
    // The number itself, then variants: a digit changed, one dropped, one added (mostly invalid numbers).
    std::vector<std::string> nsns = {nsn};
    for (int k = 0; k < 3; ++k) {
      std::string v = nsn;
      v[rng() % v.size()] = static_cast<char>('0' + rng() % 10);
      nsns.push_back(v);
    }
    nsns.push_back(nsn.substr(0, nsn.size() - 1));
    nsns.push_back(nsn + static_cast<char>('0' + rng() % 10));
    for (const std::string& v : nsns) {
      PhoneNumber n = example;
      std::string national;
      if (v == nsn) {
        util.Format(n, PhoneNumberUtil::NATIONAL, &national);
        national = Digits(national);
      } else {
        std::string prefix;
        util.GetNddPrefixForRegion(home, true, &prefix);
        national = prefix + v;
      }
      for (const std::string& region : {home, std::string("US"), std::string("DE"), std::string(""), other_region()}) {
        Compare("+" + cc + v, region, t);
        Compare(national, region, t);
      }
      Compare("00" + cc + v, home, t);
      Compare("00" + cc + v, "", t);
      Compare("011" + cc + v, "US", t);
      Compare("+" + cc + "0" + v, home, t);  // a national prefix after the country code
      Compare(cc + v, home, t);              // the country code without "+"
      // Parentheses: around the national prefix, the area code, a country code, or nothing sensible.
      Compare("+" + cc + "(0)" + v, home, t);
      Compare("+(" + cc + ")" + v, home, t);
      if (national.size() >= 4) {
        Compare("(" + national.substr(0, 3) + ")" + national.substr(3), home, t);
        Compare("(" + national.substr(0, 1) + ")" + national.substr(1), "US", t);
        Compare(national.substr(0, 2) + "(" + national.substr(2, 2) + ")" + national.substr(4), home, t);
      }
      Compare("+" + cc + "()" + v, home, t);
      Compare("+" + cc + ")" + v + "(", home, t);
    }
  }
  // Random digit strings, with and without "+", in random regions.
  for (int i = 0; i < 20000; ++i) {
    std::string d;
    size_t len = 3 + rng() % 16;
    for (size_t k = 0; k < len; ++k) d.push_back(static_cast<char>('0' + rng() % 10));
    Compare((rng() % 2 ? "+" : "") + d, other_region(), t);
  }
  INFO("compared " << t.compared << ", fast path decided " << t.fast_valid << " valid and " << t.fast_invalid
                   << " invalid");
  // The comparison means something only when the fast path decides most of them, both ways.
  CHECK(t.fast_valid > 10000);
  CHECK(t.fast_invalid > 10000);
  CHECK(t.fast_valid + t.fast_invalid > t.compared / 2);
}

// Numbers as web-form visitors type them (bench/normalize's shapes and more): grouped with spaces, dashes or dots,
// "+cc", "+cc (0)", "00cc", "011 cc", the country code without "+" (with and without the national prefix after
// it), national with the prefix, an area code in parentheses; numbers near every region's example numbers (the
// last digits random, so most stay valid, plus a digit dropped or added), read in their own region, in regions
// sharing their country code, in the US, and in none.
TEST_CASE("phone fast path: libphonenumber's answers for numbers written as on web forms", "[norm][phone]") {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  std::mt19937_64 rng(4018);
  auto digit = [&] { return static_cast<char>('0' + rng() % 10); };
  Tally t;
  const char* kSeps[] = {" ", "-", ".", ""};
  for (const std::string& region : regions) {
    std::list<std::string> sharing;
    const int code = util.GetCountryCodeForRegion(region);
    util.GetRegionCodesForCountryCallingCode(code, &sharing);
    const std::string cc = std::to_string(code);
    std::string prefix;
    util.GetNddPrefixForRegion(region, true, &prefix);
    for (auto type : {PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE, PhoneNumberUtil::TOLL_FREE}) {
      PhoneNumber example;
      if (!util.GetExampleNumberForType(region, type, &example)) continue;
      std::string nsn;
      util.GetNationalSignificantNumber(example, &nsn);
      for (int k = 0; k < 8; ++k) {
        std::string v = nsn;
        for (size_t i = std::min<size_t>(3, v.size()); i < v.size(); ++i) v[i] = digit();
        if (k == 6) v.pop_back();
        if (k == 7) v.push_back(digit());
        const std::string sep = kSeps[rng() % 4];
        std::string grouped;
        for (size_t i = 0; i < v.size(); i += 3) grouped += (i ? sep : "") + v.substr(i, 3);
        const std::string reader = sharing.size() > 1 ? *std::next(sharing.begin(), rng() % sharing.size()) : region;
        for (const std::string& in : {region, reader, std::string("US"), std::string("")}) {
          Compare("+" + cc + v, in, t);
          Compare("+" + cc + " " + grouped, in, t);
          Compare(prefix + sep + grouped, in, t);
          Compare(cc + sep + grouped, in, t);
        }
        Compare("+" + cc + " (0) " + grouped, region, t);
        Compare("+" + cc + " (" + prefix + ")" + grouped, region, t);
        Compare("00" + cc + " " + grouped, region, t);
        Compare("011 " + cc + " " + grouped, "US", t);
        Compare(cc + prefix + v, region, t);
        Compare(cc + " " + prefix + sep + grouped, reader, t);
        if (v.size() > 6) Compare("(" + v.substr(0, 3) + ") " + v.substr(3, 3) + "-" + v.substr(6), region, t);
      }
    }
  }
  INFO("compared " << t.compared << ", fast path decided " << t.fast_valid << " valid and " << t.fast_invalid
                   << " invalid");
  CHECK(t.compared > 50000);
  CHECK(t.fast_valid > 20000);
  CHECK(t.fast_invalid > 5000);
  CHECK(t.fast_valid + t.fast_invalid > t.compared * 3 / 4);
}
