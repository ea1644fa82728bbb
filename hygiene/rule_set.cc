#include "hygiene/rule_set.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <set>

#include "hygiene/normalizer_data.h"
#include "hygiene/rule_parse.h"

namespace canon {

using rule_parse::CheckKeys;
using rule_parse::ReadString;
using rule_parse::ReadStrings;
using rule_parse::Where;

namespace {

// FNV-1a 64: a stable, dependency-free fingerprint of the rule files; not a security hash.
uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string BaseName(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }
std::string Stem(const std::string& path) {
  std::string b = BaseName(path);
  return b.substr(0, b.rfind('.'));
}
// The name of the folder holding the file ("vocabularies", "lists", ...).
std::string ParentName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return {};
  size_t prev = path.find_last_of('/', slash - 1);
  return path.substr(prev == std::string::npos ? 0 : prev + 1, slash - (prev == std::string::npos ? 0 : prev + 1));
}

// The options each connector kind reads (besides kind, map and synonyms). Anything else is refused: a misspelled
// option (signature_heder) must not leave a source silently accepting what it was meant to refuse.
struct KindSpec {
  std::string_view kind;
  std::vector<std::string_view> options;
};
const std::vector<KindSpec>& KindSpecs() {
  static const std::vector<KindSpec> specs = {
      {"form", {"default_country", "date_order", "auth", "secret_env", "signature_header", "algorithm", "encoding",
                "signature_prefix", "signed", "timestamp_header", "timestamp_unit", "signed_separator",
                "signed_prefix", "replay_window", "secret_header", "signature_format", "signature_key",
                "timestamp_key", "signed_headers", "secret_encoding", "secret_prefix", "delivery_key_header",
                "handshake", "verify_token_env", "constants", "json_field", "fields_array", "fields_key",
                "fields_value"}},
      {"json", {"default_country", "date_order", "auth", "secret_env", "signature_header", "algorithm", "encoding",
                "signature_prefix", "signed", "timestamp_header", "timestamp_unit", "signed_separator",
                "signed_prefix", "replay_window", "secret_header", "delivery_key_pointer", "signature_format",
                "signature_key", "timestamp_key", "signed_headers", "secret_encoding", "secret_prefix",
                "delivery_key_header", "handshake", "verify_token_env", "constants", "json_field", "fields_array",
                "fields_key", "fields_value"}},
      {"csv", {"default_country", "date_order", "folder"}},
      {"meta_leads",
       {"default_country", "date_order", "secret_env", "verify_token_env", "access_token_env", "graph_base",
        "graph_ca_file", "retry_initial", "retry_max", "retry_window"}},
      {"linkedin_leads",
       {"default_country", "date_order", "secret_env", "access_token_env", "api_base", "api_ca_file", "api_version",
        "retry_initial", "retry_max", "retry_window"}},
      {"google_ads", {"default_country", "date_order", "secret_env"}},
      {"typeform", {"default_country", "date_order", "secret_env"}},
  };
  return specs;
}

// The options of each auth scheme of json and form (the signature scheme as data; docs/rules.md).
const std::vector<std::string_view> kHmacOptions = {
    "signature_header", "algorithm",      "encoding",        "signature_prefix", "signed",
    "timestamp_header", "timestamp_unit", "signed_separator", "signed_prefix",   "replay_window",
    "signature_format", "signature_key",  "timestamp_key",   "signed_headers",  "secret_encoding",
    "secret_prefix"};

using WhereFn = std::function<std::string(std::string_view)>;

// auth = "hmac": every option takes one of its documented values, and options only go with the parts of the
// scheme that read them (a timestamp option without a timestamp would be silently ignored, so it is refused).
Status CheckHmacScheme(const toml::table& t, const SourceConfig& src, const std::string& who, const WhereFn& where) {
  auto has = [&](std::string_view key) { return t.get(key) != nullptr; };
  const std::pair<const char*, std::vector<std::string_view>> choices[] = {
      {"algorithm", {"sha256", "sha1"}},
      {"encoding", {"hex", "base64"}},
      {"signed", {"body", "timestamp_body", "prefix_body", "headers_body"}},
      {"timestamp_unit", {"s", "ms"}},
      {"signature_format", {"plain", "kv", "list"}},
      {"secret_encoding", {"text", "base64"}}};
  for (const auto& [k, values] : choices) {
    std::string v = src.Option(k);
    if (has(k) && std::find(values.begin(), values.end(), v) == values.end())
      return Status::Invalid(who + ": unknown " + k + " '" + v + "'", where(k));
  }
  const std::string format = src.Option("signature_format", "plain");
  if (has("signature_key") && format == "plain")
    return Status::Invalid(who + ": signature_key needs signature_format = \"kv\" or \"list\"", where("signature_key"));
  if (has("timestamp_key") && format != "kv")
    return Status::Invalid(who + ": timestamp_key needs signature_format = \"kv\"", where("timestamp_key"));
  if (has("timestamp_key") && has("timestamp_header"))
    return Status::Invalid(who + ": the timestamp comes from timestamp_key or timestamp_header, not both",
                           where("timestamp_header"));
  const std::string signed_what = src.Option("signed", "body");
  const bool stamped = has("timestamp_header") || has("timestamp_key");
  if (signed_what == "timestamp_body" && !stamped)
    return Status::Invalid(who + ": signed = \"timestamp_body\" needs timestamp_header (or timestamp_key)",
                           where("signed"));
  if (signed_what != "timestamp_body" && signed_what != "headers_body")
    for (const char* k : {"timestamp_header", "timestamp_key", "signed_separator"})
      if (has(k))
        return Status::Invalid(who + ": '" + k + "' needs signed = \"timestamp_body\" or \"headers_body\"",
                               where(k));
  if (!stamped)
    for (const char* k : {"timestamp_unit", "replay_window"})
      if (has(k)) return Status::Invalid(who + ": '" + k + "' needs a timestamp (timestamp_header)", where(k));
  if ((signed_what == "prefix_body") != has("signed_prefix"))
    return Status::Invalid(who + ": signed_prefix goes with signed = \"prefix_body\"", where("signed"));
  if ((signed_what == "headers_body") != has("signed_headers"))
    return Status::Invalid(who + ": signed_headers goes with signed = \"headers_body\"", where("signed"));
  if (signed_what == "headers_body") {
    if (has("timestamp_key"))
      return Status::Invalid(who + ": with signed = \"headers_body\" the timestamp is a signed header "
                                   "(timestamp_header)",
                             where("timestamp_key"));
    // The timestamp and the delivery key must be among what is signed, or a replay could change them freely.
    std::string list = "," + Lower(src.Option("signed_headers")) + ",";
    for (const char* k : {"timestamp_header", "delivery_key_header"})
      if (has(k) && list.find("," + Lower(src.Option(k)) + ",") == std::string::npos)
        return Status::Invalid(who + ": " + k + " '" + src.Option(k) + "' is not among signed_headers", where(k));
  } else if (has("delivery_key_header")) {
    return Status::Invalid(who + ": with auth = \"hmac\", delivery_key_header must be a signed header "
                                 "(signed = \"headers_body\"); use delivery_key_pointer for a key in the body",
                           where("delivery_key_header"));
  }
  if (has("secret_prefix") && src.Option("secret_encoding") != "base64")
    return Status::Invalid(who + ": secret_prefix needs secret_encoding = \"base64\"", where("secret_prefix"));
  if (has("replay_window")) {
    auto w = t.get("replay_window")->value<int64_t>();
    if (!w || *w < 1 || !t.get("replay_window")->is_integer())
      return Status::Invalid(who + ": replay_window must be a positive number of seconds", where("replay_window"));
  }
  return Status::Ok();
}

// handshake = "meta" (hub.challenge, answered with verify_token_env's token) or "linkedin" (challengeCode,
// answered with the HMAC of the code under secret_env's client secret).
Status CheckHandshake(const toml::table& t, const SourceConfig& src, const std::string& who, const WhereFn& where) {
  auto has = [&](std::string_view key) { return t.get(key) != nullptr; };
  const std::string h = src.Option("handshake");
  if (has("handshake") && h != "meta" && h != "linkedin")
    return Status::Invalid(who + ": unknown handshake '" + h + "' (expected meta, linkedin)", where("handshake"));
  if ((h == "meta") != has("verify_token_env"))
    return Status::Invalid(who + ": verify_token_env goes with handshake = \"meta\"",
                           where(has("handshake") ? "handshake" : "verify_token_env"));
  if (h == "linkedin" && !has("secret_env"))
    return Status::Invalid(who + ": handshake = \"linkedin\" answers with the client secret: it needs secret_env",
                           where("handshake"));
  return Status::Ok();
}

// Fail closed: a webhook source says how its posts are authenticated. json and form choose (auth = "none" written
// out, auth = "hmac" with its scheme, or auth = "static" with its header); vendor kinds have their sender's scheme
// and need its secrets.
Status CheckAuth(const std::string& path, const toml::table& t, const SourceConfig& src) {
  auto where = [&](std::string_view key) { return Where(path, t.get(key) ? t.get(key)->source() : t.source()); };
  auto has = [&](std::string_view key) { return t.get(key) != nullptr; };
  const std::string who = "source '" + src.name + "'";
  const std::string auth = src.Option("auth");
  const bool secret = has("secret_env"), header = has("signature_header") || has("secret_header");
  if (src.kind == "json" || src.kind == "form") {
    if (auth.empty() && (secret || header))
      return Status::Invalid(who + " has a secret or signature header but no scheme: write auth = \"hmac\"",
                             where(secret ? "secret_env" : has("signature_header") ? "signature_header"
                                                                                    : "secret_header"));
    if (auth.empty())
      return Status::Invalid(who + " says nothing of authentication: write auth = \"none\" to take unsigned "
                                   "posts, or auth = \"hmac\" with signature_header and secret_env",
                             Where(path, t.source()));
    if (auth != "none" && auth != "hmac" && auth != "static" && auth != "url_token")
      return Status::Invalid(who + ": unknown auth '" + auth + "' (expected none, hmac, static, url_token)",
                             where("auth"));
    // Options of another scheme than the one chosen are mistakes, not defaults.
    for (std::string_view k : kHmacOptions)
      if (auth != "hmac" && has(k))
        return Status::Invalid(who + ": '" + std::string(k) + "' belongs to auth = \"hmac\"", where(k));
    if (auth != "static" && has("secret_header"))
      return Status::Invalid(who + ": 'secret_header' belongs to auth = \"static\"", where("secret_header"));
    if (auth == "none") {
      if (secret)
        return Status::Invalid(who + " has auth = \"none\" and a secret or signature header: remove them or "
                                     "choose a scheme",
                               where("secret_env"));
      return CheckHandshake(t, src, who, where);
    }
    const char* needed = auth == "hmac" ? "signature_header" : auth == "static" ? "secret_header" : nullptr;
    if (needed && !has(needed))
      return Status::Invalid(who + ": auth = \"" + auth + "\" needs " + needed, where("auth"));
    if (!secret) return Status::Invalid(who + ": auth = \"" + auth + "\" needs secret_env", where("auth"));
    if (auth == "hmac")
      if (Status s = CheckHmacScheme(t, src, who, where); !s.ok()) return s;
    return CheckHandshake(t, src, who, where);
  }
  if (src.kind == "csv") return Status::Ok();
  if (!secret)
    return Status::Invalid(who + " (kind " + src.kind + ") needs secret_env, the environment variable holding its " +
                               "secret",
                           Where(path, t.source()));
  if (src.kind == "meta_leads")
    for (const char* k : {"verify_token_env", "access_token_env"})
      if (src.Option(k).empty())
        return Status::Invalid(who + " (kind meta_leads) needs " + k, Where(path, t.source()));
  if (src.kind == "linkedin_leads" && src.Option("access_token_env").empty())
    return Status::Invalid(who + " (kind linkedin_leads) needs access_token_env, the environment variable holding "
                                 "its API bearer token",
                           Where(path, t.source()));
  if (src.kind == "linkedin_leads")
    if (std::string base = src.Option("api_base"); has("api_base") && base.rfind("https://", 0) != 0)
      return Status::Invalid(who + ": api_base must start with https:// (the token must not travel in clear)",
                             where("api_base"));
  // The durable retries of fetched leads (daemon/fetch_retry.h): seconds, fractions allowed.
  for (const char* k : {"retry_initial", "retry_max", "retry_window"}) {
    if (!has(k)) continue;
    auto v = t.get(k)->value<double>();
    if (!v || !(t.get(k)->is_number()) || !(*v > 0) || *v > 365.0 * 86400)
      return Status::Invalid(who + ": " + k + " must be a positive number of seconds (at most a year)", where(k));
  }
  return Status::Ok();
}

// Mapping options: a JSON field decoded in place (json_field), an array of {key, value} entries mapped by key
// (fields_array), and the map's locators, which must be JSON Pointers where the payload is JSON (a key of
// fields_array where one is declared). A locator that cannot be followed would silently map nothing.
Status CheckMapping(const std::string& path, const toml::table& t, const SourceConfig& src) {
  if (src.kind != "json" && src.kind != "form") return Status::Ok();
  auto where = [&](std::string_view key) { return Where(path, t.get(key) ? t.get(key)->source() : t.source()); };
  auto has = [&](std::string_view key) { return t.get(key) != nullptr; };
  const std::string who = "source '" + src.name + "'";
  for (const char* k : {"fields_key", "fields_value"})
    if (has(k) && !has("fields_array")) return Status::Invalid(who + ": '" + k + "' needs fields_array", where(k));
  if (src.kind == "form" && has("fields_array") && !has("json_field"))
    return Status::Invalid(who + ": fields_array on a form source needs json_field (the form key holding JSON)",
                           where("fields_array"));
  for (const char* k : {"fields_array", "json_field"}) {
    if (!has(k) || (src.kind == "form" && std::string_view(k) == "json_field")) continue;
    if (src.Option(k).empty() || src.Option(k)[0] != '/')
      return Status::Invalid(who + ": " + k + " must be a JSON Pointer (\"/...\")", where(k));
  }
  for (const char* k : {"fields_key", "fields_value", "json_field"})
    if (has(k) && src.Option(k).empty()) return Status::Invalid(who + ": '" + k + "' is empty", where(k));
  const bool json_payload = src.kind == "json" || has("json_field");
  if (!json_payload || has("fields_array")) return Status::Ok();
  const toml::table* map = t.get("map") ? t.get("map")->as_table() : nullptr;
  if (!map) return Status::Ok();
  for (const auto& [k, v] : *map) {
    auto locator = v.value<std::string>();
    if (locator && !locator->empty() && (*locator)[0] != '/')
      return Status::Invalid(who + ": map." + std::string(k.str()) + " = '" + *locator +
                                 "' is not a JSON Pointer (\"/...\"); declare fields_array to map by key",
                             Where(path, v.source()));
  }
  return Status::Ok();
}

Status ParseSources(const RuleFile& file, const toml::table& root, const FieldSchema& schema,
                    std::map<std::string, SourceConfig, std::less<>>* out, std::map<std::string, std::string>* wheres) {
  for (const auto& [key, node] : root) {
    std::string name(key.str());
    if (name == "example") continue;
    const toml::table* t = node.as_table();
    if (!t) return Status::Invalid("source '" + name + "' must be a table", Where(file.path, node.source()));
    SourceConfig src;
    src.name = name;
    (*wheres)[name] = Where(file.path, node.source());
    const toml::node* kind = t->get("kind");
    if (!kind) return Status::Invalid("source '" + name + "' has no 'kind'", Where(file.path, node.source()));
    auto kind_name = kind->value<std::string>();
    auto spec = std::find_if(KindSpecs().begin(), KindSpecs().end(), [&](const KindSpec& ks) {
      return kind_name && kind->is_string() && ks.kind == *kind_name;
    });
    if (spec == KindSpecs().end())
      return Status::Invalid("source '" + name + "': unknown connector kind", Where(file.path, kind->source()));
    src.kind = *kind_name;
    std::vector<std::string_view> allowed = {"kind", "map", "synonyms"};
    allowed.insert(allowed.end(), spec->options.begin(), spec->options.end());
    Status s = CheckKeys(file.path, *t, allowed, "source '" + name + "' (kind " + src.kind + ")");
    if (!s.ok()) return s;
    for (const auto& [k, v] : *t) {
      if (std::string_view(k.str()) == "default_country") (*wheres)[name] = Where(file.path, v.source());
      std::string opt(k.str());
      if (opt == "kind") {
        continue;
      } else if (opt == "signed_headers") {
        // Header names cannot hold ',', so the list travels as one option.
        std::vector<std::string> names;
        if (v.is_array()) s = ReadStrings(file.path, v, "signed_headers", &names);
        if (!v.is_array() || !s.ok() || names.empty())
          return Status::Invalid("source '" + name + "': signed_headers must be a non-empty array of header names",
                                 Where(file.path, v.source()));
        std::string joined;
        for (const auto& h : names) {
          if (h.empty() || h.find(',') != std::string::npos)
            return Status::Invalid("source '" + name + "': '" + h + "' is not a header name",
                                   Where(file.path, v.source()));
          joined += (joined.empty() ? "" : ",") + h;
        }
        src.options[opt] = joined;
      } else if (opt == "map" || opt == "synonyms" || opt == "constants") {
        const toml::table* m = v.as_table();
        if (!m) return Status::Invalid("source '" + name + "': '" + opt + "' must be a table",
                                       Where(file.path, v.source()));
        for (const auto& [mk, mv] : *m) {
          auto s = mv.value<std::string>();
          if (!s) return Status::Invalid("source '" + name + "': " + opt + " values must be strings",
                                         Where(file.path, mv.source()));
          if (opt == "map" || opt == "constants") {
            if (!schema.Find(mk.str()))
              return Status::Invalid("source '" + name + "': unknown canonical field '" +
                                         std::string(mk.str()) + "'",
                                     Where(file.path, mv.source()));
            (opt == "map" ? src.map : src.constants).emplace_back(std::string(mk.str()), *s);
          } else {
            if (!schema.Find(*s))
              return Status::Invalid("source '" + name + "': synonym maps to unknown field '" + *s + "'",
                                     Where(file.path, mv.source()));
            src.synonyms[Lower(std::string(mk.str()))] = *s;
          }
        }
      } else if (v.is_string() || v.is_integer() || v.is_boolean() || v.is_floating_point()) {
        if (auto s = v.value<std::string>(); s && v.is_string()) src.options[opt] = *s;
        else if (auto i = v.value<int64_t>(); i && v.is_integer()) src.options[opt] = std::to_string(*i);
        else if (auto b = v.value<bool>(); b && v.is_boolean()) src.options[opt] = *b ? "true" : "false";
        else if (auto d = v.value<double>()) src.options[opt] = std::to_string(*d);
      } else {
        return Status::Invalid("source '" + name + "': unsupported value for '" + opt + "'",
                               Where(file.path, v.source()));
      }
    }
    if (!(s = CheckAuth(file.path, *t, src)).ok()) return s;
    if (!(s = CheckMapping(file.path, *t, src)).ok()) return s;
    out->emplace(name, std::move(src));
  }
  return Status::Ok();
}

Status ParseList(const RuleFile& file, const toml::table& root, std::map<std::string, RuleList, std::less<>>* out) {
  Status s = CheckKeys(file.path, root, {"list", "kind", "description", "entries", "map", "example"}, "a list file");
  if (!s.ok()) return s;
  RuleList list;
  list.name = Stem(file.path);
  list.where = file.path;
  if (const toml::node* n = root.get("list"))
    if (!(s = ReadString(file.path, *n, "list", &list.name)).ok()) return s;
  if (const toml::node* n = root.get("entries")) {
    std::vector<std::string> entries;
    if (!(s = ReadStrings(file.path, *n, "entries", &entries)).ok()) return s;
    list.entries.reserve(entries.size());
    for (auto& e : entries) list.entries.insert(Lower(std::move(e)));
  }
  if (const toml::node* n = root.get("map")) {
    const toml::table* m = n->as_table();
    if (!m) return Status::Invalid("map must be a table", Where(file.path, n->source()));
    for (const auto& [k, v] : *m) {
      std::string val;
      if (!(s = ReadString(file.path, v, "map value", &val)).ok()) return s;
      list.map[Lower(std::string(k.str()))] = val;
    }
  }
  auto [it, fresh] = out->emplace(list.name, RuleList{});
  if (!fresh) {
    // Several files may feed one list (a generated file plus a hand-kept one).
    it->second.entries.insert(list.entries.begin(), list.entries.end());
    for (auto& [k, v] : list.map) it->second.map[k] = v;
  } else {
    it->second = std::move(list);
  }
  return Status::Ok();
}

Status ReadStringTable(const std::string& path, const toml::node& n, std::string_view what,
                       std::map<std::string, std::string>* out) {
  const toml::table* t = n.as_table();
  if (!t) return Status::Invalid(std::string(what) + " must be a table", Where(path, n.source()));
  for (const auto& [k, v] : *t) {
    if (v.is_string()) (*out)[std::string(k.str())] = *v.value<std::string>();
    else if (v.is_integer()) (*out)[std::string(k.str())] = std::to_string(*v.value<int64_t>());
    else if (v.is_boolean()) (*out)[std::string(k.str())] = *v.value<bool>() ? "true" : "false";
    else return Status::Invalid(std::string(what) + " values must be strings", Where(path, v.source()));
  }
  return Status::Ok();
}

Status ParseExamples(const RuleFile& file, const toml::table& root, std::vector<RuleExample>* out) {
  const toml::node* n = root.get("example");
  if (!n) return Status::Ok();
  const toml::array* arr = n->as_array();
  if (!arr) return Status::Invalid("'example' must be an array of tables ([[example]])", Where(file.path, n->source()));
  Status s;
  for (const auto& e : *arr) {
    const toml::table* t = e.as_table();
    if (!t) return Status::Invalid("[[example]] entries must be tables", Where(file.path, e.source()));
    if (!(s = CheckKeys(file.path, *t,
                        {"field", "input", "expect", "keys", "flags", "quarantined", "rejected", "source", "note"},
                        "[[example]]"))
             .ok())
      return s;
    RuleExample ex;
    ex.where = Where(file.path, t->source());
    if (const toml::node* f = t->get("source"))
      if (!(s = ReadString(file.path, *f, "source", &ex.source)).ok()) return s;
    const toml::node* input = t->get("input");
    if (!input) return Status::Invalid("[[example]] needs an 'input'", ex.where);
    if (const toml::node* f = t->get("field")) {
      if (!(s = ReadString(file.path, *f, "field", &ex.field)).ok()) return s;
      std::string in;
      if (!(s = ReadString(file.path, *input, "input (with 'field')", &in)).ok()) return s;
      ex.input[ex.field] = in;
      if (const toml::node* x = t->get("expect")) {
        std::string want;
        if (!(s = ReadString(file.path, *x, "expect (with 'field')", &want)).ok()) return s;
        ex.expect[ex.field] = want;
      }
      for (const char* k : {"quarantined", "rejected"}) {
        const toml::node* q = t->get(k);
        if (!q) continue;
        if (!q->is_boolean()) return Status::Invalid(std::string(k) + " must be true or false with 'field'",
                                                     Where(file.path, q->source()));
        std::vector<std::string> v;
        if (*q->value<bool>()) v.push_back(ex.field);
        (std::string_view(k) == "quarantined" ? ex.quarantined : ex.rejected) = v;
      }
    } else {
      if (!(s = ReadStringTable(file.path, *input, "input", &ex.input)).ok()) return s;
      if (const toml::node* x = t->get("expect"))
        if (!(s = ReadStringTable(file.path, *x, "expect", &ex.expect)).ok()) return s;
      for (const char* k : {"quarantined", "rejected"}) {
        const toml::node* q = t->get(k);
        if (!q) continue;
        std::vector<std::string> v;
        if (!(s = ReadStrings(file.path, *q, k, &v)).ok()) return s;
        (std::string_view(k) == "quarantined" ? ex.quarantined : ex.rejected) = v;
      }
    }
    if (const toml::node* k = t->get("keys"))
      if (!(s = ReadStringTable(file.path, *k, "keys", &ex.keys)).ok()) return s;
    if (const toml::node* f = t->get("flags"))
      if (!(s = ReadStrings(file.path, *f, "flags", &ex.flags)).ok()) return s;
    if (ex.expect.empty() && ex.keys.empty() && ex.flags.empty() && !ex.quarantined && !ex.rejected)
      return Status::Invalid("[[example]] expects nothing (give expect, keys, flags, quarantined or rejected)",
                             ex.where);
    out->push_back(std::move(ex));
  }
  return Status::Ok();
}

}  // namespace

