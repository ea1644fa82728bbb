// Google Ads lead form webhook, as documented in
//   https://developers.google.com/google-ads/webhook/docs/implementation
// One lead per POST; google_key is checked by VerifySignature and never kept in the record.
#include <simdjson.h>

#include <map>

#include "connectors/connector.h"
#include "connectors/json_util.h"

namespace canon {
namespace {

using json_util::Member;
using json_util::ScalarText;

const std::map<std::string, std::string, std::less<>> kGoogleColumns = {
    {"FULL_NAME", "full_name"},   {"FIRST_NAME", "first_name"}, {"LAST_NAME", "last_name"},
    {"EMAIL", "email"},           {"PHONE_NUMBER", "phone"},    {"POSTAL_CODE", "postal_code"},
    {"STREET_ADDRESS", "street"}, {"CITY", "city"},             {"REGION", "region"},
    {"COUNTRY", "country"},       {"COMPANY_NAME", "company"},  {"JOB_TITLE", "job_title"},
    {"WORK_EMAIL", "email"},      {"WORK_PHONE", "phone"},
};

}  // namespace

Result<std::vector<Record>> ParseGoogleAds(const SourceConfig& source, const Payload& payload) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(payload.body.data(), payload.body.size()).get(root)) return json_util::Malformed(err);
  if (!root.is_object()) return Status::Invalid("expected a JSON object", "");
  simdjson::dom::object obj = json_util::Obj(root);
  Record rec;
  rec.source = source.name;
  simdjson::dom::element el;
  if (!Member(obj, "lead_id", &el) || !el.is_string() || ScalarText(el).empty())
    return Status::Invalid("missing lead_id", "/lead_id");
  rec.delivery_key = ScalarText(el);
  rec.extra["google_lead_id"] = rec.delivery_key;
  if (!Member(obj, "user_column_data", &el) || !el.is_array())
    return Status::Invalid("missing 'user_column_data' array", "/user_column_data");
  size_t i = 0;
  for (simdjson::dom::element col : json_util::Arr(el)) {
    const std::string w = "/user_column_data/" + std::to_string(i++);
    if (!col.is_object()) return Status::Invalid("expected an object", w);
    simdjson::dom::object c = json_util::Obj(col);
    simdjson::dom::element id, value, name;
    if (!Member(c, "column_id", &id) || !id.is_string()) return Status::Invalid("missing column_id", w + "/column_id");
    if (!Member(c, "string_value", &value)) continue;  // an unanswered optional question
    if (!value.is_string()) return Status::Invalid("string_value is not a string", w + "/string_value");
    std::string text(std::string_view(value.get_string().value()));
    if (text.empty()) continue;
    std::string column(std::string_view(id.get_string().value()));
    std::string field = CanonicalFieldFor(source, column);
    if (field.empty()) {
      auto it = kGoogleColumns.find(column);
      if (it != kGoogleColumns.end()) field = it->second;
    }
    if (!field.empty() && !rec.Has(field)) {
      rec.fields[field] = std::move(text);
    } else {
      // Custom questions: keyed by their display name when Google sends one.
      std::string key = column;
      if (Member(c, "column_name", &name) && name.is_string() && !std::string_view(name.get_string().value()).empty())
        key = std::string(std::string_view(name.get_string().value()));
      rec.extra[key] = std::move(text);
    }
  }
  if (Member(obj, "gcl_id", &el) && !el.is_array() && !el.is_object() && !ScalarText(el).empty())
    rec.fields["gclid"] = ScalarText(el);
  for (const char* k : {"campaign_id", "form_id", "adgroup_id", "creative_id", "api_version", "asset_group_id"}) {
    if (Member(obj, k, &el) && !el.is_array() && !el.is_object()) rec.extra[k] = ScalarText(el);
  }
  if (Member(obj, "lead_submit_time", &el) && el.is_string()) rec.fields["created_at"] = ScalarText(el);
  if (Member(obj, "is_test", &el)) {
    if (!el.is_bool()) return Status::Invalid("is_test is not a boolean", "/is_test");
    rec.is_test = el.get_bool().value();
  }
  rec.fields["lead_source"] = "paid_search";
  CaptureAttribution(&rec);
  std::vector<Record> out;
  out.push_back(std::move(rec));
  return out;
}

}  // namespace canon
