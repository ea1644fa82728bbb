// Test support for [pg] tests: a fresh database per test on the throwaway server that scripts/test starts
// (CANON_TEST_DB), a real canond child process on a free loopback port, and a small blocking HTTP client.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/entities.h"
#include "store/pg.h"

namespace canon::test {

// Creates database canon_t_<unique>, drops it (FORCE) on destruction.
class TestDb {
 public:
  TestDb();
  // The same on another server (e.g. a private cluster a test starts and stops): `admin` is its conninfo.
  explicit TestDb(std::string admin);
  ~TestDb();
  const std::string& conninfo() const { return conninfo_; }
  std::unique_ptr<store::PgConn> Connect() const;
  // First column of first row as text ("" for NULL / no rows); fails the test on SQL error.
  std::string Scalar(const std::string& sql, const std::vector<store::Param>& params = {}) const;
  long long Count(const std::string& sql, const std::vector<store::Param>& params = {}) const;

 private:
  std::string name_;
  std::string admin_;
  std::string conninfo_;
};

// Writes one record with the store's writer (store::WriteRecord) in a transaction of its own; fails the test on
// an error.
store::WriteOutcome WriteInTx(store::PgConn& conn, const Record& raw, const NormalizedRecord& normalized,
                              const RuleSet& rules);

struct HttpResult {
  int status = 0;
  bool sent = false;  // the whole request was written: status 0 then means it was dropped unanswered
  std::string body;
  std::map<std::string, std::string> headers;  // lowercased names
};

// One request on a new connection. status 0 means the connection failed.
HttpResult HttpRequest(uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {}, const std::string& content_type = {},
                       const std::map<std::string, std::string>& headers = {});

uint16_t FreePort();

// A canond child process. Writes its config to a temp file, waits for /healthz.
class Canond {
 public:
  Canond(const TestDb& db, std::map<std::string, std::string> settings = {}, std::string rules_dir = {});
  ~Canond();
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop(int sig = 15);
  bool running() const { return pid_ > 0; }
  const std::string& log_path() const { return log_; }
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_;
  std::string log_;
};

// Polls `sql` until it returns `want` or `timeout_ms` passes; returns the last value seen.
std::string WaitFor(const TestDb& db, const std::string& sql, const std::string& want, int timeout_ms = 10000);

std::string SourceDir();
std::string BinaryDir();

// canonctl as a child process: exit code and stdout+stderr together. `stdin_file` is fed as standard input.
struct CliRun {
  int code = -1;
  std::string out;
};
// `env_prefix` is put before the binary, e.g. "env -u CANON_ADMIN_TOKEN".
CliRun RunCanonctl(const std::string& args, const std::string& stdin_file = {}, const std::string& env_prefix = {});

// POSTs a form to /ingest/{source} and requires the 202.
void PostForm(const Canond& d, const std::string& body, const std::string& source = "website");

// Polls every 50 ms for `path` to exist, up to `ms`; false when it never did.
bool WaitFile(const std::string& path, int ms = 20000);

// A fresh directory under /tmp (named after `prefix`), removed with what it holds on destruction.
struct TempDir {
  explicit TempDir(const std::string& prefix = "canon-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
};

// A copy of the shipped rules/ and schemas/ side by side in a temp dir (as LoadRuleDir expects), for tests that
// edit rule files; removed on destruction.
class RulesCopy {
 public:
  RulesCopy();
  ~RulesCopy();
  RulesCopy(const RulesCopy&) = delete;
  RulesCopy& operator=(const RulesCopy&) = delete;
  std::string rules() const;                       // the copied rules directory
  std::string Path(const std::string& file) const;  // a file under rules/
  std::string Read(const std::string& file) const;
  void Write(const std::string& file, const std::string& text) const;
  // Replaces `from` (which must occur) in a file under rules/.
  void Replace(const std::string& file, const std::string& from, const std::string& to) const;

 private:
  std::string root_;
};

}  // namespace canon::test
