// A loopback HTTPS server for tests: a self-signed certificate made with OpenSSL's APIs and a server on
// 127.0.0.1:<ephemeral> that plays a script of answers, one per connection (the last one repeats), or asks a
// Responder for each request by its target, and records each request target. Used by the Graph client test and the [pg] vendor tests (a fake Graph API).
// Thread-safety: targets()/connections() may be called while the server runs; the destructor joins everything.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace canon::test {

struct Pem {
  std::string cert, key;
};

// A self-signed certificate for localhost and 127.0.0.1, valid for a day (fails the test on OpenSSL errors).
Pem MakeSelfSigned();

// Writes the certificate to a temp file (the client's ca_file) and removes it on destruction.
struct CaFile {
  std::string path;
  explicit CaFile(const Pem& pem);
  ~CaFile();
};

struct Answer {
  int status;
  std::string body;
  int delay_ms = 0;  // before answering: longer than the client's timeout makes it give up on this attempt
};

// Answers a request by its target (a fake API that answers each lead its own way); called on the server's threads.
using Responder = std::function<Answer(const std::string& target)>;
// The same with the request's headers (lowercased names): a fake API that checks the bearer token.
using HeaderResponder =
    std::function<Answer(const std::string& target, const std::map<std::string, std::string>& headers)>;

class ScriptedServer {
 public:
  ScriptedServer(const Pem& pem, std::vector<Answer> script);
  ScriptedServer(const Pem& pem, Responder responder);
  ScriptedServer(const Pem& pem, HeaderResponder responder);
  ~ScriptedServer();
  unsigned short port() const { return port_; }
  std::vector<std::string> targets();
  int connections() const { return connections_; }

 private:
  void Loop();
  void Serve(boost::asio::ip::tcp::socket sock, int index);

  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_;
  std::vector<Answer> script_;
  HeaderResponder responder_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::vector<std::thread> handlers_;
  std::mutex mu_;
  std::vector<std::string> targets_;
};

}  // namespace canon::test