struct RuleSetParser {
  // match.toml (+ nicknames.toml beside it, and lists/given_name_sex.toml) and survivorship.toml; all optional.
  static Status ParseMatchFiles(const std::vector<std::pair<const RuleFile*, toml::table>>& parsed, RuleSet* set) {
    const RuleFile* match = nullptr;
    const RuleFile* nick = nullptr;
    const RuleFile* sexes = nullptr;
    for (auto& [f, root] : parsed) {
      std::string base = BaseName(f->path);
      if (base == "match.toml" && ParentName(f->path) != "examples") match = f;
      if (base == "nicknames.toml" && ParentName(f->path) != "examples") nick = f;
      if (base == "given_name_sex.toml" && ParentName(f->path) == "lists") sexes = f;
      if (base == "survivorship.toml") {
        auto sv = SurvivorshipRules::FromToml(f->text, f->path);
        if (!sv.ok()) return sv.status();
        set->survivorship_ = std::move(*sv);
      }
    }
    if (!match) return Status::Ok();
    auto cfg = std::make_shared<MatchConfig>();
    if (nick) {
      auto t = NicknameTable::FromToml(nick->text, nick->path);
      if (!t.ok()) return t.status();
      if (sexes)
        if (Status st = t->AddSexes(sexes->text, sexes->path); !st.ok()) return st;
      cfg->nicknames = std::make_shared<const NicknameTable>(std::move(*t));
    }
    auto model = MatchModel::FromToml(match->text, match->path, cfg->nicknames);
    if (!model.ok()) return model.status();
    cfg->model = std::make_shared<const MatchModel>(std::move(*model));
    auto blocking = BlockingRules::FromToml(match->text, match->path);
    if (!blocking.ok()) return blocking.status();
    cfg->blocking = std::move(*blocking);
    set->match_ = std::move(cfg);
    return Status::Ok();
  }

