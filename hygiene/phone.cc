#include "hygiene/phone.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <array>
#include <atomic>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "hygiene/phone_fast.h"
#include "hygiene/text.h"

namespace canon {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// Longer than any real number with extension and formatting; bounds the regex work on hostile input.
constexpr size_t kMaxPhoneBytes = 256;
constexpr size_t kShards = 16;  // enough to make lock contention rare with a handful of worker threads

std::string UpperRegion(std::string_view region) {
  std::string r;
  for (char c : region) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    r.push_back(c);
  }
  if (r.size() != 2) return "ZZ";  // libphonenumber's "unknown region"
  return r;
}

bool Compact(std::string_view trimmed, std::string* out);

// Parses `text` with `region` as the default; true (and e164, value, extension, region of `r` set) when it gives a
// number valid in its region.
bool ParseValid(const PhoneNumberUtil& util, const std::string& text, const std::string& region, PhoneResult* r) {
  PhoneNumber number;
  if (util.Parse(text, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) return false;
  // IsValidNumber is exactly these two calls; making them here saves a second region lookup, which for
  // shared calling codes (+1, +7, +44) tries each region's patterns in turn.
  std::string number_region;
  util.GetRegionCodeForNumber(number, &number_region);
  if (number_region.empty() || number_region == "ZZ" || !util.IsValidNumberForRegion(number, number_region))
    return false;
  util.Format(number, PhoneNumberUtil::E164, &r->e164);
  r->value = r->e164;
  if (number.has_extension()) r->extension = number.extension();
  r->region = std::move(number_region);
  return true;
}

// Everything but the region_mismatch flag, which depends on the default region even for "+" numbers and is
// therefore added after the cache. `fast`: try hygiene/phone_fast.h before libphonenumber (same answers).
PhoneResult Compute(std::string_view raw, const std::string& region, bool fast) {
  PhoneResult r;
  std::string_view s = TrimSpace(raw);
  if (s.empty()) {
    r.error = Status::Invalid("the phone number is empty");
    return r;
  }
  if (!IsValidUtf8(s)) {
    r.error = Status::Invalid("the phone number is not valid UTF-8");
    return r;
  }
  if (s.size() > kMaxPhoneBytes) {
    r.error = Status::Invalid("the phone number is longer than 256 bytes");
    return r;
  }
  r.value = std::string(s);
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  // The compact text parses to the same number about a quarter faster (shorter input for every regex).
  std::string compact;
  const bool is_compact = Compact(s, &compact);
  const std::string& text = is_compact ? compact : r.value;
  auto valid = [&](const std::string& t, const std::string& reg) {
    if (fast && is_compact) {
      FastPhone f = TryFastPhone(t, reg, &r);
      if (f != FastPhone::kUndecided) return f == FastPhone::kValid;
    }
    return ParseValid(util, t, reg, &r);
  };
  if (valid(text, region)) return r;
  // Parsed with the default region, libphonenumber reads that region's own international call prefix ("00" in
  // most of the world, "011" from North America, "0011" from Australia, "010" from Japan). A number the sender
  // wrote with another region's prefix, or with no default region at all, fails there; "00" and "011" are what
  // almost every sender writes, so a number still invalid is read once more as "+" + the rest, and kept only if
  // that is a valid number. A national number stays national: this runs only when the national reading failed.
  for (std::string_view idd : {"00", "011"}) {
    if (text.compare(0, idd.size(), idd) != 0) continue;
    if (valid("+" + text.substr(idd.size()), "ZZ")) return r;
  }
  r.flags.push_back("invalid");
  return r;
}

void AddRegionFlag(PhoneResult& r, const std::string& region) {
  if (!r.region.empty() && region != "ZZ" && r.region != region) r.flags.push_back("region_mismatch");
}

// The text without spaces, dots and dashes when it holds nothing but digits, "+", "(", ")" and those separators
// (libphonenumber ignores them there); false otherwise (letters: an extension or a vanity number). Parentheses
// are kept: "+49 (0)30" and "+49030" do not parse alike.
bool Compact(std::string_view trimmed, std::string* out) {
  out->clear();
  out->reserve(trimmed.size());
  for (size_t i = 0; i < trimmed.size(); ++i) {
    char c = trimmed[i];
    if ((c >= '0' && c <= '9') || c == '+' || c == '(' || c == ')') {
      out->push_back(c);
    } else if (c == ' ' || c == '-' || c == '.') {
      continue;
    } else if (c == '\xC2' && i + 1 < trimmed.size() && trimmed[i + 1] == '\xA0') {
      ++i;
    } else {
      return false;
    }
  }
  return !out->empty();
}

// The cache key: region (or "+" for international numbers, whose reading does not depend on it) and the
// compact text when there is one, else the text as written.
std::string CacheKey(std::string_view trimmed, const std::string& region) {
  std::string compact;
  std::string_view body = Compact(trimmed, &compact) ? std::string_view(compact) : trimmed;
  bool international = !body.empty() && body.front() == '+';
  std::string key = international ? std::string("+") : region;
  key.push_back('\x1f');
  key.append(body);
  return key;
}

}  // namespace

