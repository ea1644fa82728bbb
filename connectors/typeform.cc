// Typeform webhooks, as documented in
//   https://www.typeform.com/developers/webhooks/example-payload/
// Answers are keyed by field.ref (stable across form edits, unlike titles); the source's map names which ref
// feeds which canonical field.
#include <simdjson.h>

#include "connectors/connector.h"
#include "connectors/json_util.h"

namespace canon {
namespace {

using json_util::Member;
using json_util::ScalarText;

bool IsAttributionKey(std::string_view k) {
  return k == "utm_source" || k == "utm_medium" || k == "utm_campaign" || k == "utm_term" || k == "utm_content" ||
         k == "gclid" || k == "fbclid" || k == "msclkid";
}

// The answer's value for its `type`: the member of that name, with choice/choices unwrapped to their labels.
Result<std::string> AnswerText(simdjson::dom::object answer, std::string_view type, const std::string& where) {
  simdjson::dom::element v;
  if (!Member(answer, type, &v)) return Status::Invalid("answer has no '" + std::string(type) + "' value",
                                                        where + "/" + json_util::PointerToken(type));
  if (type == "choice") {
    simdjson::dom::element label;
    if (v.is_object() && Member(json_util::Obj(v), "label", &label)) return ScalarText(label);
    if (v.is_object() && Member(json_util::Obj(v), "other", &label)) return ScalarText(label);
    return Status::Invalid("choice without a label", where + "/choice");
  }
  if (type == "choices") {
    simdjson::dom::element labels;
    std::string out;
    if (v.is_object() && Member(json_util::Obj(v), "labels", &labels) && labels.is_array()) {
      for (simdjson::dom::element l : json_util::Arr(labels)) {
        if (!out.empty()) out += ", ";
        out += ScalarText(l);
      }
    }
    if (v.is_object() && Member(json_util::Obj(v), "other", &labels)) {
      if (!out.empty()) out += ", ";
      out += ScalarText(labels);
    }
    return out;
  }
  return ScalarText(v);
}

}  // namespace

Result<std::vector<Record>> ParseTypeform(const SourceConfig& source, const Payload& payload) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(payload.body.data(), payload.body.size()).get(root)) return json_util::Malformed(err);
  if (!root.is_object()) return Status::Invalid("expected a JSON object", "");
  simdjson::dom::object obj = json_util::Obj(root);
  Record rec;
  rec.source = source.name;
  simdjson::dom::element el, fr;
  if (!Member(obj, "event_id", &el) || !el.is_string() || ScalarText(el).empty())
    return Status::Invalid("missing event_id", "/event_id");
  rec.delivery_key = ScalarText(el);
  if (!Member(obj, "form_response", &fr) || !fr.is_object())
    return Status::Invalid("missing 'form_response' object", "/form_response");
  simdjson::dom::object form = json_util::Obj(fr);
  if (Member(form, "submitted_at", &el)) rec.fields["created_at"] = ScalarText(el);
  if (Member(form, "form_id", &el)) rec.extra["typeform_form_id"] = ScalarText(el);
  if (Member(form, "token", &el)) rec.extra["typeform_token"] = ScalarText(el);
  if (Member(form, "hidden", &el)) {
    if (!el.is_object()) return Status::Invalid("'hidden' is not an object", "/form_response/hidden");
    for (auto [k, v] : json_util::Obj(el)) {
      std::string key(k);
      std::string text = ScalarText(v);
      if (text.empty()) continue;
      std::string field = IsAttributionKey(key) ? key : CanonicalFieldFor(source, key);
      if (!field.empty() && !rec.Has(field)) rec.fields[field] = std::move(text);
      else rec.extra["hidden." + key] = std::move(text);
    }
  }
  if (Member(form, "answers", &el)) {
    if (!el.is_array()) return Status::Invalid("'answers' is not an array", "/form_response/answers");
    size_t i = 0;
    for (simdjson::dom::element a : json_util::Arr(el)) {
      const std::string w = "/form_response/answers/" + std::to_string(i++);
      if (!a.is_object()) return Status::Invalid("expected an object", w);
      simdjson::dom::object answer = json_util::Obj(a);
      simdjson::dom::element type, field_el, ref;
      if (!Member(answer, "type", &type) || !type.is_string()) return Status::Invalid("missing type", w + "/type");
      if (!Member(answer, "field", &field_el) || !field_el.is_object())
        return Status::Invalid("missing field", w + "/field");
      simdjson::dom::object f = json_util::Obj(field_el);
      if (!(Member(f, "ref", &ref) && ref.is_string()) && !(Member(f, "id", &ref) && ref.is_string()))
        return Status::Invalid("answer field has neither ref nor id", w + "/field/ref");
      std::string key(std::string_view(ref.get_string().value()));
      std::string_view t = type.get_string().value();
      auto text = AnswerText(answer, t, w);
      if (!text.ok()) return text.status();
      if (text->empty()) continue;
      std::string field = CanonicalFieldFor(source, key);
      if (field.empty() && t == "email") field = "email";
      if (field.empty() && t == "phone_number") field = "phone";
      if (!field.empty() && !rec.Has(field)) rec.fields[field] = std::move(*text);
      else rec.extra[key] = std::move(*text);
    }
  }
  CaptureAttribution(&rec);
  std::vector<Record> out;
  out.push_back(std::move(rec));
  return out;
}

}  // namespace canon
