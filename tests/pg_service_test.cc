// canond as a service (docs/operations.md): the unit and its snippets pass systemd's own checks, and
// `cmake --install` lays out an FHS tree whose canond starts from the installed config. The notify protocol and the
// watchdog: tests/pg_watchdog_test.cc.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/process.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;
namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// `key = "value"` of a TOML file's top level (the installed config's paths), "" when absent.
std::string TomlString(const std::string& text, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("(^|\n)" + key + " = \"([^\"]*)\""))) return {};
  return m[2];
}

// The build tree's install prefix, as configured (CMakeCache.txt).
std::string InstallPrefix() {
  std::smatch m;
  std::string cache = ReadFile(BinaryDir() + "/CMakeCache.txt");
  REQUIRE(std::regex_search(cache, m, std::regex("\nCMAKE_INSTALL_PREFIX:PATH=([^\n]*)")));
  return m[1];
}

// `cmake --install` of this build tree into a fresh DESTDIR; removed on destruction.
class Installed {
 public:
  Installed() {
    char tmpl[] = "/tmp/canon-install.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
    prefix_ = InstallPrefix();
    CommandRun r = RunCommand("DESTDIR=" + root_ + " cmake --install " + BinaryDir());
    INFO(r.out);
    REQUIRE(r.code == 0);
  }
  ~Installed() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  const std::string& root() const { return root_; }
  const std::string& prefix() const { return prefix_; }
  // A path the install names (absolute, as the installed files say it), inside DESTDIR.
  std::string At(const std::string& installed_path) const { return root_ + installed_path; }
  std::string unit() const { return At(prefix_ + "/lib/systemd/system/canond.service"); }
  // The installed config: the one the unit's ExecStart names.
  std::string ConfigPath() const {
    std::smatch m;
    std::string unit_text = ReadFile(unit());
    REQUIRE(std::regex_search(unit_text, m, std::regex("\nExecStart=(\\S+) --config (\\S+)\n")));
    return m[2];
  }

 private:
  std::string root_, prefix_;
};

// The files below `dir`, as paths relative to it.
std::set<std::string> Tree(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file()) out.insert(fs::relative(it->path(), dir).string());
  return out;
}

}  // namespace

