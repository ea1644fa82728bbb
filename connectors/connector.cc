#include "connectors/connector.h"

#include "hygiene/poison.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <unicode/ucnv.h>
#include <unicode/utf8.h>

#include "hygiene/attribution.h"

namespace canon {
namespace {

// The canonical names a sender may use directly as keys. Mirrors hygiene's known fields.
const std::set<std::string, std::less<>> kDirectFields = {
    "email", "phone", "first_name", "last_name", "full_name", "job_title", "company", "website",
    "country", "region", "city", "postal_code", "street", "street_2", "birth_date", "external_id",
    "lead_source", "lifecycle_stage", "consent", "owner", "utm_source", "utm_medium", "utm_campaign",
    "utm_term", "utm_content", "gclid", "fbclid", "msclkid", "created_at", "page_url", "message", "referrer",
    "channel", "gbraid", "wbraid", "dclid", "ttclid", "li_fat_id", "twclid", "sccid", "rdt_cid", "epik"};

}  // namespace

std::string MediaType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  std::string out(t);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string EncodePathSegment(std::string_view id) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
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
  if (source.kind == "form") return {"application/x-www-form-urlencoded", "multipart/form-data"};
  if (source.kind == "json" || IsFetchKind(source) || source.kind == "google_ads" || source.kind == "typeform")
    return {"application/json"};
  if (source.kind == "csv") return {"text/csv"};
  return {};
}

namespace {

Result<std::vector<Record>> ParseByKind(const SourceConfig& source, const Payload& payload) {
  if (source.kind == "form") {
    if (MediaType(payload.content_type) == "multipart/form-data") return ParseMultipart(source, payload);
    return ParseForm(source, payload);
  }
  if (source.kind == "json") return ParseJson(source, payload);
  if (source.kind == "google_ads") return ParseGoogleAds(source, payload);
  if (source.kind == "typeform") return ParseTypeform(source, payload);
  if (IsFetchKind(source)) {
    auto rec = source.kind == "meta_leads" ? ParseMetaLead(source, payload.body)
                                           : ParseLinkedInLead(source, payload.body);
    if (!rec.ok()) return rec.status();
    std::vector<Record> out;
    out.push_back(std::move(*rec));
    return out;
  }
  if (source.kind == "csv") {
    return Status(Code::kFailedPrecondition, "csv sources are imported from files (CsvReader), not parsed per payload");
  }
  return Status(Code::kInternal, "no connector for kind '" + source.kind + "'");
}

}  // namespace

Result<std::vector<Record>> ParsePayload(const SourceConfig& source, const Payload& payload) {
  auto records = ParseByKind(source, payload);
  if (!records.ok()) return records;
  for (Record& r : *records)
    for (const auto& [field, value] : source.constants) r.fields[field] = value;
  return records;
}

Status CheckRecordText(const Record& record) {
  auto issue = PoisonInRecord(record);
  if (!issue) return Status::Ok();
  return Status::Invalid("field '" + issue->field + "' " + issue->reason, issue->field);
}

Status CheckPayloadText(const std::vector<Record>& records) {
  Status first;
  for (const Record& r : records) {
    Status s = CheckRecordText(r);
    if (s.ok()) return s;
    if (first.ok()) first = s;
  }
  return first;
}


namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view s, size_t offset) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= s.size()) return Status::Invalid("truncated percent-escape", "byte " + std::to_string(offset + i));
      int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) return Status::Invalid("bad percent-escape", "byte " + std::to_string(offset + i));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ParseUrlEncoded(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(pos, amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view k = pair.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      auto key = PercentDecode(k, pos);
      if (!key.ok()) return key.status();
      auto val = PercentDecode(v, pos + (eq == std::string_view::npos ? 0 : eq + 1));
      if (!val.ok()) return val.status();
      out.emplace_back(std::move(*key), std::move(*val));
    }
    pos = amp + 1;
  }
  return out;
}

