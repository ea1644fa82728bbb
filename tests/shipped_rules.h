// The shipped rules directory (rules/ and schemas/ of the source tree), loaded once per test binary: parsing
// the domain lists takes a good part of a second. For unit tests of what the shipped rules make of records.
#pragma once

#include <catch2/catch.hpp>
#include <memory>

#include "connectors/rule_dir.h"
#include "hygiene/rule_set.h"

namespace canon::test {

inline const RuleSet& ShippedRules() {
  static const std::shared_ptr<const RuleSet> kRules = [] {
    auto r = LoadRuleDir(CANON_SOURCE_DIR "/rules");
    if (!r.ok()) FAIL("shipped rules do not load: " << r.status().ToString());
    return *r;
  }();
  return *kRules;
}

}  // namespace canon::test
