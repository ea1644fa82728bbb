#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hygiene/phone.h"

using namespace canon;

namespace {
bool HasFlag(const PhoneResult& r, const std::string& f) {
  return std::find(r.flags.begin(), r.flags.end(), f) != r.flags.end();
}
}  // namespace

TEST_CASE("phone: the issue's examples", "[norm][phone]") {
  auto us = NormalizePhone("(415) 555-2671", "US");
  REQUIRE(us.error.ok());
  CHECK(us.value == "+14155552671");
  CHECK(us.e164 == "+14155552671");
  CHECK(us.extension.empty());
  CHECK(us.region == "US");
  CHECK(us.flags.empty());

  auto de = NormalizePhone("030 1234567", "DE");
  CHECK(de.value == "+49301234567");
  CHECK(de.region == "DE");

  auto uk = NormalizePhone("+44 20 7946 0958 ext. 12", "US");
  CHECK(uk.value == "+442079460958");
  CHECK(uk.extension == "12");
  CHECK(uk.region == "GB");
  CHECK(HasFlag(uk, "region_mismatch"));
}

TEST_CASE("phone: formats and regions", "[norm][phone]") {
  CHECK(NormalizePhone("+1 415-555-2671", "").value == "+14155552671");
  CHECK(NormalizePhone("415.555.2671", "us").value == "+14155552671");  // region case does not matter
  CHECK(NormalizePhone("1-415-555-2671", "US").value == "+14155552671");
  CHECK(NormalizePhone("00 49 30 1234567", "DE").value == "+49301234567");
  CHECK(NormalizePhone("+49 (0)30 1234567", "").value == "+49301234567");
  CHECK(NormalizePhone("0049301234567", "FR").value == "+49301234567");
  CHECK(NormalizePhone("01512 3456789", "DE").value == "+4915123456789");
  CHECK(NormalizePhone("020 7946 0958", "GB").value == "+442079460958");
  CHECK(NormalizePhone("415-555-2671 x 305", "US").extension == "305");
  CHECK(NormalizePhone("(415) 555-2671;ext=99", "US").extension == "99");
  CHECK(NormalizePhone("tel:+1-415-555-2671", "").value == "+14155552671");
  CHECK(NormalizePhone("\xC2\xA0 +1 415 555 2671 \t", "").value == "+14155552671");
}

TEST_CASE("phone: international call prefixes, with and without a default region", "[norm][phone]") {
  // Each region's own prefix, as libphonenumber knows it: "00" (GB, DE), "011" (US, CA), "0011" (AU), "010" (JP).
  CHECK(NormalizePhone("0044 20 7946 0958", "GB").value == "+442079460958");
  CHECK(NormalizePhone("00 49 30 1234567", "GB").value == "+49301234567");
  CHECK(NormalizePhone("011 44 20 7946 0958", "US").value == "+442079460958");
  CHECK(NormalizePhone("011 49 30 1234567", "CA").value == "+49301234567");
  CHECK(NormalizePhone("0011 44 20 7946 0958", "AU").value == "+442079460958");
  CHECK(NormalizePhone("010 44 20 7946 0958", "JP").value == "+442079460958");
  // No default region: "00" or "011", a country code and a number valid there is an international number.
  auto gb = NormalizePhone("0044 20 7946 0958", "");
  REQUIRE(gb.error.ok());
  CHECK(gb.value == "+442079460958");
  CHECK(gb.e164 == "+442079460958");
  CHECK(gb.region == "GB");
  CHECK(gb.flags.empty());
  CHECK(NormalizePhone("011 44 20 7946 0958", "").value == "+442079460958");
  CHECK(NormalizePhone("00 49 30 1234567", "").value == "+49301234567");
  CHECK(NormalizePhone("00-33-1-42-68-53-00", "").value == "+33142685300");
  CHECK(NormalizePhone("011 1 415 555 2671", "").value == "+14155552671");
  auto ext = NormalizePhone("0044 20 7946 0958 ext. 12", "");
  CHECK(ext.value == "+442079460958");
  CHECK(ext.extension == "12");
  // Another region's prefix: a US sender's "011" in a German record, a European "00" in a US record. The number
  // is read (region_mismatch says it is not the record's region), since no national reading was valid.
  auto us_style = NormalizePhone("011 44 20 7946 0958", "DE");
  CHECK(us_style.value == "+442079460958");
  CHECK(HasFlag(us_style, "region_mismatch"));
  CHECK(NormalizePhone("0044 20 7946 0958", "US").value == "+442079460958");
  // The cached normalizer gives the same readings.
  PhoneNormalizer cached(16);
  CHECK(cached.Normalize("0044 20 7946 0958", "").value == "+442079460958");
  CHECK(cached.Normalize("0044 20 7946 0958", "").value == "+442079460958");
  CHECK(cached.hits() == 1);
}

TEST_CASE("phone: a national number starting with 0 stays national", "[norm][phone]") {
  // GB trunk prefix "0", not a call prefix.
  auto gb = NormalizePhone("020 7946 0958", "GB");
  CHECK(gb.value == "+442079460958");
  CHECK(gb.region == "GB");
  // Sheffield's area code starts with "011": national in GB, never read as "+4 ...".
  auto sheffield = NormalizePhone("0114 496 0123", "GB");
  CHECK(sheffield.value == "+441144960123");
  CHECK(sheffield.region == "GB");
  // Delhi's area code is "011": national in India.
  CHECK(NormalizePhone("011 2345 6789", "IN").value == "+911123456789");
  // Without a region a national number is not guessed, and "0" + digits is no call prefix.
  CHECK(HasFlag(NormalizePhone("020 7946 0958", ""), "invalid"));
  CHECK(NormalizePhone("020 7946 0958", "").value == "020 7946 0958");
  // A call prefix followed by no valid number stays invalid and raw.
  auto bad = NormalizePhone("0044 12", "");
  CHECK(HasFlag(bad, "invalid"));
  CHECK(bad.value == "0044 12");
  CHECK(bad.e164.empty());
  CHECK(HasFlag(NormalizePhone("00 999 123456", ""), "invalid"));
  CHECK(HasFlag(NormalizePhone("011 999 123456", "US"), "invalid"));
}

