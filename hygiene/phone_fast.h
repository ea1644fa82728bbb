// Phone fast path: libphonenumber's own answer for the common shapes, without its ICU regular expressions.
//
// PhoneNumberUtil::Parse + GetRegionCodeForNumber + IsValidNumberForRegion cost 30-50 us for a number seen for
// the first time, nearly all of it in ICU regex matchers built per call. For the two shapes senders write most,
// "+" followed by digits and national digits with a known default region (phone.cc passes the text without
// spaces, dots and dashes), TryFastPhone follows the same steps over the same metadata (libphonenumber's compiled-in
// PhoneMetadataCollection) with its patterns compiled once by RE2: country code extraction, national prefix
// stripping, the region among those sharing the country code (leading digits, else the first region whose number
// types match), and validity (possible lengths, then the general and per-type patterns). The default region's own
// international call prefix ("00 49 ...", "011 44 ...") and the region's own country code written first without
// "+" ("1 415 ...") are read as libphonenumber reads them. Whenever the input takes a branch the fast path does
// not follow (a national prefix with a transform rule, a 0 after the call prefix, any pattern RE2 cannot compile)
// it answers kUndecided and the caller runs libphonenumber.
// tests/norm_phone_fast_test.cc compares both paths on numbers of every region, valid and invalid.
//
// Thread-safety: TryFastPhone may be called from any thread; each region's patterns are compiled once, on first
// use, under a once flag.
#pragma once

#include <string>
#include <string_view>

#include "hygiene/phone.h"

namespace canon {

enum class FastPhone {
  kValid,      // `r` holds e164, value, region (no extension: the shapes the fast path takes carry none)
  kInvalid,    // libphonenumber does not consider the text a valid number read in `region`
  kUndecided,  // not a shape the fast path follows: ask libphonenumber
};

// `compact`: "+" and digits, or digits only, with at most one pair of parentheses around digits (anything else
// is kUndecided). `region`: upper-case ISO 3166-1
// alpha-2, or "ZZ" for none (then only "+" numbers are decided).
FastPhone TryFastPhone(std::string_view compact, const std::string& region, PhoneResult* r);

}  // namespace canon
