// Connectors: raw bytes + headers of one delivery -> Records, using the source's rules.
//
// A connector is a pure function of the payload and the SourceConfig; it keeps no state and touches no I/O.
// Every returned Record owns its bytes (nothing points into `body`). Errors say what and where: `where` is a
// JSON Pointer, a form key, or a line number. Parse is safe to call from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hygiene/poison.h"
#include "hygiene/record.h"
#include "hygiene/rule_set.h"
#include "hygiene/status.h"

namespace canon {

struct Payload {
  std::string_view body;
  std::string content_type;                  // as sent, parameters included
  std::map<std::string, std::string> headers;  // lowercased names
  std::string query;                         // the request target's query string, without '?'
  std::string url_token;  // {token} of POST /ingest/{source}/{token} (auth = "url_token"); never logged or stored
};

// Dispatches on source.kind. Unknown kinds are an internal error (RuleSet::Parse refuses them). The source's
// constants ([source.constants], json and form) are set on every record, over the payload's values. Records with
// poison text (hygiene/poison.h) are returned: Normalize rejects each on its own, so the others of the payload
// are written.
Result<std::vector<Record>> ParsePayload(const SourceConfig& source, const Payload& payload);

// Poison input (hygiene/poison.h, which also has EscapeBytes): every field and extra key and value must be valid
// UTF-8 without a NUL byte. The first offender -> kInvalidArgument ("field 'k' is not valid UTF-8 (byte N)" /
// "holds a NUL byte (byte N)"), where = the key as EscapeBytes writes it.
Status CheckRecordText(const Record& record);
// Intake's door: Ok when at least one record is clean (the poison ones are dead-lettered at validation, the rest
// written); else the first record's CheckRecordText error (a one-record payload with poison is refused, 400).
Status CheckPayloadText(const std::vector<Record>& records);

// The media type the source's connector accepts ("application/x-www-form-urlencoded", "application/json"), used
// by intake to answer 415 before a byte is stored. Empty means "any".
std::vector<std::string> AcceptedMediaTypes(const SourceConfig& source);

// "application/json; charset=utf-8" -> "application/json" (lowercased, parameters dropped).
std::string MediaType(std::string_view content_type);

Result<std::vector<Record>> ParseForm(const SourceConfig& source, const Payload& payload);
Result<std::vector<Record>> ParseJson(const SourceConfig& source, const Payload& payload);

// A JSON document (an object or an array of objects) mapped as a json source maps its body: map pointers,
// fields_array entries by key, synonyms; `where` prefixes the pointers of errors. ParseJson and the form
// connectors' json_field use it. delivery_key and attribution are the caller's.
Result<std::vector<Record>> MapJsonText(const SourceConfig& source, std::string_view json, const std::string& where);

// A form's decoded (key, value) pairs -> one Record: keys through CanonicalFieldFor, the rest in extra. A key sent
// several times keeps every value: joined with ", " in a field, a JSON array of strings in extra. With option
// json_field, that field is decoded as JSON and mapped by MapJsonText first (JotForm's rawRequest); the other
// keys fill what it left empty. delivery_key and attribution are the caller's.
Result<Record> RecordFromPairs(const SourceConfig& source, const std::vector<std::pair<std::string, std::string>>& pairs);

// Maps an input key onto a canonical field via the source's explicit map, its synonyms, or the key itself when
// it is already a canonical name. Returns "" for an unknown key (the caller keeps it in Record::extra).
std::string CanonicalFieldFor(const SourceConfig& source, std::string_view input_key);

// ---- Vendor connectors (one .cc each). All set Record::delivery_key and capture attribution. Shape errors are
// kInvalidArgument with `where` = a JSON Pointer to the first problem.

// multipart/form-data (boundary from the content type); file parts are not kept: extra[name] = "<file omitted>".
Result<std::vector<Record>> ParseMultipart(const SourceConfig& source, const Payload& payload);

// Google Ads lead form webhook (https://developers.google.com/google-ads/webhook/docs/implementation):
// lead_id -> delivery_key, user_column_data[] by column_id, gcl_id -> gclid, campaign_id/form_id/adgroup_id/
// creative_id -> extra, is_test -> Record::is_test, lead_source = "paid_search". google_key is checked by
// VerifySignature, not here, and never copied into the record.
Result<std::vector<Record>> ParseGoogleAds(const SourceConfig& source, const Payload& payload);

// Typeform webhook: event_id -> delivery_key, form_response.answers[] by field.ref through the source's map
// (canonical field -> ref; unmapped refs that name a canonical field or synonym are taken as such, unmapped
// email/phone_number answers fill email/phone when absent, the rest go to extra under the ref),
// form_response.hidden -> utm_*/gclid/fbclid/msclkid fields (others to extra "hidden.<key>"),
// submitted_at -> created_at.
Result<std::vector<Record>> ParseTypeform(const SourceConfig& source, const Payload& payload);

// Meta Lead Ads. A POST to the webhook carries only references ("leadgen" change notifications); the worker
// fetches each lead from the Graph API (GET {graph_base}{MetaLeadTarget(leadgen_id)}&access_token=...) and maps
// the answer with ParseMetaLead. ParsePayload(meta_leads) parses such a fetched Graph lead.
struct MetaLeadRef {
  std::string leadgen_id;  // the delivery key
  std::string form_id, ad_id, adgroup_id, page_id;
  int64_t created_time = 0;  // Unix seconds, 0 when absent
};
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started : object = "page",
// entry[].changes[] with field = "leadgen"; changes of other fields are skipped. No leadgen change at all is an
// error (where = "/entry").
Result<std::vector<MetaLeadRef>> ParseMetaNotification(std::string_view body);
// "/<leadgen_id>?fields=id,created_time,field_data,ad_id,adset_id,campaign_id,form_id,is_organic,platform,
// custom_disclaimer_responses"
// (the id is percent-encoded); the caller appends "&access_token=..." and never logs the result.
std::string MetaLeadTarget(std::string_view leadgen_id);
// https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving : id -> delivery_key,
// created_time -> created_at, field_data[{name, values[]}] (full_name, first_name, last_name, email,
// phone_number, city, zip_code/post_code, state, country, company_name, job_title, work_email, work_phone_number,
// custom questions -> extra under their name; several values are joined with ", "), ad_id, adset_id,
// campaign_id, form_id, platform -> extra; lead_source = "paid_social"; is_organic -> extra;
// custom_disclaimer_responses[{checkbox_key, is_checked}] -> extra consent.<checkbox_key> = true|false, and
// consent = true when every checkbox was ticked (false otherwise).
Result<Record> ParseMetaLead(const SourceConfig& source, std::string_view graph_json);
// The same, completed from the notification's reference where the Graph answer lacks a value (form_id, ad_id,
// adgroup_id, page_id -> extra; created_time -> created_at as ISO 8601 UTC). An answer for another lead id than
// the reference's is refused (where = "/id").
Result<Record> ParseMetaLead(const SourceConfig& source, std::string_view graph_json, const MetaLeadRef& ref);

// LinkedIn Lead Sync (kind linkedin_leads). The webhook's lead notification carries a reference only
// (https://learn.microsoft.com/linkedin/marketing/lead-sync/leadsync): {"type":"LEAD_ACTION",
// "leadGenFormResponse":"urn:li:leadGenFormResponse:<id>","leadGenForm","owner","leadType","leadAction":
// "CREATED"|"DELETED","occurredAt"}. LinkedIn posts one per lead; an array of them is taken too. The worker fetches
// each CREATED lead (GET {api_base}/leadFormResponses/<id>, Authorization: Bearer, LinkedIn-Version) and maps the
// answer with ParseLinkedInLead. A DELETED notification is acknowledged and stored, and fetches, creates and erases
// nothing (erasure is an operator's act: store/erase.h).
struct LinkedInLeadRef {
  std::string lead_id;  // the URN's id: the delivery key and the fetch's path segment
  std::string urn, form, lead_type, action, owner;
  std::string occurred_at_ms;  // epoch milliseconds as sent, "" when absent
};
// Shape errors: kInvalidArgument with where = a JSON Pointer ("/0/leadGenFormResponse" in an array).
Result<std::vector<LinkedInLeadRef>> ParseLinkedInNotification(std::string_view body);
// The refs whose lead is to be fetched (leadAction CREATED), in notification order: fetch job i is the i-th.
std::vector<LinkedInLeadRef> LinkedInLeadsToFetch(const std::vector<LinkedInLeadRef>& refs);
// "/leadFormResponses/<id>" (the id percent-encoded).
std::string LinkedInLeadTarget(std::string_view lead_id);
// The lead form response: id -> delivery_key (and extra linkedin_lead_id), submittedAt (epoch ms) ->
// created_at, testLead -> Record::is_test, formResponse.answers[{questionId, answerDetails:{textQuestionAnswer:
// {answer}} | {multipleChoiceAnswer:{options[]}}}] mapped by question id through the source's map (email = "3"),
// unmapped answers -> extra question.<id>; formResponse.consentResponses[{consentId, accepted}] -> extra
// consent.<id> = true|false, a map entry "consent.<id>" sets its field, else consent = every one accepted;
// leadType (SPONSORED -> lead_source paid_social, EVENT -> events, pages' forms -> organic_social),
// versionedLeadGenFormUrn, owner, associatedEntity, leadMetadata's campaign -> extra.
Result<Record> ParseLinkedInLead(const SourceConfig& source, std::string_view api_json);
// The same, checked against and completed from the notification's reference (form, owner, occurredAt); an answer
// for another lead is refused (where = "/id").
Result<Record> ParseLinkedInLead(const SourceConfig& source, std::string_view api_json, const LinkedInLeadRef& ref);

// ---- Fetch-based kinds (meta_leads, linkedin_leads): what the worker needs to turn a notification into fetch
// jobs and a fetched answer into a Record, whatever the vendor.
bool IsFetchKind(const SourceConfig& source);
// The lead ids to fetch, in order (job i is record_index i of the notification). A notification that names
// nothing to fetch (LinkedIn's DELETED) gives an empty list; a bad shape is an error (intake answers it 400).
Result<std::vector<std::string>> NotificationLeadIds(const SourceConfig& source, std::string_view body);
// How to ask the vendor's API for one lead: base URL, target, CA file, whether the access token goes in an
// Authorization: Bearer header (LinkedIn) or the access_token query parameter (Meta), and fixed headers.
struct LeadRequest {
  std::string base_url, target, ca_file;
  bool bearer = false;
  std::vector<std::pair<std::string, std::string>> headers;
};
LeadRequest LeadRequestFor(const SourceConfig& source, std::string_view lead_id);
// The vendor's answer for lead `lead_id`, job `record_index` of `notification` -> the Record (completed from the
// notification's reference when it still names that lead). Poison text is left to Normalize.
Result<Record> ParseFetchedLead(const SourceConfig& source, std::string_view api_body, std::string_view notification,
                                int record_index, const std::string& lead_id);

// ---- Authentication, before a byte is stored. secret: the app secret (Meta), the webhook secret (Typeform,
// generic json/form), or the configured google_key (Google Ads); the daemon reads it from the environment
// variable named by the source's `secret_env` option. Returns kUnauthenticated with a reason that never echoes
// the secret or the expected signature. Kinds and their checks:
//   meta_leads: X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>
//   typeform:   Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>
//   google_ads: the body's "google_key" equals secret
//   json, form: auth = "hmac": the scheme its options describe (signature_header, signature_format
//               plain|kv|list, signature_key, algorithm sha256|sha1, encoding hex|base64, signature_prefix, signed
//               body|timestamp_body|prefix_body|headers_body, signed_headers, timestamp_header or timestamp_key,
//               timestamp_unit s|ms, signed_separator, signed_prefix, replay_window seconds, secret_encoding
//               text|base64, secret_prefix; docs/rules.md); any one of several presented signatures may match;
//               auth = "static": header `secret_header` equals secret; auth = "url_token": payload.url_token
//               equals secret; auth = "none": Ok. Anything else refused. Comparisons are constant time.
//   csv:        Ok (files come from the local drop folder).
// An empty secret where a check is due refuses everything ("no secret configured"). now_unix: the time a
// timestamp is checked against (0 = the system clock).
Status VerifySignature(const SourceConfig& source, const Payload& payload, std::string_view secret,
                       int64_t now_unix = 0);

// Meta's GET subscription handshake (https://developers.facebook.com/docs/graph-api/webhooks/getting-started):
// query "hub.mode=subscribe&hub.challenge=X&hub.verify_token=T" -> X when T equals verify_token (constant time).
// Wrong or empty token -> kUnauthenticated; a missing field or another mode -> kInvalidArgument.
Result<std::string> AnswerMetaHandshake(const SourceConfig& source, std::string_view query,
                                        std::string_view verify_token);

// Which GET handshake the source answers: "meta" (kind meta_leads, or handshake = "meta"), "linkedin"
// (handshake = "linkedin"), or "" (none: GET is 405).
std::string HandshakeKind(const SourceConfig& source);

// LinkedIn's endpoint validation (https://learn.microsoft.com/linkedin/shared/api-guide/webhook-validation):
// GET ?challengeCode=<uuid> -> the JSON {"challengeCode":..., "challengeResponse": hex HMAC-SHA256(client secret,
// code)}. A missing or non-UUID code -> kInvalidArgument; no secret -> kUnauthenticated.
Result<std::string> AnswerLinkedInHandshake(std::string_view query, std::string_view client_secret);

// The delivery key intake stores with the inbox row, cheaply and BEFORE full parsing, for redelivery detection:
//   meta_leads, linkedin_leads: the notification's lead ids to fetch, sorted and joined with ',' (one id for the
//               usual one-lead post); one that names none (LinkedIn's DELETED): "sha256:" + hex SHA-256 of the body;
//   google_ads: lead_id; typeform: event_id;
//   json, form: the Idempotency-Key header, else the header named by `delivery_key_header`; for json without
//               them, the value at the JSON Pointer in option `delivery_key_pointer` when set;
//   json, form with auth = "hmac": only what is signed, so a replayed request is a redelivery, written once:
//               delivery_key_pointer (json, when the body has it), else delivery_key_header (a signed header), else
//               "sha256:" + hex SHA-256 of the signed message; never the unsigned Idempotency-Key;
//   json, form with auth = "static" or "url_token", when none of the above names the delivery: "sha256:" + hex
//               SHA-256 of the body, so a sender's retry or a replay of the same bytes is written once;
//   csv and anything unknown: "".
// "" means "no key": every delivery is new. Never fails; a body it cannot read gives "" (parsing reports it).
std::string DeliveryKey(const SourceConfig& source, const Payload& payload);

// The answer to a delivery intake has stored (or recognised as a redelivery), as each sender documents it:
//   google_ads: 200 with body {} (https://developers.google.com/google-ads/webhook/docs/implementation);
//   meta_leads: 200 (Meta retries anything else), with the receipt below;
//   others:     202 {"id":<inbox id>,"status":"accepted"[,"duplicate":true]}.
struct IntakeReply {
  int status = 202;
  std::string body;
};
IntakeReply AcceptedReply(const SourceConfig& source, long long inbox_id, bool duplicate);

// ---- Shared helpers.

// Fills utm_source/utm_medium/utm_campaign/utm_term/utm_content/gclid/fbclid/msclkid from the query string
// of the record's page_url field (or extra "landing_page"/"page_url"/"url"/"referrer_url") when they are absent.
// The other click ids lead_source derivation reads (gbraid, wbraid, dclid, ttclid, li_fat_id, twclid, sccid,
// rdt_cid, epik) go to Record::extra under their name when absent there.
void CaptureAttribution(Record* record);

// A vendor's id as one path segment of an API request: every byte but [A-Za-z0-9._-] percent-encoded (the
// callers refuse "." and "..", which would name another path).
std::string EncodePathSegment(std::string_view id);

// application/x-www-form-urlencoded pairs, percent-decoded ('+' = space); error names the byte offset.
Result<std::vector<std::pair<std::string, std::string>>> ParseUrlEncoded(std::string_view body);

// The value of a content-type parameter ("charset", "boundary"), unquoted; "" when absent. Name is
// case-insensitive.
std::string ContentTypeParam(std::string_view content_type, std::string_view name);

// Bytes in `charset` (any name ICU knows: windows-1252, iso-8859-1, shift_jis, ...) -> UTF-8. UTF-8/empty
// charset: returned as is. Unknown charset -> kUnsupportedMediaType.
Result<std::string> ToUtf8(std::string_view bytes, std::string_view charset);

}  // namespace canon
