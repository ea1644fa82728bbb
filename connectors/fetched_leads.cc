// Fetch-based kinds: the vendor-specific halves the worker's one fetch loop calls (daemon/worker.cc).
#include <algorithm>

#include "connectors/connector.h"

namespace canon {
namespace {

// A LinkedIn-Version LinkedIn still serves; versions are retired about a year after release, so a source sets
// its own with api_version.
constexpr const char* kLinkedInVersion = "202511";

}  // namespace

bool IsFetchKind(const SourceConfig& source) {
  return source.kind == "meta_leads" || source.kind == "linkedin_leads";
}

Result<std::vector<std::string>> NotificationLeadIds(const SourceConfig& source, std::string_view body) {
  std::vector<std::string> ids;
  if (source.kind == "meta_leads") {
    auto refs = ParseMetaNotification(body);
    if (!refs.ok()) return refs.status();
    for (const auto& r : *refs) ids.push_back(r.leadgen_id);
  } else if (source.kind == "linkedin_leads") {
    auto refs = ParseLinkedInNotification(body);
    if (!refs.ok()) return refs.status();
    for (const auto& r : LinkedInLeadsToFetch(*refs)) ids.push_back(r.lead_id);
  } else {
    return Status(Code::kInternal, "kind '" + source.kind + "' fetches no leads");
  }
  return ids;
}

LeadRequest LeadRequestFor(const SourceConfig& source, std::string_view lead_id) {
  LeadRequest req;
  if (source.kind == "linkedin_leads") {
    req.base_url = source.Option("api_base", "https://api.linkedin.com/rest");
    req.ca_file = source.Option("api_ca_file");
    req.target = LinkedInLeadTarget(lead_id);
    req.bearer = true;
    req.headers = {{"LinkedIn-Version", source.Option("api_version", kLinkedInVersion)},
                   {"X-Restli-Protocol-Version", "2.0.0"}};
  } else {
    req.base_url = source.Option("graph_base", "https://graph.facebook.com/v19.0");
    req.ca_file = source.Option("graph_ca_file");
    req.target = MetaLeadTarget(lead_id);
  }
  return req;
}

Result<Record> ParseFetchedLead(const SourceConfig& source, std::string_view api_body, std::string_view notification,
                                int record_index, const std::string& lead_id) {
  const auto at = static_cast<size_t>(std::max(record_index, 0));
  if (source.kind == "linkedin_leads") {
    LinkedInLeadRef ref;
    ref.lead_id = lead_id;
    if (auto refs = ParseLinkedInNotification(notification); refs.ok()) {
      auto fetch = LinkedInLeadsToFetch(*refs);
      if (record_index >= 0 && at < fetch.size() && fetch[at].lead_id == lead_id) ref = fetch[at];
    }
    return ParseLinkedInLead(source, api_body, ref);
  }
  MetaLeadRef ref;
  ref.leadgen_id = lead_id;
  // The notification completes the lead (form, ad, page, time); one erased since then still lets it be fetched.
  if (auto refs = ParseMetaNotification(notification);
      refs.ok() && record_index >= 0 && at < refs->size() && (*refs)[at].leadgen_id == lead_id)
    ref = (*refs)[at];
  return ParseMetaLead(source, api_body, ref);
}

}  // namespace canon
