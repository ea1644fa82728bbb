#include "daemon/group_commit.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "daemon/reconnect.h"

namespace canon::daemon {

Status NullSink::Submit(store::InboxItem, Done done) {
  store::InboxReceipt r;
  r.id = next_++;
  done(r);
  return Status::Ok();
}

GroupCommitter::GroupCommitter(GroupCommitOptions options, std::shared_ptr<spdlog::logger> log,
                               std::function<void()> on_commit)
    : options_(std::move(options)),
      log_(std::move(log)),
      on_commit_(std::move(on_commit)),
      heartbeats_(static_cast<size_t>(std::max(0, options_.connections))) {}

GroupCommitter::~GroupCommitter() { Stop(); }

Status GroupCommitter::Start() {
  return threads_.Start(options_.connections, options_.conninfo, [this](int index, store::PgConn& conn) { Run(index, conn); });
}

// Writers return only once the queue is empty (Run): every payload Submit accepted is written before Stop returns.
void GroupCommitter::Stop() { threads_.Stop(mu_, cv_, stopping_); }

size_t GroupCommitter::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

Status GroupCommitter::Submit(store::InboxItem item, Done done) {
  // A slow commit is remembered this long: long enough to refuse the next arrivals, short enough that the next
  // fast commit (the queue drains meanwhile) lets them in again.
  constexpr auto kLatencyMemory = std::chrono::seconds(1);
  auto now = Clock::now();
  std::optional<Overload> refused;
  std::string detail;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::Unavailable("shutting down");
    if (queue_.size() >= options_.max_queue) {
      refused = Overload::kQueueFull;
      detail = std::to_string(queue_.size()) + " payloads wait for their commit (max_queue)";
    } else if (options_.max_latency_ms > 0) {
      auto limit = std::chrono::milliseconds(options_.max_latency_ms);
      auto waited = queue_.empty() ? Clock::duration::zero() : now - queue_.front().queued_at;
      bool slow_commit = now - last_commit_at_ < kLatencyMemory &&
                         std::chrono::milliseconds(last_latency_ms_.load()) > limit;
      if (waited > limit || slow_commit) {
        refused = Overload::kCommitLatency;
        detail = "commit latency " +
                 std::to_string(std::max<long long>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(waited).count(), last_latency_ms_)) +
                 " ms > max_commit_latency_ms " + std::to_string(options_.max_latency_ms);
      }
    }
    if (!refused) queue_.push_back({std::move(item), std::move(done), now});
  }
  if (refused) {
    if (options_.overload) options_.overload->Count(*refused, detail);
    return Status(Code::kUnavailable,
                  *refused == Overload::kQueueFull ? "intake queue full" : "database commits are slow; retry later",
                  OverloadName(*refused));
  }
  cv_.notify_one();
  return Status::Ok();
}

void GroupCommitter::Run(int index, store::PgConn& conn) {
  Reconnector reconnect(options_.reconnect, "writer", *options_.metrics, log_);
  std::vector<Pending> batch;
  for (;;) {
    batch.clear();
    heartbeats_.Idle(index);
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < options_.batch_max) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    heartbeats_.Busy(index);
    std::vector<const store::InboxItem*> items;
    items.reserve(batch.size());
    for (auto& p : batch) items.push_back(&p.item);
    // One statement is one implicit transaction: either every row of the batch is durable or none is.
    ++busy_;
    // A connection found dropped is reconnected first (when its backoff allows), so a batch after a restart is
    // written, not refused.
    Status up = reconnect.Ensure(conn);
    auto receipts = up.ok() ? store::InsertInbox(conn, items) : Result<std::vector<store::InboxReceipt>>(up);
    if (!receipts.ok() && up.ok() && !conn.Healthy() && reconnect.Ensure(conn).ok())
      receipts = store::InsertInbox(conn, items);
    --busy_;
    if (!receipts.ok()) {
      log_->error("inbox write of {} payloads failed: {}", batch.size(), receipts.status().ToString());
      Status err(Code::kUnavailable, "inbox write failed; retry later", OverloadName(Overload::kDatabase));
      for (auto& p : batch) {
        if (options_.overload) options_.overload->Count(Overload::kDatabase, receipts.status().message());
        p.done(err);
      }
      continue;
    }
    auto committed = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_commit_at_ = committed;
      last_latency_ms_ =
          std::chrono::duration_cast<std::chrono::milliseconds>(committed - batch.front().queued_at).count();
    }
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done((*receipts)[i]);
    if (on_commit_) on_commit_();
  }
}

}  // namespace canon::daemon
