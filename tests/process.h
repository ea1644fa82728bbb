// Child processes for tests: a shell command's output, and starting and stopping a canond (the part
// tests/support.h's Canond shares with tests that run another canond binary, such as the installed one in
// tests/pg_service_test.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace canon::test {

struct CommandRun {
  int code = -1;    // exit code; -1 when killed by a signal
  std::string out;  // stdout and stderr together
};
// `sh -c cmd 2>&1`.
CommandRun RunCommand(const std::string& cmd);

// Forks `bin --config config` with stdout and stderr to `log_path`, `env` set and `unset` removed in the child,
// then waits until GET /healthz on `port` answers 200; fails the test (with the log) if it exits or never does.
pid_t StartDaemon(const std::string& bin, const std::string& config, uint16_t port, const std::string& log_path,
                  const std::vector<std::pair<std::string, std::string>>& env = {},
                  const std::vector<std::string>& unset = {});

// Sends `sig` and reaps the child; the exit status, or minus the signal that ended it; -1 if *pid was not running.
// Sets *pid to -1.
int StopDaemon(pid_t* pid, int sig);

}  // namespace canon::test
