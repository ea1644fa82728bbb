// libFuzzer target for the form decoders: application/x-www-form-urlencoded (ParseForm, ParseUrlEncoded, the
// charset conversion ToUtf8) and multipart/form-data (ParseMultipart), through ParsePayload as intake calls
// it. Seeds in fuzz/corpus/form_fuzz/.
//
// Input: "<content type>\n--\n<body>". Beyond "no crash": the connector contract (records or a clear error)
// for the content type given, and the same body as urlencoded and as multipart with the seeds' boundary; and
// as a form whose rawRequest field holds JSON (json_field).
#include "connectors/connector.h"
#include "fuzz/fuzz_support.h"

using namespace canon;
using namespace canon::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parts = SplitParts(AsView(data, size), 2);
  SourceConfig source = FuzzSource("form");
  Payload p;
  p.body = parts[1];
  for (const std::string& type :
       {std::string(parts[0]), std::string("application/x-www-form-urlencoded; charset=iso-8859-1"),
        std::string("multipart/form-data; boundary=b0undary")}) {
    p.content_type = type;
    CheckRecords(ParsePayload(source, p));
  }
  // JSON inside a form field (JotForm's rawRequest), mapped by pointer.
  SourceConfig json_in_field = FuzzSource("form");
  json_in_field.options["json_field"] = "rawRequest";
  json_in_field.map = {{"email", "/q4_email"}, {"first_name", "/q3_name/first"}};
  p.content_type = "application/x-www-form-urlencoded";
  CheckRecords(ParsePayload(json_in_field, p));
  auto pairs = ParseUrlEncoded(parts[1]);
  if (!pairs.ok()) CheckOutcome(pairs.status());
  (void)ContentTypeParam(parts[0], "charset");
  auto utf8 = ToUtf8(parts[1], ContentTypeParam(parts[0], "charset"));
  if (!utf8.ok()) CheckOutcome(utf8.status());
  return 0;
}
