// A private PostgreSQL cluster for tests that stop and restart the database: the shared throwaway server
// (CANON_TEST_DB) must stay up for every other test, so these get their own. initdb + pg_ctl as scripts/lib.sh does
// (canon_pg_init / canon_pg_start): superuser "canon", trust on loopback (and the addresses asked for) only, a free port, a temp directory,
// fsync on. As root, the server runs as the unprivileged `postgres` user (runuser).
//
// Not thread-safe; one owner. Failures fail the running Catch2 test. The destructor stops the server (immediate)
// and removes the directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace canon::test {

class PrivatePg {
 public:
  // `also_listen`: addresses it listens on besides 127.0.0.1 (the host side of network namespaces,
  // tests/faults/netns.h), trusted in pg_hba.conf like loopback.
  explicit PrivatePg(std::vector<std::string> also_listen = {});
  ~PrivatePg();
  PrivatePg(const PrivatePg&) = delete;
  PrivatePg& operator=(const PrivatePg&) = delete;

  // Conninfo of its `postgres` database, for TestDb(admin).
  std::string admin() const;
  uint16_t port() const { return port_; }
  // pg_ctl stop -m MODE: "fast" (clean shutdown, sessions terminated) or "immediate" (no checkpoint: recovery on
  // the next start, like a crash).
  void Stop(const std::string& mode = "fast");
  void Start();
  bool running() const { return running_; }

 private:
  std::string dir_;
  std::string data_;
  std::vector<std::string> also_listen_;
  uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace canon::test
