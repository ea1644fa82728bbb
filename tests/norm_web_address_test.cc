// SplitWebAddress (hygiene/attribution.h) splits printable ASCII by hand: the same answer and the same four parts
// as the pattern it stands for, on addresses built from the pieces that decide a match.
#include <catch2/catch.hpp>

#include <re2/re2.h>

#include <random>
#include <string>
#include <vector>

#include "hygiene/attribution.h"

using namespace canon;

TEST_CASE("web address: the hand split equals the pattern's match", "[norm][url]") {
  const RE2 pattern(kWebAddressPattern);
  REQUIRE(pattern.ok());
  const std::vector<std::string> pieces = {
      "http://", "HTTPS://", "https://", "hTtP://", "http:/", "ftp://", "example", ".com", ".c", ".co.uk", ".", "..",
      "localhost", "LOCALHOST", "www", "a", "1", "-", "_", "~", "%20", ":", ":8080", ":123456", ":0", "/", "/path",
      "?", "?a=b&c=d", "#", "#frag", "@", "x y", "\t", "\n", "\xc3\xa9", "\xff", "!", "*", "[", "]", "::", "//"};
  std::mt19937_64 rng(7);
  size_t matched = 0, compared = 0;
  auto compare = [&](const std::string& v) {
    std::string scheme, host, port, rest;
    bool want = RE2::FullMatch(v, pattern, &scheme, &host, &port, &rest);
    WebAddress got;
    bool have = SplitWebAddress(v, &got);
    ++compared;
    INFO("'" << v << "'");
    REQUIRE(have == want);
    if (!want) return;
    ++matched;
    CHECK(got.scheme == scheme);
    CHECK(got.host == host);
    CHECK(got.port == port);
    CHECK(got.rest == rest);
  };
  for (const char* v : {"https://www.example.com/pricing", "example.com", "localhost:3000/x", "http://a.bc",
                        "https://example.com:8080?x=1#y", "www.example.com/contact", "a.b", "1.2.3.4", "é.com"})
    compare(v);
  for (int i = 0; i < 200000; ++i) {
    std::string v;
    size_t n = 1 + rng() % 6;
    for (size_t k = 0; k < n; ++k) v += pieces[rng() % pieces.size()];
    compare(v);
  }
  INFO(compared << " compared, " << matched << " web addresses");
  CHECK(matched > 5000);
}
