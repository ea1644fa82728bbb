#include "tests/faults/private_pg.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/support.h"

namespace canon::test {
namespace {

const char* kPgBin = "/usr/lib/postgresql/15/bin";

// PostgreSQL refuses to run as root.
std::string AsPg() { return geteuid() == 0 ? "runuser -u postgres -- " : ""; }

void Run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  INFO(cmd);
  REQUIRE(rc == 0);
}

}  // namespace

PrivatePg::PrivatePg(std::vector<std::string> also_listen) : also_listen_(std::move(also_listen)) {
  char tmpl[] = "/tmp/canon-pg.XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  data_ = dir_ + "/pg";
  std::filesystem::permissions(dir_, std::filesystem::perms(0755));
  std::filesystem::create_directory(data_);
  if (geteuid() == 0) Run("chown postgres " + data_);
  std::filesystem::permissions(data_, std::filesystem::perms(0700));
  Run(AsPg() + kPgBin + "/initdb -D " + data_ + " -U canon --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null");
  if (!also_listen_.empty()) {
    std::ofstream hba(data_ + "/pg_hba.conf", std::ios::app);
    for (const std::string& a : also_listen_) hba << "host all all " << a.substr(0, a.rfind('.')) << ".0/24 trust\n";
  }
  port_ = FreePort();
  Start();
}

PrivatePg::~PrivatePg() {
  if (running_)
    std::system((AsPg() + kPgBin + "/pg_ctl -D " + data_ + " -m immediate -w stop >/dev/null 2>&1").c_str());
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PrivatePg::admin() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=canon dbname=postgres connect_timeout=5";
}

void PrivatePg::Start() {
  // Small: these clusters hold a few thousand rows. max_connections covers two canond nodes and the test.
  std::string listen = "127.0.0.1";
  for (const std::string& a : also_listen_) listen += "," + a;
  std::string opts = "-p " + std::to_string(port_) + " -c listen_addresses=" + listen + " -k " + data_ +
                     " -c max_connections=100 -c shared_buffers=64MB";
  Run(AsPg() + kPgBin + "/pg_ctl -D " + data_ + " -l " + data_ + "/server.log -o '" + opts +
      "' -w -t 60 start >/dev/null");
  running_ = true;
}

void PrivatePg::Stop(const std::string& mode) {
  Run(AsPg() + kPgBin + "/pg_ctl -D " + data_ + " -m " + mode + " -w -t 60 stop >/dev/null");
  running_ = false;
}

}  // namespace canon::test
