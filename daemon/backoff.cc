#include "daemon/backoff.h"

#include <algorithm>

namespace canon::daemon {

std::chrono::milliseconds EqualJitter(const Backoff& backoff, int failures, double random01) {
  // Doubling stops at max (and before the shift could overflow).
  long long base = std::max<long long>(backoff.initial.count(), 1);
  const long long max = std::max<long long>(backoff.max.count(), base);
  for (int i = 1; i < failures && base < max; ++i) base *= 2;
  base = std::min(base, max);
  random01 = std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(base / 2 + static_cast<long long>(random01 * static_cast<double>(base - base / 2)));
}

}  // namespace canon::daemon
