// libFuzzer target for the generic JSON connector (ParseJson): an object or an array of objects, mapped onto
// canonical fields by the source's JSON Pointers and synonyms. Seeds in fuzz/corpus/json_map_fuzz/.
//
// Input: "<map: one field=pointer per line>\n--\n<body>", so the pointers are fuzzed too (escapes ~0 ~1,
// array indexes, empty segments). Beyond "no crash": records or a clear error, never an empty success, and
// the delivery key reader never fails. The same input is mapped again with fields_array = "/fields" (the map's
// locators as entry names) and with json_field = "/raw" (JSON inside a string member).
#include "connectors/connector.h"
#include "fuzz/fuzz_support.h"

using namespace canon;
using namespace canon::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parts = SplitParts(AsView(data, size), 2);
  SourceConfig source = FuzzSource("json");
  std::string_view map = parts[0];
  while (!map.empty()) {
    size_t nl = map.find('\n');
    std::string_view line = map.substr(0, nl);
    // Rule files are TOML, which is UTF-8: a map from the rules never holds anything else.
    if (size_t eq = line.find('='); eq != std::string_view::npos && Utf8(line))
      source.map.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    if (nl == std::string_view::npos) break;
    map.remove_prefix(nl + 1);
  }
  source.options["delivery_key_pointer"] = source.map.empty() ? "/id" : source.map.front().second;
  Payload p;
  p.body = parts[1];
  p.content_type = "application/json";
  auto records = ParsePayload(source, p);
  CheckRecords(records);
  CheckRecordsUtf8(records);
  (void)DeliveryKey(source, p);
  // The same map read as keys of a {key, value} array (fields_array), and the body as JSON inside a string.
  SourceConfig by_key = source;
  by_key.options["fields_array"] = "/fields";
  by_key.options["fields_key"] = "name";
  auto keyed = ParsePayload(by_key, p);
  CheckRecords(keyed);
  CheckRecordsUtf8(keyed);
  SourceConfig in_string = source;
  in_string.options["json_field"] = "/raw";
  auto nested = ParsePayload(in_string, p);
  CheckRecords(nested);
  CheckRecordsUtf8(nested);
  return 0;
}
