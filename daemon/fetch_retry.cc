#include "daemon/fetch_retry.h"

#include <algorithm>
#include <cstdlib>

#include "daemon/backoff.h"

namespace canon::daemon {
namespace {

std::chrono::milliseconds Seconds(const SourceConfig& source, const char* option,
                                  std::chrono::milliseconds fallback) {
  std::string text = source.Option(option);
  if (text.empty()) return fallback;
  double s = std::strtod(text.c_str(), nullptr);  // checked positive by RuleSet::Parse
  return s > 0 ? std::chrono::milliseconds(static_cast<long long>(s * 1000)) : fallback;
}

}  // namespace

FetchRetryPolicy FetchRetryPolicy::Of(const SourceConfig& source) {
  FetchRetryPolicy p;
  p.initial = std::max(Seconds(source, "retry_initial", p.initial), std::chrono::milliseconds(1));
  p.max = std::max(Seconds(source, "retry_max", p.max), p.initial);
  p.window = Seconds(source, "retry_window", p.window);
  return p;
}

RetryDecision NextRetry(const FetchRetryPolicy& policy, int attempts, std::chrono::milliseconds elapsed,
                        double random01) {
  RetryDecision d;
  if (elapsed >= policy.window) {
    d.dead = true;
    return d;
  }
  long long jittered = EqualJitter({policy.initial, policy.max}, attempts, random01).count();
  d.delay = std::chrono::milliseconds(
      std::min(jittered, static_cast<long long>((policy.window - elapsed).count())));
  return d;
}

}  // namespace canon::daemon
