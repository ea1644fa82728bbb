#include "daemon/reconnect.h"

#include "daemon/config.h"

namespace canon::daemon {
namespace {
// While the database stays away, one line per connection this often (after the first few attempts).
constexpr auto kLogEvery = std::chrono::seconds(30);
constexpr int kLogFirstFailures = 2;
}  // namespace

Backoff ReconnectBackoff(const Config& config) {
  return {std::chrono::milliseconds(config.reconnect_initial_ms), std::chrono::milliseconds(config.reconnect_max_ms)};
}

Reconnector::Reconnector(Backoff backoff, std::string role, DaemonMetrics& metrics,
                         std::shared_ptr<spdlog::logger> log)
    : backoff_(backoff),
      role_(std::move(role)),
      ok_(metrics.pg_reconnects.With({role_, "ok"})),
      failed_(metrics.pg_reconnects.With({role_, "failed"})),
      log_(std::move(log)),
      rng_(std::random_device{}()) {}

Status Reconnector::Ensure(store::PgConn& conn) {
  if (conn.Healthy()) return Status::Ok();
  return Attempt(/*first=*/false, [&] { return conn.EnsureConnected(); });
}

Status Reconnector::Ensure(std::unique_ptr<store::PgConn>& slot, const std::string& conninfo) {
  if (slot) return Ensure(*slot);
  // The first connection is no reconnect: counted and logged only once it has failed.
  return Attempt(/*first=*/failures_ == 0, [&]() -> Status {
    auto c = store::PgConn::Connect(conninfo);
    if (!c.ok()) return c.status();
    slot = std::move(*c);
    return Status::Ok();
  });
}

Status Reconnector::Attempt(bool first, const std::function<Status()>& connect) {
  auto now = Clock::now();
  if (failures_ > 0 && now < next_)
    return Status::Unavailable("PostgreSQL unreachable; next connection attempt in " +
                               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(next_ - now).count()) +
                               " ms");
  if (failures_ == 0) down_since_ = now;
  Status s = connect();
  now = Clock::now();
  auto down_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - down_since_).count();
  if (s.ok() && first) return s;
  if (s.ok()) {
    ok_.Inc();
    log_->info("PostgreSQL connection ({}) back after {} failed attempt(s), {} ms", role_, failures_, down_ms);
    failures_ = 0;
    return s;
  }
  failed_.Inc();
  ++failures_;
  auto wait = EqualJitter(backoff_, failures_, std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
  next_ = now + wait;
  if (failures_ <= kLogFirstFailures || now - logged_at_ >= kLogEvery) {
    logged_at_ = now;
    log_->warn("PostgreSQL connection ({}) down for {} ms, attempt {} failed, next in {} ms: {}", role_, down_ms,
               failures_, wait.count(), s.message());
  }
  return s;
}

}  // namespace canon::daemon
