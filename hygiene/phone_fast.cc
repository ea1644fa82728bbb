#include "hygiene/phone_fast.h"

#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <re2/re2.h>

#include <algorithm>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

// libphonenumber's compiled-in metadata (its metadata.h, not installed): the serialized PhoneMetadataCollection
// its PhoneNumberUtil loads at start-up.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace canon {
namespace {

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber's bounds on a national significant number (kMinLengthForNsn, kMaxLengthForNsn).
constexpr size_t kMinNsn = 2, kMaxNsn = 17;

std::unique_ptr<RE2> CompileRe(const std::string& pattern, bool* ok) {
  if (pattern.empty()) return nullptr;
  RE2::Options o;
  o.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, o);
  if (!re->ok()) *ok = false;
  return re;
}

// Length of the match of `re` anchored at the start of `s` (libphonenumber's Consume), or -1.
long PrefixMatch(const RE2& re, std::string_view s) {
  re2::StringPiece m;
  if (!re.Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), RE2::ANCHOR_START, &m, 1)) return -1;
  return static_cast<long>(m.size());
}

bool FullMatch(const RE2* re, std::string_view s) {
  return re && re->Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), RE2::ANCHOR_BOTH, nullptr, 0);
}

struct Desc {
  std::vector<int> lengths;
  std::unique_ptr<RE2> pattern;  // null: an empty pattern, which matches nothing

  void Set(const PhoneNumberDesc& d, bool* ok) {
    lengths.assign(d.possible_length().begin(), d.possible_length().end());
    pattern = CompileRe(d.national_number_pattern(), ok);
  }
  // libphonenumber's IsNumberMatchingDesc: the possible lengths when there are any, then the whole pattern.
  bool Matches(std::string_view nsn) const {
    if (!lengths.empty() && std::find(lengths.begin(), lengths.end(), static_cast<int>(nsn.size())) == lengths.end())
      return false;
    return FullMatch(pattern.get(), nsn);
  }
};

struct Region {
  const PhoneMetadata* md = nullptr;
  std::once_flag once;
  bool ok = true;  // every pattern compiled
  Desc general, fixed_line, mobile;
  std::vector<Desc> special;  // premium rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail
  std::unique_ptr<RE2> leading_digits, international_prefix, national_prefix;

  void Compile() {
    general.Set(md->general_desc(), &ok);
    fixed_line.Set(md->fixed_line(), &ok);
    mobile.Set(md->mobile(), &ok);
    for (const PhoneNumberDesc* d : {&md->premium_rate(), &md->toll_free(), &md->shared_cost(), &md->voip(),
                                     &md->personal_number(), &md->pager(), &md->uan(), &md->voicemail()})
      special.emplace_back().Set(*d, &ok);
    if (md->has_leading_digits()) leading_digits = CompileRe(md->leading_digits(), &ok);
    international_prefix = CompileRe(md->international_prefix(), &ok);
    national_prefix = CompileRe(md->national_prefix_for_parsing(), &ok);
  }
  Region& Ready() {
    std::call_once(once, [this] { Compile(); });
    return *this;
  }
  // GetNumberTypeHelper(nsn) != UNKNOWN: the general description, then any number type. Only whether some type
  // matches counts, so the common types are tried first.
  bool AnyType(std::string_view nsn) const {
    if (!general.Matches(nsn)) return false;
    if (fixed_line.Matches(nsn)) return true;
    if (!md->same_mobile_and_fixed_line_pattern() && mobile.Matches(nsn)) return true;
    for (const Desc& d : special)
      if (d.Matches(nsn)) return true;
    return false;
  }
  // MaybeStripNationalPrefixAndCarrierCode: `nsn` without the national prefix, unless it was a viable national
  // number (the general pattern) and the rest is not; empty when the region rewrites the prefix (a transform
  // rule), which the fast path does not follow.
  std::optional<std::string_view> StripNationalPrefix(std::string_view nsn) const {
    if (!national_prefix || nsn.empty()) return nsn;
    long len = PrefixMatch(*national_prefix, nsn);
    if (len <= 0) return nsn;
    if (!md->national_prefix_transform_rule().empty()) return std::nullopt;
    std::string_view rest = nsn.substr(static_cast<size_t>(len));
    if (FullMatch(general.pattern.get(), nsn) && !FullMatch(general.pattern.get(), rest)) return nsn;
    return rest;
  }
  // libphonenumber's TestNumberLength for any number type; empty when the metadata gives no lengths to judge by.
  std::optional<PhoneNumberUtil::ValidationResult> TestLength(size_t n) const {
    const auto& l = md->general_desc().possible_length();
    if (l.empty()) return std::nullopt;
    if (l.Get(0) == -1) return PhoneNumberUtil::INVALID_LENGTH;
    const int len = static_cast<int>(n);
    const auto& local = md->general_desc().possible_length_local_only();
    if (std::find(local.begin(), local.end(), len) != local.end()) return PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY;
    if (l.Get(0) == len) return PhoneNumberUtil::IS_POSSIBLE;
    if (l.Get(0) > len) return PhoneNumberUtil::TOO_SHORT;
    if (l.Get(l.size() - 1) < len) return PhoneNumberUtil::TOO_LONG;
    return std::find(l.begin() + 1, l.end(), len) != l.end() ? PhoneNumberUtil::IS_POSSIBLE
                                                              : PhoneNumberUtil::INVALID_LENGTH;
  }
  // Whether libphonenumber keeps a national prefix stripped off, leaving `n` digits: the length is possible or too
  // long, not too short, possible only locally, or between possible ones.
  std::optional<bool> KeepsStripped(size_t n) const {
    auto r = TestLength(n);
    if (!r) return std::nullopt;
    return *r == PhoneNumberUtil::IS_POSSIBLE || *r == PhoneNumberUtil::TOO_LONG;
  }
};

