// libFuzzer target for the Typeform webhook parser (ParseTypeform); see fuzz/vendor_fuzz.h.
#include "fuzz/vendor_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  canon::fuzz::FuzzVendor("typeform", canon::fuzz::AsView(data, size));
  return 0;
}
