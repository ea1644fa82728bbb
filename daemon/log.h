// canond's logger: spdlog to stderr (journald under systemd), one event per line, either as text (the
// default) or as JSON lines (log_format = "json"): {"time","level","logger","thread"[,"source"][,"inbox_id"]
// [,"request_id"],"event"} with time in UTC, RFC 3339 with microseconds, and the event's text JSON-escaped, so a
// line can never be split or forged by what a message contains. Built once by main(); the logger is thread-safe
// (spdlog's _mt sinks).
//
// Personal data: with mask_pii (log_pii = false, the default) every event's text goes through MaskPii
// (hygiene/pii_mask.h) before it is written, in both formats: e-mail addresses and phone-like runs become
// "[email]" and "[phone]". Messages must still never be built from a record's values; this is the net under
// that rule, for texts that come from elsewhere (a vendor's error body, a file name).
//
// Fields: source, inbox id and request id come from the calling thread's LogScope (the formatter runs on the
// thread that logs: the sinks are synchronous), so a line gets them without each message repeating them.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace canon::daemon {

// What a log line is about; empty / 0 means unknown.
struct LogContext {
  std::string source;
  long long inbox_id = 0;
  std::string request_id;

  static LogContext Request(std::string request_id) { return {{}, 0, std::move(request_id)}; }
  static LogContext Source(std::string source) { return {std::move(source), 0, {}}; }
  static LogContext Inbox(std::string source, long long id) { return {std::move(source), id, {}}; }
};

// Sets the calling thread's LogContext for its lifetime: the fields it gives (non-empty, non-zero) override the
// enclosing scope's, the others are inherited; the enclosing context comes back on destruction. Not movable.
class LogScope {
 public:
  explicit LogScope(LogContext context);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  LogContext saved_;
};

// The calling thread's context (for tests and the formatters).
const LogContext& CurrentLogContext();

// format: "text" or "json" (LoadConfig refuses anything else). mask_pii: !log_pii.
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& format, bool mask_pii);

// One event as MakeLogger's JSON lines print it, with the calling thread's context (for tests): the line,
// ending in '\n'. The event text is written as given (masking happens before, in the logger's formatter).
std::string JsonLogLine(const spdlog::details::log_msg& msg);

}  // namespace canon::daemon
