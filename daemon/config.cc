#include "daemon/config.h"

#include <toml++/toml.h>

#include <cctype>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <type_traits>
#include <variant>

#include "connectors/hmac.h"

namespace canon::daemon {
namespace {

struct Setting {
  const char* name;
  const char* type;
  bool reloadable;
  const char* description;
  std::function<Status(Config&, const toml::node&)> set;
  std::function<std::string(const Config&)> show;
};

template <typename T>
Status Set(T* field, const toml::node& n, const char* want) {
  auto v = n.value<T>();
  if (!v) return Status::Invalid(std::string("expected ") + want);
  if constexpr (std::is_same_v<T, int64_t>) {
    if (*v < 0) return Status::Invalid(std::string("expected a non-negative ") + want);
  }
  *field = *v;
  return Status::Ok();
}

bool SafeName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

Status ParseTokens(const toml::node& n, std::vector<ApiToken>* out) {
  const toml::array* arr = n.as_array();
  if (!arr) return Status::Invalid("expected [[token]] tables");
  for (const toml::node& e : *arr) {
    const toml::table* t = e.as_table();
    if (!t) return Status::Invalid("expected [[token]] tables");
    ApiToken tok;
    std::string role, hex;
    for (const auto& [k, v] : *t) {
      std::string key(k.str());
      std::string* dst = key == "name" ? &tok.name : key == "role" ? &role : key == "sha256" ? &hex : nullptr;
      if (!dst) return Status::Invalid("[[token]]: unknown key '" + key + "' (name, role, sha256)");
      auto s = v.value<std::string>();
      if (!s) return Status::Invalid("[[token]]: " + key + " must be a string");
      *dst = *s;
    }
    if (!SafeName(tok.name))
      return Status::Invalid("[[token]]: name must be 1 to 64 letters, digits, '.', '_' or '-'");
    if (role == "viewer")
      tok.role = Role::kViewer;
    else if (role == "steward")
      tok.role = Role::kSteward;
    else if (role == "admin")
      tok.role = Role::kAdmin;
    else
      return Status::Invalid("[[token]] '" + tok.name + "': role must be viewer, steward or admin");
    auto raw = HexDecode(hex);
    if (!raw.ok() || raw->size() != 32)
      return Status::Invalid("[[token]] '" + tok.name +
                             "': sha256 must be 64 hex digits (the token's SHA-256)");
    tok.sha256 = *raw;
    for (const ApiToken& other : *out) {
      if (other.name == tok.name) return Status::Invalid("[[token]] name '" + tok.name + "' is used twice");
      if (other.sha256 == tok.sha256)
        return Status::Invalid("[[token]] '" + tok.name + "' has the same token as '" + other.name + "'");
    }
    out->push_back(std::move(tok));
  }
  return Status::Ok();
}

#define CANON_SETTING(NAME, MEMBER, CTYPE, TYPENAME, RELOAD, DESC)                                        \
  Setting {                                                                                              \
    NAME, TYPENAME, RELOAD, DESC,                                                                        \
        [](Config& c, const toml::node& n) { return Set<CTYPE>(&c.MEMBER, n, TYPENAME); },              \
        [](const Config& c) {                                                                            \
          std::ostringstream s;                                                                          \
          s << c.MEMBER;                                                                                 \
          return s.str();                                                                                \
        }                                                                                                \
  }

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      CANON_SETTING("listen", listen, std::string, "string", false, "HTTP listen address host:port"),
      CANON_SETTING("database", database, std::string, "string", false,
                    "PostgreSQL conninfo (CANON_DB overrides)"),
      CANON_SETTING("rules_dir", rules_dir, std::string, "string", false, "directory of rule files"),
      CANON_SETTING("migrations_dir", migrations_dir, std::string, "string", false,
                    "directory of numbered SQL migrations"),
      CANON_SETTING("migrate_on_start", migrate_on_start, bool, "boolean", false,
                    "apply pending migrations at start-up"),
      CANON_SETTING("io_threads", io_threads, int64_t, "integer", false, "HTTP I/O threads"),
      CANON_SETTING("workers", workers, int64_t, "integer", false, "inbox worker threads"),
      CANON_SETTING("worker_batch", worker_batch, int64_t, "integer", false, "inbox rows claimed per batch"),
      CANON_SETTING("writer_connections", writer_connections, int64_t, "integer", false,
                    "PostgreSQL connections doing group commit of the inbox"),
      CANON_SETTING("max_body_bytes", max_body_bytes, int64_t, "integer", false,
                    "largest request body accepted (413 above)"),
      CANON_SETTING("max_queue", max_queue, int64_t, "integer", false,
                    "payloads waiting for group commit before intake answers 503"),
      CANON_SETTING("group_commit_max", group_commit_max, int64_t, "integer", false,
                    "most payloads written by one inbox transaction"),
      CANON_SETTING("max_commit_latency_ms", max_commit_latency_ms, int64_t, "integer", false,
                    "intake answers 503 while a payload waits longer than this for its inbox commit (0: no limit)"),
      CANON_SETTING("max_inbox_backlog", max_inbox_backlog, int64_t, "integer", false,
                    "high-water mark of pending inbox rows (all nodes): at or past it intake answers 503 (0: none)"),
      CANON_SETTING("header_timeout_ms", header_timeout_ms, int64_t, "integer", false,
                    "time a connection may stay idle or take to send a request's headers"),
      CANON_SETTING("read_timeout_ms", read_timeout_ms, int64_t, "integer", false,
                    "time a request's body may take once its headers are in"),
      CANON_SETTING("write_timeout_ms", write_timeout_ms, int64_t, "integer", false,
                    "time a response may take to be written (a client that stops reading is cut off)"),
      CANON_SETTING("poll_interval_ms", poll_interval_ms, int64_t, "integer", false,
                    "how often idle workers look for rows written by other nodes"),
      CANON_SETTING("reconnect_initial_ms", reconnect_initial_ms, int64_t, "integer", false,
                    "a dropped PostgreSQL connection is retried at once, then after this (jittered to [x/2, x)), "
                    "doubling each failed attempt"),
      CANON_SETTING("reconnect_max_ms", reconnect_max_ms, int64_t, "integer", false,
                    "the longest wait between reconnect attempts: a node finds the database within about this "
                    "long of its return"),
      CANON_SETTING("watch_drop_folders", watch_drop_folders, bool, "boolean", false,
                    "import CSV files that appear in the csv sources' folders"),
      CANON_SETTING("log_level", log_level, std::string, "string", true, "trace, debug, info, warn, error"),
      CANON_SETTING("log_format", log_format, std::string, "string", false,
                    "text, or json: one JSON object per line (time, level, logger, thread, source, inbox_id, "
                    "request_id, event)"),
      CANON_SETTING("log_pii", log_pii, bool, "boolean", true,
                    "leave e-mail addresses and phone numbers in log lines unmasked (off by default; for debugging "
                    "only; stored error texts and error bodies are masked either way)"),
      CANON_SETTING("admin_token", admin_token, std::string, "string", false,
                    "an admin-role bearer token in clear, named admin_token (CANON_ADMIN_TOKEN overrides); "
                    "prefer [[token]]"),
      Setting{"token", "array of tables", false,
              "API tokens: [[token]] name = \"ann\", role = \"viewer\"|\"steward\"|\"admin\", sha256 = hex "
              "SHA-256 of the token (printf %s TOKEN | sha256sum); with none (and no admin_token), the admin "
              "API answers only clients on loopback",
              [](Config& c, const toml::node& n) { return ParseTokens(n, &c.tokens); },
              [](const Config& c) { return std::to_string(c.tokens.size()) + " tokens"; }},
      Setting{"metrics_token_sha256", "string", false,
              "hex SHA-256 of the bearer token GET /metrics requires; empty: /metrics is open",
              [](Config& c, const toml::node& n) {
                std::string hex;
                if (Status s = Set<std::string>(&hex, n, "string"); !s.ok()) return s;
                if (hex.empty()) return Status::Ok();
                auto raw = HexDecode(hex);
                if (!raw.ok() || raw->size() != 32) return Status::Invalid("expected 64 hex digits");
                c.metrics_token_sha256 = *raw;
                return Status::Ok();
              },
              [](const Config& c) { return c.metrics_token_sha256.empty() ? "" : "(set)"; }},
  };
  return kSettings;
}

}  // namespace

