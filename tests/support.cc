#include "tests/support.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include "tests/process.h"
#include "tests/remote_client.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace canon::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string SourceDir() { return CANON_SOURCE_DIR; }
std::string BinaryDir() { return CANON_BINARY_DIR; }

namespace {
std::string AdminConninfo() {
  const char* env = std::getenv("CANON_TEST_DB");
  if (!env || !*env) FAIL("CANON_TEST_DB is not set: run the [pg] tests through scripts/test");
  return env;
}
}  // namespace

TestDb::TestDb() : TestDb(AdminConninfo()) {}

TestDb::TestDb(std::string admin) : admin_(std::move(admin)) {
  static std::atomic<int> counter{0};
  name_ = "canon_t_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  auto c = store::PgConn::Connect(admin_);
  REQUIRE(c.ok());
  // Identifiers cannot be parameters; name_ is built from digits and a fixed prefix only.
  auto r = (*c)->Exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  REQUIRE(r.ok());
  auto r2 = (*c)->Exec("CREATE DATABASE " + name_);
  INFO(r2.status().ToString());
  REQUIRE(r2.ok());
  conninfo_ = admin_ + " dbname=" + name_;
}

TestDb::~TestDb() {
  auto c = store::PgConn::Connect(admin_);
  if (c.ok()) (*c)->Exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

std::unique_ptr<store::PgConn> TestDb::Connect() const {
  auto c = store::PgConn::Connect(conninfo_);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return std::move(*c);
}

std::string TestDb::Scalar(const std::string& sql, const std::vector<store::Param>& params) const {
  auto c = Connect();
  auto r = c->Exec(sql, params);
  INFO(sql << ": " << r.status().ToString());
  REQUIRE(r.ok());
  if (r->rows() == 0 || r->IsNull(0, 0)) return "";
  return r->Str(0, 0);
}

long long TestDb::Count(const std::string& sql, const std::vector<store::Param>& params) const {
  std::string s = Scalar(sql, params);
  return s.empty() ? 0 : std::stoll(s);
}

store::WriteOutcome WriteInTx(store::PgConn& conn, const Record& raw, const NormalizedRecord& normalized,
                              const RuleSet& rules) {
  store::Tx tx(conn);
  REQUIRE(tx.Begin().ok());
  auto w = store::WriteRecord(conn, {}, raw, normalized, rules);
  INFO(w.status().ToString());
  REQUIRE(w.ok());
  REQUIRE(tx.Commit().ok());
  return *w;
}

namespace {
// One request from `source_ip` (any when empty) to `host`:`port`, the whole exchange within `timeout`.
HttpResult Exchange(const std::string& source_ip, const std::string& host, uint16_t port,
                    std::chrono::milliseconds timeout, const std::string& method, const std::string& target,
                    const std::string& body, const std::string& content_type,
                    const std::map<std::string, std::string>& headers) {
  HttpResult out;
  try {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    if (!source_ip.empty()) {
      stream.socket().open(tcp::v4());
      stream.socket().bind(tcp::endpoint(net::ip::make_address(source_ip), 0));
    }
    stream.connect(tcp::endpoint(net::ip::make_address(host), port));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    out.sent = true;
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    out.status = res.result_int();
    out.body = res.body();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      out.headers[name] = std::string(f.value());
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  } catch (const std::exception& e) {
    out.status = 0;
    out.body = e.what();
  }
  return out;
}
}  // namespace

HttpResult HttpRequestFrom(const std::string& source_ip, uint16_t port, const std::string& method,
                           const std::string& target, const std::string& body,
                           const std::string& content_type,
                           const std::map<std::string, std::string>& headers) {
  return Exchange(source_ip, "127.0.0.1", port, std::chrono::seconds(30), method, target, body, content_type,
                  headers);
}

HttpResult HttpRequestTo(const std::string& host, uint16_t port, std::chrono::milliseconds timeout,
                         const std::string& method, const std::string& target, const std::string& body,
                         const std::string& content_type, const std::map<std::string, std::string>& headers) {
  return Exchange({}, host, port, timeout, method, target, body, content_type, headers);
}

// A non-loopback IPv4 address of this machine, or "".
std::string LocalNonLoopbackIp() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::string out;
  for (ifaddrs* a = list; a && out.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN];
    auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    if (inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf)) out = buf;
  }
  freeifaddrs(list);
  return out;
}

HttpResult HttpRequest(uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body, const std::string& content_type,
                       const std::map<std::string, std::string>& headers) {
  return HttpRequestFrom({}, port, method, target, body, content_type, headers);
}

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  uint16_t port = ntohs(a.sin_port);
  close(fd);
  return port;
}

