// A minimal blocking HTTP/1.1 client for canonctl's calls to a running canond (admin API on loopback or a
// private network). Plain http:// only; one request per connection; a timeout for the whole exchange.
// Errors (bad URL, connection refused, timeout) come back as Status; any HTTP status is a successful result.
#pragma once

#include <map>
#include <string>

#include "hygiene/status.h"

namespace canon::tools {

struct HttpReply {
  int status = 0;
  std::string body;
};

// url: "http://host[:port][/base]"; target is appended to the base path ("/admin/rules/reload").
Result<HttpReply> HttpCall(const std::string& method, const std::string& url, const std::string& target,
                           const std::string& body = {}, const std::map<std::string, std::string>& headers = {},
                           int timeout_ms = 30000);

}  // namespace canon::tools
