// LinkedIn Lead Sync: the lead notification webhook and the lead form response as the API returns it. Shapes as
// documented in
//   https://learn.microsoft.com/linkedin/marketing/lead-sync/leadsync (leadNotifications, leadFormResponses)
//   https://learn.microsoft.com/linkedin/shared/api-guide/webhook-validation (X-LI-Signature, challengeCode)
#include <simdjson.h>

#include <ctime>

#include "connectors/connector.h"
#include "connectors/json_util.h"

namespace canon {
namespace {

using json_util::Member;
using json_util::ScalarText;

constexpr std::string_view kLeadUrnPrefix = "urn:li:leadGenFormResponse:";

// A scalar member as text, "" when absent or not a scalar.
std::string ScalarMember(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element el;
  if (!Member(obj, key, &el) || el.is_array() || el.is_object()) return {};
  return ScalarText(el);
}

// The first scalar member of a union object ({"sponsoredAccount": "urn:..."} or {"organization": "urn:..."}).
std::string UnionMember(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element el;
  if (!Member(obj, key, &el)) return {};
  if (!el.is_object()) return ScalarText(el);
  for (auto [k, v] : json_util::Obj(el))
    if (!v.is_array() && !v.is_object()) return ScalarText(v);
  return {};
}

// Epoch milliseconds -> ISO 8601 UTC; "" for anything else.
std::string IsoFromMillis(const std::string& ms) {
  if (ms.empty() || ms.size() > 15 || ms.find_first_not_of("0123456789") != std::string::npos) return {};
  std::time_t t = static_cast<std::time_t>(std::stoll(ms) / 1000);
  std::tm tm{};
  char buf[32];
  if (!gmtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm)) return {};
  return buf;
}

// LinkedIn's leadType -> lead_source (rules/vocabularies/lead_source.toml).
std::string LeadSourceOf(const std::string& lead_type) {
  if (lead_type == "SPONSORED" || lead_type.empty()) return "paid_social";
  if (lead_type == "EVENT") return "events";
  return "organic_social";  // COMPANY, ORGANIZATION_PRODUCT: a page's own form
}

Result<LinkedInLeadRef> ParseOneNotification(simdjson::dom::element el, const std::string& w) {
  if (!el.is_object()) return Status::Invalid("expected an object", w);
  simdjson::dom::object n = json_util::Obj(el);
  LinkedInLeadRef ref;
  const std::string type = ScalarMember(n, "type");
  if (type != "LEAD_ACTION") return Status::Invalid("type is not 'LEAD_ACTION'", w + "/type");
  ref.urn = ScalarMember(n, "leadGenFormResponse");
  if (ref.urn.empty()) return Status::Invalid("missing leadGenFormResponse", w + "/leadGenFormResponse");
  ref.lead_id = ref.urn.rfind(kLeadUrnPrefix, 0) == 0 ? ref.urn.substr(kLeadUrnPrefix.size()) : ref.urn;
  // The id becomes a path segment of the API request that carries the token (LinkedInLeadTarget).
  if (ref.lead_id.empty() || ref.lead_id == "." || ref.lead_id == "..")
    return Status::Invalid("leadGenFormResponse '" + ref.urn + "' names no lead", w + "/leadGenFormResponse");
  ref.action = ScalarMember(n, "leadAction");
  if (ref.action.empty()) ref.action = "CREATED";
  if (ref.action != "CREATED" && ref.action != "DELETED")
    return Status::Invalid("leadAction '" + ref.action + "' is neither CREATED nor DELETED", w + "/leadAction");
  ref.form = ScalarMember(n, "leadGenForm");
  ref.lead_type = ScalarMember(n, "leadType");
  ref.owner = UnionMember(n, "owner");
  ref.occurred_at_ms = ScalarMember(n, "occurredAt");
  return ref;
}

}  // namespace

Result<std::vector<LinkedInLeadRef>> ParseLinkedInNotification(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root)) return json_util::Malformed(err);
  std::vector<LinkedInLeadRef> out;
  if (root.is_array()) {
    size_t i = 0;
    for (simdjson::dom::element el : json_util::Arr(root)) {
      auto ref = ParseOneNotification(el, "/" + std::to_string(i++));
      if (!ref.ok()) return ref.status();
      out.push_back(std::move(*ref));
    }
    if (out.empty()) return Status::Invalid("no lead notification in the array", "");
  } else {
    auto ref = ParseOneNotification(root, "");
    if (!ref.ok()) return ref.status();
    out.push_back(std::move(*ref));
  }
  return out;
}

std::vector<LinkedInLeadRef> LinkedInLeadsToFetch(const std::vector<LinkedInLeadRef>& refs) {
  std::vector<LinkedInLeadRef> out;
  for (const auto& r : refs)
    if (r.action == "CREATED") out.push_back(r);
  return out;
}

std::string LinkedInLeadTarget(std::string_view lead_id) {
  return "/leadFormResponses/" + EncodePathSegment(lead_id);
}