std::string ContentTypeParam(std::string_view content_type, std::string_view name) {
  const std::string want = Lower(name);
  size_t semi = content_type.find(';');
  while (semi != std::string_view::npos) {
    std::string_view rest = content_type.substr(semi + 1);
    // A quoted value may hold ';': find the parameter's end outside quotes.
    size_t end = 0;
    bool q = false;
    for (; end < rest.size(); ++end) {
      if (rest[end] == '"') q = !q;
      else if (rest[end] == ';' && !q) break;
    }
    std::string_view param = rest.substr(0, end);
    size_t eq = param.find('=');
    if (eq != std::string_view::npos) {
      std::string_view k = param.substr(0, eq), v = param.substr(eq + 1);
      while (!k.empty() && std::isspace(static_cast<unsigned char>(k.front()))) k.remove_prefix(1);
      while (!k.empty() && std::isspace(static_cast<unsigned char>(k.back()))) k.remove_suffix(1);
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
      if (Lower(k) == want) {
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
          std::string out;
          for (size_t i = 1; i + 1 < v.size(); ++i) {
            if (v[i] == '\\' && i + 2 < v.size()) ++i;
            out.push_back(v[i]);
          }
          return out;
        }
        return std::string(v);
      }
    }
    if (end >= rest.size()) break;
    semi = semi + 1 + end;
  }
  return {};
}

Result<std::string> ToUtf8(std::string_view bytes, std::string_view charset) {
  std::string cs = Lower(charset);
  if (cs.empty() || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii") return std::string(bytes);
  // Browsers send "iso-8859-1" and mean windows-1252 (WHATWG Encoding: both labels name windows-1252).
  if (cs == "iso-8859-1" || cs == "latin1" || cs == "l1" || cs == "iso8859-1") cs = "windows-1252";
  UErrorCode err = U_ZERO_ERROR;
  UConverter* from = ucnv_open(cs.c_str(), &err);
  if (U_FAILURE(err)) return Status(Code::kUnsupportedMediaType, "unknown charset '" + std::string(charset) + "'");
  UConverter* to = ucnv_open("UTF-8", &err);
  std::string out(bytes.size() * 4 + 4, '\0');
  char* target = out.data();
  const char* src = bytes.data();
  ucnv_convertEx(to, from, &target, out.data() + out.size(), &src, bytes.data() + bytes.size(), nullptr, nullptr,
                 nullptr, nullptr, true, true, &err);
  ucnv_close(from);
  ucnv_close(to);
  if (U_FAILURE(err)) return Status::Invalid(std::string("cannot convert from ") + cs + ": " + u_errorName(err));
  out.resize(target - out.data());
  return out;
}

void CaptureAttribution(Record* record) {
  static const char* kKeys[] = {"utm_source", "utm_medium", "utm_campaign", "utm_term",
                                "utm_content", "gclid",      "fbclid",       "msclkid"};
  // Click ids the connectors do not map to canonical fields (CanonicalFieldFor cannot see the rule set's field
  // definitions): kept as extras, which lead_source derivation reads (rules/vocabularies/lead_source.toml).
  static const char* kExtraKeys[] = {"gbraid", "wbraid", "dclid", "ttclid", "li_fat_id",
                                     "twclid", "sccid",  "rdt_cid", "epik"};
  bool missing = false;
  for (const char* k : kKeys) missing = missing || !record->Has(k);
  for (const char* k : kExtraKeys) missing = missing || !record->extra.count(k);
  if (!missing) return;
  std::vector<std::string> urls;
  if (record->Has("page_url")) urls.push_back(record->Get("page_url"));
  for (const char* k : {"landing_page", "landing_page_url", "page_url", "url", "referrer_url"}) {
    auto it = record->extra.find(k);
    if (it != record->extra.end()) urls.push_back(it->second);
  }
  for (const std::string& url : urls) {
    size_t q = url.find('?');
    if (q == std::string::npos) continue;
    std::string_view query = std::string_view(url).substr(q + 1);
    query = query.substr(0, query.find('#'));
    auto pairs = ParseUrlEncoded(query);
    if (!pairs.ok()) continue;  // a broken URL is kept as given; attribution is best effort
    for (auto& [k, v] : *pairs) {
      std::string key = Lower(k);
      // A value that is not clean text (invalid UTF-8 once decoded, control characters) stays in the URL, as the
      // normalizer's FromPageUrl leaves it: a tracking parameter never rejects a lead (normalize_fuzz found
      // gclid=xaml%ad... rejecting the record).
      if (!CleanParamValue(v)) continue;
      for (const char* want : kKeys) {
        if (key == want && !v.empty() && !record->Has(want)) record->fields[want] = v;
      }
      for (const char* want : kExtraKeys) {
        if (key == want && !v.empty() && !record->extra.count(want)) record->extra[want] = v;
      }
    }
  }
}

}  // namespace canon