PhoneResult NormalizePhoneUncached(std::string_view raw, std::string_view default_region) {
  std::string region = UpperRegion(default_region);
  PhoneResult r = Compute(raw, region, true);
  AddRegionFlag(r, region);
  return r;
}

PhoneResult NormalizePhoneLibphonenumberOnly(std::string_view raw, std::string_view default_region) {
  std::string region = UpperRegion(default_region);
  PhoneResult r = Compute(raw, region, false);
  AddRegionFlag(r, region);
  return r;
}

// A sharded LRU: each shard is a list in recency order plus an index into it, under its own mutex.
struct PhoneNormalizer::Cache {
  struct Shard {
    std::mutex mu;
    std::list<std::pair<std::string, PhoneResult>> lru;  // front = most recently used
    std::unordered_map<std::string_view, std::list<std::pair<std::string, PhoneResult>>::iterator> index;
  };
  size_t per_shard = 0;
  std::array<Shard, kShards> shards;
  std::atomic<size_t> hits{0}, misses{0};
};

PhoneNormalizer::PhoneNormalizer(size_t capacity) : cache_(std::make_unique<Cache>()) {
  cache_->per_shard = capacity == 0 ? 0 : (capacity + kShards - 1) / kShards;
  // Touch the libphonenumber singleton here so its (slow) metadata load is not charged to a first request.
  PhoneNumberUtil::GetInstance();
}

PhoneNormalizer::~PhoneNormalizer() = default;

size_t PhoneNormalizer::hits() const { return cache_->hits.load(std::memory_order_relaxed); }
size_t PhoneNormalizer::misses() const { return cache_->misses.load(std::memory_order_relaxed); }

PhoneResult PhoneNormalizer::Normalize(std::string_view raw, std::string_view default_region) const {
  Cache& c = *cache_;
  std::string region = UpperRegion(default_region);
  std::string_view trimmed = TrimSpace(raw);
  if (c.per_shard == 0 || trimmed.empty() || trimmed.size() > kMaxPhoneBytes) {
    return NormalizePhoneUncached(raw, default_region);
  }
  std::string key = CacheKey(trimmed, region);
  Cache::Shard& shard = c.shards[std::hash<std::string>{}(key) % kShards];
  PhoneResult result;
  bool hit = false;
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.index.find(key);
    if (it != shard.index.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
      result = it->second->second;
      hit = true;
    }
  }
  if (hit) {
    c.hits.fetch_add(1, std::memory_order_relaxed);
    // Texts that share a key may differ in spacing; an invalid number keeps its own text.
    if (result.e164.empty() && result.error.ok()) result.value = std::string(trimmed);
  } else {
    c.misses.fetch_add(1, std::memory_order_relaxed);
    // Parse outside the lock: two threads may compute the same number at once, which is harmless.
    result = Compute(trimmed, region, true);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (!shard.index.count(key)) {
      shard.lru.emplace_front(std::move(key), result);
      shard.index.emplace(shard.lru.front().first, shard.lru.begin());
      if (shard.lru.size() > c.per_shard) {
        shard.index.erase(shard.lru.back().first);
        shard.lru.pop_back();
      }
    }
  }
  AddRegionFlag(result, region);
  return result;
}

PhoneResult NormalizePhone(std::string_view raw, std::string_view default_region) {
  static const PhoneNormalizer kNormalizer;
  return kNormalizer.Normalize(raw, default_region);
}

}  // namespace canon
