#include "daemon/config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <functional>
#include <sstream>
#include <type_traits>
#include <variant>

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
      CANON_SETTING("read_timeout_ms", read_timeout_ms, int64_t, "integer", false,
                    "idle and slow-request timeout of a connection"),
      CANON_SETTING("poll_interval_ms", poll_interval_ms, int64_t, "integer", false,
                    "how often idle workers look for rows written by other nodes"),
      CANON_SETTING("watch_drop_folders", watch_drop_folders, bool, "boolean", false,
                    "import CSV files that appear in the csv sources' folders"),
      CANON_SETTING("log_level", log_level, std::string, "string", true, "trace, debug, info, warn, error"),
      CANON_SETTING("log_pii", log_pii, bool, "boolean", true,
                    "log personal data (off by default; for debugging only)"),
      CANON_SETTING("admin_token", admin_token, std::string, "string", false,
                    "bearer token the /admin/ API requires (CANON_ADMIN_TOKEN overrides); empty: none"),
  };
  return kSettings;
}

}  // namespace

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
  if (c.listen.find(':') == std::string::npos) return Status::Invalid("listen must be host:port");
  if (c.io_threads < 1 || c.workers < 0 || c.writer_connections < 1 || c.group_commit_max < 1)
    return Status::Invalid("io_threads, writer_connections and group_commit_max must be at least 1");
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
