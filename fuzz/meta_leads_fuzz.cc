// libFuzzer target for Meta Lead Ads: the webhook notification (ParseMetaNotification, as intake checks it),
// the Graph API lead the worker fetches (ParseMetaLead, with and without the notification's reference), and
// the Graph request target built from a lead id (MetaLeadTarget). Seeds in fuzz/corpus/meta_leads_fuzz/.
//
// Input: one JSON document, read both as a notification and as a Graph lead. Beyond "no crash": a
// notification that parses has lead references with non-empty ids; the lead parser gives a record or a clear
// error.
#include <cctype>

#include "fuzz/vendor_fuzz.h"

using namespace canon;
using namespace canon::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body = AsView(data, size);
  auto refs = ParseMetaNotification(body);
  CheckRecords(refs);
  FuzzVendor("meta_leads", body);
  SourceConfig source = FuzzSource("meta_leads");
  if (refs.ok()) {
    for (const MetaLeadRef& ref : *refs) {
      Check(!ref.leadgen_id.empty());
      // The id is one percent-encoded path segment: nothing in it can change the request the worker sends.
      std::string target = MetaLeadTarget(ref.leadgen_id);
      size_t q = target.find('?');
      Check(!target.empty() && target[0] == '/' && q != std::string::npos);
      std::string_view segment = std::string_view(target).substr(1, q - 1);
      Check(segment != "." && segment != "..");
      for (char c : segment)
        Check(std::isalnum(static_cast<unsigned char>(c)) ||
              std::string_view("-._~%").find(c) != std::string_view::npos);
      auto lead = ParseMetaLead(source, body, ref);
      if (!lead.ok()) CheckOutcome(lead.status());
    }
  }
  auto lead = ParseMetaLead(source, body);
  if (!lead.ok()) CheckOutcome(lead.status());
  return 0;
}
