// libFuzzer target for the Google Ads lead form webhook parser (ParseGoogleAds); see fuzz/vendor_fuzz.h.
#include "fuzz/vendor_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  canon::fuzz::FuzzVendor("google_ads", canon::fuzz::AsView(data, size));
  return 0;
}
