// One vendor connector's payload parser under libFuzzer: the body as the vendor posts it, through
// ParsePayload (as the worker calls it) and DeliveryKey (as intake calls it, before parsing). Included by the
// <vendor>_fuzz.cc targets, each with its own seed corpus in fuzz/corpus/<vendor>_fuzz/.
#pragma once

#include "connectors/connector.h"
#include "fuzz/fuzz_support.h"

namespace canon::fuzz {

inline void FuzzVendor(const char* kind, std::string_view body) {
  SourceConfig source = FuzzSource(kind);
  source.map = {{"email", "email_ref"}, {"company", "company_ref"}};
  Payload p;
  p.body = body;
  p.content_type = "application/json";
  auto records = ParsePayload(source, p);
  CheckRecords(records);
  CheckRecordsUtf8(records);
  Check(Utf8(DeliveryKey(source, p)));
}

}  // namespace canon::fuzz
