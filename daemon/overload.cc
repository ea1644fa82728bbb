#include "daemon/overload.h"

#include <chrono>

#include "daemon/reconnect.h"
#include "store/inbox.h"

namespace canon::daemon {
namespace {

// A backlog moves slowly (workers take batches of dozens); once a second keeps the sample cheap and current.
constexpr auto kBacklogSampleEvery = std::chrono::seconds(1);
// One warning per reason per second: under overload every request is refused, and the log must stay readable.
constexpr long long kLogEveryMs = 1000;

long long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const char* OverloadName(Overload reason) {
  switch (reason) {
    case Overload::kQueueFull:
      return "queue_full";
    case Overload::kCommitLatency:
      return "commit_latency";
    case Overload::kInboxBacklog:
      return "inbox_backlog";
    case Overload::kDatabase:
      return "database";
  }
  return "?";
}

int RetryAfterSeconds(Overload reason) {
  switch (reason) {
    case Overload::kQueueFull:
    case Overload::kDatabase:
      return 1;
    case Overload::kCommitLatency:
      return 2;
    case Overload::kInboxBacklog:
      return 5;
  }
  return 1;
}

void OverloadCounters::Count(Overload reason, const std::string& detail) {
  size_t i = static_cast<size_t>(reason);
  long long n = ++counts_[i];
  long long now = NowMs(), last = logged_at_ms_[i];
  if (now - last >= kLogEveryMs && logged_at_ms_[i].compare_exchange_strong(last, now))
    log_->warn("intake overloaded ({}): answering 503; {} ({} refused for this reason so far)", OverloadName(reason),
               detail, n);
}

BacklogMonitor::BacklogMonitor(std::string conninfo, long long high_water, std::shared_ptr<spdlog::logger> log,
                               Backoff reconnect, DaemonMetrics& metrics)
    : conninfo_(std::move(conninfo)),
      high_water_(high_water),
      log_(std::move(log)),
      reconnect_(reconnect),
      metrics_(metrics) {}

BacklogMonitor::~BacklogMonitor() { Stop(); }

Status BacklogMonitor::Start() {
  return thread_.Start(1, conninfo_, [this](int, store::PgConn& conn) { Run(conn); });
}

void BacklogMonitor::Stop() { thread_.Stop(mu_, cv_, stopping_); }

void BacklogMonitor::Run(store::PgConn& conn) {
  bool was_over = false;
  Reconnector reconnect(reconnect_, "backlog", metrics_, log_);
  for (;;) {
    Status up = reconnect.Ensure(conn);
    auto n = up.ok() ? store::CountPending(conn, high_water_) : Result<long long>(up);
    if (n.ok()) {
      pending_ = *n;
      if (over() != was_over) {
        was_over = over();
        if (was_over)
          log_->warn("inbox backlog reached its high-water mark ({} pending rows): intake answers 503", high_water_);
        else
          log_->info("inbox backlog below its high-water mark again ({} pending rows)", *n);
      }
    } else {
      if (up.ok()) log_->warn("inbox backlog sample failed: {}", n.status().ToString());
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, kBacklogSampleEvery, [&] { return stopping_; })) return;
  }
}

}  // namespace canon::daemon
