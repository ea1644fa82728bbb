// Meta (Facebook/Instagram) Lead Ads: the webhook's leadgen change notification, and the lead as the Graph API
// returns it. Shapes as documented in
//   https://developers.facebook.com/docs/graph-api/webhooks/getting-started
//   https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving
#include <simdjson.h>

#include <ctime>
#include <map>

#include "connectors/connector.h"
#include "connectors/json_util.h"

namespace canon {
namespace {

using json_util::Member;
using json_util::ScalarText;

// Meta's standard lead-form question names -> canonical fields. Custom questions keep their own name in extra.
const std::map<std::string, std::string, std::less<>> kMetaFields = {
    {"full_name", "full_name"},     {"first_name", "first_name"},     {"last_name", "last_name"},
    {"email", "email"},             {"phone_number", "phone"},        {"city", "city"},
    {"zip_code", "postal_code"},    {"post_code", "postal_code"},     {"postal_code", "postal_code"},
    {"state", "region"},            {"province", "region"},           {"country", "country"},
    {"street_address", "street"},   {"company_name", "company"},      {"job_title", "job_title"},
    {"work_email", "email"},        {"work_phone_number", "phone"},   {"date_of_birth", "birth_date"},
};

// "2015-02-28T08:49:14+0000" -> "2015-02-28T08:49:14+00:00": Graph API offsets lack the colon ISO 8601 wants.
std::string IsoTime(std::string t) {
  if (t.size() >= 5) {
    char sign = t[t.size() - 5];
    bool digits = true;
    for (size_t i = t.size() - 4; i < t.size(); ++i) digits = digits && t[i] >= '0' && t[i] <= '9';
    if ((sign == '+' || sign == '-') && digits && t.find('T') != std::string::npos) t.insert(t.size() - 2, ":");
  }
  return t;
}

}  // namespace

Result<std::vector<MetaLeadRef>> ParseMetaNotification(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root)) return json_util::Malformed(err);
  if (!root.is_object()) return Status::Invalid("expected a JSON object", "");
  simdjson::dom::object obj = json_util::Obj(root);
  simdjson::dom::element el;
  if (!Member(obj, "object", &el) || !el.is_string()) return Status::Invalid("missing 'object'", "/object");
  if (std::string_view(el.get_string().value()) != "page")
    return Status::Invalid("object is not 'page'", "/object");
  if (!Member(obj, "entry", &el) || !el.is_array()) return Status::Invalid("missing 'entry' array", "/entry");
  std::vector<MetaLeadRef> out;
  size_t i = 0;
  for (simdjson::dom::element entry : json_util::Arr(el)) {
    const std::string ew = "/entry/" + std::to_string(i++);
    if (!entry.is_object()) return Status::Invalid("expected an object", ew);
    simdjson::dom::element changes;
    if (!Member(json_util::Obj(entry), "changes", &changes)) continue;  // other subscriptions' entries
    if (!changes.is_array()) return Status::Invalid("'changes' is not an array", ew + "/changes");
    size_t j = 0;
    for (simdjson::dom::element change : json_util::Arr(changes)) {
      const std::string cw = ew + "/changes/" + std::to_string(j++);
      if (!change.is_object()) return Status::Invalid("expected an object", cw);
      simdjson::dom::object c = json_util::Obj(change);
      simdjson::dom::element field, value;
      if (!Member(c, "field", &field) || !field.is_string()) return Status::Invalid("missing 'field'", cw + "/field");
      if (std::string_view(field.get_string().value()) != "leadgen") continue;
      if (!Member(c, "value", &value) || !value.is_object()) return Status::Invalid("missing 'value'", cw + "/value");
      simdjson::dom::object v = json_util::Obj(value);
      MetaLeadRef ref;
      simdjson::dom::element x;
      if (!Member(v, "leadgen_id", &x) || x.is_array() || x.is_object() || ScalarText(x).empty())
        return Status::Invalid("missing leadgen_id", cw + "/value/leadgen_id");
      ref.leadgen_id = ScalarText(x);
      // The id becomes a path segment of the Graph API request that carries the access token (MetaLeadTarget):
      // "." or ".." would name another path (found by fuzz/meta_leads_fuzz.cc).
      if (ref.leadgen_id == "." || ref.leadgen_id == "..")
        return Status::Invalid("leadgen_id '" + ref.leadgen_id + "' is not a lead id", cw + "/value/leadgen_id");
      if (Member(v, "form_id", &x)) ref.form_id = ScalarText(x);
      if (Member(v, "ad_id", &x)) ref.ad_id = ScalarText(x);
      if (Member(v, "adgroup_id", &x)) ref.adgroup_id = ScalarText(x);
      if (Member(v, "page_id", &x)) ref.page_id = ScalarText(x);
      if (Member(v, "created_time", &x)) {
        if (x.is_int64()) ref.created_time = x.get_int64().value();
        else if (x.is_uint64()) ref.created_time = static_cast<int64_t>(x.get_uint64().value());
      }
      out.push_back(std::move(ref));
    }
  }
  if (out.empty()) return Status::Invalid("no leadgen change in the notification", "/entry");
  return out;
}

