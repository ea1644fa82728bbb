// docs/openapi.yaml against the server: every route of the server's table (GET /admin/routes from a real canond,
// plus daemon::ServiceRoutes(), the routes App::Handle serves outside /admin/) is documented, every documented
// route is served, each admin route's x-canon-role is its role, and real responses from a real canond have a
// documented status and match their schema (required properties, types, enums). The YAML is read by
// tests/mini_yaml.h, the schemas by the small validator below (the keywords it knows are the ones the file may use).
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "daemon/routes.h"
#include "tests/mini_yaml.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

const char* kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Spec {
  YamlNode root;

  static Spec Load() {
    std::ifstream f(SourceDir() + "/docs/openapi.yaml");
    std::stringstream ss;
    ss << f.rdbuf();
    Spec spec;
    std::string error;
    spec.root = ParseYaml(ss.str(), &error);
    INFO("docs/openapi.yaml " << error);
    REQUIRE(error.empty());
    return spec;
  }

  const YamlNode* Paths() const { return root.Get("paths"); }

  // "#/components/schemas/X" -> the node, or nullptr.
  const YamlNode* Resolve(const std::string& ref) const {
    if (ref.rfind("#/", 0) != 0) return nullptr;
    const YamlNode* n = &root;
    size_t at = 2;
    while (n && at <= ref.size()) {
      size_t slash = ref.find('/', at);
      if (slash == std::string::npos) slash = ref.size();
      n = n->Get(ref.substr(at, slash - at));
      at = slash + 1;
    }
    return n;
  }

  // A node with its $ref followed (once or more).
  const YamlNode* Follow(const YamlNode* n) const {
    for (int i = 0; n && i < 8; ++i) {
      const YamlNode* ref = n->Get("$ref");
      if (!ref) return n;
      n = Resolve(ref->scalar);
    }
    return n;
  }

  // "METHOD /pattern" of every documented operation.
  std::map<std::string, const YamlNode*> Operations() const {
    std::map<std::string, const YamlNode*> out;
    for (const auto& [path, item] : Paths()->map)
      for (const char* m : kMethods)
        if (const YamlNode* op = item.Get(m)) out[Upper(m) + " " + path] = op;
    return out;
  }
};

// Validates a JSON value against a schema of the file; each problem is appended to `errors` with its JSON path.
class Validator {
 public:
  explicit Validator(const Spec& spec) : spec_(spec) {}

  void Check(const YamlNode& schema, simdjson::dom::element v, const std::string& at, std::string* errors) const {
    const YamlNode* s = spec_.Follow(&schema);
    if (!s) return Add(errors, at, "unresolved $ref");
    if (v.is_null()) {
      const YamlNode* nullable = s->Get("nullable");
      if (!(nullable && nullable->scalar == "true") && s->Get("type")) Add(errors, at, "null, not nullable");
      return;
    }
    const YamlNode* type = s->Get("type");
    const std::string t = type ? type->scalar : "";
    if (t == "object") {
      simdjson::dom::object obj;
      if (v.get_object().get(obj)) return Add(errors, at, "not an object");
      if (const YamlNode* req = s->Get("required"))
        for (const YamlNode& name : req->seq) {
          simdjson::dom::element ignored;
          if (obj.at_key(name.scalar).get(ignored)) Add(errors, at, "missing required '" + name.scalar + "'");
        }
      const YamlNode* props = s->Get("properties");
      const YamlNode* extra = s->Get("additionalProperties");
      for (auto [key, value] : obj) {
        const YamlNode* p = props ? props->Get(std::string(key)) : nullptr;
        if (p)
          Check(*p, value, at + "." + std::string(key), errors);
        else if (extra && extra->kind == YamlNode::kMap)
          Check(*extra, value, at + "." + std::string(key), errors);
        else if (extra && extra->scalar == "false")
          Add(errors, at, "unexpected property '" + std::string(key) + "'");
      }
    } else if (t == "array") {
      simdjson::dom::array arr;
      if (v.get_array().get(arr)) return Add(errors, at, "not an array");
      size_t i = 0;
      if (const YamlNode* items = s->Get("items"))
        for (simdjson::dom::element e : arr) Check(*items, e, at + "[" + std::to_string(i++) + "]", errors);
    } else if (t == "string") {
      std::string_view text;
      if (v.get_string().get(text)) return Add(errors, at, "not a string");
      if (const YamlNode* e = s->Get("enum")) {
        bool found = false;
        for (const YamlNode& option : e->seq) found = found || option.scalar == text;
        if (!found) Add(errors, at, "'" + std::string(text) + "' is not in the enum");
      }
    } else if (t == "integer") {
      if (!v.is_int64() && !v.is_uint64()) Add(errors, at, "not an integer");
    } else if (t == "number") {
      if (!v.is_number()) Add(errors, at, "not a number");
    } else if (t == "boolean") {
      if (!v.is_bool()) Add(errors, at, "not a boolean");
    } else if (!t.empty()) {
      Add(errors, at, "schema type '" + t + "' unknown to the test");
    }
  }

