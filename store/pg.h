// Thin RAII over libpq. The only place (with the rest of store/) that speaks SQL.
//
// PgConn owns one PGconn; PgResult one PGresult. A PgConn is used by one thread at a time. All SQL is sent with
// parameters (PQexecParams); values are text unless a binary format is asked for. Errors come back as Status
// with the server's message and SQLSTATE.
#pragma once

#include <libpq-fe.h>

#include <charconv>
#include <chrono>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hygiene/status.h"

namespace canon::store {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r, &PQclear) {}
  PGresult* get() const { return r_.get(); }
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col); }
  std::string_view Get(int row, int col) const {
    return std::string_view(PQgetvalue(r_.get(), row, col), PQgetlength(r_.get(), row, col));
  }
  std::string Str(int row, int col) const { return std::string(Get(row, col)); }
  // A whole decimal integer without a copy; anything else as std::stoll reads it (and throws as it does).
  long long Int(int row, int col) const {
    std::string_view v = Get(row, col);
    long long out = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec == std::errc() && end == v.data() + v.size()) return out;
    return std::stoll(std::string(v));
  }
  int Col(const char* name) const { return PQfnumber(r_.get(), name); }

 private:
  std::shared_ptr<PGresult> r_;
};

// A parameter: text by default; binary for raw bytes (bytea) so they are stored exactly. An rvalue string is
// owned by the Param (so `params = {std::to_string(id)}` is safe); an lvalue string or a view is borrowed and
// must outlive the call.
class Param {
 public:
  Param() : null_(true) {}
  Param(std::nullopt_t) : null_(true) {}                                            // NOLINT
  Param(std::string_view v, bool bin = false) : view_(v), binary_(bin) {}          // NOLINT
  Param(const std::string& v) : view_(v) {}                                        // NOLINT
  Param(std::string&& v) : owned_(std::move(v)), is_owned_(true) {}                // NOLINT
  Param(const char* v) : view_(v) {}                                               // NOLINT
  // Bytes in PostgreSQL's binary form of the parameter's type, owned (the *ArrayParam builders below).
  static Param Binary(std::string bytes) {
    Param p(std::move(bytes));
    p.binary_ = true;
    return p;
  }

  bool null() const { return null_; }
  // The bytes are followed by a NUL (an owned string): libpq can take them without a copy.
  bool terminated() const { return is_owned_; }
  bool binary() const { return binary_; }
  std::string_view data() const { return is_owned_ ? std::string_view(owned_) : view_; }

 private:
  std::string owned_;
  std::string_view view_;
  bool is_owned_ = false;
  bool null_ = false;
  bool binary_ = false;
};

// One statement of a pipeline (PgConn::ExecPipeline).
struct Statement {
  std::string sql;
  std::vector<Param> params;
};

