// canond configuration: one declarative table of settings (pgbouncer style), loaded from a TOML file.
//
// Every setting has a name, a type, a default, whether a SIGHUP reload may change it, and a description; the
// table is the documentation (`canond --help-config` prints it). Unknown keys and wrong types are errors with
// file:line. Environment: CANON_DB overrides `database`. Plain value; read-only after load.
//
// API tokens are the one setting that is a list: `[[token]]` tables of name, role and sha256 (the lowercase
// or uppercase hex SHA-256 of the token; the token itself is never in the file). Names are what logs and the
// audit show, so they are limited to letters, digits and . _ - (at most 64); names and hashes are unique.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hygiene/status.h"

namespace canon::daemon {

// What a token may do on the admin API; each role includes the ones before it.
//   viewer: read the queue, entities, reports, imports, rules version;
//   steward: also decide pairs, unmerge, edit contacts;
//   admin: also reload rules (and future replay and erasure).
enum class Role { kViewer = 1, kSteward = 2, kAdmin = 3 };
const char* RoleName(Role r);

struct ApiToken {
  std::string name;
  Role role = Role::kViewer;
  std::string sha256;  // raw 32 bytes
};

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string database;  // libpq conninfo; "" = libpq defaults
  std::string rules_dir = "rules";
  std::string migrations_dir = "schemas/migrations";
  bool migrate_on_start = true;
  int64_t io_threads = 2;
  // Two workers of 256 rows on two cores. A larger batch costs less CPU per record (fewer round trips and
  // statements per record: 32 rows 362 us, 64 rows 333 us, 128 rows 303 us of canond + backends). While a batch
  // waited for every key it locked, a third worker ran while another waited, and a larger batch waited longer;
  // since batches step aside instead of waiting (WorkerPool::DeferBusy), two of 256 beat three of 128
  // (bench_pipeline, 50,000 people, interleaved: 6,227, 6,270 -> 6,542, 6,557 records/s on an empty store; 4,103,
  // 4,255, 4,039 -> 4,381, 4,336, 4,337 with 1,000,000 contacts stored).
  int64_t workers = 2;
  int64_t worker_batch = 256;
  // One inbox writer connection: its groups are about 33 payloads where two connections' were about 19, and the
  // inbox INSERT costs the server about 10 us per payload instead of 15 (bench_pipeline, 50,000 people, two
  // interleaved pairs each: 7,392, 7,610 against 6,910, 7,024 records/s on an empty store; 5,663, 5,797 against
  // 5,486, 5,498 with 1,000,000 stored). Intake alone was no slower (bench_intake: 21,402, 22,441 against 20,716,
  // 21,501 requests/s, p99 11.9-12.4 ms either way). A second connection overlaps one group's WAL flush with the
  // next group's INSERT, which pays where the disk's flush, not the CPU, bounds intake.
  int64_t writer_connections = 1;
  int64_t max_body_bytes = 1 << 20;
  int64_t max_queue = 20000;
  int64_t group_commit_max = 512;
  int64_t max_commit_latency_ms = 10000;
  int64_t max_inbox_backlog = 100000;
  int64_t header_timeout_ms = 10000;
  int64_t read_timeout_ms = 30000;
  int64_t write_timeout_ms = 10000;
  int64_t poll_interval_ms = 200;
  int64_t reconnect_initial_ms = 100;
  int64_t reconnect_max_ms = 3000;
  bool watch_drop_folders = true;
  std::string log_level = "info";
  std::string log_format = "text";  // text | json (one JSON object per line, daemon/log.h)
  bool log_pii = false;
  // An admin-role token given in clear (CANON_ADMIN_TOKEN overrides), named "admin_token"; kept for existing
  // set-ups. `tokens` is the way to give several tokens and roles without the tokens on disk.
  std::string admin_token;
  std::vector<ApiToken> tokens;      // [[token]] tables, plus admin_token when set
  std::string metrics_token_sha256;  // raw 32 bytes; empty = GET /metrics needs no token

  std::string ListenHost() const;
  uint16_t ListenPort() const;
};

// Loads a config file; an empty path gives the defaults. Then applies CANON_DB.
Result<Config> LoadConfig(const std::string& path);

// The settings table, formatted for humans.
std::string DescribeConfig();

}  // namespace canon::daemon