  // Keywords this validator reads or may ignore; a schema using another fails the test instead of passing blind.
  static bool Known(const std::string& keyword) {
    static const std::set<std::string> kKnown = {"type",        "required", "properties", "items",  "nullable",
                                                 "enum",        "$ref",     "description", "format", "minimum",
                                                 "maximum",     "maxLength", "additionalProperties"};
    return kKnown.count(keyword) > 0;
  }

 private:
  static void Add(std::string* errors, const std::string& at, const std::string& what) {
    *errors += (errors->empty() ? "" : "; ") + at + ": " + what;
  }
  const Spec& spec_;
};

// Every schema keyword used anywhere under `n` (schemas nest under schema, items, properties, ...).
void SchemaKeywords(const YamlNode& schema, std::set<std::string>* out) {
  if (schema.kind != YamlNode::kMap) return;
  for (const auto& [k, v] : schema.map) {
    out->insert(k);
    if (k == "properties")
      for (const auto& [name, p] : v.map) SchemaKeywords(p, out);
    else if (k == "items" || k == "additionalProperties")
      SchemaKeywords(v, out);
  }
}

void AllSchemas(const YamlNode& n, std::vector<const YamlNode*>* out) {
  if (n.kind == YamlNode::kMap) {
    for (const auto& [k, v] : n.map) {
      if (k == "schema") out->push_back(&v);
      else AllSchemas(v, out);
    }
    if (const YamlNode* schemas = n.Get("schemas"))
      for (const auto& [name, s] : schemas->map) out->push_back(&s);
  } else if (n.kind == YamlNode::kSeq) {
    for (const YamlNode& e : n.seq) AllSchemas(e, out);
  }
}

const char* kUrlToken = "tok-openapi-1";
const char* kVerifyToken = "openapi-verify";

// The shipped rules plus the Meta and url_token example sources (for the handshake and the token route).
std::string RulesWithExamples(const RulesCopy& rules) {
  setenv("CANON_META_APP_SECRET", "openapi-meta-secret", 1);
  setenv("CANON_META_VERIFY_TOKEN", kVerifyToken, 1);
  setenv("CANON_META_ACCESS_TOKEN", "openapi-access", 1);
  setenv("CANON_URL_FORM_TOKEN", kUrlToken, 1);
  rules.Write("sources.toml", rules.Read("sources.toml") + "\n" + rules.Read("examples/sources/meta_leads.toml") +
                                  "\n" + rules.Read("examples/sources/url_token.toml"));
  return rules.rules();
}

// A target that reaches each route of ServiceRoutes() (by pattern).
std::string Sample(const std::string& pattern) {
  if (pattern == "/ingest/{source}") return "/ingest/website";
  if (pattern == "/ingest/{source}/{token}") return std::string("/ingest/url_form/") + kUrlToken;
  return pattern;
}

