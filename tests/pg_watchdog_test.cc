// The notify protocol with systemd's watchdog, served from canond's health (docs/operations.md): READY=1,
// WATCHDOG=1 every WATCHDOG_USEC/2 while the inbox writers and workers make progress, none while a worker is
// wedged inside a batch, again once it is free, and STOPPING=1 on SIGTERM with no ping after it.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  NotifySocket() {
    char tmpl[] = "/tmp/canon-notify.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/notify.sock";
    fd_ = socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() {
    close(fd_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }
  // The next message, or "" when none comes within `timeout`.
  std::string Next(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  // Every message that comes within `window`.
  std::vector<std::string> During(std::chrono::milliseconds window) {
    std::vector<std::string> out;
    auto end = Clock::now() + window;
    while (Clock::now() < end) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      std::string m = Next(std::max(left, std::chrono::milliseconds(1)));
      if (!m.empty()) out.push_back(m);
    }
    return out;
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
};

long Count(const std::vector<std::string>& messages, const std::string& m) {
  return std::count(messages.begin(), messages.end(), m);
}

}  // namespace

TEST_CASE("sd_notify watchdog: READY=1, WATCHDOG=1 every WATCHDOG_USEC/2 while workers make progress, none while "
          "one is wedged, STOPPING=1",
          "[pg][service][sd_notify]") {
  TestDb db;
  NotifySocket notify;
  // 1 s: pings every 500 ms; a worker on one batch for more than 1 s is wedged.
  setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
  setenv("WATCHDOG_USEC", "1000000", 1);
  Canond d(db);
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  CHECK(notify.Next(std::chrono::milliseconds(5000)) == "READY=1");
  auto healthy = notify.During(std::chrono::milliseconds(2600));
  CHECK(Count(healthy, "WATCHDOG=1") >= 4);
  CHECK(Count(healthy, "WATCHDOG=1") <= 6);
  CHECK(Count(healthy, "WATCHDOG=1") == static_cast<long>(healthy.size()));

  // Wedge the workers: a lock on source_record that the next batch waits for. The payload is still accepted (the
  // inbox writer is fine); the worker that claims it is stuck inside its batch.
  auto blocker = db.Connect();
  REQUIRE(blocker->Exec("BEGIN").ok());
  REQUIRE(blocker->Exec("LOCK TABLE source_record IN ACCESS EXCLUSIVE MODE").ok());
  PostForm(d, "email=wedge%40example.com&first_name=Wedge");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM pg_locks WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", "1") == "1");
  notify.During(std::chrono::milliseconds(1200));  // pings may go on until the batch is older than 1 s
  auto wedged = notify.During(std::chrono::milliseconds(2500));
  CHECK(Count(wedged, "WATCHDOG=1") == 0);
  CHECK_THAT(d.Log(), Catch::Contains("watchdog: worker ") && Catch::Contains("not pinging systemd"));

  // Released: the batch commits and the pings come back.
  REQUIRE(blocker->Exec("ROLLBACK").ok());
  CHECK(WaitFor(db, "SELECT count(*) FROM contact", "1") == "1");
  auto again = notify.During(std::chrono::milliseconds(1600));
  CHECK(Count(again, "WATCHDOG=1") >= 2);
  CHECK_THAT(d.Log(), Catch::Contains("making progress again"));

  // SIGTERM: STOPPING=1, and no ping after it.
  CHECK(d.Stop(SIGTERM) == 0);
  std::vector<std::string> rest;
  for (std::string m = notify.Next(std::chrono::milliseconds(2000)); !m.empty();
       m = notify.Next(std::chrono::milliseconds(300)))
    rest.push_back(m);
  REQUIRE_FALSE(rest.empty());
  auto stopping = std::find(rest.begin(), rest.end(), "STOPPING=1");
  REQUIRE(stopping != rest.end());
  CHECK(std::count(stopping + 1, rest.end(), "WATCHDOG=1") == 0);
}
