// Vendor webhook payloads as each vendor documents them, and their signatures, shared by the connector unit
// tests (tests/conn_vendor_test.cc) and the end-to-end tests against canond (tests/pg_vendor_test.cc), so
// that both test the same documented shapes. Each vendor's block cites the pages its payload follows.
//
// Header-only test support: literals and pure builders returning fresh strings; thread-safe; no errors.
#pragma once

#include <string>
#include <vector>

#include "connectors/hmac.h"

namespace canon::test {

// ---- Meta Lead Ads.
// Handshake and notification: https://developers.facebook.com/docs/graph-api/webhooks/getting-started
//   ("Verification Requests": hub.mode=subscribe, hub.challenge, hub.verify_token; "Event Notifications": the
//   X-Hub-Signature-256 header is sha256= plus the hex HMAC-SHA256 of the payload with the app secret); the
//   leadgen change value as in
//   https://developers.facebook.com/docs/marketing-api/guides/lead-ads/quickstart/webhooks-integration
// Lead retrieval: https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving

inline constexpr char kMetaNotification[] = R"({
  "object": "page",
  "entry": [
    {
      "id": "153125381133",
      "time": 1438292065,
      "changes": [
        {
          "field": "leadgen",
          "value": {
            "leadgen_id": "123123123123",
            "page_id": "123123123",
            "form_id": "12312312312",
            "adgroup_id": "12312312312",
            "ad_id": "12312312312",
            "created_time": 1440120384
          }
        }
      ]
    }
  ]
})";

// The Graph API's answer for the lead above. The phone is a valid US number (the documentation's +15555555555
// is not), so the end-to-end test's record is accepted whole.
inline constexpr char kMetaLead[] = R"({
  "created_time": "2015-02-28T08:49:14+0000",
  "id": "123123123123",
  "ad_id": "6042147342661",
  "form_id": "12312312312",
  "campaign_id": "6042147340000",
  "field_data": [
    {"name": "car_make", "values": ["Honda"]},
    {"name": "full_name", "values": ["Joe Example"]},
    {"name": "email", "values": ["joe@example.com"]},
    {"name": "phone_number", "values": ["+16505550123"]},
    {"name": "city", "values": ["Menlo Park"]},
    {"name": "zip_code", "values": ["94025"]},
    {"name": "company_name", "values": ["Example Inc"]},
    {"name": "job_title", "values": ["CTO"]},
    {"name": "preferred_colors", "values": ["red", "blue"]},
    {"name": "empty_answer", "values": []}
  ]
})";

// The X-Hub-Signature-256 header value for `body`.
inline std::string SignMeta(const std::string& secret, const std::string& body) {
  return "sha256=" + HexEncode(HmacSha256(secret, body));
}

// ---- Google Ads lead form webhook: https://developers.google.com/google-ads/webhook/docs/implementation
// ("Sample webhook JSON": lead_id, user_column_data[{column_name, string_value, column_id}], api_version,
// form_id, campaign_id, google_key, is_test, gcl_id, adgroup_id, creative_id; google_key is the key
// configured with the webhook; is_test marks leads sent from the "Send test data" button).

inline constexpr char kGoogleKey[] = "xxxxxxxxxxxxxxxx";  // the sample's google_key

// One user_column_data entry.
inline std::string GoogleColumn(const std::string& name, const std::string& value, const std::string& id) {
  return R"({"column_name":")" + name + R"(","string_value":")" + value + R"(","column_id":")" + id + R"("})";
}

// A lead in the sample's shape: name, phone, e-mail and postal code columns, then `more_columns`
// (GoogleColumn values) in order.
inline std::string GoogleLead(const std::string& lead_id, bool is_test, const std::string& email,
                              const std::string& key = kGoogleKey, const std::string& name = "Gina Ads",
                              const std::string& phone = "+16505550199",
                              const std::vector<std::string>& more_columns = {}) {
  std::string columns = GoogleColumn("Full Name", name, "FULL_NAME") + "," +
                        GoogleColumn("User Phone", phone, "PHONE_NUMBER") + "," +
                        GoogleColumn("User Email", email, "EMAIL") + "," +
                        GoogleColumn("Postal Code", "94043", "POSTAL_CODE");
  for (const auto& c : more_columns) columns += "," + c;
  return R"({"lead_id":")" + lead_id + R"(","user_column_data":[)" + columns +
         R"(],"api_version":"1.0","form_id":40000000000,"campaign_id":20000000000,"google_key":")" + key +
         R"(","is_test":)" + (is_test ? "true" : "false") +
         R"(,"gcl_id":"TeSter-123-gclid","adgroup_id":20000000000,"creative_id":30000000000})";
}