// The admin route table of a running canond: "METHOD pattern" -> role.
std::map<std::string, std::string> AdminTable(const Canond& d) {
  auto r = HttpRequest(d.port(), "GET", "/admin/routes");
  REQUIRE(r.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE_FALSE(parser.parse(r.body).get(doc));
  std::map<std::string, std::string> out;
  simdjson::dom::array routes;
  REQUIRE_FALSE(doc["routes"].get_array().get(routes));
  for (simdjson::dom::element route : routes) {
    std::string_view method, pattern, role;
    REQUIRE_FALSE(route["method"].get_string().get(method));
    REQUIRE_FALSE(route["pattern"].get_string().get(pattern));
    REQUIRE_FALSE(route["role"].get_string().get(role));
    out[std::string(method) + " " + std::string(pattern)] = std::string(role);
  }
  return out;
}

// Checks one real response against the documented operation: its status is documented, and a JSON body matches
// the documented schema.
void CheckResponse(const Spec& spec, const std::string& op_key, const HttpResult& r) {
  INFO(op_key << " answered " << r.status << ": " << r.body.substr(0, 600));
  auto ops = spec.Operations();
  auto op = ops.find(op_key);
  REQUIRE(op != ops.end());
  const YamlNode* responses = op->second->Get("responses");
  REQUIRE(responses);
  const YamlNode* resp = responses->Get(std::to_string(r.status));
  if (!resp) resp = responses->Get("default");
  if (!resp) FAIL("status " << r.status << " of " << op_key << " is not documented in docs/openapi.yaml");
  resp = spec.Follow(resp);
  REQUIRE(resp);
  std::string type = r.headers.count("content-type") ? r.headers.at("content-type") : "";
  type = Lower(type.substr(0, type.find(';')));
  const YamlNode* content = resp->Get("content");
  REQUIRE(content);
  const YamlNode* media = content->Get(type);
  if (!media) FAIL(op_key << " " << r.status << " answered " << type << ", which is not documented");
  if (type != "application/json") return;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE_FALSE(parser.parse(r.body).get(doc));
  std::string errors;
  Validator(spec).Check(*media->Get("schema"), doc, "$", &errors);
  CHECK(errors == "");
}

}  // namespace

TEST_CASE("mini_yaml reads the subset docs/openapi.yaml uses, and refuses what it does not know", "[openapi]") {
  std::string error;
  YamlNode n = ParseYaml(
      "# comment\n"
      "a: 1\n"
      "b:\n"
      "  c: \"x: y\"  # trailing\n"
      "  d: [p, 'q', \"r\"]\n"
      "  e: >-\n"
      "    folded\n"
      "    text\n"
      "list:\n"
      "  - name: n1\n"
      "    in: query\n"
      "  - plain\n"
      "  - bearer: []\n"
      "\"200\":\n"
      "  $ref: \"#/x/y\"\n",
      &error);
  REQUIRE(error == "");
  CHECK(n.Get("a")->scalar == "1");
  CHECK(n.Get("b")->Get("c")->scalar == "x: y");
  REQUIRE(n.Get("b")->Get("d")->seq.size() == 3);
  CHECK(n.Get("b")->Get("d")->seq[1].scalar == "q");
  CHECK(n.Get("b")->Get("e")->scalar == "folded text");
  const YamlNode* list = n.Get("list");
  REQUIRE(list->seq.size() == 3);
  CHECK(list->seq[0].Get("in")->scalar == "query");
  CHECK(list->seq[1].scalar == "plain");
  CHECK(list->seq[2].Get("bearer")->kind == YamlNode::kSeq);
  CHECK(n.Get("200")->Get("$ref")->scalar == "#/x/y");

  ParseYaml("a: 1\n  b: 2\n", &error);
  CHECK_THAT(error, Catch::Contains("line 2"));
  ParseYaml("a: 1\na: 2\n", &error);
  CHECK_THAT(error, Catch::Contains("duplicate key 'a'"));
  ParseYaml("a: &anchor 1\n", &error);
  CHECK_THAT(error, Catch::Contains("not in the YAML subset"));
  ParseYaml("a:\n\tb: 1\n", &error);
  CHECK_THAT(error, Catch::Contains("a tab"));
}

