#include "daemon/thread_group.h"

namespace canon::daemon {

Status ThreadGroup::Start(int count, const std::string& conninfo, const Body& body) {
  for (int i = 0; i < count; ++i) {
    auto c = store::PgConn::Connect(conninfo);
    if (!c.ok()) return c.status();
    conns_.push_back(std::move(*c));
  }
  // conns_ does not change while the threads run, so each may hold its element.
  for (int i = 0; i < count; ++i) threads_.emplace_back([this, i, body] { body(i, *conns_[i]); });
  return Status::Ok();
}

void ThreadGroup::Stop(std::mutex& mu, std::condition_variable& cv, bool& stopping) {
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
  }
  cv.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace canon::daemon
