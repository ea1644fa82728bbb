// The rule set in force. Readers take a snapshot (a shared_ptr) and keep it for the whole record or batch; a
// reload swaps the pointer atomically, so a record is never normalized by half of one set and half of another.
#pragma once

#include <memory>
#include <mutex>

#include "hygiene/rule_set.h"

namespace canon::daemon {

class RulesHolder {
 public:
  std::shared_ptr<const RuleSet> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return rules_;
  }
  void Set(std::shared_ptr<const RuleSet> rules) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_ = std::move(rules);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const RuleSet> rules_;
};

}  // namespace canon::daemon
