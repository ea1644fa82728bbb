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

#include "hygiene/text.h"

namespace canon {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// Longer than any real number with extension and formatting; bounds the regex work on hostile input.
constexpr size_t kMaxPhoneBytes = 256;
constexpr size_t kShards = 16;  // enough to make lock contention rare with a handful of worker threads

const char* TypeName(PhoneNumberUtil::PhoneNumberType t) {
  switch (t) {
    case PhoneNumberUtil::FIXED_LINE: return "fixed_line";
    case PhoneNumberUtil::MOBILE: return "mobile";
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return "fixed_line_or_mobile";
    case PhoneNumberUtil::TOLL_FREE: return "toll_free";
    case PhoneNumberUtil::PREMIUM_RATE: return "premium_rate";
    case PhoneNumberUtil::SHARED_COST: return "shared_cost";
    case PhoneNumberUtil::VOIP: return "voip";
    case PhoneNumberUtil::PERSONAL_NUMBER: return "personal_number";
    case PhoneNumberUtil::PAGER: return "pager";
    case PhoneNumberUtil::UAN: return "uan";
    case PhoneNumberUtil::VOICEMAIL: return "voicemail";
    default: return "unknown";
  }
}

std::string UpperRegion(std::string_view region) {
  std::string r;
  for (char c : region) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    r.push_back(c);
  }
  if (r.size() != 2) return "ZZ";  // libphonenumber's "unknown region"
  return r;
}

}  // namespace

PhoneResult NormalizePhoneUncached(std::string_view raw, std::string_view default_region) {
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
  std::string region = UpperRegion(default_region);
  PhoneNumber number;
  if (util.Parse(r.value, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR || !util.IsValidNumber(number)) {
    r.flags.push_back("invalid");
    return r;
  }
  util.Format(number, PhoneNumberUtil::E164, &r.e164);
  r.value = r.e164;
  if (number.has_extension()) r.extension = number.extension();
  util.GetRegionCodeForNumber(number, &r.region);
  r.type = TypeName(util.GetNumberType(number));
  if (region != "ZZ" && r.region != region) r.flags.push_back("region_mismatch");
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
  if (c.per_shard == 0) return NormalizePhoneUncached(raw, default_region);
  std::string_view trimmed = TrimSpace(raw);
  if (trimmed.size() > kMaxPhoneBytes) return NormalizePhoneUncached(raw, default_region);
  std::string key;
  key.reserve(trimmed.size() + 3);
  key.append(UpperRegion(default_region)).push_back('\x1f');
  key.append(trimmed);
  Cache::Shard& shard = c.shards[std::hash<std::string>{}(key) % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.index.find(key);
    if (it != shard.index.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
      c.hits.fetch_add(1, std::memory_order_relaxed);
      return it->second->second;
    }
  }
  c.misses.fetch_add(1, std::memory_order_relaxed);
  // Parse outside the lock: two threads may compute the same number at once, which is harmless.
  PhoneResult result = NormalizePhoneUncached(raw, default_region);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.index.count(key)) return result;
  shard.lru.emplace_front(std::move(key), result);
  shard.index.emplace(shard.lru.front().first, shard.lru.begin());
  if (shard.lru.size() > c.per_shard) {
    shard.index.erase(shard.lru.back().first);
    shard.lru.pop_back();
  }
  return result;
}

PhoneResult NormalizePhone(std::string_view raw, std::string_view default_region) {
  static const PhoneNormalizer kNormalizer;
  return kNormalizer.Normalize(raw, default_region);
}

}  // namespace canon
