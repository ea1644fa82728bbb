// Authentication and delivery keys: what intake runs on a payload before storing it. Everything here is cheap
// (one HMAC, one JSON peek) and never echoes a secret or an expected signature in an error.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include "connectors/connector.h"
#include "connectors/hmac.h"
#include "connectors/json_util.h"

namespace canon {
namespace {

std::string Header(const Payload& p, const std::string& lower_name) {
  auto it = p.headers.find(lower_name);
  return it == p.headers.end() ? std::string() : it->second;
}

std::string LowerAscii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "sha256=<digest>" where the digest is hex (Meta, generic) or base64 (Typeform).
Status CheckHmacHeader(const Payload& p, const std::string& header_name, std::string_view secret, bool base64,
                       bool prefix_required) {
  if (secret.empty()) return Status::Unauthenticated("no secret configured for this source");
  std::string value = Header(p, LowerAscii(header_name));
  if (value.empty()) return Status::Unauthenticated("missing " + header_name + " header");
  std::string_view v = TrimView(value);
  if (v.size() >= 7 && LowerAscii(std::string(v.substr(0, 7))) == "sha256=") {
    v.remove_prefix(7);
  } else if (prefix_required) {
    return Status::Unauthenticated(header_name + " is not of the form sha256=<digest>");
  }
  auto given = base64 ? Base64Decode(v) : HexDecode(v);
  if (!given.ok()) return Status::Unauthenticated(header_name + " is not a valid " + (base64 ? "base64" : "hex") +
                                                  " digest");
  std::string expected = HmacSha256(secret, p.body);
  if (!ConstantTimeEquals(*given, expected)) return Status::Unauthenticated(header_name + " does not verify");
  return Status::Ok();
}

// auth = "hmac" as the source's options describe it (docs/rules.md, "Signature schemes"): what is signed (the
// body, timestamp + separator + body, or a fixed prefix + body), with which hash, in which encoding and behind
// which prefix; a timestamp outside the replay window is refused before any HMAC is computed.
Status CheckHmacScheme(const SourceConfig& src, const Payload& p, std::string_view secret, int64_t now) {
  if (secret.empty()) return Status::Unauthenticated("no secret configured for this source");
  const std::string header = src.Option("signature_header");
  std::string value = Header(p, LowerAscii(header));
  if (value.empty()) return Status::Unauthenticated("missing " + header + " header");
  std::string_view v = TrimView(value);
  const std::string prefix = src.Option("signature_prefix");
  if (!prefix.empty()) {
    if (v.substr(0, prefix.size()) != prefix)
      return Status::Unauthenticated(header + " does not start with " + prefix);
    v.remove_prefix(prefix.size());
  } else if (v.size() >= 7 && LowerAscii(std::string(v.substr(0, 7))) == "sha256=") {
    v.remove_prefix(7);  // tolerated when no prefix is declared
  }
  const bool base64 = src.Option("encoding") == "base64";
  auto given = base64 ? Base64Decode(v) : HexDecode(v);
  if (!given.ok())
    return Status::Unauthenticated(header + " is not a valid " + (base64 ? "base64" : "hex") + " digest");
  std::string message;
  const std::string signed_what = src.Option("signed", "body");
  if (signed_what == "timestamp_body") {
    const std::string th = src.Option("timestamp_header");
    const std::string ts_value = Header(p, LowerAscii(th));
    std::string_view ts = TrimView(ts_value);
    if (ts.empty()) return Status::Unauthenticated("missing " + th + " header");
    int64_t t = 0;
    auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
    if (ec != std::errc() || end != ts.data() + ts.size())
      return Status::Unauthenticated(th + " is not a Unix time");
    if (src.Option("timestamp_unit") == "ms") t /= 1000;
    int64_t window = std::stoll(src.Option("replay_window", "300"));
    if (t < now - window || t > now + window)
      return Status::Unauthenticated(th + " is outside the replay window of " + std::to_string(window) + " s");
    message = std::string(ts) + src.Option("signed_separator", ".") + std::string(p.body);
  } else if (signed_what == "prefix_body") {
    message = src.Option("signed_prefix") + std::string(p.body);
  } else {
    message = std::string(p.body);
  }
  std::string expected = src.Option("algorithm") == "sha1" ? HmacSha1(secret, message) : HmacSha256(secret, message);
  if (!ConstantTimeEquals(*given, expected)) return Status::Unauthenticated(header + " does not verify");
  return Status::Ok();
}

std::string JsonStringAt(std::string_view body, const char* pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root)) return {};
  auto el = root.at_pointer(pointer);
  if (el.error() || el.value().is_null() || el.value().is_array() || el.value().is_object()) return {};
  return json_util::ScalarText(el.value());
}

}  // namespace

