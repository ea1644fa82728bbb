// Status and Result<T>: errors as values at every boundary (leveldb style).
//
// A Status is a code plus a human message and an optional location ("where": a JSON Pointer, a file:line, a
// CSV line number). It is cheap to copy when ok. Result<T> holds either a T or a non-ok Status; it is shaped
// like std::expected so it can become one later. Thread-safety: plain values, no shared state.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace canon {

enum class Code {
  kOk = 0,
  kInvalidArgument,       // the input is wrong (bad JSON, missing field, bad rule file)
  kNotFound,              // unknown source, unknown entity
  kUnsupportedMediaType,  // wrong Content-Type for the source's connector
  kTooLarge,              // a body or file over a configured limit
  kUnauthenticated,       // a signature or token that does not verify
  kAlreadyExists,         // a redelivery of something already taken
  kFailedPrecondition,    // the system is not in a state to do this (rules not loaded, migrations missing)
  kUnavailable,           // try again later (queue full, database down)
  kInternal,              // a bug or an unexpected failure of a dependency
};

const char* CodeName(Code code);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string where = {})
      : code_(code), message_(std::move(message)), where_(std::move(where)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string msg, std::string where = {}) {
    return Status(Code::kInvalidArgument, std::move(msg), std::move(where));
  }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status Unauthenticated(std::string msg) { return Status(Code::kUnauthenticated, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& where() const { return where_; }

  // "message (at where)" or just the message.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string where_;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace canon
