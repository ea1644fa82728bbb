#include "connectors/connector.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace canon {
namespace {

// The canonical names a sender may use directly as keys. Mirrors hygiene's known fields.
const std::set<std::string, std::less<>> kDirectFields = {
    "email", "phone", "first_name", "last_name", "full_name", "job_title", "company", "website",
    "country", "region", "city", "postal_code", "street", "street_2", "birth_date", "external_id",
    "lead_source", "lifecycle_stage", "consent", "owner", "utm_source", "utm_medium", "utm_campaign",
    "utm_term", "utm_content", "gclid", "fbclid", "msclkid", "created_at", "page_url", "message"};

}  // namespace

std::string MediaType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  std::string out(t);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string CanonicalFieldFor(const SourceConfig& source, std::string_view input_key) {
  for (const auto& [field, locator] : source.map)
    if (locator == input_key) return field;
  std::string lower(input_key);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  auto it = source.synonyms.find(lower);
  if (it != source.synonyms.end()) return it->second;
  if (kDirectFields.count(lower)) return lower;
  return {};
}

std::vector<std::string> AcceptedMediaTypes(const SourceConfig& source) {
  if (source.kind == "form") return {"application/x-www-form-urlencoded"};
  if (source.kind == "json") return {"application/json"};
  return {};
}

Result<std::vector<Record>> ParsePayload(const SourceConfig& source, const Payload& payload) {
  if (source.kind == "form") return ParseForm(source, payload);
  if (source.kind == "json") return ParseJson(source, payload);
  return Status(Code::kInternal, "no connector for kind '" + source.kind + "'");
}

}  // namespace canon
