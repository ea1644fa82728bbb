// HttpServer: Boost.Beast HTTP/1.1 with keep-alive, one strand per connection (the Beast advanced-server shape).
//
// The server knows nothing of Canon: it reads a request (body capped at `max_body_bytes`, answering 413 itself
// above it), hands it to the Router, and writes whatever response the router gives back, possibly later and from
// another thread (Respond posts onto the connection's strand). Stop() closes the listener and idle connections;
// connections with a request in flight finish it, send the response, then close. Run() returns when the last
// connection is gone. Every request and its response carry an X-Request-Id (RequestIdFor).
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

struct HttpLimits {
  uint64_t max_body_bytes = 1 << 20;
  int read_timeout_ms = 30000;
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

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace canon::daemon