const char* RoleName(Role r) {
  switch (r) {
    case Role::kViewer:
      return "viewer";
    case Role::kSteward:
      return "steward";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

std::string Config::ListenHost() const { return listen.substr(0, listen.rfind(':')); }
uint16_t Config::ListenPort() const {
  return static_cast<uint16_t>(std::atoi(listen.substr(listen.rfind(':') + 1).c_str()));
}

Result<Config> LoadConfig(const std::string& path) {
  Config c;
  if (!path.empty()) {
    toml::table t;
    try {
      t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return Status::Invalid(std::string(e.description()), path + ":" + std::to_string(e.source().begin.line) +
                                                               ":" + std::to_string(e.source().begin.column));
    }
    for (const auto& [k, v] : t) {
      std::string key(k.str());
      std::string where = path + ":" + std::to_string(v.source().begin.line);
      const Setting* found = nullptr;
      for (const auto& s : Settings())
        if (key == s.name) found = &s;
      if (!found) return Status::Invalid("unknown setting '" + key + "'", where);
      Status st = found->set(c, v);
      if (!st.ok()) return Status::Invalid("setting '" + key + "': " + st.message(), where);
    }
  }
  if (const char* env = std::getenv("CANON_DB"); env && *env) c.database = env;
  if (const char* env = std::getenv("CANON_ADMIN_TOKEN"); env && *env) c.admin_token = env;
  if (!c.admin_token.empty()) {
    for (const ApiToken& t : c.tokens)
      if (t.name == "admin_token")
        return Status::Invalid("[[token]] name 'admin_token' is taken by admin_token");
    c.tokens.push_back({"admin_token", Role::kAdmin, Sha256(c.admin_token)});
  }
  if (c.log_format != "text" && c.log_format != "json") return Status::Invalid("log_format must be text or json");
  if (c.listen.find(':') == std::string::npos) return Status::Invalid("listen must be host:port");
  if (c.io_threads < 1 || c.workers < 0 || c.writer_connections < 1 || c.group_commit_max < 1)
    return Status::Invalid("io_threads, writer_connections and group_commit_max must be at least 1");
  if (c.reconnect_initial_ms < 1 || c.reconnect_max_ms < c.reconnect_initial_ms)
    return Status::Invalid("reconnect_initial_ms must be at least 1 and reconnect_max_ms at least reconnect_initial_ms");
  return c;
}

std::string DescribeConfig() {
  std::ostringstream out;
  Config defaults;
  for (const auto& s : Settings())
    out << s.name << " (" << s.type << ", default " << s.show(defaults) << (s.reloadable ? ", reloadable" : "")
        << "): " << s.description << "\n";
  return out.str();
}

}  // namespace canon::daemon
