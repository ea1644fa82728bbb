// Network namespaces for the fault harness's network cut (issue 17): `nodes` namespaces, each joined to the host by
// a veth pair, all addresses local to the machine (10.<b>.<i>.1 on the host side, 10.<b>.<i>.2 inside, a /30 per
// node; <b> from the process id, so two runs side by side do not collide). A canond runs inside each namespace and
// reaches PostgreSQL at its host-side address (the private cluster listens there too, tests/faults/private_pg.h);
// Cut(i) takes node i's host-side link down (`ip link set down`), Restore(i) brings it back; meanwhile an
// `unreachable` route for the whole block keeps the host from sending node i's packets anywhere else.
//
// Needs root and iproute2 (`ip netns`): Unavailable() says why not, and callers skip the cut, saying so. The
// destructor deletes the namespaces (and with them the veth pairs). Not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/support.h"

namespace canon::test {

class NetnsLab {
 public:
  // "" when namespaces can be made here, else the reason (not root, no `ip`, `ip netns add` refused).
  static std::string Unavailable();

  explicit NetnsLab(int nodes);
  ~NetnsLab();
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  int nodes() const { return static_cast<int>(names_.size()); }
  const std::string& name(int i) const { return names_[i]; }
  std::string host_address(int i) const;  // the host side: where PostgreSQL listens for node i
  std::string node_address(int i) const;  // inside the namespace: where node i's canond listens
  std::vector<std::string> host_addresses() const;
  // `ip link set down` / `up` of node i's host-side link; "" or the command's error. Safe off the test's main
  // thread (no Catch2 assertion inside).
  std::string Cut(int i);
  std::string Restore(int i);

 private:
  std::string block() const;  // 10.<b>.0.0/16
  int block_ = 0;             // the second octet
  bool routed_ = false;       // the block's unreachable route is in place
  std::vector<std::string> names_, host_if_;
};

// A canond inside namespace `i` of `lab`: listens on node_address(i):8080, reaches the database at
// host_address(i). `settings` as for Canond (tests/support.h); `database` is the conninfo to use (its host is the
// host-side address). Waits for /healthz; fails the test if it never answers.
class NetnsCanond {
 public:
  NetnsCanond(const NetnsLab& lab, int i, const std::string& database, std::map<std::string, std::string> settings,
              const std::string& rules_dir);
  ~NetnsCanond();
  NetnsCanond(const NetnsCanond&) = delete;
  NetnsCanond& operator=(const NetnsCanond&) = delete;
  const std::string& address() const { return address_; }
  static constexpr uint16_t kPort = 8080;  // each namespace has its own ports
  int Stop(int sig);
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string address_;
  std::string dir_;
};

}  // namespace canon::test