struct Metadata {
  bool ok = false;
  PhoneMetadataCollection collection;
  std::deque<Region> regions;
  std::unordered_map<std::string, Region*> by_region;       // geographic regions
  std::unordered_map<int, std::vector<Region*>> by_code;     // in GetRegionCodesForCountryCallingCode's order

  Metadata() {
    namespace pn = i18n::phonenumbers;
    if (!collection.ParseFromArray(pn::metadata_get(), pn::metadata_size())) return;
    std::unordered_map<int, Region*> non_geo;
    for (const PhoneMetadata& md : collection.metadata()) {
      Region& r = regions.emplace_back();
      r.md = &md;
      if (md.id() == "001") non_geo[md.country_code()] = &r;
      else by_region[md.id()] = &r;
    }
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    std::set<int> codes;
    util.GetSupportedCallingCodes(&codes);
    for (int code : codes) {
      std::list<std::string> ids;
      util.GetRegionCodesForCountryCallingCode(code, &ids);
      std::vector<Region*>& list = by_code[code];
      for (const std::string& id : ids) {
        Region* r = id == "001" ? non_geo[code] : by_region.count(id) ? by_region[id] : nullptr;
        if (!r) return;  // metadata and util disagree: never decide anything
        list.push_back(r);
      }
      if (list.empty()) by_code.erase(code);
    }
    ok = true;
  }
};

