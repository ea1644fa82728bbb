// libFuzzer target for the signature checks intake runs before a byte is stored (connectors/verify.cc,
// connectors/hmac.cc): X-Hub-Signature-256 (Meta, hex), Typeform-Signature (base64), the generic HMAC header,
// Google Ads' google_key in the body, Meta's GET handshake query, LinkedIn's challengeCode, the kv and list
// header formats (Stripe, Standard Webhooks) with a base64 secret, and the hex and base64 decoders.
// Seeds in fuzz/corpus/signature_fuzz/.
//
// Input: "<signature header value>\n--\n<body>\n--\n<handshake query>". Beyond "no crash": a refusal is
// kUnauthenticated with a reason that never contains the secret; the body signed with the right secret
// verifies (hex for Meta and the generic header, base64 for Typeform, upper and lower case prefix); hex and
// base64 round-trip.
#include "connectors/connector.h"
#include "connectors/hmac.h"
#include "fuzz/fuzz_support.h"

using namespace canon;
using namespace canon::fuzz;

namespace {

constexpr std::string_view kSecret = "s3cret-for-fuzzing";

SourceConfig Source(const char* kind) {
  SourceConfig s = FuzzSource(kind);
  s.options["signature_header"] = "X-Signature";
  s.options["auth"] = "hmac";  // a form or json source checks a signature only when it says so (fail closed)
  return s;
}

void CheckRefusal(const Status& s) {
  if (s.ok()) return;
  Check(s.code() == Code::kUnauthenticated && !s.message().empty());
  Check(s.message().find(kSecret) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parts = SplitParts(AsView(data, size), 3);
  std::string header(parts[0]);
  Payload p;
  p.body = parts[1];
  p.content_type = "application/json";
  p.headers = {{"x-hub-signature-256", header}, {"typeform-signature", header}, {"x-signature", header}};
  for (const char* kind : {"meta_leads", "typeform", "google_ads", "json", "form"}) {
    SourceConfig source = Source(kind);
    Status fuzzed = VerifySignature(source, p, kSecret);
    CheckRefusal(fuzzed);
    CheckRefusal(VerifySignature(source, p, ""));
    Check(std::string_view(kind) == "google_ads" || !VerifySignature(source, p, "").ok());
  }
  // The right signature verifies, whatever the body.
  std::string mac = HmacSha256(kSecret, p.body);
  Payload signed_p = p;
  signed_p.headers = {{"x-hub-signature-256", "sha256=" + HexEncode(mac)},
                      {"typeform-signature", "SHA256=" + Base64Encode(mac)},
                      {"x-signature", HexEncode(mac)}};
  Check(VerifySignature(Source("meta_leads"), signed_p, kSecret).ok());
  Check(VerifySignature(Source("typeform"), signed_p, kSecret).ok());
  Check(VerifySignature(Source("json"), signed_p, kSecret).ok());
  Check(!VerifySignature(Source("json"), signed_p, "another secret").ok());
  // Decoders: errors are values; encodings round-trip.
  if (auto hex = HexDecode(header); hex.ok())
    Check(hex->size() * 2 == header.size());
  else
    CheckOutcome(hex.status());
  if (auto b64 = Base64Decode(header); !b64.ok()) CheckOutcome(b64.status());
  auto back = HexDecode(HexEncode(header));
  Check(back.ok() && *back == header);
  auto back64 = Base64Decode(Base64Encode(header));
  Check(back64.ok() && *back64 == header);
  // Header formats with several signatures and a timestamp inside (Stripe's t=...,v1=..., Standard Webhooks'
  // "v1,<b64> v1,<b64>"), and a base64 secret: refusals stay refusals, and the right signature verifies.
  SourceConfig kv = Source("json");
  kv.options["signature_header"] = "X-Signature";
  kv.options["signature_format"] = "kv";
  kv.options["timestamp_key"] = "t";
  kv.options["signed"] = "timestamp_body";
  SourceConfig list = Source("json");
  list.options["signature_format"] = "list";
  list.options["encoding"] = "base64";
  list.options["signed"] = "headers_body";
  list.options["signed_headers"] = "webhook-id,webhook-timestamp";
  list.options["timestamp_header"] = "webhook-timestamp";
  list.options["secret_encoding"] = "base64";
  list.options["secret_prefix"] = "whsec_";
  list.options["delivery_key_header"] = "webhook-id";
  Payload fuzzed_headers = p;
  fuzzed_headers.headers["webhook-id"] = header;
  fuzzed_headers.headers["webhook-timestamp"] = "1700000000";
  for (const SourceConfig* s : {&kv, &list}) {
    CheckRefusal(VerifySignature(*s, fuzzed_headers, kSecret, 1700000000));
    (void)DeliveryKey(*s, fuzzed_headers);
  }
  Payload stamped = p;
  stamped.headers = {{"x-signature", header + ",t=1700000000,v1=" +
                                         HexEncode(HmacSha256(kSecret, "1700000000." + std::string(p.body)))}};
  Check(VerifySignature(kv, stamped, kSecret, 1700000000).ok());
  Check(!VerifySignature(kv, stamped, kSecret, 1700009999).ok());  // outside the window
  // LinkedIn's challengeCode handshake.
  auto li = AnswerLinkedInHandshake(parts[2], kSecret);
  if (!li.ok()) CheckOutcome(li.status());
  else Check(li->find(kSecret) == std::string::npos);
  // Meta's subscription handshake.
  auto challenge = AnswerMetaHandshake(Source("meta_leads"), parts[2], kSecret);
  if (!challenge.ok()) {
    CheckOutcome(challenge.status());
    Check(challenge.status().message().find(kSecret) == std::string::npos);
  }
  Check(!AnswerMetaHandshake(Source("meta_leads"), parts[2], "").ok());
  return 0;
}
