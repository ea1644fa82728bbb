// For the tests that need a client which is not on loopback (tests/support.cc defines these). Kept out of
// support.h, which every [pg] test includes, so a change here rebuilds only its users.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "tests/support.h"

namespace canon::test {

// HttpRequest from a given local source address (to be a client that is not on loopback).
HttpResult HttpRequestFrom(const std::string& source_ip, uint16_t port, const std::string& method,
                           const std::string& target, const std::string& body = {},
                           const std::string& content_type = {},
                           const std::map<std::string, std::string>& headers = {});
// HttpRequest to `host` (an IPv4 address of this machine: a canond in a network namespace, tests/faults/netns.h),
// given up after `timeout` (a peer cut off drops packets: the default 30 s would stall the sender).
HttpResult HttpRequestTo(const std::string& host, uint16_t port, std::chrono::milliseconds timeout,
                         const std::string& method, const std::string& target, const std::string& body = {},
                         const std::string& content_type = {},
                         const std::map<std::string, std::string>& headers = {});
// A non-loopback IPv4 address of this machine, or "".
std::string LocalNonLoopbackIp();

}  // namespace canon::test
