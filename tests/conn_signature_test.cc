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
}

TEST_CASE("signature scheme: a static secret header (Gravity Forms)", "[conn][signature]") {
  auto e = Load("gravity_forms.toml", "gravity_forms");
  const std::string body = R"({"email":"g@example.com"})";
  CHECK(VerifySignature(*e.source, Post(body, {{"x-canon-secret", "gf-secret"}}), "gf-secret").ok());
  CHECK(VerifySignature(*e.source, Post(body, {{"x-canon-secret", "gf-secreT"}}), "gf-secret").message() ==
        "X-Canon-Secret does not match");
  CHECK(VerifySignature(*e.source, Post(body, {}), "gf-secret").message() == "missing X-Canon-Secret header");
  CHECK(VerifySignature(*e.source, Post(body, {{"x-canon-secret", ""}}), "").code() == Code::kUnauthenticated);
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
  Payload p = Post("email=u%40example.com", {});
  CHECK(VerifySignature(*e.source, p, "tok-1").message() == "missing URL token");
  p.url_token = "tok-2";
  CHECK(VerifySignature(*e.source, p, "tok-1").message() == "URL token does not match");
  p.url_token = "tok-1";
  CHECK(VerifySignature(*e.source, p, "tok-1").ok());
  CHECK(VerifySignature(*e.source, p, "").code() == Code::kUnauthenticated);
}