Status VerifySignature(const SourceConfig& source, const Payload& payload, std::string_view secret,
                       int64_t now_unix) {
  if (now_unix == 0) now_unix = static_cast<int64_t>(std::time(nullptr));
  if (source.kind == "meta_leads") return CheckHmacHeader(payload, "X-Hub-Signature-256", secret, false, true);
  if (source.kind == "typeform") return CheckHmacHeader(payload, "Typeform-Signature", secret, true, true);
  if (source.kind == "google_ads") {
    if (secret.empty()) return Status::Unauthenticated("no google_key configured for this source");
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(payload.body.data(), payload.body.size()).get(root) || !root.is_object())
      return Status::Unauthenticated("body is not a JSON object: no google_key to check");
    simdjson::dom::element key;
    if (!json_util::Member(json_util::Obj(root), "google_key", &key) || !key.is_string())
      return Status::Unauthenticated("missing google_key");
    if (!ConstantTimeEquals(std::string_view(key.get_string().value()), secret))
      return Status::Unauthenticated("google_key does not match");
    return Status::Ok();
  }
  if (source.kind == "json" || source.kind == "form") {
    const std::string auth = source.Option("auth");
    if (auth == "none") return Status::Ok();
    if (auth == "static") {
      // A shared secret sent as is (Gravity Forms' webhook add-on, Zapier): only TLS protects it.
      if (secret.empty()) return Status::Unauthenticated("no secret configured for this source");
      const std::string header = source.Option("secret_header");
      std::string value = Header(payload, LowerAscii(header));
      if (value.empty()) return Status::Unauthenticated("missing " + header + " header");
      if (!ConstantTimeEquals(TrimView(value), secret)) return Status::Unauthenticated(header + " does not match");
      return Status::Ok();
    }
    if (auth == "url_token") {
      // For senders that can only be given a URL; the token is a path segment, so keep it out of access logs.
      if (secret.empty()) return Status::Unauthenticated("no secret configured for this source");
      if (payload.url_token.empty()) return Status::Unauthenticated("missing URL token");
      if (!ConstantTimeEquals(payload.url_token, secret)) return Status::Unauthenticated("URL token does not match");
      return Status::Ok();
    }
    if (auth == "hmac" && !source.Option("signature_header").empty())
      return CheckHmacScheme(source, payload, secret, now_unix);
    return Status::Unauthenticated("no signature scheme configured for this source");
  }
  return Status::Ok();
}

Result<std::string> AnswerMetaHandshake(const SourceConfig& source, std::string_view query,
                                        std::string_view verify_token) {
  auto pairs = ParseUrlEncoded(query);
  if (!pairs.ok()) return Status::Invalid("bad query string: " + pairs.status().message(), pairs.status().where());
  std::string mode, token, challenge;
  bool has_token = false, has_challenge = false;
  for (auto& [k, v] : *pairs) {
    if (k == "hub.mode") mode = v;
    if (k == "hub.verify_token") token = v, has_token = true;
    if (k == "hub.challenge") challenge = v, has_challenge = true;
  }
  if (mode != "subscribe") return Status::Invalid("hub.mode is not 'subscribe'", "hub.mode");
  if (!has_challenge) return Status::Invalid("missing hub.challenge", "hub.challenge");
  if (!has_token) return Status::Unauthenticated("missing hub.verify_token");
  if (verify_token.empty()) return Status::Unauthenticated("no verify token configured for this source");
  if (!ConstantTimeEquals(token, verify_token)) return Status::Unauthenticated("hub.verify_token does not match");
  return challenge;
}

std::string DeliveryKey(const SourceConfig& source, const Payload& payload) {
  if (source.kind == "google_ads") return JsonStringAt(payload.body, "/lead_id");
  if (source.kind == "typeform") return JsonStringAt(payload.body, "/event_id");
  if (source.kind == "meta_leads") {
    auto refs = ParseMetaNotification(payload.body);
    if (!refs.ok()) {
      // A fetched Graph lead (what the worker parses) names itself.
      return JsonStringAt(payload.body, "/id");
    }
    std::vector<std::string> ids;
    for (const auto& r : *refs) ids.push_back(r.leadgen_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
    return out;
  }
  if (source.kind == "json" || source.kind == "form") {
    std::string key(TrimView(Header(payload, "idempotency-key")));
    if (!key.empty()) return key;
    std::string pointer = source.Option("delivery_key_pointer");
    if (source.kind == "json" && !pointer.empty()) return JsonStringAt(payload.body, pointer.c_str());
  }
  return {};
}

IntakeReply AcceptedReply(const SourceConfig& source, long long inbox_id, bool duplicate) {
  if (source.kind == "google_ads") return {200, "{}"};
  std::string receipt = "{\"id\":" + std::to_string(inbox_id) + ",\"status\":\"accepted\"" +
                        (duplicate ? ",\"duplicate\":true" : "") + "}";
  return {source.kind == "meta_leads" ? 200 : 202, std::move(receipt)};
}

}  // namespace canon
