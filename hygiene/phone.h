// Phone normalization with libphonenumber: E.164 plus extension, or the raw text flagged "invalid".
//
// NormalizePhone(raw, default_region): default_region is an ISO 3166-1 alpha-2 code ("US", "de"; case does not
// matter) used for numbers written without "+country code"; pass the record's country if known, else the
// source's default, else "" (then only international numbers parse). International numbers may be written with
// "+" or with a call prefix: the default region's own (libphonenumber knows each region's: "011" for US, "0011"
// for AU, "00" for DE), else, when the number does not read as a valid national one, "00" or "011" followed by a
// country code ("0044 20 7946 0958", "011 44 ..."; also with no default region). A number libphonenumber cannot parse or
// does not consider valid for its region is NOT guessed: `value` is the trimmed raw text, `e164` is empty and
// the flag "invalid" is set; the record keeps what the sender gave. `error` is reserved for input that cannot be
// kept at all (empty after trimming, not UTF-8, longer than 256 bytes).
//
// Parsing is expensive (libphonenumber runs ICU regular expressions: 30-50 us per new number). Text that is "+"
// and digits, or national digits with a default region, mostly takes a fast path that gives libphonenumber's
// answer from its own metadata with RE2 (hygiene/phone_fast.h); the rest goes to libphonenumber. Results
// are memoized in a bounded, sharded LRU cache: a PhoneNormalizer owns one. The cache key ignores spaces, dots
// and dashes ("415-555-2671" and "415 555 2671" are one entry) and, for numbers starting with "+", the default
// region. The number type (mobile, fixed line) is not computed: it would double the cost of a new number. The free function uses one process-wide
// PhoneNormalizer; the cache only remembers results of a pure function, so sharing it changes nothing
// observable. Thread-safety: PhoneNormalizer::Normalize and NormalizePhone may be called from any thread
// concurrently (each shard has its own mutex; libphonenumber's PhoneNumberUtil is thread-safe).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hygiene/status.h"

namespace canon {

struct PhoneResult {
  std::string value;               // E.164 ("+14155552671") when valid, else the trimmed raw text
  std::string e164;                // E.164 when valid, else empty
  std::string extension;           // "12" for "... ext. 12"; empty when none
  std::string region;              // region of the number when valid ("US", "DE"), else empty
  std::vector<std::string> flags;  // "invalid"; "region_mismatch" when valid but not in default_region
  Status error;                    // see the header comment: only for input that cannot be kept
};

class PhoneNormalizer {
 public:
  // `capacity`: cached results across all shards (about 200 bytes each); 0 disables the cache.
  explicit PhoneNormalizer(size_t capacity = 65536);
  ~PhoneNormalizer();
  PhoneNormalizer(const PhoneNormalizer&) = delete;
  PhoneNormalizer& operator=(const PhoneNormalizer&) = delete;

  PhoneResult Normalize(std::string_view raw, std::string_view default_region) const;

  // Cache statistics (approximate under concurrency), for benchmarks and metrics.
  size_t hits() const;
  size_t misses() const;

 private:
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

// The uncached computation (exposed for tests and for callers that keep their own cache).
PhoneResult NormalizePhoneUncached(std::string_view raw, std::string_view default_region);

// The uncached computation by libphonenumber alone, without the fast path (hygiene/phone_fast.h): what the tests
// compare the fast path with. Same contract as NormalizePhone, 30-50 us a number.
PhoneResult NormalizePhoneLibphonenumberOnly(std::string_view raw, std::string_view default_region);

// Uses a process-wide PhoneNormalizer with the default capacity.
PhoneResult NormalizePhone(std::string_view raw, std::string_view default_region);

}  // namespace canon
