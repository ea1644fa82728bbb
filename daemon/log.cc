#include "daemon/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "store/pg.h"

namespace canon::daemon {
namespace {

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = JsonLogLine(msg);
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

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
  return "{\"time\":\"" + std::string(when) + "\",\"level\":\"" + std::string(level.data(), level.size()) +
         "\",\"logger\":" + store::JsonEscape(std::string(msg.logger_name.data(), msg.logger_name.size())) +
         ",\"thread\":" + std::to_string(msg.thread_id) +
         ",\"event\":" + store::JsonEscape(std::string(msg.payload.data(), msg.payload.size())) + "}\n";
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& format) {
  auto log = spdlog::stderr_color_mt(name);
  if (format == "json") log->set_formatter(std::make_unique<JsonFormatter>());
  return log;
}

}  // namespace canon::daemon
