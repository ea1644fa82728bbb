// HttpServer: Boost.Beast HTTP/1.1 with keep-alive, one strand per connection (the Beast advanced-server shape).
//
// The server knows nothing of Canon: it reads a request (body capped at `max_body_bytes`, answering 413 itself
// above it), hands it to the Router, and writes whatever response the router gives back, possibly later and from
// another thread (Respond posts onto the connection's strand). Stop() accepts the connections queued for the
// listener, closes it, and closes idle keep-alive connections; connections with a request in flight finish it, send
// the response, then close; a connection that has not sent its first request yet gets a moment to send it, and is
// answered. Run() returns when the last connection is gone. Every request and its response carry an X-Request-Id
// (RequestIdFor).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hygiene/status.h"

namespace canon::daemon {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Respond = std::function<void(Response)>;

// The client end of a connection, as the socket saw it (not as any header claims).
struct Peer {
  bool loopback = false;  // 127.0.0.0/8 or ::1 (or ::ffff:127.x)
};

class Router {
 public:
  virtual ~Router() = default;
  // Must call `respond` exactly once, from any thread.
  virtual void Handle(Request&& req, const Peer& peer, Respond respond) = 0;
  // Told of a request the server answered itself (413 over the body limit, 400 malformed), for counting: `head`
  // holds what was parsed of it (method and target when the request line was read).
  virtual void Refused(const Request& head, unsigned status) {
    (void)head;
    (void)status;
  }
};

// Each connection holds at most one request and one response at a time (it reads the next request only after
// its response is written), so these bound what a slow or stuck client can hold: a body of max_body_bytes, for
// at most read_timeout_ms; a response, for at most write_timeout_ms.
struct HttpLimits {
  uint64_t max_body_bytes = 1 << 20;
  int header_timeout_ms = 10000;  // idle between requests, then until the headers are in (a slowloris)
  int read_timeout_ms = 30000;    // the body, once the headers are in, however steadily its bytes trickle
  int write_timeout_ms = 10000;   // the response (a client that stops reading)
};

// Connections closed because a limit's time ran out, by phase (for /metrics).
struct HttpTimeouts {
  long long header = 0;  // a request begun and not finished its headers in time (an idle connection is not counted)
  long long body = 0;
  long long write = 0;
};

Response JsonResponse(const Request& req, http::status status, std::string body);

// The request id of a request: the client's X-Request-Id when it is 1 to 128 characters of [A-Za-z0-9._:-] (safe
// to log and to echo), else a new one (32 random hex digits). The server sets it on the request the router sees
// and on the response, whatever answers it.
std::string RequestIdFor(std::string_view sent);

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, Router& router, HttpLimits limits);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Returns the bound port (useful with port 0).
  Result<uint16_t> Listen(const std::string& host, uint16_t port);
  // Thread-safe: stop accepting, close idle connections, let in-flight requests finish.
  void Stop();
  bool stopping() const;
  // Connections still open (for shutdown: the process exits when this reaches 0).
  size_t open_connections() const;
  HttpTimeouts timeouts() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace canon::daemon
