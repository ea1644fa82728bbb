// Signature schemes as data: each example of rules/examples/sources/ is loaded as an operator would put it in
// force, and its scheme verifies a right signature and refuses a wrong, a missing and (where it has a timestamp)
// a stale one. The GitHub-style case is GitHub's published vector.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "connectors/connector.h"
#include "connectors/hmac.h"
#include "hygiene/rule_set.h"

using namespace canon;

namespace {

// The example file as the only sources.toml of a rule set; the set owns the returned source.
struct Example {
  std::shared_ptr<const RuleSet> rules;
  const SourceConfig* source = nullptr;
};
Example Load(const std::string& file, const std::string& name) {
  std::ifstream in(std::string(CANON_SOURCE_DIR) + "/rules/examples/sources/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = RuleSet::Parse({{"r/sources.toml", ss.str()}});
  if (!r.ok()) FAIL(file << ": " << r.status().ToString());
  Example e{*r, (*r)->FindSource(name)};
  REQUIRE(e.source != nullptr);
  return e;
}

Payload Post(const std::string& body, std::map<std::string, std::string> headers) {
  Payload p;
  p.body = body;
  p.content_type = "application/json";
  p.headers = std::move(headers);
  return p;
}

}  // namespace

TEST_CASE("signature scheme: GitHub-style sha256= hex HMAC, GitHub's published vector", "[conn][signature]") {
  auto e = Load("github_style.toml", "github_style");
  const std::string secret = "It's a Secret to Everybody", body = "Hello, World!";
  const std::string sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  CHECK(VerifySignature(*e.source, Post(body, {{"x-hub-signature-256", sig}}), secret).ok());
  CHECK(VerifySignature(*e.source, Post(body + " ", {{"x-hub-signature-256", sig}}), secret).message() ==
        "X-Hub-Signature-256 does not verify");
  CHECK(VerifySignature(*e.source, Post(body, {{"x-hub-signature-256", sig.substr(7)}}), secret).message() ==
        "X-Hub-Signature-256 does not start with sha256=");
  CHECK(VerifySignature(*e.source, Post(body, {}), secret).message() == "missing X-Hub-Signature-256 header");
  CHECK(VerifySignature(*e.source, Post(body, {{"x-hub-signature-256", sig}}), "other").code() ==
        Code::kUnauthenticated);
}

TEST_CASE("signature scheme: Tally, base64 HMAC-SHA256 of the body", "[conn][signature]") {
  auto e = Load("tally.toml", "tally");
  const std::string body = R"({"eventId":"a4cb511e","eventType":"FORM_RESPONSE","data":{"fields":[]}})";
  std::string sig = Base64Encode(HmacSha256("tally-secret", body));
  CHECK(VerifySignature(*e.source, Post(body, {{"tally-signature", sig}}), "tally-secret").ok());
  CHECK(VerifySignature(*e.source, Post(body, {{"tally-signature", HexEncode(HmacSha256("tally-secret", body))}}),
                        "tally-secret")
            .code() == Code::kUnauthenticated);  // hex where base64 is declared
  CHECK(VerifySignature(*e.source, Post(body, {{"tally-signature", Base64Encode(HmacSha256("guess", body))}}),
                        "tally-secret")
            .message() == "Tally-Signature does not verify");
  CHECK(DeliveryKey(*e.source, Post(body, {})) == "a4cb511e");
}

TEST_CASE("signature scheme: Webflow, timestamp:body in milliseconds with a replay window", "[conn][signature]") {
  auto e = Load("webflow.toml", "webflow");
  const int64_t now = 1733220000;  // 2024-12-03T10:00:00Z
  const std::string body = R"({"triggerType":"form_submission","payload":{"data":{"Email":"w@example.com"}}})";
  auto signed_at = [&](int64_t unix_ms) {
    std::string ts = std::to_string(unix_ms);
    return Post(body, {{"x-webflow-timestamp", ts},
                       {"x-webflow-signature", HexEncode(HmacSha256("wf-secret", ts + ":" + body))}});
  };
  CHECK(VerifySignature(*e.source, signed_at(now * 1000 - 4000), "wf-secret", now).ok());
  CHECK(VerifySignature(*e.source, signed_at(now * 1000 - 4000), "other", now).message() ==
        "x-webflow-signature does not verify");
  // Stale (and from the future): refused however well signed.
  CHECK(VerifySignature(*e.source, signed_at((now - 301) * 1000), "wf-secret", now).message() ==
        "x-webflow-timestamp is outside the replay window of 300 s");
  CHECK(VerifySignature(*e.source, signed_at((now + 301) * 1000), "wf-secret", now).code() ==
        Code::kUnauthenticated);
  // The timestamp is part of what is signed: moving it breaks the signature.
  Payload moved = signed_at(now * 1000 - 4000);
  moved.headers["x-webflow-timestamp"] = std::to_string(now * 1000);
  CHECK(VerifySignature(*e.source, moved, "wf-secret", now).message() == "x-webflow-signature does not verify");
  Payload none = signed_at(now * 1000);
  none.headers.erase("x-webflow-timestamp");
  CHECK(VerifySignature(*e.source, none, "wf-secret", now).message() == "missing x-webflow-timestamp header");
  auto recs = ParsePayload(*e.source, Post(body, {}));
  REQUIRE(recs.ok());
  CHECK(recs->front().Get("email") == "w@example.com");
  // Webflow signs each retry again with a new timestamp: the submission's id keeps it one delivery; a body
  // without one is keyed by its signed bytes.
  const std::string with_id = R"({"triggerType":"form_submission","payload":{"data":{"Email":"w@example.com"},)"
                              R"("submittedAt":"2024-02-01T15:35:45.897Z","id":"65bbba510f02b427c7024707"}})";
  auto resigned = [&](int64_t unix_ms) {
    std::string ts = std::to_string(unix_ms);
    return Post(with_id, {{"x-webflow-timestamp", ts},
                          {"x-webflow-signature", HexEncode(HmacSha256("wf-secret", ts + ":" + with_id))}});
  };
  CHECK(DeliveryKey(*e.source, resigned(now * 1000)) == "65bbba510f02b427c7024707");
  CHECK(DeliveryKey(*e.source, resigned(now * 1000 + 60000)) == "65bbba510f02b427c7024707");
  CHECK(DeliveryKey(*e.source, signed_at(now * 1000)) ==
        "sha256:" + HexEncode(Sha256(std::to_string(now * 1000) + ":" + body)));
}

TEST_CASE("signature scheme: a static secret header (Gravity Forms)", "[conn][signature]") {
  auto e = Load("gravity_forms.toml", "gravity_forms");
  const std::string body = R"({"email":"g@example.com"})";
  CHECK(VerifySignature(*e.source, Post(body, {{"x-canon-secret", "gf-secret"}}), "gf-secret").ok());
  CHECK(VerifySignature(*e.source, Post(body, {{"x-canon-secret", "gf-secreT"}}), "gf-secret").message() ==
        "X-Canon-Secret does not match");
  CHECK(VerifySignature(*e.source, Post(body, {}), "gf-secret").message() == "missing X-Canon-Secret header");
  CHECK(VerifySignature(*e.source, Post(body, {{"x-canon-secret", ""}}), "").code() == Code::kUnauthenticated);
  // The entry id names the delivery; without one (the partner example), the body's hash does.
  const std::string entry = R"({"id":"7","2":"g@example.com"})";
  CHECK(DeliveryKey(*e.source, Post(entry, {})) == "7");
  CHECK(DeliveryKey(*e.source, Post(body, {})) == "sha256:" + HexEncode(Sha256(body)));  // no id in this entry
  auto partner = Load("partner_constants.toml", "partner_leads");
  CHECK(DeliveryKey(*partner.source, Post(body, {})) == "sha256:" + HexEncode(Sha256(body)));
}

TEST_CASE("signature scheme options are checked at their line", "[conn][signature][rules]") {
  auto parse = [](const std::string& text) {
    auto r = RuleSet::Parse({{"r/sources.toml", "[s]\nkind = \"json\"\nsecret_env = \"S\"\n" + text}});
    return r.ok() ? Status::Ok() : r.status();
  };
  CHECK(parse("auth = \"hmac\"\nsignature_header = \"X\"\nalgorithm = \"md5\"\n").where() == "r/sources.toml:6:13");
  CHECK(parse("auth = \"hmac\"\nsignature_header = \"X\"\nsigned = \"timestamp_body\"\n").message().find(
            "needs timestamp_header") != std::string::npos);
  CHECK(parse("auth = \"hmac\"\nsignature_header = \"X\"\nreplay_window = 300\n").message().find(
            "needs a timestamp") != std::string::npos);
  CHECK(parse("auth = \"hmac\"\nsignature_header = \"X\"\ntimestamp_header = \"T\"\n").message().find(
            "needs signed = \"timestamp_body\"") != std::string::npos);
  CHECK(parse("auth = \"static\"\nsecret_header = \"X\"\nencoding = \"hex\"\n").message().find(
            "belongs to auth = \"hmac\"") != std::string::npos);
  CHECK(parse("auth = \"hmac\"\nsecret_header = \"X\"\n").message().find("belongs to auth = \"static\"") !=
        std::string::npos);
  CHECK(parse("auth = \"hmac\"\nsignature_header = \"X\"\nsigned = \"timestamp_body\"\ntimestamp_header = \"T\"\n"
              "replay_window = 0\n")
            .where() == "r/sources.toml:8:17");
}

TEST_CASE("signature scheme: a secret URL token", "[conn][signature]") {
  auto e = Load("url_token.toml", "url_form");
  const std::string body = "email=u%40example.com";
  Payload p = Post(body, {});
  CHECK(VerifySignature(*e.source, p, "tok-1").message() == "missing URL token");
  p.url_token = "tok-2";
  CHECK(VerifySignature(*e.source, p, "tok-1").message() == "URL token does not match");
  p.url_token = "tok-1";
  CHECK(VerifySignature(*e.source, p, "tok-1").ok());
  CHECK(VerifySignature(*e.source, p, "").code() == Code::kUnauthenticated);
  // The token authenticates the sender, not the delivery: the same bytes again are one delivery (a retry, or a
  // replay by whoever holds the URL), a key the sender names wins.
  const std::string other_body = "email=v%40example.com";  // Payload::body is a view: the bytes outlive it
  Payload other = Post(other_body, {});
  CHECK(DeliveryKey(*e.source, p) == "sha256:" + HexEncode(Sha256(p.body)));
  CHECK(DeliveryKey(*e.source, other) != DeliveryKey(*e.source, p));
  p.headers["idempotency-key"] = "sub-1";
  CHECK(DeliveryKey(*e.source, p) == "sub-1");
}

namespace {

// A replay is the same request again: it must come out with the first delivery's key, so the inbox answers it as a
// redelivery and writes nothing (tests/pg_vendor_test.cc shows that through canond); a new delivery must not.
void CheckReplayKey(const SourceConfig& src, const Payload& first, const Payload& fresh) {
  const std::string key = DeliveryKey(src, first);
  CHECK_FALSE(key.empty());
  CHECK(DeliveryKey(src, first) == key);
  CHECK(DeliveryKey(src, fresh) != key);
  // An unsigned Idempotency-Key cannot make a replay look new.
  Payload renamed = first;
  renamed.headers["idempotency-key"] = "something-new";
  CHECK(DeliveryKey(src, renamed) == key);
}

}  // namespace

TEST_CASE("signature scheme: Stripe-style t=...,v1=... over t.body, several v1, a tolerance window",
          "[conn][signature]") {
  auto e = Load("stripe_style.toml", "stripe_style");
  const std::string secret = "whsec_test_secret";
  const int64_t now = 1733220000;
  const std::string body = R"({"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"customer.created"})";
  auto signed_at = [&](int64_t t, const std::string& extra_v1 = "") {
    std::string ts = std::to_string(t);
    std::string v1 = HexEncode(HmacSha256(secret, ts + "." + body));
    return Post(body, {{"stripe-signature", "t=" + ts + (extra_v1.empty() ? "" : ",v1=" + extra_v1) + ",v1=" + v1 +
                                                ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"}});
  };
  CHECK(VerifySignature(*e.source, signed_at(now - 10), secret, now).ok());
  // During a secret's roll two v1 are sent: either may match, in any order.
  CHECK(VerifySignature(*e.source, signed_at(now - 10, HexEncode(HmacSha256("old-secret", "x"))), secret, now).ok());
  CHECK(VerifySignature(*e.source, signed_at(now - 10), "other", now).message() == "Stripe-Signature does not verify");
  CHECK(VerifySignature(*e.source, signed_at(now - 301), secret, now).message() ==
        "Stripe-Signature t is outside the replay window of 300 s");
  // The v0 (test-mode) entry is not a v1: alone it verifies nothing.
  CHECK(VerifySignature(*e.source, Post(body, {{"stripe-signature", "t=1,v0=00"}}), secret, now).message() ==
        "Stripe-Signature has no v1 signature");
  CHECK(VerifySignature(*e.source, Post(body, {{"stripe-signature", "v1=00"}}), secret, now).message() ==
        "Stripe-Signature has no t timestamp");
  // Moving t breaks the signature.
  Payload moved = signed_at(now - 10);
  auto& h = moved.headers["stripe-signature"];
  h.replace(2, 10, std::to_string(now - 5));
  CHECK(VerifySignature(*e.source, moved, secret, now).message() == "Stripe-Signature does not verify");
  // Stripe retries with a new t and signature: the event id is the key, so retry and replay are one delivery.
  CHECK(DeliveryKey(*e.source, signed_at(now - 10)) == "evt_1NG8Du2eZvKYlo2CUI79vXWy");
  CHECK(DeliveryKey(*e.source, signed_at(now - 100)) == "evt_1NG8Du2eZvKYlo2CUI79vXWy");
  // An event without the id: the signed bytes are the key, so a replay is still one delivery (it was no key at all).
  const std::string no_id = R"({"object":"event","type":"customer.created"})";
  const std::string ts = std::to_string(now - 10);
  const Payload anonymous =
      Post(no_id, {{"stripe-signature", "t=" + ts + ",v1=" + HexEncode(HmacSha256(secret, ts + "." + no_id))}});
  CHECK(DeliveryKey(*e.source, anonymous) == "sha256:" + HexEncode(Sha256(ts + "." + no_id)));
}

TEST_CASE("signature scheme: Standard Webhooks (Svix), the specification's published vector", "[conn][signature]") {
  auto e = Load("standard_webhooks.toml", "standard_webhooks");
  // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md (and Svix's docs).
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string body = R"({"test": 2432232314})";
  const int64_t ts = 1614265330;
  auto post = [&](const std::string& id, int64_t t, const std::string& sig) {
    return Post(body, {{"webhook-id", id}, {"webhook-timestamp", std::to_string(t)}, {"webhook-signature", sig}});
  };
  const std::string vector_sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  const Payload right = post("msg_p5jXN8AQM9LWM0D4loKWxJek", ts, vector_sig);
  CHECK(VerifySignature(*e.source, right, secret, ts + 10).ok());
  // Several space-separated signatures (a rolled secret, or another version): one match is enough.
  CHECK(VerifySignature(*e.source, post("msg_p5jXN8AQM9LWM0D4loKWxJek", ts, "v1a,AAAA v1,bm9wZQ== " + vector_sig),
                        secret, ts)
            .ok());
  // Wrong: another id (signed), another secret, a tampered body.
  CHECK(VerifySignature(*e.source, post("msg_other", ts, vector_sig), secret, ts).message() ==
        "webhook-signature does not verify");
  CHECK(VerifySignature(*e.source, right, "whsec_" + Base64Encode("another key"), ts).message() ==
        "webhook-signature does not verify");
  CHECK(VerifySignature(*e.source, right, "whsec_%%%", ts).message() ==
        "the configured secret is not base64 (secret_encoding = \"base64\")");
  // Stale, and from the future.
  CHECK(VerifySignature(*e.source, right, secret, ts + 301).message() ==
        "webhook-timestamp is outside the replay window of 300 s");
  CHECK(VerifySignature(*e.source, right, secret, ts - 301).code() == Code::kUnauthenticated);
  Payload no_id = right;
  no_id.headers.erase("webhook-id");
  CHECK(VerifySignature(*e.source, no_id, secret, ts).message() == "missing webhook-id header");
  // Replayed: the signed webhook-id is the key (a retry re-signs with a new timestamp and keeps the id).
  CHECK(DeliveryKey(*e.source, right) == "msg_p5jXN8AQM9LWM0D4loKWxJek");
  CheckReplayKey(*e.source, right, post("msg_2", ts, vector_sig));
}

TEST_CASE("signature scheme: LinkedIn, hmacsha256= + body, and its challengeCode handshake", "[conn][signature]") {
  auto e = Load("linkedin.toml", "linkedin");
  const std::string secret = "li-client-secret";
  const std::string body = R"({"type":"LEAD_ACTION","leadGenFormResponse":"urn:li:leadGenFormResponse:1"})";
  auto sign = [&](const std::string& b) { return HexEncode(HmacSha256(secret, "hmacsha256=" + b)); };
  const Payload right = Post(body, {{"x-li-signature", sign(body)}});
  CHECK(VerifySignature(*e.source, right, secret).ok());
  // The body alone (without the prefix) is not what LinkedIn signs.
  CHECK(VerifySignature(*e.source, Post(body, {{"x-li-signature", HexEncode(HmacSha256(secret, body))}}), secret)
            .message() == "X-LI-Signature does not verify");
  CHECK(VerifySignature(*e.source, Post(body, {}), secret).message() == "missing X-LI-Signature header");
  // No timestamp to be stale; a replay is the same signed bytes, one delivery key.
  CheckReplayKey(*e.source, right, Post(body + " ", {{"x-li-signature", sign(body + " ")}}));
  // Upper-case hex of the same signature is the same delivery (the key is the signed bytes, not the header).
  std::string upper = sign(body);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(DeliveryKey(*e.source, Post(body, {{"x-li-signature", upper}})) == DeliveryKey(*e.source, right));

  CHECK(HandshakeKind(*e.source) == "linkedin");
  const std::string code = "890e4665-4dfe-4ab1-b689-ed553bceeed0";
  auto answer = AnswerLinkedInHandshake("challengeCode=" + code, secret);
  REQUIRE(answer.ok());
  CHECK(*answer == "{\"challengeCode\":\"" + code + "\",\"challengeResponse\":\"" +
                       HexEncode(HmacSha256(secret, code)) + "\"}");
  CHECK(AnswerLinkedInHandshake("", secret).status().message() == "missing challengeCode");
  CHECK(AnswerLinkedInHandshake("challengeCode=%22%7D", secret).status().message() == "challengeCode is not a UUID");
  CHECK(AnswerLinkedInHandshake("challengeCode=" + code, "").status().code() == Code::kUnauthenticated);
}

TEST_CASE("signature scheme: TikTok, t=...,s=... over t.body", "[conn][signature]") {
  auto e = Load("tiktok.toml", "tiktok");
  const std::string secret = "tt-client-secret";
  const int64_t now = 1633174587;  // the timestamp of TikTok's documented header example
  const std::string body = R"({"client_key":"abc","event":"lead.created","create_time":1633174587})";
  auto signed_at = [&](int64_t t) {
    std::string ts = std::to_string(t);
    return Post(body, {{"tiktok-signature", "t=" + ts + ",s=" + HexEncode(HmacSha256(secret, ts + "." + body))}});
  };
  CHECK(VerifySignature(*e.source, signed_at(now), secret, now).ok());
  CHECK(VerifySignature(*e.source, signed_at(now), "x", now).message() == "TikTok-Signature does not verify");
  CHECK(VerifySignature(*e.source, signed_at(now - 301), secret, now).message() ==
        "TikTok-Signature t is outside the replay window of 300 s");
  CheckReplayKey(*e.source, signed_at(now), signed_at(now - 1));
  CHECK(HandshakeKind(*e.source).empty());
}

TEST_CASE("signature scheme: HMAC-SHA1, RFC 2202's vector", "[conn][signature]") {
  auto r = RuleSet::Parse({{"r/sources.toml",
                            "[old]\nkind = \"json\"\nauth = \"hmac\"\nsignature_header = \"X-Hub-Signature\"\n"
                            "signature_prefix = \"sha1=\"\nalgorithm = \"sha1\"\nsecret_env = \"S\"\n"}});
  REQUIRE(r.ok());
  const SourceConfig& src = *(*r)->FindSource("old");
  // RFC 2202, test case 2: key "Jefe", data "what do ya want for nothing?".
  const std::string body = "what do ya want for nothing?";
  const Payload right = Post(body, {{"x-hub-signature", "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"}});
  CHECK(VerifySignature(src, right, "Jefe").ok());
  CHECK(VerifySignature(src, Post(body, {{"x-hub-signature", "sha1=" + HexEncode(HmacSha256("Jefe", body))}}),
                        "Jefe")
            .message() == "X-Hub-Signature does not verify");
  CheckReplayKey(src, right, Post("other", {{"x-hub-signature", "sha1=00"}}));
}

TEST_CASE("signature scheme: the new options are checked at their line", "[conn][signature][rules]") {
  auto parse = [](const std::string& text) {
    auto r = RuleSet::Parse({{"r/sources.toml", "[s]\nkind = \"json\"\nsecret_env = \"S\"\nauth = \"hmac\"\n"
                                                "signature_header = \"X\"\n" + text}});
    return r.ok() ? Status::Ok() : r.status();
  };
  CHECK(parse("signature_format = \"pairs\"\n").where() == "r/sources.toml:6:20");
  CHECK(parse("signature_key = \"v1\"\n").message().find("needs signature_format") != std::string::npos);
  CHECK(parse("signature_format = \"list\"\ntimestamp_key = \"t\"\n").where() == "r/sources.toml:7:17");
  CHECK(parse("signature_format = \"kv\"\ntimestamp_key = \"t\"\n").message().find("needs signed") !=
        std::string::npos);
  CHECK(parse("signed = \"headers_body\"\n").message().find("signed_headers goes with") != std::string::npos);
  CHECK(parse("signed = \"headers_body\"\nsigned_headers = \"a\"\n").where() == "r/sources.toml:7:18");
  CHECK(parse("signed = \"headers_body\"\nsigned_headers = []\n").message().find("non-empty array") !=
        std::string::npos);
  CHECK(parse("signed = \"headers_body\"\nsigned_headers = [\"id\"]\ntimestamp_header = \"ts\"\n").message() ==
        "source 's': timestamp_header 'ts' is not among signed_headers");
  CHECK(parse("signed = \"headers_body\"\nsigned_headers = [\"id\"]\ndelivery_key_header = \"other\"\n").where() ==
        "r/sources.toml:8:23");
  CHECK(parse("delivery_key_header = \"webhook-id\"\n").message().find("must be a signed header") !=
        std::string::npos);
  CHECK(parse("secret_prefix = \"whsec_\"\n").message().find("needs secret_encoding") != std::string::npos);
  CHECK(parse("secret_encoding = \"hex\"\n").where() == "r/sources.toml:6:19");
  CHECK(parse("signed = \"headers_body\"\nsigned_headers = [\"id\"]\nreplay_window = 5\n").message().find(
            "needs a timestamp") != std::string::npos);
  CHECK(parse("handshake = \"meta\"\n").message().find("verify_token_env goes with") != std::string::npos);
  CHECK(parse("handshake = \"slack\"\n").where() == "r/sources.toml:6:13");
  CHECK(parse("verify_token_env = \"V\"\n").where() == "r/sources.toml:6:20");
  CHECK(parse("handshake = \"meta\"\nverify_token_env = \"V\"\n").ok());
  CHECK(parse("handshake = \"linkedin\"\n").ok());
  auto none = RuleSet::Parse({{"r/sources.toml", "[s]\nkind = \"json\"\nauth = \"none\"\nhandshake = \"linkedin\"\n"}});
  CHECK(none.status().message().find("needs secret_env") != std::string::npos);
}