std::string MetaLeadTarget(std::string_view leadgen_id) {
  std::string out = "/" + EncodePathSegment(leadgen_id);
  out += "?fields=id,created_time,field_data,ad_id,adset_id,campaign_id,form_id,is_organic,platform,"
         "custom_disclaimer_responses";
  return out;
}

Result<Record> ParseMetaLead(const SourceConfig& source, std::string_view graph_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(graph_json.data(), graph_json.size()).get(root)) return json_util::Malformed(err);
  if (!root.is_object()) return Status::Invalid("expected a JSON object", "");
  simdjson::dom::object obj = json_util::Obj(root);
  Record rec;
  rec.source = source.name;
  simdjson::dom::element el;
  if (!Member(obj, "id", &el) || el.is_array() || el.is_object() || ScalarText(el).empty())
    return Status::Invalid("missing lead id", "/id");
  rec.delivery_key = ScalarText(el);
  rec.extra["meta_lead_id"] = rec.delivery_key;
  if (Member(obj, "created_time", &el)) rec.fields["created_at"] = IsoTime(ScalarText(el));
  for (const char* k : {"ad_id", "adset_id", "campaign_id", "form_id", "platform", "is_organic", "ad_name",
                        "campaign_name", "adset_name", "form_name"}) {
    if (Member(obj, k, &el) && !el.is_array() && !el.is_object()) rec.extra[k] = ScalarText(el);
  }
  if (!Member(obj, "field_data", &el) || !el.is_array())
    return Status::Invalid("missing 'field_data' array", "/field_data");
  size_t i = 0;
  for (simdjson::dom::element item : json_util::Arr(el)) {
    const std::string w = "/field_data/" + std::to_string(i++);
    if (!item.is_object()) return Status::Invalid("expected an object", w);
    simdjson::dom::object q = json_util::Obj(item);
    simdjson::dom::element name, values;
    if (!Member(q, "name", &name) || !name.is_string()) return Status::Invalid("missing 'name'", w + "/name");
    if (!Member(q, "values", &values) || !values.is_array())
      return Status::Invalid("missing 'values' array", w + "/values");
    std::string text;
    for (simdjson::dom::element v : json_util::Arr(values)) {
      std::string s = ScalarText(v);
      if (s.empty()) continue;
      if (!text.empty()) text += ", ";
      text += s;
    }
    std::string key(std::string_view(name.get_string().value()));
    if (text.empty()) continue;
    std::string field = CanonicalFieldFor(source, key);
    if (field.empty()) {
      auto it = kMetaFields.find(key);
      if (it != kMetaFields.end()) field = it->second;
    }
    if (!field.empty() && !rec.Has(field)) rec.fields[field] = std::move(text);
    else rec.extra[key] = std::move(text);
  }
  // The form's consent checkboxes (custom_disclaimer_responses[{checkbox_key, is_checked}]): each kept in extra
  // as consent.<checkbox_key> = true|false, and consent = true only when every one was ticked.
  if (Member(obj, "custom_disclaimer_responses", &el) && el.is_array()) {
    bool all = true, any = false;
    for (simdjson::dom::element item : json_util::Arr(el)) {
      simdjson::dom::element key, checked;
      if (!item.is_object() || !Member(json_util::Obj(item), "checkbox_key", &key) || key.is_array() ||
          key.is_object())
        continue;
      const std::string c = Member(json_util::Obj(item), "is_checked", &checked) ? ScalarText(checked) : "";
      const bool yes = c == "1" || c == "true";
      rec.extra["consent." + ScalarText(key)] = yes ? "true" : "false";
      all = all && yes;
      any = true;
    }
    if (any && !rec.Has("consent")) rec.fields["consent"] = all ? "true" : "false";
  }
  rec.fields["lead_source"] = "paid_social";
  CaptureAttribution(&rec);
  return rec;
}

Result<Record> ParseMetaLead(const SourceConfig& source, std::string_view graph_json, const MetaLeadRef& ref) {
  auto rec = ParseMetaLead(source, graph_json);
  if (!rec.ok()) return rec;
  if (rec->delivery_key != ref.leadgen_id)
    return Status::Invalid("graph API answered lead '" + rec->delivery_key + "' for '" + ref.leadgen_id + "'", "/id");
  for (auto [key, value] : {std::pair<const char*, const std::string*>{"form_id", &ref.form_id},
                            {"ad_id", &ref.ad_id},
                            {"adgroup_id", &ref.adgroup_id},
                            {"page_id", &ref.page_id}}) {
    if (!value->empty() && !rec->extra.count(key)) rec->extra[key] = *value;
  }
  if (!rec->Has("created_at") && ref.created_time > 0) {
    std::time_t t = static_cast<std::time_t>(ref.created_time);
    std::tm tm{};
    char buf[32];
    if (gmtime_r(&t, &tm) && std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm)) rec->fields["created_at"] = buf;
  }
  return rec;
}

}  // namespace canon