Canond::Canond(const TestDb& db, std::map<std::string, std::string> settings, std::string rules_dir) {
  port_ = FreePort();
  char tmpl[] = "/tmp/canond-test.XXXXXX";
  dir_ = mkdtemp(tmpl);
  log_ = dir_ + "/canond.log";
  if (rules_dir.empty()) rules_dir = SourceDir() + "/rules";
  settings.emplace("listen", "\"127.0.0.1:" + std::to_string(port_) + "\"");
  settings.emplace("database", "\"" + db.conninfo() + "\"");
  settings.emplace("rules_dir", "\"" + rules_dir + "\"");
  settings.emplace("migrations_dir", "\"" + SourceDir() + "/schemas/migrations\"");
  settings.emplace("poll_interval_ms", "50");
  std::string config = dir_ + "/canond.toml";
  {
    std::ofstream f(config);
    for (const auto& [k, v] : settings) f << k << " = " << v << "\n";
  }
  pid_ = StartDaemon(BinaryDir() + "/canond", config, port_, log_, {}, {"CANON_DB"});
}

pid_t StartDaemon(const std::string& bin, const std::string& config, uint16_t port, const std::string& log_path,
                  const std::vector<std::pair<std::string, std::string>>& env, const std::vector<std::string>& unset) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    FILE* lf = std::fopen(log_path.c_str(), "w");
    if (lf) {
      dup2(fileno(lf), 1);
      dup2(fileno(lf), 2);
    }
    for (const std::string& name : unset) unsetenv(name.c_str());
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    execl(bin.c_str(), bin.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto log = [&] {
    std::ifstream f(log_path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  for (int i = 0; i < 300; ++i) {
    if (HttpRequest(port, "GET", "/healthz").status == 200) return pid;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) FAIL(bin << " exited at start-up: " << log());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  FAIL(bin << " did not become healthy: " << log());
  return -1;
}

int StopDaemon(pid_t* pid, int sig) {
  if (*pid <= 0) return -1;
  kill(*pid, sig);
  int status = 0;
  waitpid(*pid, &status, 0);
  *pid = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -WTERMSIG(status);
}

Canond::~Canond() {
  if (pid_ > 0) Stop(SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

int Canond::Stop(int sig) { return StopDaemon(&pid_, sig); }

std::string Canond::Log() const {
  std::ifstream f(log_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

CliRun RunCanonctl(const std::string& args, const std::string& stdin_file, const std::string& env_prefix) {
  std::string cmd = (env_prefix.empty() ? "" : env_prefix + " ") + BinaryDir() + "/canonctl " + args;
  if (!stdin_file.empty()) cmd += " < " + stdin_file;
  CommandRun run = RunCommand(cmd);
  CliRun r;
  r.code = run.code;
  r.out = std::move(run.out);
  return r;
}

CommandRun RunCommand(const std::string& cmd) {
  CommandRun r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

void PostForm(const Canond& d, const std::string& body, const std::string& source) {
  auto r = HttpRequest(d.port(), "POST", "/ingest/" + source, body, "application/x-www-form-urlencoded");
  INFO(r.body);
  REQUIRE(r.status == 202);
}

RulesCopy::RulesCopy() {
  char tmpl[] = "/tmp/canon-rules-copy.XXXXXX";
  root_ = mkdtemp(tmpl);
  std::filesystem::copy(SourceDir() + "/rules", root_ + "/rules", std::filesystem::copy_options::recursive);
  std::filesystem::copy(SourceDir() + "/schemas", root_ + "/schemas", std::filesystem::copy_options::recursive);
}

RulesCopy::~RulesCopy() {
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

std::string RulesCopy::rules() const { return root_ + "/rules"; }
std::string RulesCopy::Path(const std::string& file) const { return root_ + "/rules/" + file; }

std::string RulesCopy::Read(const std::string& file) const {
  std::ifstream in(Path(file));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void RulesCopy::Write(const std::string& file, const std::string& text) const {
  std::ofstream(Path(file), std::ios::trunc) << text;
}

void RulesCopy::Replace(const std::string& file, const std::string& from, const std::string& to) const {
  std::string text = Read(file);
  auto at = text.find(from);
  INFO("replacing in " << file << ": " << from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  Write(file, text);
}

std::string WaitFor(const TestDb& db, const std::string& sql, const std::string& want, int timeout_ms) {
  auto c = db.Connect();
  std::string last;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = c->Exec(sql);
    last = r.ok() && r->rows() && !r->IsNull(0, 0) ? r->Str(0, 0) : "";
    if (last == want) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return last;
}

bool WaitFile(const std::string& path, int ms) {
  for (int i = 0; i < ms / 50; ++i) {
    if (std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace canon::test
