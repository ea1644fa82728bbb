// canond's logger: spdlog to stderr (journald under systemd), one event per line, either as text (the
// default) or as JSON lines (log_format = "json"): {"time","level","logger","thread","event"} with time in
// UTC, RFC 3339 with microseconds, and the event's text JSON-escaped, so a line can never be split or forged
// by what a message contains. Built once by main(); the logger is thread-safe (spdlog's _mt sinks).
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace canon::daemon {

// format: "text" or "json" (LoadConfig refuses anything else).
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& format);

// One event as MakeLogger's JSON lines print it (for tests): the line, ending in '\n'.
std::string JsonLogLine(const spdlog::details::log_msg& msg);

}  // namespace canon::daemon