TEST_CASE("docs/openapi.yaml is well formed: every $ref resolves, every schema keyword is one the test checks, "
          "every error body is ErrorBody",
          "[openapi]") {
  Spec spec = Spec::Load();
  REQUIRE(spec.root.Get("openapi"));
  CHECK(spec.root.Get("openapi")->scalar.rfind("3.", 0) == 0);
  REQUIRE(spec.Paths());

  std::vector<const YamlNode*> schemas;
  AllSchemas(spec.root, &schemas);
  CHECK(schemas.size() > 20);
  std::set<std::string> keywords;
  for (const YamlNode* s : schemas) SchemaKeywords(*s, &keywords);
  for (const std::string& k : keywords) {
    INFO("schema keyword '" << k << "' in docs/openapi.yaml: teach tests/pg_openapi_test.cc's Validator");
    CHECK(Validator::Known(k));
  }

  // Every $ref anywhere resolves.
  std::vector<const YamlNode*> stack = {&spec.root};
  int refs = 0;
  while (!stack.empty()) {
    const YamlNode* n = stack.back();
    stack.pop_back();
    for (const auto& [k, v] : n->map) {
      if (k == "$ref") {
        ++refs;
        INFO("line " << v.line << ": $ref " << v.scalar);
        CHECK(spec.Resolve(v.scalar) != nullptr);
      }
      stack.push_back(&v);
    }
    for (const YamlNode& e : n->seq) stack.push_back(&e);
  }
  CHECK(refs > 50);

  // Every operation documents its responses; every 4xx/5xx JSON body is an ErrorBody.
  for (const auto& [key, op] : spec.Operations()) {
    INFO(key);
    const YamlNode* responses = op->Get("responses");
    REQUIRE(responses);
    CHECK_FALSE(responses->map.empty());
    for (const auto& [status, raw] : responses->map) {
      INFO("status " << status);
      const YamlNode* resp = spec.Follow(&raw);
      REQUIRE(resp);
      CHECK(resp->Get("description"));
      if (status[0] != '4' && status[0] != '5') continue;
      const YamlNode* json = resp->Get("content") ? resp->Get("content")->Get("application/json") : nullptr;
      REQUIRE(json);
      CHECK(spec.Follow(json->Get("schema")) == spec.Resolve("#/components/schemas/ErrorBody"));
    }
  }
}