TEST_CASE("phone: invalid numbers are kept raw and flagged, never guessed", "[norm][phone]") {
  auto r = NormalizePhone(" 12345 ", "US");
  REQUIRE(r.error.ok());
  CHECK(r.value == "12345");
  CHECK(r.e164.empty());
  CHECK(HasFlag(r, "invalid"));
  // A national number with no region to read it in.
  auto n = NormalizePhone("(415) 555-2671", "");
  CHECK(n.value == "(415) 555-2671");
  CHECK(HasFlag(n, "invalid"));
  CHECK(HasFlag(NormalizePhone("call me", "US"), "invalid"));
  CHECK(HasFlag(NormalizePhone("+1 000 000 0000", "US"), "invalid"));
  CHECK(HasFlag(NormalizePhone("030 1234567", "XX"), "invalid"));
  CHECK(HasFlag(NormalizePhone("+999 123456", ""), "invalid"));
}

TEST_CASE("phone: errors only for what cannot be kept", "[norm][phone]") {
  CHECK(NormalizePhone("", "US").error.message() == "the phone number is empty");
  CHECK(NormalizePhone(" \t ", "US").error.message() == "the phone number is empty");
  CHECK(NormalizePhone("415\xFF", "US").error.message() == "the phone number is not valid UTF-8");
  CHECK(NormalizePhone(std::string(5000, '1'), "US").error.message() == "the phone number is longer than 256 bytes");
}

TEST_CASE("phone: the cache returns the same results and counts hits", "[norm][phone]") {
  PhoneNormalizer cached(8);
  auto a = cached.Normalize("(415) 555-2671", "US");
  auto b = cached.Normalize("(415) 555-2671", "US");
  CHECK(a.value == b.value);
  CHECK(cached.hits() == 1);
  CHECK(cached.misses() == 1);
  // The region is part of the key: the same text under another region is another result.
  auto c = cached.Normalize("030 1234567", "DE");
  auto d = cached.Normalize("030 1234567", "US");
  CHECK(c.value == "+49301234567");
  CHECK(HasFlag(d, "invalid"));
  // Eviction: more distinct numbers than the capacity, then the first again, still right.
  for (int i = 0; i < 100; ++i) cached.Normalize("+1 415 555 " + std::to_string(1000 + i), "");
  CHECK(cached.Normalize("(415) 555-2671", "US").value == "+14155552671");
  // Spacing, dots and dashes do not make a new entry; the region does not matter for "+" numbers.
  PhoneNormalizer compact(64);
  CHECK(compact.Normalize("415-555-2671", "US").value == "+14155552671");
  CHECK(compact.Normalize("415 555 2671", "US").value == "+14155552671");
  CHECK(compact.Normalize("415.555.2671", "US").value == "+14155552671");
  CHECK(compact.Normalize("+44 20 7946 0958", "US").value == "+442079460958");
  auto gb = compact.Normalize("+44-20-7946-0958", "GB");
  CHECK(gb.value == "+442079460958");
  CHECK(gb.flags.empty());  // region_mismatch is computed per call, not cached
  CHECK(HasFlag(compact.Normalize("+44 20 7946 0958", "DE"), "region_mismatch"));
  CHECK(compact.misses() == 2);
  CHECK(compact.hits() == 4);
  // "(0)" is kept in the key: it changes how the number reads.
  CHECK(compact.Normalize("+49 (0)30 1234567", "").value == "+49301234567");
  // Invalid numbers sharing a key still show their own text.
  CHECK(compact.Normalize("12-34", "US").value == "12-34");
  CHECK(compact.Normalize("12 34", "US").value == "12 34");
  CHECK(HasFlag(compact.Normalize("12 34", "US"), "invalid"));
  // Text with letters is keyed as written: the extension survives a hit.
  CHECK(compact.Normalize("415-555-2671 ext 7", "US").extension == "7");
  CHECK(compact.Normalize("415-555-2671 ext 7", "US").extension == "7");
  PhoneNormalizer uncached(0);
  CHECK(uncached.Normalize("030 1234567", "DE").value == "+49301234567");
  CHECK(uncached.hits() == 0);
}

TEST_CASE("phone: concurrent use of one normalizer", "[norm][phone]") {
  PhoneNormalizer shared(64);
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        std::string n = "+1 415 555 " + std::to_string(2000 + (i * 7 + t) % 150);
        auto r = shared.Normalize(n, "US");
        if (r.value != "+1415555" + std::to_string(2000 + (i * 7 + t) % 150)) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("phone: random bytes never crash", "[norm][phone][robust]") {
  std::mt19937 rng(11);
  const std::string alphabet = "0123456789+()-. extEXT;=#*\xC2\xA0\xFF";
  PhoneNormalizer n(128);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = (i % 2) ? static_cast<char>(rng() & 0xFF) : alphabet[rng() % alphabet.size()];
    auto r = n.Normalize(s, (i % 3) ? "US" : "DE");
    if (r.error.ok() && !HasFlag(r, "invalid")) {
      CHECK(r.value.front() == '+');
      CHECK(r.value == r.e164);
    }
  }
  // The garbage left the normalizer (and its cache) in a working state.
  CHECK(n.Normalize("(415) 555-2671", "US").value == "+14155552671");
}
