// libFuzzer target for LinkedIn Lead Sync: the webhook's lead notification (ParseLinkedInNotification, as intake
// checks it, and the generic NotificationLeadIds the worker calls), the lead form response the worker fetches
// (ParseLinkedInLead, with and without the notification's reference), and the request target built from a lead
// id (LinkedInLeadTarget). Seeds in fuzz/corpus/linkedin_leads/.
//
// Input: one JSON document, read both as a notification and as a lead form response. Beyond "no crash": a
// notification that parses has references with non-empty ids, the leads to fetch are among them, every id
// becomes one percent-encoded path segment, and a lead parses to a record with valid UTF-8 or a clear error.
#include <cctype>

#include "fuzz/vendor_fuzz.h"

using namespace canon;
using namespace canon::fuzz;

namespace {

void CheckLead(const Result<Record>& lead) {
  if (!lead.ok()) {
    CheckOutcome(lead.status());
    return;
  }
  Check(Utf8(lead->delivery_key));
  for (const auto& [k, v] : lead->fields) Check(Utf8(k) && Utf8(v));
  for (const auto& [k, v] : lead->extra) Check(Utf8(k) && Utf8(v));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body = AsView(data, size);
  SourceConfig source = FuzzSource("linkedin_leads");
  source.map = {{"first_name", "1"}, {"last_name", "2"}, {"email", "3"}, {"consent", "consent.7"}};
  auto refs = ParseLinkedInNotification(body);
  auto ids = NotificationLeadIds(source, body);
  Check(refs.ok() == ids.ok());
  if (refs.ok()) {
    const std::vector<LinkedInLeadRef> fetch = LinkedInLeadsToFetch(*refs);
    Check(fetch.size() <= refs->size() && ids->size() == fetch.size());
    for (const LinkedInLeadRef& ref : *refs) {
      Check(!ref.lead_id.empty());
      // The id is one percent-encoded path segment: nothing in it can change the request the worker sends.
      std::string target = LinkedInLeadTarget(ref.lead_id);
      const std::string_view prefix = "/leadFormResponses/";
      Check(target.compare(0, prefix.size(), prefix) == 0);
      std::string_view segment = std::string_view(target).substr(prefix.size());
      Check(!segment.empty() && segment != "." && segment != "..");
      for (char c : segment)
        Check(std::isalnum(static_cast<unsigned char>(c)) ||
              std::string_view("-._~%").find(c) != std::string_view::npos);
      CheckLead(ParseLinkedInLead(source, body, ref));
    }
  } else {
    CheckOutcome(refs.status());
  }
  CheckLead(ParseLinkedInLead(source, body));
  FuzzVendor("linkedin_leads", body);
  return 0;
}
