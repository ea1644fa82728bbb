// Authentication and delivery keys: what intake runs on a payload before storing it. Everything here is cheap
// (one HMAC, one JSON peek) and never echoes a secret or an expected signature in an error.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <vector>

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

// What one request of an auth = "hmac" source presents: the signatures it carries (decoded; Stripe sends several
// v1 entries during a secret's rotation, Standard Webhooks several "v1,<base64>"), the bytes the sender signed,
// and the timestamp when the scheme has one.
struct SignedRequest {
  std::vector<std::string> signatures;
  std::string message;
  std::string timestamp;  // as sent; "" when the scheme has none
  std::string timestamp_from;  // the header or "<header> <key>" it came from, for error messages
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// Reads the signature header as the source's signature_format says (docs/rules.md, "Signature schemes"):
//   plain: the whole value, after signature_prefix (or a tolerated "sha256=" when none is declared);
//   kv:    comma-separated k=v pairs (Stripe "t=...,v1=...", TikTok "t=...,s="): every signature_key entry, and
//          the timestamp_key entry;
//   list:  space-separated "<version>,<signature>" entries (Standard Webhooks): every signature_key version.
Result<SignedRequest> ReadSignedRequest(const SourceConfig& src, const Payload& p) {
  SignedRequest out;
  const std::string header = src.Option("signature_header");
  std::string value = Header(p, LowerAscii(header));
  if (value.empty()) return Status::Unauthenticated("missing " + header + " header");
  const std::string format = src.Option("signature_format", "plain");
  const std::string prefix = src.Option("signature_prefix");
  const bool base64 = src.Option("encoding") == "base64";
  std::vector<std::string_view> given;
  if (format == "kv" || format == "list") {
    const std::string key = src.Option("signature_key", "v1"), ts_key = src.Option("timestamp_key");
    for (std::string_view item : Split(value, format == "kv" ? ',' : ' ')) {
      item = TrimView(item);
      size_t at = item.find(format == "kv" ? '=' : ',');
      if (at == std::string_view::npos) continue;
      std::string_view k = item.substr(0, at), v = item.substr(at + 1);
      if (k == key) given.push_back(v);
      if (!ts_key.empty() && k == ts_key) {
        out.timestamp = std::string(v);
        out.timestamp_from = header + " " + ts_key;
      }
    }
    if (given.empty()) return Status::Unauthenticated(header + " has no " + key + " signature");
  } else {
    std::string_view v = TrimView(value);
    if (!prefix.empty()) {
      if (v.substr(0, prefix.size()) != prefix)
        return Status::Unauthenticated(header + " does not start with " + prefix);
      v.remove_prefix(prefix.size());
    } else if (v.size() >= 7 && LowerAscii(std::string(v.substr(0, 7))) == "sha256=") {
      v.remove_prefix(7);  // tolerated when no prefix is declared
    }
    given.push_back(v);
  }
  for (std::string_view g : given) {
    auto decoded = base64 ? Base64Decode(g) : HexDecode(g);
    if (decoded.ok()) out.signatures.push_back(std::move(*decoded));
  }
  if (out.signatures.empty())
    return Status::Unauthenticated(header + " is not a valid " + (base64 ? "base64" : "hex") + " digest");
  if (const std::string th = src.Option("timestamp_header"); !th.empty()) {
    out.timestamp = std::string(TrimView(Header(p, LowerAscii(th))));
    out.timestamp_from = th;
    if (out.timestamp.empty()) return Status::Unauthenticated("missing " + th + " header");
  } else if (!src.Option("timestamp_key").empty() && out.timestamp.empty()) {
    return Status::Unauthenticated(header + " has no " + src.Option("timestamp_key") + " timestamp");
  }
  const std::string signed_what = src.Option("signed", "body");
  const std::string sep = src.Option("signed_separator", ".");
  if (signed_what == "timestamp_body") {
    out.message = out.timestamp + sep + std::string(p.body);
  } else if (signed_what == "headers_body") {
    const std::string names = src.Option("signed_headers");  // Split's views point into it
    for (std::string_view name : Split(names, ',')) {
      std::string v = Header(p, LowerAscii(std::string(name)));
      if (v.empty()) return Status::Unauthenticated("missing " + std::string(name) + " header");
      out.message += v + sep;
    }
    out.message += p.body;
  } else if (signed_what == "prefix_body") {
    out.message = src.Option("signed_prefix") + std::string(p.body);
  } else {
    out.message = std::string(p.body);
  }
  return out;
}

// The HMAC key: the secret as text, or (secret_encoding = "base64") decoded after an optional secret_prefix
// (Standard Webhooks' "whsec_").
Result<std::string> HmacKey(const SourceConfig& src, std::string_view secret) {
  if (src.Option("secret_encoding") != "base64") return std::string(secret);
  const std::string prefix = src.Option("secret_prefix");
  if (!prefix.empty() && secret.substr(0, prefix.size()) == prefix) secret.remove_prefix(prefix.size());
  auto key = Base64Decode(secret);
  if (!key.ok() || key->empty())
    return Status::Unauthenticated("the configured secret is not base64 (secret_encoding = \"base64\")");
  return key;
}

// auth = "hmac" as the source's options describe it: a timestamp outside the replay window is refused before any
// HMAC is computed; then any of the presented signatures may match.
Status CheckHmacScheme(const SourceConfig& src, const Payload& p, std::string_view secret, int64_t now) {
  if (secret.empty()) return Status::Unauthenticated("no secret configured for this source");
  auto req = ReadSignedRequest(src, p);
  if (!req.ok()) return req.status();
  if (!req->timestamp_from.empty()) {
    std::string_view ts = req->timestamp;
    int64_t t = 0;
    auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
    if (ec != std::errc() || end != ts.data() + ts.size())
      return Status::Unauthenticated(req->timestamp_from + " is not a Unix time");
    if (src.Option("timestamp_unit") == "ms") t /= 1000;
    int64_t window = std::stoll(src.Option("replay_window", "300"));
    if (t < now - window || t > now + window)
      return Status::Unauthenticated(req->timestamp_from + " is outside the replay window of " +
                                     std::to_string(window) + " s");
  }
  auto key = HmacKey(src, secret);
  if (!key.ok()) return key.status();
  const std::string expected =
      src.Option("algorithm") == "sha1" ? HmacSha1(*key, req->message) : HmacSha256(*key, req->message);
  bool match = false;
  for (const std::string& given : req->signatures) match = ConstantTimeEquals(given, expected) || match;
  if (!match) return Status::Unauthenticated(src.Option("signature_header") + " does not verify");
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
  if (source.kind == "linkedin_leads") {
    // X-LI-Signature: hex HMAC-SHA256 of "hmacsha256=" + the body, under the app's client secret.
    if (secret.empty()) return Status::Unauthenticated("no secret configured for this source");
    std::string value = Header(payload, "x-li-signature");
    if (value.empty()) return Status::Unauthenticated("missing X-LI-Signature header");
    auto given = HexDecode(TrimView(value));
    if (!given.ok()) return Status::Unauthenticated("X-LI-Signature is not a valid hex digest");
    std::string message = "hmacsha256=";
    message += payload.body;
    if (!ConstantTimeEquals(*given, HmacSha256(secret, message)))
      return Status::Unauthenticated("X-LI-Signature does not verify");
    return Status::Ok();
  }
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

std::string HandshakeKind(const SourceConfig& source) {
  if (source.kind == "meta_leads") return "meta";
  if (source.kind == "linkedin_leads") return "linkedin";
  if (source.kind == "json" || source.kind == "form") return source.Option("handshake");
  return {};
}

Result<std::string> AnswerLinkedInHandshake(std::string_view query, std::string_view client_secret) {
  auto pairs = ParseUrlEncoded(query);
  if (!pairs.ok()) return Status::Invalid("bad query string: " + pairs.status().message(), pairs.status().where());
  std::string code;
  for (auto& [k, v] : *pairs)
    if (k == "challengeCode") code = v;
  if (code.empty()) return Status::Invalid("missing challengeCode", "challengeCode");
  // LinkedIn sends a type-4 UUID; anything else is not LinkedIn, and echoing it would need escaping.
  if (code.size() > 64 || code.find_first_not_of("0123456789abcdefABCDEF-") != std::string::npos)
    return Status::Invalid("challengeCode is not a UUID", "challengeCode");
  if (client_secret.empty()) return Status::Unauthenticated("no client secret configured for this source");
  return "{\"challengeCode\":\"" + code + "\",\"challengeResponse\":\"" +
         HexEncode(HmacSha256(client_secret, code)) + "\"}";
}

std::string DeliveryKey(const SourceConfig& source, const Payload& payload) {
  if (source.kind == "google_ads") return JsonStringAt(payload.body, "/lead_id");
  if (source.kind == "typeform") return JsonStringAt(payload.body, "/event_id");
  if (IsFetchKind(source)) {
    auto refs = NotificationLeadIds(source, payload.body);
    if (!refs.ok()) {
      // A fetched lead (what the worker parses) names itself.
      return JsonStringAt(payload.body, "/id");
    }
    std::vector<std::string> ids = std::move(*refs);
    // Nothing to fetch (LinkedIn's DELETED): the notification's own bytes name it, so a replay is one delivery.
    if (ids.empty()) return "sha256:" + HexEncode(Sha256(payload.body));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
    return out;
  }
  if (source.kind == "json" || source.kind == "form") {
    const std::string pointer = source.Option("delivery_key_pointer");
    const std::string key_header = source.Option("delivery_key_header");
    if (source.Option("auth") == "hmac") {
      // Replays: the key comes only from what the sender signed (an unsigned Idempotency-Key could be changed
      // to store a captured request again), so a replay inside the window is a redelivery and is written once.
      // A body without the id the pointer names falls back on what follows, never on no key at all.
      if (source.kind == "json" && !pointer.empty())
        if (std::string id = JsonStringAt(payload.body, pointer.c_str()); !id.empty()) return id;
      auto req = ReadSignedRequest(source, payload);
      if (!req.ok()) return {};
      if (!key_header.empty()) return std::string(TrimView(Header(payload, LowerAscii(key_header))));
      return "sha256:" + HexEncode(Sha256(req->message));
    }
    std::string key(TrimView(Header(payload, "idempotency-key")));
    if (key.empty() && !key_header.empty()) key = std::string(TrimView(Header(payload, LowerAscii(key_header))));
    if (!key.empty()) return key;
    if (source.kind == "json" && !pointer.empty()) key = JsonStringAt(payload.body, pointer.c_str());
    if (!key.empty()) return key;
    // A static secret or URL token authenticates the sender, not the delivery: without a key the sender names,
    // the same bytes again (its retry, or a replay) are one delivery, as an unsigned body's hash can say.
    const std::string auth = source.Option("auth");
    if (auth == "static" || auth == "url_token") return "sha256:" + HexEncode(Sha256(payload.body));
  }
  return {};
}

IntakeReply AcceptedReply(const SourceConfig& source, long long inbox_id, bool duplicate) {
  if (source.kind == "google_ads") return {200, "{}"};
  std::string receipt = "{\"id\":" + std::to_string(inbox_id) + ",\"status\":\"accepted\"" +
                        (duplicate ? ",\"duplicate\":true" : "") + "}";
  return {IsFetchKind(source) ? 200 : 202, std::move(receipt)};
}

}  // namespace canon