class PgConn {
 public:
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& conninfo);
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  ~PgConn();

  // Runs one statement with parameters; returns rows for SELECT/RETURNING. Each distinct SQL text is prepared
  // once per connection (up to kMaxPrepared of them) and executed as a prepared statement after that: the record
  // writer's statements are the same few texts every batch, and parsing and planning them each time cost the
  // server more than running them (a match probe: 4.3 ms of server CPU, most of it in the parser and planner).
  Result<PgResult> Exec(const std::string& sql, const std::vector<Param>& params = {});
  // Runs independent statements in one round trip (libpq pipeline mode): they execute on the server in order, as
  // if sent one by one, and the results come back in that order. The first failing statement's error is
  // returned; the statements after it are not run (inside a transaction, the transaction is then aborted, as it
  // would be by Exec). For a few statements whose results are small (the record writer's batch steps): the
  // whole pipeline is written before any result is read.
  Result<std::vector<PgResult>> ExecPipeline(const std::vector<Statement>& statements);
  // Runs a script of several statements without parameters (migrations only).
  Status ExecScript(const std::string& sql);
  bool Healthy() const;
  int BackendPid() const;  // the server process of this session (0 when not connected)
  // Reconnects when the connection dropped.
  Status EnsureConnected();
  PGconn* raw() { return conn_; }
  // What it connected with (another connection to the same database).
  const std::string& conninfo() const { return conninfo_; }
  // What the record writer remembers for this session (store/candidates.h, WriterState): kept with the
  // connection and dropped when it reconnects, so what a writer learned of one database never applies to another.
  std::shared_ptr<void>& writer_state() { return writer_state_; }

 private:
  explicit PgConn(PGconn* c, std::string conninfo) : conn_(c), conninfo_(std::move(conninfo)) {}
  // The prepared statement's name for `sql`, preparing it first; "" when it cannot be prepared (the cache is
  // full, or the server refused: the caller then sends the text, and gets the server's error if it is one).
  std::string PreparedName(const std::string& sql, size_t param_count);
  // Forgets `sql`'s prepared statement (a schema change made its plan stale): the next call prepares it again.
  void DropPrepared(const std::string& sql);
  // One prepared statement. Its generic plan is made from the tables' sizes at its first run, so it is prepared
  // again (and so planned again) after 4, 8, 16, ... runs, then every kReplanEvery runs or kReplanAfter: a writer
  // that starts on an empty store would otherwise keep the sequential scans planned for empty tables (seen: the
  // contact recompute scanning 20,000 contacts for 25 rows).
  struct Prepared {
    std::string name;
    unsigned long runs = 0;
    unsigned long replan_at = 4;
    std::chrono::steady_clock::time_point at;
  };
  static constexpr unsigned long kReplanEvery = 1024;
  static constexpr std::chrono::minutes kReplanAfter{5};

  // Distinct statement texts a connection keeps prepared; the writer uses a few dozen. Texts past this run
  // unprepared, so a caller that builds SQL with varying text cannot grow the server's memory without bound.
  static constexpr size_t kMaxPrepared = 256;

  PGconn* conn_;
  std::string conninfo_;
  std::unordered_map<std::string, Prepared> prepared_;  // SQL text -> its prepared statement on this connection
  unsigned long prepared_count_ = 0;
  std::shared_ptr<void> writer_state_;
};

// A transaction scope: BEGIN on Begin(), ROLLBACK on destruction unless Commit() succeeded.
class Tx {
 public:
  explicit Tx(PgConn& c) : c_(c) {}
  ~Tx();
  Status Begin();
  // BEGIN, and this transaction's COMMIT returns before its WAL reaches the disk (SET LOCAL synchronous_commit =
  // off), in one round trip. Only for work whose durable copy is elsewhere and is done again when the server
  // loses it: a crash loses a suffix of the WAL, so such a transaction is lost only with every one after it,
  // and a later transaction that commits synchronously (as any whose result is promised outside the database
  // must) makes it durable too.
  Status BeginAsyncCommit();
  Status Commit();

 private:
  PgConn& c_;
  bool open_ = false;
};

// Quotes a text[] literal for use as one parameter: {"a","b"} with escapes.
std::string TextArray(const std::vector<std::string>& values);
// The same with SQL NULL elements (nullopt).
std::string TextArray(const std::vector<std::optional<std::string>>& values);
// A bigint[] literal: {1,2,3}.
std::string IntArray(const std::vector<long long>& values);
// Parses an int[]/bigint[] in PostgreSQL's text form ("{1,2,3}", "{}").
std::vector<long long> ParseIntArray(std::string_view text);

// The same arrays in PostgreSQL's binary array format (array_send's): no escaping here and no parsing by the
// server (array_in was 7% of the write path's backend CPU, most of it scanning the records' JSON for quotes). The
// statement must name the parameter's type (`$1::text[]`, `$2::bigint[]`, `$3::boolean[]`): a binary parameter
// is read as the type the statement gives it.
Param TextArrayParam(const std::vector<std::string>& values);
Param TextArrayParam(const std::vector<std::optional<std::string>>& values);
Param IntArrayParam(const std::vector<long long>& values);
Param BoolArrayParam(const std::vector<bool>& values);
// Arrays of views (no copy of each value before the array's own): text[] with NULLs for the empty optionals, and
// bytea[] of raw bytes (the inbox's bodies, stored exactly).
Param TextViewArrayParam(const std::vector<std::optional<std::string_view>>& values);
Param ByteaArrayParam(const std::vector<std::string_view>& values);

// Minimal JSON string escaping for building jsonb parameters: the quoted string.
std::string JsonEscape(std::string_view s);
// The same, appended to *out.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace canon::store