  static Result<std::shared_ptr<const RuleSet>> Run(const std::vector<RuleFile>& files) {
    auto set = std::make_shared<RuleSet>();
    std::vector<const RuleFile*> sorted;
    for (const auto& f : files) sorted.push_back(&f);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->path < b->path; });
    uint64_t h = 1469598103934665603ull;
    std::vector<std::pair<const RuleFile*, toml::table>> parsed;
    parsed.reserve(sorted.size());
    for (const RuleFile* f : sorted) {
      // The name relative to its kind's folder, so the same files hash the same wherever they are checked out.
      std::string parent = ParentName(f->path);
      std::string rel = (parent == "vocabularies" || parent == "lists" ? parent + "/" : "") + BaseName(f->path);
      h = Fnv1a(Fnv1a(h, rel), f->text);
      try {
        parsed.emplace_back(f, toml::parse(f->text, f->path));
      } catch (const toml::parse_error& err) {
        return Status::Invalid("TOML syntax error: " + std::string(err.description()),
                               Where(f->path, err.source()));
      }
    }
    Status s;
    // Field definitions first: sources and examples are checked against them.
    bool have_fields = false;
    for (auto& [f, root] : parsed) {
      if (BaseName(f->path) != "fields.toml") continue;
      if (have_fields) return Status::Invalid("a second fields.toml in the rule set", f->path + ":1:1");
      have_fields = true;
      if (!(s = rule_parse::ParseFieldSchema(f->path, root, &set->fields_)).ok()) return s;
    }
    if (!have_fields) set->fields_ = BuiltinFieldSchema();

    bool have_sources = false;
    std::map<std::string, std::string> sources_where;
    std::map<std::string, rule_parse::VocabularyBuilder> vocab_builders;
    for (auto& [f, root] : parsed) {
      std::string base = BaseName(f->path);
      std::string parent = ParentName(f->path);
      if (base == "sources.toml" && parent != "sources") {
        have_sources = true;
        if (!(s = ParseSources(*f, root, set->fields_, &set->sources_, &sources_where)).ok()) return s;
      } else if (parent == "sources" && ParentName(f->path.substr(0, f->path.find_last_of('/'))) == "examples") {
        // Vendor examples (examples/sources/*.toml): checked as sources are, but not in force; a source is put in
        // force by copying its table into sources.toml.
        std::map<std::string, SourceConfig, std::less<>> examples;
        std::map<std::string, std::string> examples_where;
        if (!(s = ParseSources(*f, root, set->fields_, &examples, &examples_where)).ok()) return s;
      } else if (parent == "vocabularies") {
        std::string name = Stem(f->path);
        if (const toml::node* n = root.get("vocabulary"))
          if (!(s = ReadString(f->path, *n, "vocabulary", &name)).ok()) return s;
        auto it = vocab_builders.try_emplace(name, name).first;
        if (!(s = it->second.AddFile(f->path, root)).ok()) return s;
      } else if (parent == "lists") {
        if (!(s = ParseList(*f, root, &set->lists_)).ok()) return s;
      } else if (base == "names.toml") {
        set->names_toml_ = f->text;
        set->names_path_ = f->path;
      } else if (base == "companies.toml") {
        set->companies_toml_ = f->text;
        set->companies_path_ = f->path;
      }
      if (!(s = ParseExamples(*f, root, &set->examples_)).ok()) return s;
    }
    if (!have_sources) return Status::Invalid("no sources.toml in the rule set");
    if (!(s = ParseMatchFiles(parsed, set.get())).ok()) return s;
    for (auto& [name, builder] : vocab_builders) {
      Vocabulary v;
      if (!(s = builder.Finish(&v)).ok()) return s;
      set->vocabularies_.emplace(name, std::move(v));
    }
    // A derive/refine rule naming a field the schema does not define would silently never hold (a typo such as
    // "utm_meduim"): refuse it.
    if (have_fields) {
      for (const auto& [name, vocab] : set->vocabularies_) {
        for (const auto* rules : {&vocab.derive_rules(), &vocab.refine_rules()}) {
          for (const auto& r : *rules) {
            std::vector<std::string> named = r.present;
            named.insert(named.end(), r.any_present.begin(), r.any_present.end());
            named.insert(named.end(), r.absent.begin(), r.absent.end());
            for (const auto& m : r.match) named.push_back(m.first);
            for (const auto& f : named)
              if (!set->fields_.Find(f))
                return Status::Invalid("rule names field '" + f + "', which schemas/fields.toml does not define",
                                       r.where);
          }
        }
      }
    }
    // A source's default country must be one the country vocabulary knows, or phones would parse against nothing.
    if (const Vocabulary* countries = set->FindVocabulary("country")) {
      for (const auto& [name, src] : set->sources_) {
        std::string dc = src.Option("default_country");
        std::transform(dc.begin(), dc.end(), dc.begin(), [](unsigned char c) { return std::toupper(c); });
        if (!dc.empty() && !countries->Find(dc))
          return Status::Invalid("source '" + name + "': default_country '" + dc +
                                     "' is not an ISO 3166-1 alpha-2 code of the country vocabulary",
                                 sources_where[name]);
      }
    }
    for (const auto& [name, def] : set->fields_.fields) {
      if (!def.vocabulary.empty() && !set->vocabularies_.count(def.vocabulary) && have_fields)
        return Status::Invalid("field '" + name + "' refers to unknown vocabulary '" + def.vocabulary + "'",
                               def.where);
    }
    for (const auto& ex : set->examples_) {
      if (!ex.source.empty() && !set->sources_.count(ex.source))
        return Status::Invalid("example names unknown source '" + ex.source + "'", ex.where);
    }
    set->file_count_ = sorted.size();
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    set->version_ = buf;
    auto data = BuildNormalizerData(*set);
    if (!data.ok()) return data.status();
    set->normalizer_data_ = std::move(*data);
    return std::shared_ptr<const RuleSet>(std::move(set));
  }
};

Result<std::shared_ptr<const RuleSet>> RuleSet::Parse(const std::vector<RuleFile>& files) {
  return RuleSetParser::Run(files);
}

const SourceConfig* RuleSet::FindSource(std::string_view name) const {
  auto it = sources_.find(name);
  return it == sources_.end() ? nullptr : &it->second;
}

const Vocabulary* RuleSet::FindVocabulary(std::string_view name) const {
  auto it = vocabularies_.find(name);
  return it == vocabularies_.end() ? nullptr : &it->second;
}

const RuleList* RuleSet::FindList(std::string_view name) const {
  auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : &it->second;
}

bool LifecycleMayMove(const RuleSet& rules, std::string_view from, std::string_view to, bool by_steward) {
  const Vocabulary* v = rules.FindVocabulary("lifecycle_stage");
  return v && v->MayMove(from, to, by_steward);
}

}  // namespace canon