TEST_CASE("the unit, sysusers and tmpfiles snippets pass systemd's own checks", "[service][systemd]") {
  // systemd-analyze needs no running systemd (this container has none as PID 1): `verify` loads a unit file as
  // systemd would, with the host's units for its dependencies, and reports unknown keys, bad values and an
  // ExecStart that is not executable. The installed tree sits under DESTDIR, not at the prefix, so the unit is
  // checked as a copy whose ExecStart binary has DESTDIR in front (the one change), which verify then finds.
  // (--root=DESTDIR would look for sysinit.target and /bin/kill in the tree too, which holds only Canon.)
  REQUIRE(RunCommand("command -v systemd-analyze").code == 0);  // scripts/lib.sh installs systemd with the test packages
  Installed tree;
  const std::string text = ReadFile(tree.unit());
  const std::string exec = "\nExecStart=" + tree.prefix() + "/sbin/canond ";
  REQUIRE(text.find(exec) != std::string::npos);
  fs::create_directories(tree.root() + "/check");
  const std::string unit = tree.root() + "/check/canond.service";
  std::ofstream(unit) << std::regex_replace(text, std::regex(exec), "\nExecStart=" + tree.At(tree.prefix() + "/sbin/canond "));
  const std::string analyze = "SYSTEMD_LOG_COLOR=0 systemd-analyze";
  CommandRun verify = RunCommand(analyze + " verify --man=no " + unit);
  INFO(verify.out);
  CHECK(verify.code == 0);
  CHECK(verify.out.empty());  // warnings (an unknown key, a bad value) come with exit code 0: none allowed

  // verify really checks here: a misspelt key and a missing binary are reported.
  const std::string broken = tree.root() + "/check/broken.service";
  std::ofstream(broken) << std::regex_replace(std::regex_replace(ReadFile(unit), std::regex("\nProtectHome="),
                                                                 "\nProtectHomee="),
                                              std::regex("/canond --config"), "/no-such-canond --config");
  CommandRun bad = RunCommand(analyze + " verify --man=no " + broken);
  CHECK_THAT(bad.out, Catch::Contains("ProtectHomee") && Catch::Contains("no-such-canond"));

  // The hardening the unit claims, as systemd scores it (0 best, 10 worst; `systemd-analyze security` prints
  // each setting). The threshold is in tenths.
  CommandRun security = RunCommand(analyze + " security --offline=true --threshold=25 " + unit);
  INFO(security.out);
  CHECK(security.code == 0);
  for (const char* line :
       {"Type=notify", "WatchdogSec=", "ProtectSystem=strict", "ProtectHome=true", "PrivateDevices=true",
        "PrivateTmp=true", "NoNewPrivileges=true", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "SystemCallFilter=@system-service", "StateDirectory=canon", "ConfigurationDirectory=canon"})
    CHECK_THAT(text, Catch::Contains(std::string("\n") + line));

  // The snippets, applied to an empty root: the user exists, then the state directory is made for it.
  fs::create_directories(tree.root() + "/etc");
  CommandRun users = RunCommand("systemd-sysusers --root=" + tree.root() + " " + tree.At(tree.prefix() + "/lib/sysusers.d/canon.conf"));
  INFO(users.out);
  CHECK(users.code == 0);
  CHECK_THAT(ReadFile(tree.root() + "/etc/passwd"), Catch::Contains("canon:x:"));
  CommandRun tmpfiles = RunCommand("systemd-tmpfiles --root=" + tree.root() + " --create " +
                       tree.At(tree.prefix() + "/lib/tmpfiles.d/canon.conf"));
  INFO(tmpfiles.out);
  CHECK(tmpfiles.code == 0);
  struct stat st {};
  REQUIRE(stat((tree.root() + "/var/lib/canon").c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 07777) == 0750);
  std::smatch m;
  std::string passwd = ReadFile(tree.root() + "/etc/passwd");
  REQUIRE(std::regex_search(passwd, m, std::regex("(^|\n)canon:x:([0-9]+):")));
  CHECK(std::to_string(st.st_uid) == m[2].str());
}