// ---- Typeform: payload https://www.typeform.com/developers/webhooks/example-payload/ ; signature
// https://www.typeform.com/developers/webhooks/secure-your-webhooks/ (Typeform-Signature: sha256= + base64 of
// the HMAC-SHA256 of the raw payload with the webhook secret).

// One answer: {"type": type, <type>: value, "field": {id, type, ref}}. `value_json` is JSON (quote strings).
inline std::string TypeformAnswer(const std::string& type, const std::string& value_json,
                                  const std::string& field_id, const std::string& field_type,
                                  const std::string& ref) {
  return R"({"type":")" + type + R"(",")" + type + R"(":)" + value_json + R"(,"field":{"id":")" + field_id +
         R"(","type":")" + field_type + R"(","ref":")" + ref + R"("}})";
}

// The example payload's form_response (event LtWXD3crgy, form lT4Z3j) with `hidden_json` (a JSON object) as
// its hidden fields and `answers` (TypeformAnswer values) in order.
inline std::string TypeformResponse(const std::string& hidden_json, const std::vector<std::string>& answers) {
  std::string list;
  for (const auto& a : answers) list += (list.empty() ? "" : ",") + a;
  return R"({"event_id":"LtWXD3crgy","event_type":"form_response","form_response":{"form_id":"lT4Z3j",)"
         R"("token":"a3a12ec67a1365927098a606107fac15","submitted_at":"2018-01-18T18:17:02Z",)"
         R"("landed_at":"2018-01-18T18:07:02Z","hidden":)" +
         hidden_json + R"(,"definition":{"id":"lT4Z3j","title":"Webhooks example","fields":[]},"answers":[)" +
         list + "]}}";
}

// The Typeform-Signature header value for `body`.
inline std::string SignTypeform(const std::string& secret, const std::string& body) {
  return "sha256=" + Base64Encode(HmacSha256(secret, body));
}

// ---- LinkedIn Lead Gen: notification https://learn.microsoft.com/linkedin/marketing/lead-sync/leadsync
// ("type", "leadGenFormResponse", "leadGenForm", "owner", "leadType", "leadAction", "occurredAt"); signature
// https://learn.microsoft.com/linkedin/shared/api-guide/webhook-validation (X-LI-Signature: hex HMAC-SHA256, under
// the app's client secret, of "hmacsha256=" + the body); the lead form response as GET
// /rest/leadFormResponses/{id} answers it.

// A lead notification for `lead` (a leadGenFormResponse id); `action` is CREATED or DELETED.
inline std::string LinkedInNotice(const std::string& lead, const std::string& action = "CREATED") {
  return R"({"type":"LEAD_ACTION","leadGenFormResponse":"urn:li:leadGenFormResponse:)" + lead +
         R"J(","leadGenForm":"urn:li:versionedLeadGenForm:(urn:li:leadGenForm:5432,1)",)J"
         R"("owner":{"sponsoredAccount":"urn:li:sponsoredAccount:522529623"},"leadType":"SPONSORED",)"
         R"("leadAction":")" +
         action + R"(","occurredAt":1733220000000})";
}

// The lead form response for lead `id`: `answers` are the text answers to questions 1, 2, ... in order (JSON
// string contents, escaped by the caller), then question 9 as a multiple choice and consent checkbox 7 accepted.
inline std::string LinkedInLead(const std::string& id, const std::vector<std::string>& answers) {
  std::string list;
  for (size_t i = 0; i < answers.size(); ++i)
    list += R"({"answerDetails":{"textQuestionAnswer":{"answer":")" + answers[i] + R"("}},"questionId":)" +
            std::to_string(i + 1) + "},";
  list += R"({"answerDetails":{"multipleChoiceAnswer":{"options":[2]}},"questionId":9})";
  return R"({"owner":{"sponsoredAccount":"urn:li:sponsoredAccount:522529623"},"leadType":"SPONSORED",)"
         R"("leadMetadata":{"sponsoredLeadMetadata":{"campaign":"urn:li:sponsoredCampaign:1234567"}},)"
         R"J("versionedLeadGenFormUrn":"urn:li:versionedLeadGenForm:(urn:li:leadGenForm:5432,1)","id":")J" +
         id + R"(","submittedAt":1733220000000,"testLead":false,)"
              R"("associatedEntity":{"associatedCreative":"urn:li:sponsoredCreative:998877"},)"
              R"("formResponse":{"consentResponses":[{"accepted":true,"consentId":7}],"answers":[)" +
         list + "]}}";
}

// The X-LI-Signature header value for `body`.
inline std::string SignLinkedIn(const std::string& secret, const std::string& body) {
  return HexEncode(HmacSha256(secret, "hmacsha256=" + body));
}

}  // namespace canon::test
