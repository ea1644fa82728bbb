#include "tests/faults/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/process.h"
#include "tests/remote_client.h"

namespace canon::test {
namespace {

void Ip(const std::string& args) {
  CommandRun r = RunCommand("ip " + args);
  INFO("ip " << args << ": " << r.out);
  REQUIRE(r.code == 0);
}

}  // namespace

std::string NetnsLab::Unavailable() {
  if (geteuid() != 0) return "not root: `ip netns` needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)";
  if (RunCommand("ip -V").code != 0) return "`ip` (iproute2) is not installed";
  std::string probe = "canon-probe-" + std::to_string(getpid());
  CommandRun add = RunCommand("ip netns add " + probe);
  if (add.code != 0) return "`ip netns add` failed: " + add.out;
  RunCommand("ip netns del " + probe);
  return {};
}

NetnsLab::NetnsLab(int nodes) {
  const std::string id = std::to_string(getpid());
  // While a node's link is down its /30 route is gone, and the host would send to its address by the default
  // route, off the machine (seen: an answer from the network). This route catches the whole block instead: a cut
  // node is unreachable at once, and nothing leaves the machine. The block is one of 10.200/16 .. 10.249/16 that no
  // other lab holds: a run beside this one, or one killed before it cleaned up, leaves its route in place, and
  // `ip route add` then answers "File exists" (seen: two test runs at once failed here in 0.03 s).
  std::string last_error;
  for (int k = 0; k < 50 && !routed_; ++k) {
    block_ = 200 + static_cast<int>((getpid() + k) % 50);
    CommandRun r = RunCommand("ip route add unreachable " + block() + " metric 4096");
    if (r.code == 0) routed_ = true;
    else last_error = "ip route add unreachable " + block() + ": " + r.out;
  }
  INFO("no free 10.x.0.0/16 block for the lab among 10.200-249; the last answer: " << last_error);
  REQUIRE(routed_);
  for (int i = 0; i < nodes; ++i) {
    std::string name = "cnf" + id + "-" + std::to_string(i);
    std::string host_if = "cnf" + id + "h" + std::to_string(i), node_if = "cnf" + id + "n" + std::to_string(i);
    Ip("netns add " + name);
    names_.push_back(name);
    host_if_.push_back(host_if);
    Ip("link add " + host_if + " type veth peer name " + node_if + " netns " + name);
    Ip("addr add " + host_address(i) + "/30 dev " + host_if);
    Ip("link set " + host_if + " up");
    Ip("-n " + name + " addr add " + node_address(i) + "/30 dev " + node_if);
    Ip("-n " + name + " link set " + node_if + " up");
    Ip("-n " + name + " link set lo up");
  }
}

NetnsLab::~NetnsLab() {
  for (const std::string& name : names_) RunCommand("ip netns del " + name);  // takes its veth pair along
  if (routed_) RunCommand("ip route del unreachable " + block() + " metric 4096");
}

std::string NetnsLab::block() const { return "10." + std::to_string(block_) + ".0.0/16"; }

std::string NetnsLab::host_address(int i) const {
  return "10." + std::to_string(block_) + "." + std::to_string(i) + ".1";
}
std::string NetnsLab::node_address(int i) const {
  return "10." + std::to_string(block_) + "." + std::to_string(i) + ".2";
}
std::vector<std::string> NetnsLab::host_addresses() const {
  std::vector<std::string> out;
  for (int i = 0; i < nodes(); ++i) out.push_back(host_address(i));
  return out;
}
std::string NetnsLab::Cut(int i) {
  CommandRun r = RunCommand("ip link set " + host_if_[i] + " down");
  return r.code == 0 ? "" : "ip link set down: " + r.out;
}
std::string NetnsLab::Restore(int i) {
  CommandRun r = RunCommand("ip link set " + host_if_[i] + " up");
  return r.code == 0 ? "" : "ip link set up: " + r.out;
}

NetnsCanond::NetnsCanond(const NetnsLab& lab, int i, const std::string& database,
                         std::map<std::string, std::string> settings, const std::string& rules_dir) {
  address_ = lab.node_address(i);
  char tmpl[] = "/tmp/canond-netns.XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  settings["listen"] = "\"" + address_ + ":" + std::to_string(kPort) + "\"";
  settings["database"] = "\"" + database + "\"";
  settings["rules_dir"] = "\"" + rules_dir + "\"";
  settings.emplace("migrations_dir", "\"" + SourceDir() + "/schemas/migrations\"");
  settings.emplace("poll_interval_ms", "50");
  std::string config = dir_ + "/canond.toml";
  {
    std::ofstream f(config);
    for (const auto& [k, v] : settings) f << k << " = " << v << "\n";
  }
  const std::string bin = BinaryDir() + "/canond", log = dir_ + "/canond.log", ns = "/run/netns/" + lab.name(i);
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    int fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
    if (FILE* lf = std::fopen(log.c_str(), "w")) {
      dup2(fileno(lf), 1);
      dup2(fileno(lf), 2);
    }
    unsetenv("CANON_DB");
    execl(bin.c_str(), bin.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int n = 0; n < 300; ++n) {
    if (HttpRequestTo(address_, kPort, std::chrono::seconds(1), "GET", "/healthz").status == 200) return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("canond in " << lab.name(i) << " exited at start-up: " << Log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  StopDaemon(&pid_, SIGKILL);  // a throwing constructor runs no destructor
  FAIL("canond in " << lab.name(i) << " did not become healthy: " << Log());
}

NetnsCanond::~NetnsCanond() {
  if (pid_ > 0) Stop(SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

int NetnsCanond::Stop(int sig) { return StopDaemon(&pid_, sig); }

std::string NetnsCanond::Log() const {
  std::ifstream f(dir_ + "/canond.log");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace canon::test
