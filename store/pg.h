// Thin RAII over libpq. The only place (with the rest of store/) that speaks SQL.
//
// PgConn owns one PGconn; PgResult one PGresult. A PgConn is used by one thread at a time. All SQL is sent with
// parameters (PQexecParams); values are text unless a binary format is asked for. Errors come back as Status
// with the server's message and SQLSTATE.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  long long Int(int row, int col) const { return std::stoll(Str(row, col)); }
  int Col(const char* name) const { return PQfnumber(r_.get(), name); }

 private:
  std::shared_ptr<PGresult> r_;
};

// A parameter: text by default; binary for raw bytes (bytea) so they are stored exactly.
struct Param {
  std::optional<std::string_view> value;  // nullopt -> SQL NULL
  bool binary = false;
  Param() = default;
  Param(std::nullopt_t) {}                                        // NOLINT
  Param(std::string_view v, bool bin = false) : value(v), binary(bin) {}  // NOLINT
  Param(const std::string& v) : value(std::string_view(v)) {}  // NOLINT
  Param(const char* v) : value(std::string_view(v)) {}         // NOLINT
};

class PgConn {
 public:
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& conninfo);
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  ~PgConn();

  // Runs one statement with parameters; returns rows for SELECT/RETURNING.
  Result<PgResult> Exec(const std::string& sql, const std::vector<Param>& params = {});
  // Runs a script of several statements without parameters (migrations only).
  Status ExecScript(const std::string& sql);
  bool Healthy() const;
  // Reconnects when the connection dropped.
  Status EnsureConnected();
  PGconn* raw() { return conn_; }

 private:
  explicit PgConn(PGconn* c, std::string conninfo) : conn_(c), conninfo_(std::move(conninfo)) {}
  PGconn* conn_;
  std::string conninfo_;
};

// A transaction scope: BEGIN on Begin(), ROLLBACK on destruction unless Commit() succeeded.
class Tx {
 public:
  explicit Tx(PgConn& c) : c_(c) {}
  ~Tx();
  Status Begin();
  Status Commit();

 private:
  PgConn& c_;
  bool open_ = false;
};

// Quotes a text[] literal for use as one parameter: {"a","b"} with escapes.
std::string TextArray(const std::vector<std::string>& values);

// Minimal JSON string escaping for building jsonb parameters.
std::string JsonEscape(std::string_view s);

}  // namespace canon::store
