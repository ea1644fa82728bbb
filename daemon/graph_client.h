// GraphClient: a small synchronous HTTPS GET client for vendor APIs (the Meta Graph API's lead lookups).
//
// One TLS connection per attempt (Connection: close): lead fetches are rare and a fresh connection keeps the
// client stateless and safe to use from any worker thread (each call has its own io_context; there is no
// shared mutable state, so concurrent Get calls on one client are fine). TLS peer verification and host-name
// checking are on by default against the system's trust store; `ca_file` trusts exactly that PEM file instead
// (tests with a self-signed server). Plain http:// is refused so a token never travels in clear.
//
// Retries: connection failures, timeouts and 5xx (and 429, which asks to come back later) are retried with
// exponential backoff (initial_backoff, doubling, capped at max_backoff) up to max_attempts in all; any other
// 4xx is final at once (a refused token will not get better by asking again). 2xx and 3xx are returned as
// responses. Errors: 401/403 -> kUnauthenticated, 404 -> kNotFound, other 4xx -> kInvalidArgument, retries
// exhausted -> kUnavailable, bad base URL -> kInvalidArgument. The access token is sent as the access_token query
// parameter (Meta's Graph API) or, with `bearer`, as "Authorization: Bearer <token>" (LinkedIn's API), and never
// appears in a Status message (the response body excerpt is scrubbed of it too).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hygiene/status.h"

namespace canon {

struct GraphClientOptions {
  std::string base_url = "https://graph.facebook.com/v19.0";  // https://host[:port][/path]
  std::chrono::milliseconds timeout{10000};  // per attempt, connect through last byte read
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{8000};
  std::string ca_file;  // empty: the system's default trust store
  // Tests pass a recorder instead of sleeping through the backoff; default: std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Called before each retry (for canon_fetch_retries_total); may be empty.
  std::function<void()> on_retry;
  std::string api_name = "graph API";  // how error messages name the API
  bool bearer = false;  // the token in an Authorization: Bearer header instead of the query
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every request (LinkedIn-Version)
};

struct HttpResponse {
  int status = 0;
  std::string body;
  int attempts = 0;  // how many requests it took
};

class GraphClient {
 public:
  explicit GraphClient(GraphClientOptions options);

  // GET base_url + target (target starts with '/', may carry a query), with "access_token=<token>" appended to
  // the query (or the bearer header) when the token is not empty.
  Result<HttpResponse> Get(std::string_view target, std::string_view access_token = {}) const;

  // The parsed base URL; Get refuses to run when it is not valid.
  const Status& config_status() const { return config_; }

 private:
  GraphClientOptions options_;
  Status config_;
  std::string host_, port_, base_path_;
};

}  // namespace canon
