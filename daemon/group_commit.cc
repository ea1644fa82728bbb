#include "daemon/group_commit.h"

#include <spdlog/spdlog.h>

#include <algorithm>

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
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::Unavailable("shutting down");
    if (queue_.size() >= options_.max_queue) return Status::Unavailable("intake queue full");
    queue_.push_back({std::move(item), std::move(done)});
  }
  cv_.notify_one();
  return Status::Ok();
}

void GroupCommitter::Run(int index, store::PgConn& conn) {
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
    auto receipts = store::InsertInbox(conn, items);
    if (!receipts.ok() && !conn.Healthy() && conn.EnsureConnected().ok()) receipts = store::InsertInbox(conn, items);
    if (!receipts.ok()) {
      log_->error("inbox write of {} payloads failed: {}", batch.size(), receipts.status().ToString());
      Status err = Status::Unavailable("inbox write failed; retry later");
      for (auto& p : batch) p.done(err);
      continue;
    }
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done((*receipts)[i]);
    if (on_commit_) on_commit_();
  }
}

}  // namespace canon::daemon
