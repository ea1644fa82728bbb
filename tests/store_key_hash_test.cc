// store::KeyHash, the 64-bit hash match_key files keys by, against OpenSSL's one-shot SHA-256 of the same bytes
// (the first 8 bytes, big-endian, two's complement), on many keys and from several threads at once (the digest
// context is per thread). pg_match_test checks the same hash against SQL's canon_key_hash.
#include <catch2/catch.hpp>
#include <openssl/sha.h>

#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/candidates.h"

namespace {

long long Reference(const std::string& key) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), md);
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | md[i];
  return static_cast<long long>(h);
}

std::vector<std::string> Keys(uint32_t seed, int n) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string k = "given_family:";
    size_t len = rng() % 200;  // past one SHA-256 block (64 bytes) and two
    for (size_t j = 0; j < len; ++j) k += static_cast<char>(rng() % 256);
    out.push_back(k);
  }
  out.push_back("");
  return out;
}

}  // namespace

TEST_CASE("KeyHash is the first 8 bytes of the key's SHA-256, on every thread", "[store]") {
  for (const auto& k : Keys(1, 5000)) REQUIRE(canon::store::KeyHash(k) == Reference(k));
  CHECK(canon::store::KeyHash("email:ann@example.com") == Reference("email:ann@example.com"));
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &wrong] {
      for (const auto& k : Keys(100 + t, 3000))
        if (canon::store::KeyHash(k) != Reference(k)) ++wrong[t];
    });
  for (auto& th : threads) th.join();
  CHECK(wrong == std::vector<int>(4, 0));
}
