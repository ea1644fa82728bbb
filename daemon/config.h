// canond configuration: one declarative table of settings (pgbouncer style), loaded from a TOML file.
//
// Every setting has a name, a type, a default, whether a SIGHUP reload may change it, and a description; the
// table is the documentation (`canond --help-config` prints it). Unknown keys and wrong types are errors with
// file:line. Environment: CANON_DB overrides `database`. Plain value; read-only after load.
#pragma once

#include <cstdint>
#include <string>

#include "hygiene/status.h"

namespace canon::daemon {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string database;  // libpq conninfo; "" = libpq defaults
  std::string rules_dir = "rules";
  std::string migrations_dir = "schemas/migrations";
  bool migrate_on_start = true;
  int64_t io_threads = 2;
  int64_t workers = 2;
  int64_t worker_batch = 64;
  int64_t writer_connections = 2;
  int64_t max_body_bytes = 1 << 20;
  int64_t max_queue = 20000;
  int64_t group_commit_max = 512;
  int64_t read_timeout_ms = 30000;
  int64_t poll_interval_ms = 200;
  bool watch_drop_folders = true;
  std::string log_level = "info";
  bool log_pii = false;
  std::string admin_token;  // CANON_ADMIN_TOKEN overrides; empty = admin API without a token

  std::string ListenHost() const;
  uint16_t ListenPort() const;
};

// Loads a config file; an empty path gives the defaults. Then applies CANON_DB.
Result<Config> LoadConfig(const std::string& path);

// The settings table, formatted for humans.
std::string DescribeConfig();

}  // namespace canon::daemon