namespace {

// A canond started from a given binary and config, with extra environment variables; waits for /healthz.
class Daemon {
 public:
  Daemon(const std::string& bin, const std::string& config, uint16_t port,
         const std::vector<std::pair<std::string, std::string>>& env) {
    char tmpl[] = "/tmp/canon-service-log.XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    log_ = tmpl;
    pid_ = StartDaemon(bin, config, port, log_, env);
  }
  ~Daemon() {
    StopDaemon(&pid_, SIGKILL);
    std::remove(log_.c_str());
  }
  int Stop(int sig) { return StopDaemon(&pid_, sig); }
  std::string Log() const { return ReadFile(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

}  // namespace

TEST_CASE("cmake --install lays out an FHS tree, and the installed canond runs from the installed config",
          "[pg][service][install]") {
  Installed tree;
  const std::string prefix = tree.prefix();
  INFO("prefix " << prefix << ", DESTDIR " << tree.root());
  CHECK(access(tree.At(prefix + "/sbin/canond").c_str(), X_OK) == 0);
  CHECK(access(tree.At(prefix + "/bin/canonctl").c_str(), X_OK) == 0);
  CHECK(fs::is_regular_file(tree.unit()));
  CHECK(ReadFile(tree.At(prefix + "/lib/sysusers.d/canon.conf")) ==
        ReadFile(SourceDir() + "/systemd/canon.sysusers.conf"));
  CHECK(ReadFile(tree.At(prefix + "/lib/tmpfiles.d/canon.conf")) ==
        ReadFile(SourceDir() + "/systemd/canon.tmpfiles.conf"));

  // The unit starts the installed canond with the installed config, which sits in <sysconfdir>/canon (/etc/canon
  // for prefix /usr) and names the installed rules (beside it, with the field definitions in schemas/) and
  // migrations (share/canon).
  const std::string unit = ReadFile(tree.unit());
  CHECK_THAT(unit, Catch::Contains("\nExecStart=" + prefix + "/sbin/canond --config "));
  const std::string config_path = tree.ConfigPath();
  const std::string config_dir = fs::path(config_path).parent_path().string();
  CHECK(fs::path(config_dir).filename() == "canon");
  CHECK(config_dir == (prefix == "/usr" ? std::string("/etc/canon") : prefix + "/etc/canon"));
  const std::string config = ReadFile(tree.At(config_path));
  REQUIRE_FALSE(config.empty());
  const std::string rules_dir = TomlString(config, "rules_dir");
  const std::string migrations_dir = TomlString(config, "migrations_dir");
  CHECK(rules_dir == config_dir + "/rules");
  CHECK(migrations_dir == prefix + "/share/canon/migrations");
  CHECK(Tree(tree.At(rules_dir)) == Tree(SourceDir() + "/rules"));
  CHECK(Tree(tree.At(migrations_dir)) == Tree(SourceDir() + "/schemas/migrations"));
  CHECK(ReadFile(tree.At(config_dir + "/schemas/fields.toml")) == ReadFile(SourceDir() + "/schemas/fields.toml"));
  CHECK(ReadFile(tree.At(prefix + "/share/doc/canon/operations.md")) == ReadFile(SourceDir() + "/docs/operations.md"));
  CHECK(ReadFile(tree.At(prefix + "/share/doc/canon/openapi.yaml")) == ReadFile(SourceDir() + "/docs/openapi.yaml"));
  // Every other setting is the development default's.
  std::string dev = ReadFile(SourceDir() + "/etc/canond.toml");
  CHECK(TomlString(config, "listen") == TomlString(dev, "listen"));

  // The installed canond, from the installed config. The tree is under DESTDIR rather than at the prefix, so the
  // two paths get DESTDIR in front; the listen port is a free one; CANON_DB points at the test database.
  TestDb db;
  const uint16_t port = FreePort();
  std::string run_config = config;
  run_config = std::regex_replace(run_config, std::regex("\nrules_dir = \"/"), "\nrules_dir = \"" + tree.root() + "/");
  run_config = std::regex_replace(run_config, std::regex("\nmigrations_dir = \"/"),
                                  "\nmigrations_dir = \"" + tree.root() + "/");
  run_config = std::regex_replace(run_config, std::regex("\nlisten = \"[^\"]*\""),
                                  "\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"");
  const std::string run_config_path = tree.root() + "/run.toml";
  std::ofstream(run_config_path) << run_config;
  const std::string canond = tree.At(prefix + "/sbin/canond");

  CommandRun check = RunCommand(canond + " --check-config --config " + run_config_path);
  INFO(check.out);
  CHECK(check.code == 0);
  CHECK_THAT(check.out, Catch::Contains("config ok; rules ok"));

  Daemon d(canond, run_config_path, port, {{"CANON_DB", db.conninfo()}});
  auto ready = HttpRequest(port, "GET", "/readyz");
  INFO(d.Log());
  CHECK(ready.status == 200);  // every installed migration applied, no migration missing from the install
  CHECK(db.Count("SELECT count(*) FROM schema_migrations") == static_cast<long long>(Tree(SourceDir() + "/schemas/migrations").size()));
  auto r = HttpRequest(port, "POST", "/ingest/website", "email=ann%40example.com&first_name=Ann",
                       "application/x-www-form-urlencoded");
  CHECK(r.status == 202);
  CHECK(WaitFor(db, "SELECT count(*) FROM contact", "1") == "1");
  CHECK(d.Stop(SIGTERM) == 0);
}