const Metadata& Meta() {
  static const Metadata* const kMeta = new Metadata();  // never destroyed: workers may run during exit
  return *kMeta;
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

FastPhone TryFastPhone(std::string_view compact, const std::string& region, PhoneResult* r) {
  const Metadata& m = Meta();
  if (!m.ok) return FastPhone::kUndecided;
  // One pair of parentheses around digits ("(415) 555 ...", "+49 (0)30 ..."): libphonenumber reads them as
  // punctuation, so the text reads as the same text without them.
  std::string unbracketed;
  if (size_t open = compact.find('('); open != std::string_view::npos) {
    size_t close = compact.find(')');
    if (close == std::string_view::npos || close < open + 2 || compact.find('(', open + 1) != std::string_view::npos ||
        compact.find(')', close + 1) != std::string_view::npos)
      return FastPhone::kUndecided;
    unbracketed = std::string(compact.substr(0, open));
    unbracketed.append(compact.substr(open + 1, close - open - 1));
    unbracketed.append(compact.substr(close + 1));
    compact = unbracketed;
  } else if (compact.find(')') != std::string_view::npos) {
    return FastPhone::kUndecided;
  }
  const bool plus = !compact.empty() && compact.front() == '+';
  std::string_view digits = plus ? compact.substr(1) : compact;
  if (digits.size() < 4 || digits.size() > kMaxNsn + 3 || !AllDigits(digits)) return FastPhone::kUndecided;

  // The country code and the number after it (MaybeExtractCountryCode), and the metadata national prefixes are
  // read with: the code's main region when the number has "+", else the default region.
  int code = 0;
  std::string_view nsn;
  Region* home = nullptr;
  // After "+", or after the default region's own international call prefix ("00 49 ...", "011 44 ..."): a
  // country code of one to three digits.
  auto international = [&](std::string_view rest) {
    if (rest.size() <= kMinNsn || rest.front() == '0') return false;  // parsed another way, or refused
    for (size_t len = 1; len <= 3 && !code; ++len) {
      int candidate = std::stoi(std::string(rest.substr(0, len)));
      auto it = m.by_code.find(candidate);
      if (it == m.by_code.end()) continue;
      code = candidate;
      nsn = rest.substr(len);
      home = it->second.front();
    }
    return code != 0;
  };
  if (plus) {
    if (!international(digits)) return FastPhone::kUndecided;
  } else {
    auto it = m.by_region.find(region);
    if (it == m.by_region.end()) return FastPhone::kUndecided;
    Region& own_region = it->second->Ready();
    if (!own_region.ok) return FastPhone::kUndecided;
    long idd = own_region.international_prefix ? PrefixMatch(*own_region.international_prefix, digits) : -1;
    if (idd > 0) {
      // A 0 after the call prefix means it was not one (no country code starts with 0): read nationally.
      if (!international(digits.substr(static_cast<size_t>(idd)))) return FastPhone::kUndecided;
    } else {
      if (idd == 0) return FastPhone::kUndecided;
      home = &own_region;
      code = own_region.md->country_code();
      nsn = digits;
      // The region's own country code written first ("1 212 ...", "49 30 ..."): libphonenumber reads it as the
      // country code when the rest, its national prefix stripped, matches the general pattern and the whole does
      // not, or when the whole is too long (MaybeExtractCountryCode); then the number is read as after "+".
      std::string own = std::to_string(code);
      if (digits.substr(0, own.size()) == own) {
        std::string_view rest = digits.substr(own.size());
        std::optional<std::string_view> stripped = own_region.StripNationalPrefix(rest);
        if (!stripped) return FastPhone::kUndecided;
        const RE2* general = own_region.general.pattern.get();
        auto length = own_region.TestLength(digits.size());
        if (!length) return FastPhone::kUndecided;
        if ((!FullMatch(general, digits) && FullMatch(general, *stripped)) || *length == PhoneNumberUtil::TOO_LONG) {
          nsn = *stripped;
          home = m.by_code.at(code).front();
        }
      }
    }
  }
  home->Ready();
  if (!home->ok || nsn.size() < kMinNsn) return FastPhone::kUndecided;

  // The national prefix ("0" in "030 ...", also read after "+49 0 ..."): stripped unless the number was a viable
  // national number and the rest is not, or the rest has a length libphonenumber refuses to strip to.
  {
    std::optional<std::string_view> rest = home->StripNationalPrefix(nsn);
    if (!rest) return FastPhone::kUndecided;
    if (rest->size() != nsn.size()) {
      std::optional<bool> keep = home->KeepsStripped(rest->size());
      if (!keep) return FastPhone::kUndecided;
      if (*keep) nsn = *rest;
    }
  }
  if (nsn.size() < kMinNsn || nsn.size() > kMaxNsn) return FastPhone::kUndecided;

  // GetRegionCodeForNumber, then IsValidNumberForRegion.
  const std::vector<Region*>& candidates = m.by_code.at(code);
  Region* found = nullptr;
  bool typed = false;  // found by its number types: valid already
  if (candidates.size() == 1) {
    found = &candidates.front()->Ready();
  } else {
    for (Region* c : candidates) {
      c->Ready();
      if (!c->ok) return FastPhone::kUndecided;
      if (c->leading_digits ? PrefixMatch(*c->leading_digits, nsn) >= 0 : (typed = c->AnyType(nsn))) {
        found = c;
        break;
      }
    }
  }
  if (!found) return FastPhone::kInvalid;
  if (!found->ok) return FastPhone::kUndecided;
  if (!typed && !found->AnyType(nsn)) return FastPhone::kInvalid;
  r->e164 = "+" + std::to_string(code);
  r->e164.append(nsn);
  r->value = r->e164;
  r->region = found->md->id();
  return FastPhone::kValid;
}

}  // namespace canon
