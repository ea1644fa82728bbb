#include "daemon/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "hygiene/pii_mask.h"
#include "store/pg.h"

namespace canon::daemon {
namespace {

// Per thread, like spdlog's MDC (which this spdlog, 1.10, lacks): set by LogScope, read by the formatters.
thread_local LogContext tls_context;

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = JsonLogLine(msg);
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// Masks personal data in the event's text, then lets the inner formatter (text or JSON) write the line.
class MaskingFormatter : public spdlog::formatter {
 public:
  explicit MaskingFormatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string masked = MaskPii(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(masked.data(), masked.size());
    inner_->format(copy, dest);
    msg.color_range_start = copy.color_range_start;  // the colour sink reads them back (mutable members)
    msg.color_range_end = copy.color_range_end;
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<MaskingFormatter>(inner_->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

}  // namespace

LogScope::LogScope(LogContext context) : saved_(tls_context) {
  if (!context.source.empty()) tls_context.source = std::move(context.source);
  if (context.inbox_id != 0) tls_context.inbox_id = context.inbox_id;
  if (!context.request_id.empty()) tls_context.request_id = std::move(context.request_id);
}

LogScope::~LogScope() { tls_context = std::move(saved_); }

const LogContext& CurrentLogContext() { return tls_context; }

std::string JsonLogLine(const spdlog::details::log_msg& msg) {
  using namespace std::chrono;
  auto since = msg.time.time_since_epoch();
  std::time_t secs = duration_cast<seconds>(since).count();
  long micros = static_cast<long>(duration_cast<microseconds>(since).count() % 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[96];
  std::snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
  auto level = spdlog::level::to_string_view(msg.level);
  std::string line = "{\"time\":\"" + std::string(when) + "\",\"level\":\"" + std::string(level.data(), level.size()) +
                     "\",\"logger\":" + store::JsonEscape(std::string(msg.logger_name.data(), msg.logger_name.size())) +
                     ",\"thread\":" + std::to_string(msg.thread_id);
  const LogContext& ctx = tls_context;
  if (!ctx.source.empty()) line += ",\"source\":" + store::JsonEscape(ctx.source);
  if (ctx.inbox_id != 0) line += ",\"inbox_id\":" + std::to_string(ctx.inbox_id);
  if (!ctx.request_id.empty()) line += ",\"request_id\":" + store::JsonEscape(ctx.request_id);
  return line + ",\"event\":" + store::JsonEscape(std::string(msg.payload.data(), msg.payload.size())) + "}\n";
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& format, bool mask_pii) {
  auto log = spdlog::stderr_color_mt(name);
  std::unique_ptr<spdlog::formatter> f;
  if (format == "json") f = std::make_unique<JsonFormatter>();
  else f = std::make_unique<spdlog::pattern_formatter>();
  if (mask_pii) f = std::make_unique<MaskingFormatter>(std::move(f));
  log->set_formatter(std::move(f));
  return log;
}

}  // namespace canon::daemon