TEST_CASE("docs/openapi.yaml and the server's route table agree both ways, and real responses match the schemas",
          "[pg][openapi]") {
  Spec spec = Spec::Load();
  TestDb db;
  RulesCopy rules;
  Canond d(db, {}, RulesWithExamples(rules));  // no tokens: the admin API answers loopback clients

  std::map<std::string, std::string> table = AdminTable(d);  // "METHOD pattern" -> role
  CHECK(table.size() >= 18);
  for (const daemon::RouteInfo& r : daemon::ServiceRoutes())
    table[std::string(daemon::http::to_string(r.method)) + " " + r.pattern] = "service";
  auto ops = spec.Operations();

  std::string undocumented, unserved, wrong_role;
  for (const auto& [key, role] : table) {
    auto op = ops.find(key);
    if (op == ops.end()) {
      undocumented += "\n  " + key + " (role " + role + ")";
      continue;
    }
    if (role == "service") continue;
    const YamlNode* documented = op->second->Get("x-canon-role");
    std::string doc_role = documented ? documented->scalar : "(none)";
    if (doc_role != role) wrong_role += "\n  " + key + ": x-canon-role " + doc_role + ", server " + role;
  }
  for (const auto& [key, op] : ops)
    if (!table.count(key)) unserved += "\n  " + key;
  {
    INFO("routes the server serves that docs/openapi.yaml does not document (add each under paths, with its "
         "responses and x-canon-role):" << undocumented);
    CHECK(undocumented == "");
  }
  {
    INFO("operations docs/openapi.yaml documents that the server's route table does not have:" << unserved);
    CHECK(unserved == "");
  }
  {
    INFO("x-canon-role in docs/openapi.yaml differs from GET /admin/routes:" << wrong_role);
    CHECK(wrong_role == "");
  }

  // ServiceRoutes() is what App::Handle serves: none of them falls through to its "no such endpoint".
  for (const daemon::RouteInfo& r : daemon::ServiceRoutes()) {
    auto res = HttpRequest(d.port(), std::string(daemon::http::to_string(r.method)), Sample(r.pattern), "x=1",
                           "application/x-www-form-urlencoded");
    INFO(r.pattern << ": " << res.status << " " << res.body);
    CHECK(res.status != 0);
    CHECK_THAT(res.body, !Catch::Contains("no such endpoint"));
  }

  // Real responses against their schemas.
  const std::string form = "application/x-www-form-urlencoded";
  CheckResponse(spec, "GET /healthz", HttpRequest(d.port(), "GET", "/healthz"));
  CheckResponse(spec, "GET /readyz", HttpRequest(d.port(), "GET", "/readyz"));
  CheckResponse(spec, "GET /metrics", HttpRequest(d.port(), "GET", "/metrics"));
  auto accepted = HttpRequest(d.port(), "POST", "/ingest/website",
                              "first_name=Ann&last_name=Wexford&phone=%2B1+415+555+0111&postal_code=94105"
                              "&birth_date=1980-01-02",
                              form);
  CHECK(accepted.status == 202);
  CheckResponse(spec, "POST /ingest/{source}", accepted);
  CheckResponse(spec, "POST /ingest/{source}",
                HttpRequest(d.port(), "POST", "/ingest/website", "email=bob%40example.org", form,
                            {{"Idempotency-Key", "k1"}}));
  auto duplicate = HttpRequest(d.port(), "POST", "/ingest/website", "email=bob%40example.org", form,
                               {{"Idempotency-Key", "k1"}});
  CHECK_THAT(duplicate.body, Catch::Contains("\"duplicate\":true"));
  CheckResponse(spec, "POST /ingest/{source}", duplicate);
  CheckResponse(spec, "POST /ingest/{source}", HttpRequest(d.port(), "POST", "/ingest/website", "", form));
  CheckResponse(spec, "POST /ingest/{source}", HttpRequest(d.port(), "POST", "/ingest/nosuch", "a=1", form));
  CheckResponse(spec, "POST /ingest/{source}", HttpRequest(d.port(), "POST", "/ingest/website", "a", "text/csv"));
  auto bad = HttpRequest(d.port(), "POST", "/ingest/api", "[1,2", "application/json");
  CHECK(bad.status == 400);
  CheckResponse(spec, "POST /ingest/{source}", bad);
  CheckResponse(spec, "GET /ingest/{source}", HttpRequest(d.port(), "GET", "/ingest/website"));
  auto challenge = HttpRequest(d.port(), "GET",
                               std::string("/ingest/meta_leads?hub.mode=subscribe&hub.challenge=4711&hub.verify_token=") +
                                   kVerifyToken);
  CHECK(challenge.body == "4711");
  CheckResponse(spec, "GET /ingest/{source}", challenge);
  CheckResponse(spec, "GET /ingest/{source}",
                HttpRequest(d.port(), "GET", "/ingest/meta_leads?hub.mode=subscribe&hub.challenge=1&hub.verify_token=no"));
  CheckResponse(spec, "POST /ingest/{source}/{token}",
                HttpRequest(d.port(), "POST", std::string("/ingest/url_form/") + kUrlToken, "email=t%40example.org", form));
  CheckResponse(spec, "POST /ingest/{source}/{token}",
                HttpRequest(d.port(), "POST", "/ingest/url_form/wrong", "email=t%40example.org", form));

  // A pair for review, one for each of the queue's views, then the admin reads.
  PostForm(d, "first_name=Ann&last_name=Wexford&email=ann%40example.org&postal_code=94105&phone=%2B1+415+555+0199"
              "&birth_date=1975-06-30");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM merge_candidate", "1") == "1");
  const std::string pair = db.Scalar("SELECT max(id)::text FROM merge_candidate");
  const std::string contact = db.Scalar("SELECT min(contact_id)::text FROM merge_candidate");
  REQUIRE(WaitFor(db, "SELECT count(*) > 0 FROM dead_letter", "t") == "t");
  CheckResponse(spec, "GET /admin/routes", HttpRequest(d.port(), "GET", "/admin/routes"));
  CheckResponse(spec, "GET /admin/rules", HttpRequest(d.port(), "GET", "/admin/rules"));
  CheckResponse(spec, "GET /admin/queue", HttpRequest(d.port(), "GET", "/admin/queue?status=all"));
  CheckResponse(spec, "GET /admin/queue", HttpRequest(d.port(), "GET", "/admin/queue?order=learn"));
  CheckResponse(spec, "GET /admin/queue", HttpRequest(d.port(), "GET", "/admin/queue?order=nonsense"));
  CheckResponse(spec, "GET /admin/queue/{id}", HttpRequest(d.port(), "GET", "/admin/queue/" + pair));
  CheckResponse(spec, "GET /admin/queue/{id}", HttpRequest(d.port(), "GET", "/admin/queue/999999"));
  CheckResponse(spec, "GET /admin/entities/{id}", HttpRequest(d.port(), "GET", "/admin/entities/" + contact));
  CheckResponse(spec, "GET /admin/entities/{id}", HttpRequest(d.port(), "GET", "/admin/entities/999999"));
  auto dead = HttpRequest(d.port(), "GET", "/admin/dead-letters");
  CHECK_THAT(dead.body, Catch::Contains("\"stage\""));
  CheckResponse(spec, "GET /admin/dead-letters", dead);
  CheckResponse(spec, "GET /admin/imports", HttpRequest(d.port(), "GET", "/admin/imports"));
  CheckResponse(spec, "GET /admin/report/vocabulary", HttpRequest(d.port(), "GET", "/admin/report/vocabulary"));
  CheckResponse(spec, "GET /admin/report/blocking-keys",
                HttpRequest(d.port(), "GET", "/admin/report/blocking-keys"));
  CheckResponse(spec, "POST /admin/entities/{id}/edit",
                HttpRequest(d.port(), "POST", "/admin/entities/" + contact + "/edit",
                            "{\"fields\":{\"job_title\":\"CTO\"}}", "application/json"));
  CheckResponse(spec, "POST /admin/entities/{id}/edit",
                HttpRequest(d.port(), "POST", "/admin/entities/" + contact + "/edit",
                            "{\"fields\":{\"no_such_field\":\"x\"}}", "application/json"));
  CheckResponse(spec, "POST /admin/queue/{id}/defer",
                HttpRequest(d.port(), "POST", "/admin/queue/" + pair + "/defer"));
  CheckResponse(spec, "POST /admin/queue/{id}/approve",
                HttpRequest(d.port(), "POST", "/admin/queue/" + pair + "/approve"));
  CheckResponse(spec, "POST /admin/queue/{id}/reject",
                HttpRequest(d.port(), "POST", "/admin/queue/" + pair + "/reject"));  // 409: decided
  CheckResponse(spec, "POST /admin/rules/reload", HttpRequest(d.port(), "POST", "/admin/rules/reload"));
  CheckResponse(spec, "DELETE /admin/contacts",
                HttpRequest(d.port(), "DELETE", "/admin/contacts", "{\"email\":\"ann@example.org\"}",
                            "application/json"));
  CheckResponse(spec, "DELETE /admin/contacts/{id}", HttpRequest(d.port(), "DELETE", "/admin/contacts/999999"));
  CheckResponse(spec, "GET /admin/review", HttpRequest(d.port(), "GET", "/admin/review"));
}