Result<Record> ParseLinkedInLead(const SourceConfig& source, std::string_view api_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(api_json.data(), api_json.size()).get(root)) return json_util::Malformed(err);
  if (!root.is_object()) return Status::Invalid("expected a JSON object", "");
  simdjson::dom::object obj = json_util::Obj(root);
  Record rec;
  rec.source = source.name;
  rec.delivery_key = ScalarMember(obj, "id");
  if (rec.delivery_key.empty()) return Status::Invalid("missing lead id", "/id");
  rec.extra["linkedin_lead_id"] = rec.delivery_key;
  if (auto t = IsoFromMillis(ScalarMember(obj, "submittedAt")); !t.empty()) rec.fields["created_at"] = t;
  simdjson::dom::element el;
  if (Member(obj, "testLead", &el)) {
    if (!el.is_bool()) return Status::Invalid("testLead is not a boolean", "/testLead");
    rec.is_test = el.get_bool().value();
  }
  const std::string lead_type = ScalarMember(obj, "leadType");
  for (auto [key, value] : {std::pair<const char*, std::string>{"lead_type", lead_type},
                            {"form", ScalarMember(obj, "versionedLeadGenFormUrn")},
                            {"owner", UnionMember(obj, "owner")},
                            {"associated_entity", UnionMember(obj, "associatedEntity")}})
    if (!value.empty()) rec.extra[key] = value;
  if (Member(obj, "leadMetadata", &el) && el.is_object())
    if (auto campaign = UnionMember(json_util::Obj(el), "sponsoredLeadMetadata"); !campaign.empty())
      rec.extra["campaign"] = campaign;

  if (!Member(obj, "formResponse", &el) || !el.is_object())
    return Status::Invalid("missing 'formResponse' object", "/formResponse");
  simdjson::dom::object form = json_util::Obj(el);
  // Answers by question id: the source's map names the ids of its form's questions (email = "3"); the rest are
  // kept in extra as question.<id>.
  if (Member(form, "answers", &el)) {
    if (!el.is_array()) return Status::Invalid("'answers' is not an array", "/formResponse/answers");
    size_t i = 0;
    for (simdjson::dom::element item : json_util::Arr(el)) {
      const std::string w = "/formResponse/answers/" + std::to_string(i++);
      if (!item.is_object()) return Status::Invalid("expected an object", w);
      simdjson::dom::object a = json_util::Obj(item);
      const std::string qid = ScalarMember(a, "questionId");
      if (qid.empty()) return Status::Invalid("missing questionId", w + "/questionId");
      simdjson::dom::element details, kind;
      std::string text;
      if (Member(a, "answerDetails", &details) && details.is_object()) {
        simdjson::dom::object d = json_util::Obj(details);
        if (Member(d, "textQuestionAnswer", &kind) && kind.is_object()) {
          text = ScalarMember(json_util::Obj(kind), "answer");
        } else if (Member(d, "multipleChoiceAnswer", &kind) && kind.is_object()) {
          simdjson::dom::element options;
          if (Member(json_util::Obj(kind), "options", &options) && options.is_array())
            for (simdjson::dom::element o : json_util::Arr(options))
              text += (text.empty() ? "" : ", ") + ScalarText(o);
        }
      }
      if (text.empty()) continue;
      std::string field = CanonicalFieldFor(source, qid);
      if (!field.empty() && !rec.Has(field)) rec.fields[field] = std::move(text);
      else rec.extra["question." + qid] = std::move(text);
    }
  }
  // Consent checkboxes: each kept as consent.<consentId> = true|false; a map entry "consent.<id>" names the one
  // that sets a field, else consent = true only when every checkbox was accepted.
  if (Member(form, "consentResponses", &el) && el.is_array()) {
    bool all = true, any = false;
    for (simdjson::dom::element item : json_util::Arr(el)) {
      if (!item.is_object()) continue;
      simdjson::dom::object c = json_util::Obj(item);
      const std::string id = ScalarMember(c, "consentId");
      if (id.empty()) continue;
      const bool yes = ScalarMember(c, "accepted") == "true";
      const std::string key = "consent." + id;
      rec.extra[key] = yes ? "true" : "false";
      if (std::string field = CanonicalFieldFor(source, key); !field.empty()) rec.fields[field] = rec.extra[key];
      all = all && yes;
      any = true;
    }
    if (any && !rec.Has("consent")) rec.fields["consent"] = all ? "true" : "false";
  }
  if (!rec.Has("lead_source")) rec.fields["lead_source"] = LeadSourceOf(lead_type);
  CaptureAttribution(&rec);
  return rec;
}

Result<Record> ParseLinkedInLead(const SourceConfig& source, std::string_view api_json, const LinkedInLeadRef& ref) {
  auto rec = ParseLinkedInLead(source, api_json);
  if (!rec.ok()) return rec;
  if (rec->delivery_key != ref.lead_id && rec->delivery_key != ref.urn)
    return Status::Invalid("LinkedIn API answered lead '" + rec->delivery_key + "' for '" + ref.lead_id + "'", "/id");
  rec->delivery_key = ref.lead_id;
  if (!ref.form.empty() && !rec->extra.count("form")) rec->extra["form"] = ref.form;
  if (!ref.owner.empty() && !rec->extra.count("owner")) rec->extra["owner"] = ref.owner;
  if (!rec->Has("created_at"))
    if (auto t = IsoFromMillis(ref.occurred_at_ms); !t.empty()) rec->fields["created_at"] = t;
  return rec;
}

}  // namespace canon
